#!/usr/bin/env bash
# `chondrosim uq` end to end on a coarse grid (10 x 5 cells, 60 days):
#   - 2 scenarios x 4 draws (2 priors + the knee_oa_trial cohort) under mpirun -n 2 --jobs 2:
#     every output file; common random numbers (draw j identical in both scenarios); the
#     drawn values reach each run's config; statistics agree with the per-draw outcomes;
#     P(A better than B) + P(B better than A) = 1, P(first) sums to 1, bands ordered;
#   - a changed study (another seed) is refused against the finished draws;
#   - resume: SIGTERM during the runs stops the study (exit 9); running it again finishes
#     the rest without recomputing finished runs;
#   - inadmissible draws (a prior that sometimes leaves no viable native tissue) are left
#     out in every scenario and reported, without failing the study;
#   - sensitivity = sobol: Saltelli rows, sobol.csv with bounded intervals, sobol.png;
#   - --slurm writes the job array and runs nothing.
# usage: bash test_uq.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
has() { grep -qF -- "$2" "$WORK/$1"; }
show() { sed 's/^/        | /' "$WORK/$1" | head -n "${2:-20}"; }
cp "$SRC/configs/middle_aged_oa_focal.ini" base.ini
study() { # NAME DRAWS EXTRA-[uq]-LINES: a small study file NAME.ini
  cat >"$1.ini" <<EOF
[study]
name = $1
base = base.ini
rank_by = fill_6wk
[uq]
draws = $2
seed = 5
$(printf '%b' "$3")
outcomes = fill_6wk hyaline_6wk inflammation_auc:lower
series = defect_fill inflammation
bootstrap = 50
[matrix]
therapy.dose = 1e7 5e7
[set]
grid.nx = 10
grid.nz = 5
run.end_time = 60
output.times = 0 30 60
EOF
}

echo "== 2 scenarios x 4 draws under mpirun -n 2 --jobs 2"
study e2e 4 'vary = msc.delta joint.k_att\ncohort = knee_oa_trial'
D=$WORK/results/e2e
mpirun --oversubscribe --bind-to none -n 2 "$BIN" uq e2e.ini --jobs 2 --out results >e2e.out 2>e2e.err
rc=$?
expect '[ $rc -eq 0 ]' "uq exits 0"
[ $rc -ne 0 ] && show e2e.err 30
for f in inputs.csv uq.ini design.csv draws.csv sweep.ini manifest.csv sweep.csv outcomes.csv stats.csv \
         bands.csv pairwise.csv rank_first.csv admissibility.csv report.txt bands.png outcomes.png; do
  expect "[ -s '$D/$f' ]" "results/e2e/$f written"
done
expect 'has e2e.out "draws in the statistics: 4 of 4" && has e2e.out "runs: 8: 8 done"' "report: 8 runs done, 4 draws in the statistics"
"$PY" - "$D" <<'EOF'
import csv, os, sys
import numpy as np
sys.path.insert(0, os.environ.get("HERE", "."))
d = sys.argv[1]
bad = []
man = list(csv.DictReader(open(os.path.join(d, "manifest.csv"))))
design = list(csv.DictReader(open(os.path.join(d, "design.csv"))))
keys = list(design[0].keys())
if keys != ["msc.delta", "joint.k_att", "patient.age", "patient.inflammation", "lesion.radius", "lesion.depth"]:
    bad.append(f"design columns {keys}")
if len(man) != 8 or any(r["status"] != "done" for r in man): bad.append("manifest: not 8 done rows")
for j in range(4):  # common random numbers: row j and row 4 + j carry the same draw
    a, b = man[j], man[4 + j]
    if a["therapy.dose"] != "1e7" or b["therapy.dose"] != "5e7": bad.append(f"scenario order at draw {j}")
    if any(a[k] != b[k] or a[k] != design[j][k] for k in keys): bad.append(f"draw {j} differs between scenarios")
lim = {"msc.delta": (0.05, 0.16), "joint.k_att": (0.15, 0.6), "patient.age": (45, 70),
       "patient.inflammation": (0.5, 3), "lesion.radius": (5.6, 11.3), "lesion.depth": (1.2, 2.4)}
for r in design:
    for k, (lo, hi) in lim.items():
        if not lo <= float(r[k]) <= hi: bad.append(f"{k} = {r[k]} outside [{lo}, {hi}]")
