#!/usr/bin/env bash
# `chondrosim sweep` end to end, without a scheduler:
#   - manifest expansion (--dry-run): lists, range(), logrange(), integer rounding, Latin
#     hypercube samples (within bounds, one per stratum, same seed = same manifest,
#     another seed = another), [values] x [lhs], and bad specs naming file, line and key;
#   - a local run of 4 rows under mpirun -n 2 --jobs 2, every row done;
#   - a rerun skips done rows (log line, summary.csv timestamps unchanged);
#   - a row that fails (its run directory is blocked by a file) is marked failed, the
#     others finish, the exit code is non-zero; after the fix only that row reruns;
#   - scripts/aggregate.py builds sweep.csv, and reports missing rows with exit 1;
#   - a changed sweep spec is refused against the old manifest; --rows is validated;
#   - --slurm writes a job array over the rows not done, a collector and submit.sh;
#   - batch threads: SLURM_CPUS_PER_TASK is used when OMP_NUM_THREADS is unset and capped at
#     the cores available; ranks sharing a node's cores share them.
#
# usage: bash test_sweep.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
PY=/usr/bin/python3
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect
has() { grep -qF -- "$2" "$WORK/$1"; }
show() { sed 's/^/        | /' "$WORK/$1" | head -n "${2:-20}"; }
# sweep NAME ARGS...: runs `chondrosim sweep ARGS`, output in NAME.out / NAME.err, status in $rc
sweep() {
  local name=$1; shift
  "$BIN" sweep "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  echo "\$ chondrosim sweep $* -> exit $rc"
}
cp "$SRC/configs/default.ini" "$WORK/base.ini"

echo "== expansion: lists, range(), logrange(), integer keys"
cat >grid.ini <<'EOF'
[sweep]
name = grid
base = base.ini
[values]
therapy.source = bone_marrow adipose
therapy.dose = logrange(1e6, 1e8, 3)
joint.k_att = range(0.05, 0.25, 3)
grid.nx = range(10, 20, 4)
EOF
sweep grid grid.ini --dry-run
expect '[ $rc -eq 0 ]' "--dry-run exits 0"
expect '[ ! -e "$WORK/results" ]' "--dry-run writes nothing"
"$PY" - "$WORK/grid.out" <<'EOF'
import csv, itertools, sys
rows = list(csv.DictReader(open(sys.argv[1])))
head = open(sys.argv[1]).readline().strip().split(",")
want = list(itertools.product(["bone_marrow", "adipose"], ["1e+06", "1e+07", "1e+08"],
                              ["0.05", "0.15", "0.25"], ["10", "13", "17", "20"]))
got = [(r["therapy.source"], r["therapy.dose"], r["joint.k_att"], r["grid.nx"]) for r in rows]
ok = head == ["row", "run", "therapy.source", "therapy.dose", "joint.k_att", "grid.nx", "fingerprint", "status"]
ok = ok and got == want
ok = ok and [r["row"] for r in rows] == [str(i) for i in range(72)]
ok = ok and [r["run"] for r in rows] == ["r%04d" % i for i in range(72)]
ok = ok and all(r["status"] == "pending" for r in rows)
if not ok:
    print("        | header", head); print("        | first rows", got[:3])
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "72 rows = 2 x 3 x 3 x 4, first key slowest; logrange 1e6 1e7 1e8, range 0.05 0.15 0.25, integer grid.nx rounded (10 13 17 20); header row,run,<keys>,fingerprint,status"

echo "== expansion: Latin hypercube"
cat >lhs.ini <<'EOF'
[sweep]
name = lhs
base = base.ini
samples = 10
seed = 7
[lhs]
msc.D = log 0.001 0.1
joint.k_att = 0.05 0.3
EOF
sweep lhs1 lhs.ini --dry-run
sweep lhs2 lhs.ini --dry-run
sed 's/^seed = 7/seed = 8/' lhs.ini >lhs8.ini
sweep lhs8 lhs8.ini --dry-run
expect '[ $rc -eq 0 ] && cmp -s "$WORK/lhs1.out" "$WORK/lhs2.out"' "the same seed gives the same manifest"
expect '! cmp -s "$WORK/lhs1.out" "$WORK/lhs8.out"' "another seed gives another manifest"
"$PY" - "$WORK/lhs1.out" <<'EOF'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
n, bad = len(rows), []
if n != 10: bad.append(f"{n} rows, expected 10")
for key, lo, hi, log in [("msc.D", 0.001, 0.1, True), ("joint.k_att", 0.05, 0.3, False)]:
    x = [float(r[key]) for r in rows]
    if not all(lo <= v <= hi for v in x): bad.append(f"{key} outside [{lo}, {hi}]: {x}")
    f = [(math.log(v / lo) / math.log(hi / lo)) if log else (v - lo) / (hi - lo) for v in x]
    strata = sorted(min(int(u * n), n - 1) for u in f)
    if strata != list(range(n)): bad.append(f"{key}: strata {strata} (one sample per 1/{n} slice expected)")
