#!/usr/bin/env bash
# Killed mid-run (issue 4, item 2): SIGKILL during an output write, during a checkpoint
# write, during a restarted run, and at random moments. After every kill (and while the
# run is paused inside a write, before the kill) check_killed.py opens what a reader would:
# the sidecar, the HDF5 file it references (every listed step present, complete and equal
# to the uninterrupted run's) and the checkpoint (the previous complete one while a new one
# is being written). Then the run is continued from the newest checkpoint and must equal
# the uninterrupted run exactly (same steps; bound 1e-10): the checkpoints are on the
# checkpoint.every schedule, where every run restarts its integrator.
#
# The windows are made hittable by the test hook CHONDROSIM_TEST_PAUSE_IN=output@K |
# checkpoint@K (src/io/checkpoint_io.h): the write sleeps halfway through its data.
#
# usage: bash test_kill.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1 # bitwise reproducible runs
CONFIG=$SRC/configs/default.ini
# Checkpoints every 25 days fall between outputs, so a restart must both drop what a killed
# attempt wrote after its checkpoint and add metric rows the file had not received yet.
ARGS=(--set grid.nx=20 --set grid.nz=8 --set run.end_time=120
      --set "output.times=0 14 42 56 60 90 120" --set checkpoint.every=25)
# Many outputs for the random kills: the file is rewritten every few milliseconds.
MANY=(--set grid.nx=20 --set grid.nz=8 --set run.end_time=120
      --set "output.times=$(seq -s ' ' 0 3 120)" --set checkpoint.every=10)
NRANDOM=${CHS_TEST_KILL_RANDOM:-8}

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
T0=$SECONDS

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect

# inspect LABEL NAME REF [check_killed options]
inspect() {
  local label=$1 name=$2 ref=$3; shift 3
  "$PY" "$HERE/check_killed.py" "$WORK/$name/default" default "$WORK/$ref/default/default.h5" \
    --label "$label" "$@" >"$WORK/check_$label.txt" 2>&1
  local rc=$?
  grep -E "^  (FAIL|info)" "$WORK/check_$label.txt" | sed 's/^/    /'
  expect "[ $rc -eq 0 ]" "$label: sidecar, data file and checkpoint readable and consistent"
}

# restart_and_compare LABEL NAME REF RESTARTS ARGS...
restart_and_compare() {
  local label=$1 name=$2 ref=$3 restarts=$4; shift 4
  "$BIN" run "$CONFIG" "$@" --out "$WORK/$name" --quiet \
    --restart "$WORK/$name/default/default.chk.h5" >>"$WORK/$name.log" 2>&1
  local rc=$?
  expect "[ $rc -eq 0 ]" "$label: the restart from the newest checkpoint completes (exit $rc)"
  "$PY" "$HERE/compare_restart.py" "$WORK/$ref/default" "$WORK/$name/default" default \
    --label "$label" --same-steps --restarts "$restarts" --tol 1e-10 >"$WORK/cmp_$label.txt" 2>&1
  rc=$?
  grep -E "^  (FAIL|info)|^MAXRELDIFF" "$WORK/cmp_$label.txt" | sed 's/^/    /'
  expect "[ $rc -eq 0 ]" "$label: the result equals the uninterrupted run"
}

# paused_kill NAME WHERE@K ARGS...: runs until the hook pauses it in that write
paused_start() {
  local name=$1 where=$2; shift 2
  rm -f "$WORK/$name.paused"
  CHONDROSIM_TEST_PAUSE_IN=$where CHONDROSIM_TEST_PAUSE_FILE=$WORK/$name.paused \
    CHONDROSIM_TEST_PAUSE_SECONDS=60 "$BIN" run "$CONFIG" "$@" --out "$WORK/$name" --quiet \
    >>"$WORK/$name.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do
    [ -f "$WORK/$name.paused" ] && return 0
    kill -0 $PID 2>/dev/null || break
    sleep 0.05
  done
  fail "$name: the run never paused in $where"
  return 1
}