cfg = open(os.path.join(d, man[5]["run"], "config.ini")).read()
if f"\nage = {float(design[1]['patient.age']):.10g}\n".replace("e+", "e") not in cfg and \
   f"age = {design[1]['patient.age']}" not in cfg:
    bad.append("run r0005 did not get the drawn patient.age")
out = list(csv.DictReader(open(os.path.join(d, "outcomes.csv"))))
stats = list(csv.DictReader(open(os.path.join(d, "stats.csv"))))
for s in stats:
    # stats.csv holds 6 significant digits: a relative difference of at most 5e-6
    x = np.array([float(r[s["outcome"]]) for r in out if r["scenario"] == s["scenario"] and r[s["outcome"]]])
    if len(x) != 4 or abs(np.median(x) - float(s["median"])) > 5e-6 * abs(np.median(x)) + 1e-12 \
       or not float(s["q05"]) <= float(s["median"]) <= float(s["q95"]):
        bad.append(f"stats.csv {s['scenario']} {s['outcome']}: median {s['median']} vs {np.median(x)}")
pw = list(csv.DictReader(open(os.path.join(d, "pairwise.csv"))))
for r in pw:
    back = [q for q in pw if q["outcome"] == r["outcome"] and q["A"] == r["B"] and q["B"] == r["A"]][0]
    if abs(float(r["p_A_better"]) + float(back["p_A_better"]) - 1) > 1e-12: bad.append(f"pairwise {r}")
    xa = np.array([float(q[r["outcome"]]) for q in out if q["scenario"] == r["A"]])
    xb = np.array([float(q[r["outcome"]]) for q in out if q["scenario"] == r["B"]])
    sign = 1 if r["better"] == "higher" else -1
    p = np.mean(sign * (xa - xb) > 0) + 0.5 * np.mean(xa == xb)
    if abs(p - float(r["p_A_better"])) > 1e-12: bad.append(f"pairwise {r['outcome']} {r['A']}: {r['p_A_better']} vs {p}")
rf = list(csv.DictReader(open(os.path.join(d, "rank_first.csv"))))
for o in set(r["outcome"] for r in rf):
    if abs(sum(float(r["p_first"]) for r in rf if r["outcome"] == o) - 1) > 1e-12: bad.append(f"P(first) of {o}")
bands = list(csv.DictReader(open(os.path.join(d, "bands.csv"))))
days = sorted(set(float(r["day"]) for r in bands))
if days[0] != 0 or days[-1] != 60: bad.append(f"bands days {days[0]}..{days[-1]}")
for r in bands:
    if r["median"] and not float(r["q05"]) <= float(r["median"]) <= float(r["q95"]): bad.append(f"band {r}")
if not any(float(r["median"]) > 0 for r in bands if r["series"] == "defect_fill" and r["median"]):
    bad.append("the defect_fill band is all zero")
for b in bad[:10]: print("        | " + b)
sys.exit(1 if bad else 0)
EOF
expect '[ $? -eq 0 ]' "paired draws within their priors, drawn values reach the runs, stats/pairwise/P(first)/bands agree with outcomes.csv"

echo "== a changed study is refused against the finished draws"
sed 's/^seed = 5/seed = 6/' e2e.ini >e2e_seed.ini
"$BIN" uq e2e_seed.ini --out results >seed.out 2>seed.err
rc=$?
expect '[ $rc -eq 3 ] && has seed.err "no longer matches the draws" && [ "$(grep -c ",done$" "$D/manifest.csv")" = 8 ]' \
  "another seed under the same name: exit 3, nothing rerun"

echo "== resume after SIGTERM"
study resume 16 'vary = msc.delta\ncohort = knee_oa_trial'
# two years per run (~1 s each), so that SIGTERM lands while runs remain, even on an idle machine
sed -i 's/^run.end_time = 60$/run.end_time = 730/; s/^output.times = 0 30 60$/output.times = 0 365 730/' resume.ini
R=$WORK/results/resume
"$BIN" uq resume.ini --out results --quiet >resume1.out 2>resume1.err &
pid=$!
for i in $(seq 1 600); do
  n=$(ls "$R"/r*/summary.csv 2>/dev/null | wc -l)
  [ "$n" -ge 2 ] && break
  sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
