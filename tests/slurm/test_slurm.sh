#!/usr/bin/env bash
# The real Slurm test: a private single-node Slurm (Debian's slurmctld + slurmd, this host,
# loopback addresses, auth/none, state and spool in a temporary directory, free ports)
# started in the foreground (-D) in the background and stopped on exit. Then:
#   1. `chondrosim sweep --slurm` on a 4-row sweep, submit.sh submits the array (%2
#      throttle) and the collector (afterany): every task and the collector complete, at most
#      2 tasks ran at once, the collector started after the last task, sweep.csv has 4 rows;
#   2. one row is made to fail (its run directory replaced by a file) and the whole array is
#      resubmitted by hand: the 3 done rows are skipped, that task fails, the collector
#      exits 1 naming the row, the manifest says failed;
#   3. after the fix `chondrosim sweep --slurm` writes an array of just that row; on
#      resubmission only it reruns and the aggregate is complete;
#   4. scripts/slurm/run.sbatch runs one hybrid job (2 ranks via srun --mpi=pmix), and a job
#      without OMP_NUM_THREADS takes its thread count from SLURM_CPUS_PER_TASK;
#   5. the time-limit warning (SIGUSR1): checkpoint, exit 9, a restart job finishes the run;
#   6. from an installed prefix (cmake --install), run.sbatch as shipped (no CHONDROSIM, no
#      CHONDROSIM_MODELS, not on PATH); at the time-limit warning the job requeues itself and
#      the next start continues from the checkpoint to the end; a warning during set-up, or
#      before chondrosim can catch it, requeues the job to run again from the start;
#   7. [slurm] rows_per_task = 2 and sbatch = extra options: 5 rows in 3 array tasks.
# Everything is bounded (14 minutes in all). If Slurm cannot run here (packages missing, not
# root) the test FAILS under CI=true and is skipped (exit 77) otherwise.
#
# usage: bash test_slurm.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
PY=/usr/bin/python3
DEADLINE=$(( $(date +%s) + ${CHS_SLURM_TEST_TIMEOUT:-840} ))
T0=$(date +%s)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2

. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"   # nfail, pass, fail, expect
has() { grep -qF -- "$2" "$1"; }
show() { sed 's/^/        | /' "$1" 2>/dev/null | head -n "${2:-20}"; }

# Cannot run: a failure in CI, a skip elsewhere.
cannot_run() {
  if [ "${CI:-}" = true ]; then
    echo "test_slurm: FAILED: $* (CI=true: the Slurm test must run; scripts/setup-deps.sh --slurm installs Slurm)"
    exit 1
  fi
  echo "test_slurm: SKIPPED: $* (install with scripts/setup-deps.sh --slurm; runs as root)"
  exit 77
}
SLURMCTLD=/usr/sbin/slurmctld SLURMD=/usr/sbin/slurmd
for p in "$SLURMCTLD" "$SLURMD"; do [ -x "$p" ] || cannot_run "$p not found"; done
for c in sbatch squeue sinfo scontrol scancel srun; do
  command -v $c >/dev/null || cannot_run "$c not found (package slurm-client)"
done
[ "$(id -u)" -eq 0 ] || cannot_run "slurmd must run as root to start jobs"
[ -x "$PY" ] || cannot_run "$PY not found"