for b in bad: print("        | " + b)
sys.exit(1 if bad else 0)
EOF
expect '[ $? -eq 0 ]' "10 LHS samples: within bounds, exactly one per stratum for each key (log stratified for msc.D)"
printf '[sweep]\nname = mixed\nbase = base.ini\nsamples = 3\nseed = 1\n[values]\ntherapy.source = bone_marrow adipose\n[lhs]\njoint.k_att = 0.05 0.3\n' >mixed.ini
sweep mixed mixed.ini --dry-run
"$PY" - "$WORK/mixed.out" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a = [r["joint.k_att"] for r in rows if r["therapy.source"] == "bone_marrow"]
b = [r["joint.k_att"] for r in rows if r["therapy.source"] == "adipose"]
sys.exit(0 if len(rows) == 6 and len(a) == 3 and a == b and len(set(a)) == 3 else 1)
EOF
expect '[ $? -eq 0 ]' "[values] x [lhs]: 2 sources x the same 3 LHS samples = 6 rows"

echo "== bad sweep specs name file, line and key"
bad_spec() { # NAME TEXT: a sweep file; expects exit 3 and the message to contain MATCH
  printf '[sweep]\nname = bad\nbase = base.ini\n%b' "$2" >"$WORK/$1.ini"
  sweep "$1" "$1.ini" --dry-run
  echo "        $(grep 'error' "$WORK/$1.err" | head -1)"
}
bad_spec badkey '[values]\ntherapy.dos = 1e7 2e7\n'
expect '[ $rc -eq 3 ] && has badkey.err "badkey.ini:5 [values]: unknown key '"'"'therapy.dos'"'"'"' "unknown key: file, line, key"
bad_spec badlog '[values]\ntherapy.dose = logrange(0, 1e8, 3)\n'
expect '[ $rc -eq 3 ] && has badlog.err "badlog.ini:5 [values] therapy.dose" && has badlog.err "lo > 0"' "logrange from 0 is refused"
bad_spec badrange '[values]\ntherapy.dose = range(1e7, 1e8)\n'
expect '[ $rc -eq 3 ] && has badrange.err "badrange.ini:5" && has badrange.err "expected range(lo, hi, n)"' "range() without n is refused"
bad_spec badval '[values]\ntherapy.dose = range(-1e7, 1e8, 3)\n'
expect '[ $rc -eq 3 ] && has badval.err "badval.ini:5" && has badval.err "out of range"' "a range reaching outside the key's allowed range is refused"
bad_spec badlhs 'samples = 4\n[lhs]\njoint.k_att = 0.3 0.05\n'
expect '[ $rc -eq 3 ] && has badlhs.err "badlhs.ini:6 [lhs] joint.k_att" && has badlhs.err "lo < hi"' "[lhs] with lo > hi is refused"
bad_spec nosamples '[lhs]\njoint.k_att = 0.05 0.3\n'
expect '[ $rc -eq 3 ] && has nosamples.err "samples"' "[lhs] without samples is refused"
bad_spec badint '[values]\ngrid.nx = 10.5 20\n'
expect '[ $rc -eq 3 ] && has badint.err "badint.ini:5" && has badint.err "whole number"' "a fractional value for an integer key is refused"
bad_spec badslurm '[values]\ntherapy.dose = 1e7\n[slurm]\nthrotle = 2\n'
expect '[ $rc -eq 3 ] && has badslurm.err "badslurm.ini:7: unknown key '"'"'throtle'"'"' in [slurm]"' "an unknown [slurm] key is refused"

echo "== local run: 4 rows under mpirun -n 2 --jobs 2"
cat >small.ini <<'EOF'
; 2 doses x 2 sources, intra-articular, coarse grid, 60 days
[sweep]
name = small
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
EOF
D=$WORK/results/small
t0=$(date +%s)
mpirun --oversubscribe -n 2 "$BIN" sweep small.ini --jobs 2 --out results >run1.out 2>run1.err
rc=$?
echo "\$ mpirun -n 2 chondrosim sweep small.ini --jobs 2 --out results -> exit $rc ($(( $(date +%s) - t0 )) s)"
expect '[ $rc -eq 0 ]' "the sweep exits 0"
[ $rc -ne 0 ] && show run1.err 30
expect 'has run1.err "running 4 row(s) in 2 concurrent group(s) over 2 MPI rank(s)"' "4 rows in 2 concurrent groups"
expect '[ "$(grep -c ",done$" "$D/manifest.csv")" = 4 ] && [ "$(wc -l <"$D/manifest.csv")" = 5 ]' "manifest.csv: 4 rows, all done"
show results/small/manifest.csv 5
for r in r0000 r0001 r0002 r0003; do
  expect "[ -s '$D/$r/summary.csv' ] && [ -s '$D/$r/$r.h5' ] && [ -s '$D/$r/$r.xdmf' ]" "row $r has summary.csv, $r.h5 and $r.xdmf"
