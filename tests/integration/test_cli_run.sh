#!/usr/bin/env bash
# End to end through the CLI: a coarse default run, its output checked against the output
# contract (check_output.py, h5py) and opened in ParaView (check_paraview.py, pvpython);
# plus info, info --params, run --help, --dry-run and check.
#
# usage: bash test_cli_run.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
PY=/usr/bin/python3                      # Debian python3 with numpy and h5py
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=2
export OMP_WAIT_POLICY=PASSIVE   # no spinning threads on a busy machine; results unchanged
CONFIG=$SRC/configs/default.ini
TIMES="0 14 42 90"
COARSE=(--set grid.nx=20 --set grid.nz=8 --set run.end_time=90 --set "output.times=$TIMES")

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect
# run_cli NAME ARGS...: runs the binary, output in NAME.out / NAME.err, status in $rc
run_cli() {
  local name=$1; shift
  "$BIN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  echo "\$ chondrosim $* -> exit $rc"
}
has() { grep -qF -- "$2" "$WORK/$1"; }   # has FILE SUBSTRING
show() { sed 's/^/        | /' "$WORK/$1" | head -n "${2:-20}"; }

echo "== chondrosim info"
run_cli info info
expect '[ $rc -eq 0 ]' "info exits 0"
for s in chondrosim SUNDIALS HDF5 "Open MPI"; do
  expect "has info.out '$s'" "info names '$s'"
done
show info.out 5

echo "== chondrosim info --params"
run_cli params info --params
expect '[ $rc -eq 0 ]' "info --params exits 0"
for s in msc.D grid.nx output.times solver.rtol therapy.dose "mm^2/day"; do
  expect "has params.out '$s'" "info --params lists '$s'"
done

echo "== chondrosim --help / run --help / --version"
run_cli help --help
expect '[ $rc -eq 0 ] && has help.out "run CONFIG" && has help.out "Exit codes"' \
  "--help exits 0 and lists the commands and exit codes"
run_cli runhelp run --help
expect '[ $rc -eq 0 ]' "run --help exits 0"
for s in "usage: chondrosim run CONFIG" --set --out --dry-run --quiet mpirun; do
  expect "has runhelp.out '$s'" "run --help mentions '$s'"
done
run_cli version --version
expect '[ $rc -eq 0 ] && has version.out "chondrosim "' "--version exits 0 and prints the version"

echo "== chondrosim check $CONFIG"
run_cli check check "$CONFIG"
expect '[ $rc -eq 0 ]' "check of the default config exits 0"
expect 'has check.err valid' "check says the config is valid"
show check.err 3

echo "== chondrosim run --dry-run"
mkdir -p "$WORK/drycwd"
(cd "$WORK/drycwd" && "$BIN" run "$CONFIG" "${COARSE[@]}" --dry-run --out "$WORK/dry" \
  >"$WORK/dry.out" 2>"$WORK/dry.err"); rc=$?
echo "\$ chondrosim run $CONFIG ${COARSE[*]} --dry-run --out $WORK/dry -> exit $rc"
expect '[ $rc -eq 0 ]' "--dry-run exits 0"
expect 'has dry.out "[grid]" && has dry.out "nx = 20" && has dry.out "[msc]"' \
  "--dry-run prints the effective config ([grid], nx = 20, [msc])"
expect 'grep -qE "^times = 0 14 42 90( |$)" "$WORK/dry.out"' "--dry-run shows output.times = 0 14 42 90"
expect 'has dry.out "--set grid.nx=20" && has dry.out "default.ini:"' \
  "--dry-run says where values came from (--set grid.nx=20, default.ini:LINE)"
expect '[ ! -e "$WORK/dry" ]' "--dry-run did not create the --out directory"
expect '[ -z "$(ls -A "$WORK/drycwd")" ]' "--dry-run wrote nothing in the working directory"

echo "== chondrosim run (coarse default, ${OMP_NUM_THREADS} threads) --out out"
t0=$(date +%s.%N)
run_cli run run "$CONFIG" "${COARSE[@]}" --out out
t1=$(date +%s.%N)
echo "        wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s"
show run.out 6
expect '[ $rc -eq 0 ]' "run exits 0"
if [ $rc -ne 0 ]; then show run.err 30; fi
expect 'has run.out "run default finished"' "run prints a summary on stdout"
RUN=$WORK/out/default
expect '[ -d "$RUN" ]' "run directory out/default exists (relative --out)"
echo "        $(ls "$RUN" 2>/dev/null | tr '\n' ' ')"
expect '[ -z "$(ls "$WORK" | grep -vxE "(info|params|help|runhelp|version|check|dry|run)\.(out|err)|drycwd|out")" ]' \
  "the run wrote nothing outside --out"

echo "== contract of the output (check_output.py)"
"$PY" "$HERE/check_output.py" "$RUN" default --times "$TIMES" --nx 20 --ny 1 --nz 8 \
  --width 10 --thickness 2.4 --ranks 1 --threads "$OMP_NUM_THREADS" --expect-json "$WORK/expect.json"
expect '[ $? -eq 0 ]' "check_output.py passed"

echo "== ParaView (check_paraview.py)"
PVPYTHON=$(command -v pvpython)
if [ -z "$PVPYTHON" ]; then
  fail "pvpython not found on PATH"
elif [ ! -f "$WORK/expect.json" ]; then
  fail "no expect.json from check_output.py: cannot check ParaView"
else
  # pvpython must not pick up a display or the user's settings.
  env -u DISPLAY timeout 300 "$PVPYTHON" "$HERE/check_paraview.py" \
    "$RUN/default.xdmf" "$WORK/expect.json" 2>"$WORK/pv.err"
  prc=$?
  expect '[ $prc -eq 0 ]' "check_paraview.py passed under pvpython (exit $prc)"
  [ $prc -ne 0 ] && show pv.err 30
fi

echo
if [ $nfail -ne 0 ]; then
  echo "test_cli_run: $nfail check(s) FAILED"
  exit 1
fi
echo "test_cli_run: all checks passed"
