#!/usr/bin/env bash
# Checkpoint and restart (issue 4, item 1): a run continued from a checkpoint must give the
# uninterrupted run's answer.
#
#  (a) T days with checkpoint.every = T/2  vs  T/2 days (checkpoint at the end) + restart
#      to T: identical metric series (same steps) and fields, bound 1e-10 relative (the
#      design makes them bitwise equal: every checkpoint day is a stop and an integrator
#      restart in both runs, and the checkpoint carries everything else).
#  (b) the restart on 2 and 3 ranks from a 1-rank checkpoint: bound 1e-8 at solver.rtol =
#      1e-10 (reductions differ in round-off; see test_mpi_invariance.sh for why the tight
#      tolerance), and on 1 rank from a 2-rank checkpoint (1e-7: the 2-rank first half
#      already took other steps); measured also at the default rtol.
#  (c) SIGTERM mid-run (singleton), SIGUSR1 to mpirun, SIGTERM to one rank of two: exit 9,
#      a checkpoint of that day, a message saying how to restart; the restart completes.
#      These checkpoints fall on arbitrary steps, where the uninterrupted run keeps CVODE's
#      history and the restart cannot: the rows up to the checkpoint are bitwise those of
#      the uninterrupted run, after it they agree to the solver tolerance (bound 1e-3 at
#      rtol 1e-5, 1e-6 at rtol 1e-10; the measured values are printed).
#  (d) --checkpoint-every-wall: wall-clock checkpoints do not change the run (bitwise), and
#      a restart from one agrees like (c).
#  (e) refusals: a changed model key (exit 3, the key named), run.end_time before the
#      checkpoint (3), no output to append to (4), a missing checkpoint (4), a bad
#      --checkpoint-every-wall (2).
#
# Signals are sent while the run is paused by the test hook CHONDROSIM_TEST_PAUSE_IN
# (src/io/checkpoint_io.h), so they arrive at a known step. One thread per rank: the
# bitwise comparisons then hold by construction.
#
# usage: bash test_restart.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMP_NUM_THREADS=1
MPIRUN=$(command -v mpirun || command -v mpiexec)
CONFIG=$SRC/configs/default.ini
GRID=(--set grid.nx=20 --set grid.nz=8)
FULL=(--set run.end_time=120 --set "output.times=0 14 42 56 60 90 120")
HALF=(--set run.end_time=60 --set "output.times=0 14 42 56 60")
TIGHT=(--set solver.rtol=1e-10 --set solver.atol=1e-10 --set solver.linear_tolerance=1e-6)

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
T0=$SECONDS

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect

# run NAME RANKS EXPECTED_EXIT ARGS...: output under $WORK/NAME/default, log NAME.log
run() {
  local name=$1 np=$2 want=$3; shift 3
  local cmd=("$BIN" run "$CONFIG" "${GRID[@]}" "$@" --out "$WORK/$name" --quiet)
  [ "$np" -gt 1 ] && cmd=("$MPIRUN" --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS
                         -x CHONDROSIM_MODELS "${cmd[@]}")
  "${cmd[@]}" >>"$WORK/$name.log" 2>&1
  local rc=$?
  expect "[ $rc -eq $want ]" "$name ($np rank(s)): exit $rc, expected $want"
  [ $rc -eq "$want" ] || tail -n 8 "$WORK/$name.log" | sed 's/^/        | /'
}

# compare LABEL A B ARGS...: compare_restart.py on $WORK/A/default and $WORK/B/default
compare() {
  local label=$1 a=$2 b=$3; shift 3
  "$PY" "$HERE/compare_restart.py" "$WORK/$a/default" "$WORK/$b/default" default --label "$label" \
    "$@" >"$WORK/cmp_$label.txt" 2>&1
  local rc=$?
  grep -E "^  (FAIL|info)|^MAXRELDIFF" "$WORK/cmp_$label.txt" | sed 's/^/    /'
  expect "[ $rc -eq 0 ]" "$label"
}

# ck_attr DIR NAME: an attribute of DIR/default/default.chk.h5
ck_attr() {
  "$PY" -c "import h5py,sys; v=h5py.File(sys.argv[1],'r').attrs[sys.argv[2]]; print(v.decode() if isinstance(v,bytes) else v)" \
    "$WORK/$1/default/default.chk.h5" "$2" 2>/dev/null
}