done
expect 'grep -q "^dose = 50000000" "$D/r0003/config.ini" && grep -q "^source = adipose" "$D/r0003/config.ini" && grep -q "^nx = 12" "$D/r0003/config.ini"' \
  "row 3 ran with its overrides (dose 5e7, adipose) and the [set] keys"

echo "== rerun: done rows are skipped"
sleep 1.1; touch "$WORK/mark1"
sweep rerun small.ini --out results
expect '[ $rc -eq 0 ]' "the rerun exits 0"
expect 'has rerun.err "row 0 (r0000) already done, skipping" && has rerun.err "row 3 (r0003) already done, skipping"' "the log says each row is already done"
expect 'has rerun.err "4 already done, 0 run now, 0 failed"' "nothing ran"
expect '[ -z "$(find "$D" -name summary.csv -newer "$WORK/mark1")" ]' "no summary.csv was rewritten (timestamps unchanged)"

echo "== a failing row, then the fix: only it reruns"
rm -rf "$D/r0002" && echo "not a directory" >"$D/r0002"   # its run cannot create its directory
sleep 1.1; touch "$WORK/mark2"
sweep failing small.ini --out results
expect '[ $rc -eq 4 ]' "a failed row makes the sweep exit 4 (file error)"
expect 'has failing.err "1 row(s) of sweep small failed: 2 (r0002)"' "the error names the failed row"
expect 'grep -q "^2,r0002,5e7,bone_marrow,[0-9a-f]\{16\},failed$" "$D/manifest.csv" && [ "$(grep -c ",done$" "$D/manifest.csv")" = 3 ]' \
  "manifest: row 2 failed, the other 3 done"
expect 'grep -q "not a directory" "$D/status/r0002.failed"' "status/r0002.failed holds the reason"
expect '[ -z "$(find "$D" -name summary.csv -newer "$WORK/mark2")" ]' "the done rows did not rerun"
rm -f "$D/r0002"
sleep 1.1; touch "$WORK/mark3"
sweep fixed small.ini --out results
expect '[ $rc -eq 0 ]' "after the fix the sweep exits 0"
expect 'has fixed.err "4 row(s) selected: 3 already done, 1 run now, 0 failed"' "3 rows skipped, 1 run"
expect '[ "$(find "$D" -name summary.csv -newer "$WORK/mark3")" = "$D/r0002/summary.csv" ]' "only row 2 reran"
expect '[ "$(grep -c ",done$" "$D/manifest.csv")" = 4 ] && [ ! -e "$D/status/r0002.failed" ]' "manifest all done, the failure note removed"

echo "== scripts/aggregate.py"
"$PY" "$SRC/scripts/aggregate.py" "$D" >agg.out 2>agg.err
rc=$?
expect '[ $rc -eq 0 ]' "aggregate.py exits 0"
show agg.out 2
"$PY" - "$D" <<'EOF'
import csv, os, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "sweep.csv"))))
head = open(os.path.join(d, "sweep.csv")).readline().strip().split(",")
summ = open(os.path.join(d, "r0000", "summary.csv")).readline().strip().split(",")
ok = head == ["row", "run", "therapy.dose", "therapy.source", "fingerprint", "status"] + [c for c in summ if c != "run"]
ok = ok and len(rows) == 4 and all(r["status"] == "done" for r in rows)
for r in rows:
    s = next(csv.DictReader(open(os.path.join(d, r["run"], "summary.csv"))))
    ok = ok and all(r[k] == v for k, v in s.items() if k != "run")
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "sweep.csv: the manifest columns then every summary column, 4 rows equal to each summary.csv"
rm "$D/r0001/summary.csv"
"$PY" "$SRC/scripts/aggregate.py" "$D" >agg2.out 2>agg2.err
rc=$?
expect '[ $rc -eq 1 ] && has agg2.err "row 1 (r0001): pending"' "a missing row: aggregate.py exits 1 and lists it"
expect 'grep -q "^1,r0001,1e7,adipose,[0-9a-f]\{16\},pending$" "$D/manifest.csv" && [ "$(wc -l <"$D/sweep.csv")" = 5 ]' \
  "aggregate.py updated the manifest status; sweep.csv still has every row"