kill9() {
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  local rc=$?
  expect "[ $rc -eq 137 ]" "killed with SIGKILL (exit $rc)"
}

echo "== the uninterrupted runs"
"$BIN" run "$CONFIG" "${ARGS[@]}" --out "$WORK/ref" --quiet >"$WORK/ref.log" 2>&1
expect "[ $? -eq 0 ]" "reference run (checkpoints every 25 days)"
"$BIN" run "$CONFIG" "${MANY[@]}" --out "$WORK/ref_many" --quiet >"$WORK/ref_many.log" 2>&1
expect "[ $? -eq 0 ]" "reference run with an output every 3 days (checkpoints every 10)"

echo "== SIGKILL halfway through the write of step_00005 (day 90; newest checkpoint: day 75)"
if paused_start out "output@5" "${ARGS[@]}"; then
  inspect out_paused out ref --steps 5 --checkpoint-day 75
  kill9 $PID
  inspect out_killed out ref --steps 5 --checkpoint-day 75
  restart_and_compare out_restarted out ref 1 "${ARGS[@]}"
fi

echo "== SIGKILL halfway through the 4th checkpoint (day 100; the previous one is day 75)"
if paused_start ck "checkpoint@4" "${ARGS[@]}"; then
  inspect ck_paused ck ref --steps 6 --checkpoint-day 75
  kill9 $PID
  inspect ck_killed ck ref --steps 6 --checkpoint-day 75
  expect "[ -f '$WORK/ck/default/default.chk.h5.tmp' ]" \
    "the half-written checkpoint is only default.chk.h5.tmp"
  restart_and_compare ck_restarted ck ref 1 "${ARGS[@]}"
fi

echo "== SIGKILL of a restarted run (in the write of step_00006, day 120), restart again"
if paused_start again "output@5" "${ARGS[@]}"; then
  kill9 $PID
  CHONDROSIM_TEST_PAUSE_IN=output@6 CHONDROSIM_TEST_PAUSE_FILE=$WORK/again2.paused \
    CHONDROSIM_TEST_PAUSE_SECONDS=60 "$BIN" run "$CONFIG" "${ARGS[@]}" --out "$WORK/again" --quiet \
    --restart "$WORK/again/default/default.chk.h5" >>"$WORK/again.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 1200); do [ -f "$WORK/again2.paused" ] && break; sleep 0.05; done
  kill9 $PID
  inspect again_killed_twice again ref --steps 6 --checkpoint-day 100
  restart_and_compare again_restarted_twice again ref 2 "${ARGS[@]}"
fi

echo "== $NRANDOM SIGKILLs at random moments (an output every 3 days, a checkpoint every 10)"
for i in $(seq 1 "$NRANDOM"); do
  name=random$i
  "$BIN" run "$CONFIG" "${MANY[@]}" --out "$WORK/$name" --quiet >"$WORK/$name.log" 2>&1 &
  PID=$!
  # from the first output on, a random moment within the next ~1.5 s
  for _ in $(seq 1 1200); do
    [ -f "$WORK/$name/default/default.xdmf" ] && break
    kill -0 $PID 2>/dev/null || break
    sleep 0.01
  done
  sleep "$("$PY" -c 'import random; print(round(random.uniform(0, 1.5), 3))')"
  if kill -9 $PID 2>/dev/null; then
    wait $PID 2>/dev/null
    inspect "${name}_killed" "$name" ref_many
    if [ -f "$WORK/$name/default/default.chk.h5" ]; then
      restart_and_compare "${name}_restarted" "$name" ref_many 1 "${MANY[@]}"
    else
      echo "    info  killed before its first checkpoint: nothing to restart from"
    fi
  else
    wait $PID
    echo "    info  the run had already finished (exit $?)"
  fi
done

echo
echo "test_kill: $((SECONDS - T0)) s"
if [ $nfail -ne 0 ]; then
  echo "test_kill: $nfail check(s) FAILED"
  exit 1
fi
echo "test_kill: all checks passed"