# paused_signal NAME RANKS SIGNAL TARGET ARGS...: starts a run that pauses in the write of
# step_00003 (day 56), sends SIGNAL to TARGET (mpirun|all|rank1) while it is paused, and
# expects exit 9.
paused_signal() {
  local name=$1 np=$2 sig=$3 target=$4; shift 4
  local flag=$WORK/$name.paused
  rm -f "$flag"
  local cmd=("$BIN" run "$CONFIG" "${GRID[@]}" "$@" --out "$WORK/$name" --quiet)
  [ "$np" -gt 1 ] && cmd=("$MPIRUN" --oversubscribe --bind-to none -n "$np" -x OMP_NUM_THREADS
                         -x CHONDROSIM_MODELS -x CHONDROSIM_TEST_PAUSE_IN -x CHONDROSIM_TEST_PAUSE_FILE
                         -x CHONDROSIM_TEST_PAUSE_SECONDS "${cmd[@]}")
  CHONDROSIM_TEST_PAUSE_IN=output@3 CHONDROSIM_TEST_PAUSE_FILE=$flag CHONDROSIM_TEST_PAUSE_SECONDS=20 \
    "${cmd[@]}" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do [ -f "$flag" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
  sleep 0.3 # every rank reaches the pause
  case $target in
    mpirun|all) kill -s "$sig" $pid ;;
    rank1) # the highest-pid chondrosim child of mpirun: one rank only
      local r; r=$(pgrep -P $pid -f chondrosim | sort -n | tail -n 1)
      [ -n "$r" ] && kill -s "$sig" "$r" ;;
  esac
  wait $pid
  local rc=$?
  expect "[ $rc -eq 9 ]" "$name: $sig to $target -> exit $rc, expected 9"
  expect "grep -q -- '--restart' '$WORK/$name.log' && grep -q '$sig' '$WORK/$name.log'" \
    "$name: the message names $sig and says how to restart"
  expect '[ "$(ck_attr '"$name"' time)" = 56.0 ] && [ "$(ck_attr '"$name"' reason)" = SIG'"$sig"' ]' \
    "$name: checkpoint of day 56, reason $sig ($(ck_attr "$name" time), $(ck_attr "$name" reason))"
  expect "[ -f '$WORK/$name/default/default.partial.h5' ] && [ ! -e '$WORK/$name/default/default.h5' ]" \
    "$name: the output stays default.partial.h5"
}

echo "== (a) T = 120 days with checkpoint.every = 60 vs 60 days + restart to 120"
run plain 1 0 "${FULL[@]}"
run full 1 0 "${FULL[@]}" --set checkpoint.every=60
run half 1 0 "${HALF[@]}" --set checkpoint.every=60
expect '[ -f "$WORK/half/default/default.h5" ] && [ "$(ck_attr half time)" = 60.0 ]' \
  "the 60-day run finished with default.h5 and a checkpoint of day 60"
run half 1 0 "${FULL[@]}" --set checkpoint.every=60 --restart "$WORK/half/default/default.chk.h5"
compare a_restart_equals_uninterrupted full half --same-steps --restarts 1 --tol 1e-10
compare a_cost_of_checkpoint_stops plain full --tol 1e-3

echo "== (b) restart on another rank count"
run tfull 1 0 "${FULL[@]}" "${TIGHT[@]}" --set checkpoint.every=60
for np in 2 3; do
  run "thalf$np" 1 0 "${HALF[@]}" "${TIGHT[@]}" --set checkpoint.every=60
  run "thalf$np" "$np" 0 "${FULL[@]}" "${TIGHT[@]}" --set checkpoint.every=60 \
    --restart "$WORK/thalf$np/default/default.chk.h5"
  compare "b_1_rank_checkpoint_restart_on_${np}_ranks_rtol1e-10" tfull "thalf$np" --restarts 1 --tol 1e-8
done
run thalf_from2 2 0 "${HALF[@]}" "${TIGHT[@]}" --set checkpoint.every=60
run thalf_from2 1 0 "${FULL[@]}" "${TIGHT[@]}" --set checkpoint.every=60 \
  --restart "$WORK/thalf_from2/default/default.chk.h5"
# Here the first half ran on 2 ranks: its round-off already shifted the step sequence (as in
# test_mpi_invariance.sh), so the bound is that of the decomposition, not of the restart.
compare b_2_rank_checkpoint_restart_on_1_rank_rtol1e-10 tfull thalf_from2 --restarts 1 --tol 1e-7
run dhalf2 1 0 "${HALF[@]}" --set checkpoint.every=60
run dhalf2 2 0 "${FULL[@]}" --set checkpoint.every=60 --restart "$WORK/dhalf2/default/default.chk.h5"
compare b_restart_on_2_ranks_default_rtol full dhalf2 --restarts 1 --tol 1e-4