# ---- a private single-node cluster
# Sockets of slurmstepd live in the spool directory: keep its path short (108-byte limit).
SD=$(mktemp -d /tmp/chs-slurm.XXXXXX) || exit 2
mkdir -p "$SD/state" "$SD/spool" "$WORK/slurm"
CTLD_PID= SLURMD_PID=
cleanup() {
  if [ -n "$CTLD_PID" ]; then
    scancel --quiet --full --user="$(id -un)" 2>/dev/null
    for _ in $(seq 20); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  for pid in $SLURMD_PID $CTLD_PID; do kill "$pid" 2>/dev/null; done
  for pid in $SLURMD_PID $CTLD_PID; do
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  cp "$SD"/*.log "$WORK/slurm/" 2>/dev/null
  rm -rf -- "$SD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r PORT_CTLD PORT_D < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
HOST=$(hostname -s)
# This node as slurmd sees it (CPUs, sockets, cores, memory), so it is not drained.
NODE=$("$SLURMD" -C 2>/dev/null | grep '^NodeName=' | sed "s/ UpTime=.*//; s/^NodeName=[^ ]*/NodeName=$HOST/")
[ -n "$NODE" ] || cannot_run "slurmd -C printed no node line"
NCPU=$(echo "$NODE" | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')
export SLURM_CONF=$SD/slurm.conf
cat >"$SLURM_CONF" <<EOF
# chondrosim test cluster: one node (this host), loopback addresses, no authentication.
ClusterName=chstest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT_CTLD
SlurmdPort=$PORT_D
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SD/state
SlurmdSpoolDir=$SD/spool
SlurmctldPidFile=$SD/slurmctld.pid
SlurmdPidFile=$SD/slurmd.pid
SlurmctldLogFile=$SD/slurmctld.log
SlurmdLogFile=$SD/slurmd.log
ReturnToService=2
MinJobAge=3600
MaxArraySize=1001
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

echo "== starting slurmctld and slurmd (ports $PORT_CTLD, $PORT_D; $NCPU CPU(s))"
"$SLURMCTLD" -D -i -f "$SLURM_CONF" >"$WORK/slurm/slurmctld.out" 2>&1 &
CTLD_PID=$!
"$SLURMD" -D -f "$SLURM_CONF" -N "$HOST" >"$WORK/slurm/slurmd.out" 2>&1 &
SLURMD_PID=$!
state=
for _ in $(seq 60); do
  state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 1
done
if [ "$state" != idle ]; then
  echo "  FAIL  the node did not become idle within 60 s (state '$state')"
  show "$SD/slurmctld.log" 15; show "$SD/slurmd.log" 15
  exit 1
fi
pass "sinfo shows $HOST idle after $(( $(date +%s) - T0 )) s"

# job_state JOBID: the job's state(s), one per line (an array gives one per task)
job_state() { scontrol -o show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_done JOBID...: waits until every job has ended, within the deadline
wait_done() {
  while [ "$(date +%s)" -lt "$DEADLINE" ]; do
    local busy=0
    for j in "$@"; do
      job_state "$j" | grep -qE '^(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED)$' && busy=1
      [ -z "$(job_state "$j")" ] && busy=1   # not known yet
    done
    [ $busy -eq 0 ] && return 0
    sleep 1
  done
  echo "        deadline reached while waiting for job(s) $*"; squeue -a | sed 's/^/        | /'
  return 1
}
field() { scontrol -o show job "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }   # JOBID FIELD (first task)
# wait_ready JOBID LOG REGEX [FLAG]: before the test signals a job (as Slurm's --signal would
# near the time limit), waits until squeue shows it RUNNING, its log has a line matching
# REGEX (the run got that far: its signal handlers are in place) and, if given, the file
# FLAG exists (the run is held there by the test hook CHONDROSIM_TEST_PAUSE_IN, so it cannot
# end before the signal arrives). A signal sent earlier reaches no job step yet, or a
# starting rank. At most CHS_SLURM_START_TIMEOUT (default 180) s and within the deadline;
# then a FAIL saying what was missing, the job is cancelled and 1 returned.
wait_ready() {
  local j=$1 log=$2 re=$3 flag=${4:-} st= t0 t_end
  t0=$(date +%s); t_end=$(( t0 + ${CHS_SLURM_START_TIMEOUT:-180} ))
  [ "$t_end" -gt "$DEADLINE" ] && t_end=$DEADLINE
  while :; do
    st=$(squeue -h -j "$j" -o %T 2>/dev/null)
    if [ "$st" = RUNNING ] && grep -qE -- "$re" "$log" 2>/dev/null && { [ -z "$flag" ] || [ -e "$flag" ]; }; then
      return 0
    fi
    job_state "$j" | grep -qE '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)$' && break
    [ "$(date +%s)" -ge "$t_end" ] && break
    sleep 0.25
  done
  local why=
  [ "$st" = RUNNING ] || why+="state ${st:-$(job_state "$j" | head -n 1)}, not RUNNING; "
  if [ ! -e "$log" ]; then why+="no log $log; "
  elif ! grep -qE -- "$re" "$log"; then why+="no line matching '$re' in its log; "; fi
  [ -n "$flag" ] && [ ! -e "$flag" ] && why+="no $flag; "
  fail "job $j not ready for its signal after $(( $(date +%s) - t0 )) s (${why%; }): not signalled, cancelled"
  show "$log" 10
  scancel "$j" 2>/dev/null
  return 1
}
# signal_ready JOBID LOG REGEX [FLAG]: wait_ready, then SIGUSR1 to the job's steps.
signal_ready() {
  wait_ready "$@" || return 1
  [ -n "${4:-}" ] && sleep 0.5   # every rank reaches the pause
  scancel --signal=USR1 "$1" || { fail "scancel --signal=USR1 $1 failed"; return 1; }
}
LOOP='info: day [0-9.]+ of '   # chondrosim's progress line: the time loop runs

# ---- the sweep: 2 doses x 2 sources, coarse grid, 60 days; at most 2 tasks at once
cp "$SRC/configs/default.ini" base.ini
cat >sweep.ini <<'EOF'
[sweep]
name = slurmtest
base = base.ini
[values]
therapy.dose = 1e7 5e7
therapy.source = bone_marrow adipose
[set]
therapy.route = intra_articular
grid.nx = 12
grid.nz = 6
run.end_time = 60
output.times = 0 30 60
[slurm]
throttle = 2
time = 00:05:00
EOF
D=$WORK/results/slurmtest

echo "== 1. chondrosim sweep --slurm; submit.sh (array 0-3%2 + collector afterany)"
"$BIN" sweep sweep.ini --out results --slurm >gen1.out 2>gen1.err
expect '[ $? -eq 0 ] && grep -q "^#SBATCH --array=0-3%2$" "$D/sweep.sbatch"' "sweep.sbatch has --array=0-3%2"
cp "$D/sweep.sbatch" "$WORK/sweep_all.sbatch"
bash "$D/submit.sh" >submit1.out 2>&1
expect '[ $? -eq 0 ]' "submit.sh submitted both jobs"
read -r JID CID <"$D/last_submit"
show submit1.out 2
expect 'scontrol -o show job "$JID" | grep -q "ArrayTaskThrottle=2"' "the array job carries ArrayTaskThrottle=2"
expect '[ "$(field "$CID" Dependency)" = "afterany:${JID}_*(unfulfilled)" ] || [ "$(field "$CID" Dependency)" = "afterany:${JID}_*" ]' \
  "the collector depends on the array (afterany)"
maxrun=0
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
  n=$(squeue -h -r -j "$JID" -t RUNNING 2>/dev/null | wc -l)
  [ "$n" -gt "$maxrun" ] && maxrun=$n
  [ -z "$(squeue -h -r -j "$JID" 2>/dev/null)" ] && break
  sleep 0.2
done
wait_done "$JID" "$CID"
expect '[ "$maxrun" -le 2 ] && [ "$maxrun" -ge 1 ]' "at most 2 array tasks ran at once (saw $maxrun)"
expect '[ "$(job_state "$JID" | sort -u)" = COMPLETED ] && [ "$(job_state "$JID" | wc -l)" = 4 ]' "all 4 array tasks COMPLETED"
expect '[ "$(job_state "$CID")" = COMPLETED ] && [ "$(field "$CID" ExitCode)" = 0:0 ]' "the collector COMPLETED with exit 0"
last_end=$(scontrol -o show job "$JID" | sed -n 's/.* EndTime=\([^ ]*\).*/\1/p' | sort | tail -1)
expect '[ -n "$last_end" ] && [[ ! "$(field "$CID" StartTime)" < "$last_end" ]]' \
  "the collector started after the last task ended ($(field "$CID" StartTime) >= $last_end)"
for r in 0 1 2 3; do
  expect "[ -s '$D/r000$r/summary.csv' ] && [ -s '$D/r000$r/r000$r.h5' ] && grep -q 'row $r on' '$D'/logs/slurmtest_${JID}_$r.out" \
    "row $r: its task's log, summary.csv and HDF5 file"
done
expect '[ "$(grep -c ",done$" "$D/manifest.csv")" = 4 ]' "manifest: 4 rows done"
expect '[ "$(wc -l <"$D/sweep.csv")" = 5 ] && [ "$(cut -d, -f6 "$D/sweep.csv" | grep -c "^done$")" = 4 ]' "sweep.csv: header + 4 done rows"
expect 'has "$D/logs/slurmtest_collect_$CID.out" "4 of 4 rows done"' "the collector's log says 4 of 4 rows done"
expect 'grep -q "threads per rank: 1 (OMP_NUM_THREADS=1)" "$D"/logs/slurmtest_${JID}_0.out' \
  "a task ran 1 thread (OMP_NUM_THREADS from SLURM_CPUS_PER_TASK=1)"

echo "== 2. one row fails: resubmitting the whole array reruns nothing else"
sleep 1.1; touch "$WORK/mark2"
rm -rf "$D/r0002" && echo "blocks the run directory" >"$D/r0002"
JID2=$(sbatch --parsable "$WORK/sweep_all.sbatch"); JID2=${JID2%%;*}
CID2=$(sbatch --parsable --dependency=afterany:"$JID2" "$D/collect.sbatch"); CID2=${CID2%%;*}
echo "        array job $JID2, collector $CID2"
wait_done "$JID2" "$CID2"
states=$(scontrol -o show job "$JID2" | sed -n 's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z]*\).*/\1=\2/p' | sort | tr '\n' ' ')
expect '[ "$states" = "0=COMPLETED 1=COMPLETED 2=FAILED 3=COMPLETED " ]' "task 2 FAILED, tasks 0, 1, 3 COMPLETED ($states)"
expect 'has "$D/logs/slurmtest_${JID2}_0.out" "row 0 (r0000) already done, skipping"' "task 0 skipped its done row"
expect 'has "$D/logs/slurmtest_${JID2}_2.out" "1 row(s) of sweep slurmtest failed: 2 (r0002)"' "task 2's log names its failure"
expect '[ -z "$(find "$D" -name summary.csv -newer "$WORK/mark2")" ]' "no done row reran"
expect '[ "$(job_state "$CID2")" = FAILED ] && [ "$(field "$CID2" ExitCode)" = 1:0 ]' "the collector ran (afterany) and exited 1"
expect 'has "$D/logs/slurmtest_collect_$CID2.out" "row 2 (r0002): failed"' "the collector lists row 2 as failed"
expect 'grep -q "^2,r0002,5e7,bone_marrow,[0-9a-f]\{16\},failed$" "$D/manifest.csv"' "manifest: row 2 failed"

echo "== 3. the fix, then chondrosim sweep --slurm: only row 2 is resubmitted and reruns"
rm -f "$D/r0002"
sleep 1.1; touch "$WORK/mark3"
"$BIN" sweep sweep.ini --out results --slurm >gen3.out 2>gen3.err
expect '[ $? -eq 0 ] && grep -q "^#SBATCH --array=2%2$" "$D/sweep.sbatch"' "sweep.sbatch now has --array=2%2"
bash "$D/submit.sh" >submit3.out 2>&1
read -r JID3 CID3 <"$D/last_submit"
wait_done "$JID3" "$CID3"
expect '[ "$(job_state "$JID3")" = COMPLETED ] && [ "$(job_state "$CID3")" = COMPLETED ]' "the task and the collector COMPLETED"
expect '[ "$(find "$D" -name summary.csv -newer "$WORK/mark3")" = "$D/r0002/summary.csv" ]' "only row 2 reran"
expect '[ "$(grep -c ",done$" "$D/manifest.csv")" = 4 ] && [ "$(cut -d, -f6 "$D/sweep.csv" | grep -c "^done$")" = 4 ]' \
  "manifest and sweep.csv: all 4 rows done"
"$BIN" sweep sweep.ini --out results --slurm >gen4.out 2>gen4.err
expect 'has gen4.out "rows are done; nothing to submit"' "--slurm with every row done submits nothing"

echo "== 4. scripts/slurm/run.sbatch (hybrid MPI + OpenMP) and threads from SLURM_CPUS_PER_TASK"
JH=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  --export=ALL,CHONDROSIM="$BIN" "$SRC/scripts/slurm/run.sbatch" "$SRC/configs/default.ini" \
  --set grid.nx=12 --set grid.nz=6 --set run.end_time=30 --set "output.times=0 30" --out "$WORK/hybrid")
JH=${JH%%;*}
C2=$(( NCPU >= 2 ? 2 : 1 ))
JT=$(sbatch --parsable --ntasks=1 --cpus-per-task=$C2 --time=00:05:00 --chdir="$WORK" \
  --output="$WORK/threads_%j.out" --wrap "env -u OMP_NUM_THREADS '$BIN' run '$SRC/configs/default.ini' --set grid.nx=8 --set grid.nz=4 --set run.end_time=5 --set 'output.times=0 5' --out '$WORK/threads'")
JT=${JT%%;*}
wait_done "$JH" "$JT"
expect '[ "$(job_state "$JH")" = COMPLETED ]' "run.sbatch COMPLETED"
expect 'has "$WORK/chondrosim_$JH.out" "on 2 rank(s) x 1 thread(s)" && [ -s "$WORK/hybrid/default/summary.csv" ]' \
  "run.sbatch ran one simulation on 2 ranks (srun --mpi=pmix) x 1 thread and wrote its summary"
show "$WORK/chondrosim_$JH.out" 2
expect '[ "$(job_state "$JT")" = COMPLETED ] && has "$WORK/threads_$JT.out" "threads per rank: $C2 (SLURM_CPUS_PER_TASK=$C2)"' \
  "a job without OMP_NUM_THREADS ran $C2 thread(s) from SLURM_CPUS_PER_TASK=$C2"

echo "== 5. the time-limit warning: SIGUSR1 to the job's ranks -> checkpoint, exit 9; a restart job finishes"
# scancel --signal sends what #SBATCH --signal sends near the limit, but at a moment we
# choose: once the job runs and its time loop is held in the write of output step 1 (day 14)
# by the test hook, so the handlers are in place and the run cannot end first.
JS=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  --export=ALL,CHONDROSIM="$BIN",CHONDROSIM_CONTINUE=0,CHONDROSIM_TEST_PAUSE_IN=output@1,CHONDROSIM_TEST_PAUSE_SECONDS=30,CHONDROSIM_TEST_PAUSE_FILE="$WORK/warned.paused" \
  "$SRC/scripts/slurm/run.sbatch" "$SRC/configs/default.ini" \
  --set grid.nx=40 --set grid.nz=12 --set run.name=warned --out "$WORK/warned")
JS=${JS%%;*}
signal_ready "$JS" "$WORK/chondrosim_$JS.out" "$LOOP" "$WORK/warned.paused"
wait_done "$JS"
expect '[ "$(field "$JS" ExitCode)" = 9:0 ]' "the warned job wrote a checkpoint and exited 9"
show "$WORK/chondrosim_$JS.out" 9
CHK="$WORK/warned/warned/warned.chk.h5"
expect '[ -s "$CHK" ] && [ ! -e "$WORK/warned/warned/summary.csv" ]' "checkpoint present, no summary.csv yet"
JR=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  --export=ALL,CHONDROSIM="$BIN",CHONDROSIM_CONTINUE=0 "$SRC/scripts/slurm/run.sbatch" "$SRC/configs/default.ini" \
  --set grid.nx=40 --set grid.nz=12 --set run.name=warned --out "$WORK/warned" --restart "$CHK")
JR=${JR%%;*}
wait_done "$JR"
expect '[ "$(job_state "$JR")" = COMPLETED ] && [ -s "$WORK/warned/warned/summary.csv" ] && [ -s "$WORK/warned/warned/warned.h5" ]' \
  "the restart job COMPLETED the run (summary.csv and warned.h5 written)"

echo "== 6. installed prefix: run.sbatch as shipped; the time-limit warning requeues the job, which continues"
# The warning is sent only once the job runs and is held in its time loop (wait_ready), as
# in section 5. Two more jobs meet it earlier and are requeued to run again from the start:
# one during set-up (chondrosim exits 9 without a checkpoint), one before chondrosim could
# catch it (a start-up wrapper killed by SIGUSR1: srun exits 138). A site set-up file lets
# their second starts run straight through.
cmake --install "$(dirname "$BIN")" --prefix "$WORK/prefix" >install.log 2>&1
expect '[ $? -eq 0 ] && [ -x "$WORK/prefix/bin/chondrosim" ]' "cmake --install into $WORK/prefix"
P6=$WORK/prefix/share/chondrosim
cat >"$WORK/second_start.sh" <<'EOS'
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then unset CHONDROSIM CHONDROSIM_TEST_PAUSE_IN; fi
EOS
printf '%s\n' '#!/bin/bash' 'echo "wrapper: holding the start of chondrosim"' ': >"$WRAPPER_FLAG"' \
  'for _ in $(seq 600); do sleep 0.1; done' "exec '$WORK/prefix/bin/chondrosim' \"\$@\"" >"$WORK/slow_start.sh"
chmod +x "$WORK/slow_start.sh"
SMALL=(--set grid.nx=8 --set grid.nz=4 --set run.end_time=10 --set "output.times=0 10")
JA=$(env -u CHONDROSIM -u CHONDROSIM_MODELS PATH=/usr/bin:/bin CHONDROSIM_TEST_PAUSE_IN=output@1 \
  CHONDROSIM_TEST_PAUSE_SECONDS=30 CHONDROSIM_TEST_PAUSE_FILE="$WORK/auto.paused" \
  sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  "$P6/scripts/slurm/run.sbatch" "$P6/configs/default.ini" \
  --set grid.nx=20 --set grid.nz=8 --set run.end_time=180 --set run.name=auto --out "$WORK/auto")
JA=${JA%%;*}
signal_ready "$JA" "$WORK/chondrosim_$JA.out" "$LOOP" "$WORK/auto.paused"
JB=$(env -u CHONDROSIM -u CHONDROSIM_MODELS PATH=/usr/bin:/bin CHONDROSIM_TEST_PAUSE_IN=setup \
  CHONDROSIM_TEST_PAUSE_SECONDS=30 CHONDROSIM_TEST_PAUSE_FILE="$WORK/setup.paused" CHONDROSIM_SETUP="$WORK/second_start.sh" \
  sbatch --parsable --ntasks=1 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  "$P6/scripts/slurm/run.sbatch" "$P6/configs/default.ini" "${SMALL[@]}" --set run.name=insetup --out "$WORK/insetup")
JB=${JB%%;*}
JC=$(env -u CHONDROSIM_MODELS PATH=/usr/bin:/bin CHONDROSIM="$WORK/slow_start.sh" WRAPPER_FLAG="$WORK/wrapper.started" \
  CHONDROSIM_SETUP="$WORK/second_start.sh" \
  sbatch --parsable --ntasks=1 --cpus-per-task=1 --time=00:05:00 --signal=USR1@30 --chdir="$WORK" \
  "$P6/scripts/slurm/run.sbatch" "$P6/configs/default.ini" "${SMALL[@]}" --set run.name=early --out "$WORK/early")
JC=${JC%%;*}
echo "        jobs $JA (time loop), $JB (set-up), $JC (before chondrosim runs)"
signal_ready "$JB" "$WORK/chondrosim_$JB.out" "test hook: paused halfway through the setup" "$WORK/setup.paused"
signal_ready "$JC" "$WORK/chondrosim_$JC.out" "wrapper: holding the start" "$WORK/wrapper.started"
# Each job requeues itself, starts again (after Slurm's requeue delay) and ends.
wait_done "$JA" "$JB" "$JC"
for j in "$JA" "$JB" "$JC"; do
  grep -E "received|requeueing|continuing|running again|finished|srun: error" "$WORK/chondrosim_$j.out" | sed "s/^/        | $j: /"
done
expect 'has "$WORK/chondrosim_$JA.out" "requeueing job $JA to continue from" && has "$WORK/chondrosim_$JA.out" "continuing (start 2) from"' \
  "at the warning the job requeued itself and its second start continued from the checkpoint"
expect '[ "$(job_state "$JA")" = COMPLETED ] && [ "$(field "$JA" Restarts)" = 1 ] && [ -s "$WORK/auto/auto/summary.csv" ] && [ -s "$WORK/auto/auto/auto.h5" ]' \
  "the same job COMPLETED the run after 1 restart (state $(job_state "$JA"), Restarts=$(field "$JA" Restarts))"
expect '[ ! -e "$WORK/.chondrosim-continue-$JA" ]' "the continuation note is removed at the end"
expect 'has "$WORK/chondrosim_$JB.out" "SIGUSR1 received during set-up" && has "$WORK/chondrosim_$JB.out" "(exit 9): requeueing job $JB to run again from the beginning" && has "$WORK/chondrosim_$JB.out" "running again (start 2)"' \
  "a warning during set-up (exit 9, no checkpoint): the job requeued itself to run again"
expect '[ "$(job_state "$JB")" = COMPLETED ] && [ "$(field "$JB" Restarts)" = 1 ] && [ -s "$WORK/insetup/insetup/summary.csv" ]' \
  "... and COMPLETED the run on its second start (state $(job_state "$JB"), Restarts=$(field "$JB" Restarts))"
expect 'has "$WORK/chondrosim_$JC.out" "(exit 138): requeueing job $JC to run again from the beginning" && has "$WORK/chondrosim_$JC.out" "running again (start 2)"' \
  "a warning before chondrosim could catch it (srun exit 138): the job requeued itself to run again"
expect '[ "$(job_state "$JC")" = COMPLETED ] && [ "$(field "$JC" Restarts)" = 1 ] && [ -s "$WORK/early/early/summary.csv" ]' \
  "... and COMPLETED the run on its second start (state $(job_state "$JC"), Restarts=$(field "$JC" Restarts))"

echo "== 7. [slurm] rows_per_task = 2 and sbatch = --comment=chstest: 5 rows in 3 array tasks"
printf '%s\n' '[sweep]' 'name = krows' 'base = base.ini' '[values]' 'therapy.dose = 1e7 2e7 3e7 4e7 5e7' \
  '[set]' 'grid.nx = 8' 'grid.nz = 4' 'run.end_time = 10' '[slurm]' 'rows_per_task = 2' \
  'sbatch = --comment=chstest' 'time = 00:05:00' >sweepk.ini
"$BIN" sweep sweepk.ini --out results --slurm >genk.out 2>genk.err
DK=$WORK/results/krows
expect 'grep -q "^#SBATCH --array=0-2%4$" "$DK/sweep.sbatch" && grep -q "^#SBATCH --comment=chstest$" "$DK/sweep.sbatch"' \
  "sweep.sbatch: --array=0-2%4 (3 tasks) and the extra #SBATCH line"
bash "$DK/submit.sh" >submitk.out 2>&1
read -r JK CK <"$DK/last_submit"
wait_done "$JK" "$CK"
expect '[ "$(job_state "$JK" | sort -u)" = COMPLETED ] && [ "$(job_state "$JK" | wc -l)" = 3 ] && [ "$(field "$JK" Comment | sort -u)" = chstest ]' \
  "3 array tasks COMPLETED, each carrying Comment=chstest ($(field "$JK" Comment | sort -u | tr '\n' ' '))"
expect 'grep -q "row 2,3 on" "$DK/logs/krows_${JK}_1.out" && grep -q "row 4 on" "$DK/logs/krows_${JK}_2.out"' \
  "task 1 ran rows 2,3 and task 2 row 4 (their logs)"
expect '[ "$(grep -c ",done$" "$DK/manifest.csv")" = 5 ] && [ "$(job_state "$CK")" = COMPLETED ]' \
  "all 5 rows done, the collector COMPLETED"

WALL=$(( $(date +%s) - T0 ))
echo
echo "test_slurm: wall time $WALL s (limit $(( DEADLINE - T0 )) s)"
if [ $nfail -ne 0 ]; then
  echo "test_slurm: $nfail check(s) FAILED (daemon logs in $WORK/slurm/)"
  exit 1
fi
echo "test_slurm: all checks passed"