echo "== --slurm writes the job array for the rows not done"
sweep slurm small.ini --out results --slurm
expect '[ $rc -eq 0 ]' "--slurm exits 0 (and runs nothing)"
expect '[ ! -e "$D/r0001/summary.csv" ]' "--slurm ran nothing"
expect 'grep -q "^#SBATCH --array=1%2$" "$D/sweep.sbatch"' "sweep.sbatch: --array=1%2 (only the missing row, throttle 2)"
expect 'grep -q -- "--rows \"\$SLURM_ARRAY_TASK_ID\"" "$D/sweep.sbatch" && grep -qF "$BIN" "$D/sweep.sbatch"' \
  "each task runs this chondrosim with --rows \$SLURM_ARRAY_TASK_ID"
expect 'grep -q "aggregate.py" "$D/collect.sbatch" && grep -q "dependency=afterany" "$D/submit.sh" && grep -q "sbatch --parsable" "$D/submit.sh"' \
  "collect.sbatch runs aggregate.py; submit.sh chains it with --dependency=afterany via sbatch --parsable"
expect 'bash -n "$D/sweep.sbatch" && bash -n "$D/collect.sbatch" && bash -n "$D/submit.sh"' "the three scripts are valid bash"
expect '! grep -q "@[A-Z_]*@" "$D/sweep.sbatch" "$D/collect.sbatch"' "no template placeholder left"

echo "== an edited [set] (same swept keys): the rows' fingerprints change, they run again"
sed 's/^grid.nz = 6$/grid.nz = 7/' small.ini >edited.ini
grep -q "^grid.nz = 7" edited.ini || fail "edited.ini: the [set] edit did not apply"
sleep 1.1; touch "$WORK/mark4"
sweep edited edited.ini --out results --rows 0
expect '[ $rc -eq 0 ]' "the sweep with the edited [set] exits 0 (same swept keys: the manifest matches)"
expect 'has edited.err "row 0 (r0000) finished with another configuration"' "the log says row 0 ran with another configuration"
expect '[ "$(find "$D" -name summary.csv -newer "$WORK/mark4")" = "$D/r0000/summary.csv" ] && grep -q "^nz = 7" "$D/r0000/config.ini"' \
  "row 0 ran again, with grid.nz = 7"
sweep edited_dry edited.ini --out results --dry-run
expect 'grep -q "^3,r0003,.*,pending$" edited_dry.out && grep -q "^0,r0000,.*,done$" edited_dry.out' \
  "--dry-run: row 0 done, row 3 (made with the old [set]) pending"

echo "== guards"
sweep rows small.ini --out results --rows 7
expect '[ $rc -eq 2 ] && has rows.err "--rows 7: row 7 does not exist; the sweep has 4 rows (0 to 3)"' "--rows beyond the manifest: exit 2"
sed 's/^therapy.dose = 1e7 5e7/therapy.dose = 1e7 2e7/' small.ini >changed.ini
sweep changed changed.ini --out results
expect '[ $rc -eq 3 ] && has changed.err "no longer matches" && has changed.err "manifest.csv"' \
  "a changed spec with the same name is refused against the old manifest"

echo "== batch threads (OMP_NUM_THREADS, else SLURM_CPUS_PER_TASK, never oversubscribing)"
NCPU=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)   # nproc honours OMP_NUM_THREADS
env -u OMP_NUM_THREADS SLURM_CPUS_PER_TASK=1 "$BIN" sweep small.ini --dry-run >/dev/null 2>thr1.err
expect 'has thr1.err "threads per rank: 1 (SLURM_CPUS_PER_TASK=1)"' "SLURM_CPUS_PER_TASK=1 without OMP_NUM_THREADS: 1 thread"
env -u OMP_NUM_THREADS SLURM_CPUS_PER_TASK=512 "$BIN" sweep small.ini --dry-run >/dev/null 2>thr2.err
expect 'has thr2.err "threads per rank: $NCPU (SLURM_CPUS_PER_TASK=512 capped at $NCPU"' "SLURM_CPUS_PER_TASK=512 is capped at the $NCPU available CPU(s)"
OMP_NUM_THREADS=3 SLURM_CPUS_PER_TASK=1 "$BIN" sweep small.ini --dry-run >/dev/null 2>thr3.err
expect 'has thr3.err "OMP_NUM_THREADS=3"' "OMP_NUM_THREADS wins over SLURM_CPUS_PER_TASK"
env -u OMP_NUM_THREADS mpirun --oversubscribe --bind-to none -n 2 "$BIN" sweep small.ini --dry-run >/dev/null 2>thr4.err
half=$(( NCPU / 2 > 0 ? NCPU / 2 : 1 ))
expect 'has thr4.err "threads per rank: $half (no OMP_NUM_THREADS or SLURM_CPUS_PER_TASK: $NCPU CPU(s) shared by 2 ranks on this node)"' \
  "2 unbound ranks on $NCPU CPU(s): $half thread(s) each"
show thr4.err 1

echo
if [ $nfail -ne 0 ]; then
  echo "test_sweep: $nfail check(s) FAILED"
  exit 1
fi
echo "test_sweep: all checks passed"
