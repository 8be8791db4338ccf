#!/usr/bin/env bash
# Short trial runs just work: `--set run.end_time=20` with the default output times runs,
# drops the times after the end with a note, and writes the end time as the last output
# (also when output.times does not list it).
#
# usage: bash test_short_run.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
COARSE=(--set grid.nx=10 --set grid.nz=4)
times_of() { /usr/bin/python3 -c "import h5py,sys; print(' '.join('%g' % t for t in h5py.File(sys.argv[1])['time'][:]))" "$1"; }

echo "== run.end_time=20 with the default output.times (0 14 42 ... 730)"
"$BIN" run "$SRC/configs/default.ini" "${COARSE[@]}" --set run.end_time=20 --set run.name=short \
  --out "$WORK" >short.out 2>short.err
rc=$?
echo "\$ chondrosim run configs/default.ini --set run.end_time=20 -> exit $rc"
grep "dropped" short.err | sed 's/^/        | /'
expect '[ $rc -eq 0 ]' "the run succeeds (exit $rc)"
expect 'grep -q "output.times after run.end_time = 20 dropped: 42 56 90 180 365 540 730" short.err' \
  "a note names the dropped output times"
got=$(times_of "$WORK/short/short.h5")
expect '[ "$got" = "0 14 20" ]' "/time = 0 14 20: the end is written (got '$got')"
expect 'grep -qE "^times = 0 14 20$" "$WORK/short/config.ini"' "the effective config lists output.times = 0 14 20"

echo "== output.times without the end"
"$BIN" run "$SRC/configs/default.ini" "${COARSE[@]}" --set run.end_time=30 --set "output.times=0 10" \
  --set run.name=noend --quiet --out "$WORK" >noend.out 2>noend.err
expect '[ $? -eq 0 ]' "the run succeeds"
got=$(times_of "$WORK/noend/noend.h5")
expect '[ "$got" = "0 10 30" ]' "/time = 0 10 30: day 30 added (got '$got')"

echo "== check and --dry-run agree"
"$BIN" run "$SRC/configs/default.ini" --set run.end_time=90 --dry-run >dry.out 2>dry.err
expect '[ $? -eq 0 ] && grep -qE "^times = 0 14 42 56 90$" dry.out' "--dry-run shows output.times = 0 14 42 56 90"
"$BIN" check "$SRC/configs/default.ini" --set run.end_time=90 >check.out 2>check.err
expect '[ $? -eq 0 ]' "check accepts --set run.end_time=90"

echo
if [ $nfail -ne 0 ]; then echo "test_short_run: $nfail check(s) FAILED"; exit 1; fi
echo "test_short_run: all checks passed"