echo "== (c) signals"
paused_signal sigterm 1 TERM all "${FULL[@]}"
run sigterm 1 0 "${FULL[@]}" --restart "$WORK/sigterm/default/default.chk.h5"
compare c_sigterm_restart_vs_uninterrupted plain sigterm --restarts 1 --identical-until 56 --tol 1e-3
run tplain 1 0 "${FULL[@]}" "${TIGHT[@]}"
paused_signal tsigterm 1 TERM all "${FULL[@]}" "${TIGHT[@]}"
run tsigterm 1 0 "${FULL[@]}" "${TIGHT[@]}" --restart "$WORK/tsigterm/default/default.chk.h5"
compare c_sigterm_restart_vs_uninterrupted_rtol1e-10 tplain tsigterm --restarts 1 --identical-until 56 --tol 1e-6
paused_signal sigusr1 2 USR1 mpirun "${FULL[@]}"
run sigusr1 2 0 "${FULL[@]}" --restart "$WORK/sigusr1/default/default.chk.h5"
compare c_sigusr1_to_mpirun_restart_on_2_ranks plain sigusr1 --restarts 1 --tol 1e-3
paused_signal sigterm_one_rank 2 TERM rank1 "${FULL[@]}"
run sigterm_one_rank 1 0 "${FULL[@]}" --restart "$WORK/sigterm_one_rank/default/default.chk.h5"
compare c_sigterm_to_one_rank_restart plain sigterm_one_rank --restarts 1 --tol 1e-3

echo "== (d) wall-clock checkpoints"
# The pause in the write of step_00001 (day 14) lets a wall second pass: the checkpoint
# after that step is a wall-clock one (later ones may follow on a slow machine).
rm -f "$WORK/wall.paused"
CHONDROSIM_TEST_PAUSE_IN=output@1 CHONDROSIM_TEST_PAUSE_SECONDS=2 \
  "$BIN" run "$CONFIG" "${GRID[@]}" "${FULL[@]}" --checkpoint-every-wall 1s --out "$WORK/wall" \
  >"$WORK/wall.log" 2>&1
rc=$?
expect "[ $rc -eq 0 ]" "a run with --checkpoint-every-wall 1s: exit $rc"
expect "grep -q 'checkpoint (wall-clock) at day 14:' '$WORK/wall.log'" \
  "it wrote a wall-clock checkpoint at day 14 (after the 2 s pause)"
compare d_wall_checkpoints_leave_the_run_unchanged plain wall --same-steps --tol 0
wall_day=$(ck_attr wall time)
run wall 1 0 "${FULL[@]}" --restart "$WORK/wall/default/default.chk.h5"
compare d_restart_from_wall_checkpoint_day_$wall_day plain wall --restarts 1 --identical-until "$wall_day" --tol 1e-3

echo "== (e) refusals"
CK=$WORK/full/default/default.chk.h5 # day 120
run refuse_model 1 3 "${FULL[@]}" --set therapy.dose=2e7 --restart "$CK"
expect "grep -q 'therapy.dose' '$WORK/refuse_model.log' && grep -q 'restart refused' '$WORK/refuse_model.log'" \
  "a changed model key is refused, naming therapy.dose"
run refuse_end 1 3 "${HALF[@]}" --restart "$CK"
expect "grep -q 'raise run.end_time' '$WORK/refuse_end.log'" "run.end_time before the checkpoint: says to raise it"
run refuse_no_output 1 4 "${FULL[@]}" --restart "$CK"
expect "grep -q 'no .*partial.h5 or .*default.h5 to continue' '$WORK/refuse_no_output.log'" \
  "no output to append to: says which files are missing"
run refuse_missing 1 4 "${FULL[@]}" --restart "$WORK/nowhere.chk.h5"
run refuse_wall 1 2 "${FULL[@]}" --checkpoint-every-wall 10x

echo
echo "observed max relative differences (restarted vs uninterrupted):"
grep -h "^MAXRELDIFF" "$WORK"/cmp_*.txt | sed 's/^MAXRELDIFF /  /'
echo "test_restart: $((SECONDS - T0)) s"
if [ $nfail -ne 0 ]; then
  echo "test_restart: $nfail check(s) FAILED"
  exit 1
fi
echo "test_restart: all checks passed"