ndone=$(ls "$R"/r*/summary.csv 2>/dev/null | wc -l)
echo "        stopped with $ndone of 32 runs done"
expect '[ $rc -eq 9 ] && [ "$ndone" -ge 2 ] && [ "$ndone" -lt 32 ]' "SIGTERM stops the study with exit 9, part of the runs done"
expect '[ ! -e "$R/report.txt" ]' "an interrupted study is not analysed"
sleep 1.1; touch mark
"$BIN" uq resume.ini --out results >resume2.out 2>resume2.err
rc=$?
expect '[ $rc -eq 0 ] && [ "$(ls "$R"/r*/summary.csv | wc -l)" = 32 ]' "running it again finishes all 32 runs"
nnew=$(find "$R" -name summary.csv -newer mark | wc -l)
expect '[ "$nnew" -eq $((32 - ndone)) ] && has resume2.err "already done, skipping"' \
  "only the $((32 - ndone)) unfinished runs ran again ($nnew summary.csv newer); the log names the skipped ones"
expect 'has resume2.out "draws in the statistics: 16 of 16"' "the resumed study analyses all 16 draws"

echo "== inadmissible draws"
cat >tight_priors.ini <<'EOF'
[chondrocyte]
delta = uniform 0.005 0.03 "[G] wide on purpose: above ~0.015 native chondrocytes cannot persist"
EOF
study inadm 8 'priors = tight_priors.ini\nvary = all\ncohort = none'
I=$WORK/results/inadm
"$BIN" uq inadm.ini --out results --quiet >inadm.out 2>inadm.err
rc=$?
expect '[ $rc -eq 0 ]' "refused parameter sets do not fail the study (exit $rc)"
"$PY" - "$I" <<'EOF'
import csv, os, sys
d = sys.argv[1]
out = list(csv.DictReader(open(os.path.join(d, "outcomes.csv"))))
bad = {r["draw"] for r in out if r["status"] == "inadmissible"}
per = {s: {r["draw"] for r in out if r["scenario"] == s and r["status"] == "inadmissible"} for s in {r["scenario"] for r in out}}
rep = open(os.path.join(d, "report.txt")).read()
ok = 0 < len(bad) < 8 and all(v == bad for v in per.values())
ok = ok and f"inadmissible draws: {len(bad)} of 8" in rep and f"draws in the statistics: {8 - len(bad)} of 8" in rep
ok = ok and "chondrocyte.delta" in open(os.path.join(d, "admissibility.csv")).read()
print(f"        {len(bad)} of 8 draws inadmissible")
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "the same draws are inadmissible in both scenarios, left out, counted in report.txt and traced to chondrocyte.delta"

echo "== sensitivity = sobol"
study sens 4 'vary = msc.delta joint.k_att\ncohort = knee_oa_trial\nsensitivity = sobol\ngroups = msc.delta cohort'
S=$WORK/results/sens
"$BIN" uq sens.ini --out results --quiet >sens.out 2>sens.err
rc=$?
expect '[ $rc -eq 0 ] && [ "$(grep -c ",done$" "$S/manifest.csv")" = 40 ]' "Saltelli design: 2 scenarios x 4 x (3 groups + 2) = 40 runs, all done"
"$PY" - "$S" <<'EOF'
import csv, os, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "sobol.csv"))))
groups = sorted({r["input"] for r in rows})
targets = {(r["scenario"], r["outcome"]) for r in rows}
ok = groups == sorted(["msc.delta", "cohort (all patient inputs)", "other (1 inputs)"])
ok = ok and len(targets) == 2 * 3 + 1 and any("minus" in t[0] for t in targets)
for r in rows:
    if r["ST"] and not float(r["ST_lo"]) <= float(r["ST_hi"]): ok = False
ok = ok and os.path.getsize(os.path.join(d, "sobol.png")) > 0
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "sobol.csv: 3 groups (msc.delta, the cohort, the rest) for 2 scenarios x 3 outcomes and the top-2 difference; sobol.png"

echo "== --slurm"
study slurm 4 'vary = msc.delta\ncohort = none'
"$BIN" uq slurm.ini --out results --slurm >slurm.out 2>slurm.err
rc=$?
expect '[ $rc -eq 0 ] && [ -s results/slurm/sweep.sbatch ] && [ -s results/slurm/submit.sh ] && ! ls results/slurm/r0000/summary.csv 2>/dev/null' \
  "--slurm writes sweep.sbatch and submit.sh and runs nothing"
expect 'grep -q "^#SBATCH --array=0-7" results/slurm/sweep.sbatch && has slurm.out "run \`chondrosim uq slurm.ini\` again"' \
  "the array covers the 8 runs; the message says how to analyse afterwards"

echo
[ $nfail -eq 0 ] && echo "test_uq: all checks passed" || echo "test_uq: $nfail check(s) FAILED"
exit $((nfail > 0))
