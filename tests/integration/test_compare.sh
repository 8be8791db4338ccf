#!/usr/bin/env bash
# `chondrosim compare` end to end: a tiny 2 x 2 study (doses x sources, coarse grid, 60
# days) under mpirun -n 2 with 2 groups: comparison.csv (4 rows + header, values equal to
# each scenario's summary.csv, ranks consistent with rank_by), the ranked table on stdout,
# each scenario's directory with its HDF5 file, sidecar and summary; then bad studies fail
# up front naming the file, line and key, and a scenario that fails at run time makes the
# study exit non-zero with its row marked failed while the others finish.
#
# usage: bash test_compare.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
PY=/usr/bin/python3
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe -n 2)

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK/study" "$WORK/cwd" || exit 2
cd "$WORK/cwd" || exit 2

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect
has() { grep -qF -- "$2" "$WORK/$1"; }
show() { sed 's/^/        | /' "$WORK/$1" | head -n "${2:-20}"; }

# The base config sits next to the study file: `base` is relative to the study, not the cwd.
cp "$SRC/configs/default.ini" "$WORK/study/base.ini"
cat >"$WORK/study/tiny.ini" <<'EOF'
; 2 doses x 2 sources, intra-articular, on a coarse grid for 60 days
[study]
name = tiny
base = base.ini
rank_by = fill_6wk

[matrix]
therapy.dose = 1e7 5e7
therapy.source = bone_marrow adipose

[set]
therapy.route = intra_articular
grid.nx = 12
grid.nz = 6
run.end_time = 60
output.times = 0 30 60
EOF
LABELS="dose_1e7-source_bone_marrow dose_1e7-source_adipose dose_5e7-source_bone_marrow dose_5e7-source_adipose"
OUT=$WORK/results/tiny

echo "== mpirun -n 2 chondrosim compare tiny.ini --groups 2"
t0=$(date +%s)
"${MPIRUN[@]}" "$BIN" compare ../study/tiny.ini --groups 2 --out "$WORK/results" \
  >"$WORK/compare.out" 2>"$WORK/compare.err"
rc=$?
echo "        exit $rc, wall $(( $(date +%s) - t0 )) s"
expect '[ $rc -eq 0 ]' "compare exits 0"
[ $rc -ne 0 ] && show compare.err 30
expect 'has compare.err "running 4 scenario(s) in 2 concurrent group(s) over 2 MPI rank(s)"' \
  "the 2 ranks ran as 2 groups"
expect 'has compare.err "[group 0]" && has compare.err "[group 1]"' "both groups ran scenarios"
expect 'has compare.err "1 of this group'"'"'s 2 scenario(s) done (4 in all, 2 group(s)), about"' \
  "progress: scenarios done and an estimate for the rest"

echo "== results/tiny/"
expect '[ -f "$OUT/comparison.csv" ]' "comparison.csv written"
expect '[ ! -e "$OUT/comparison.csv.tmp" ]' "no temporary file left behind"
for l in $LABELS; do
  expect "[ -s '$OUT/$l/$l.h5' ] && [ -s '$OUT/$l/$l.xdmf' ] && [ -s '$OUT/$l/summary.csv' ] && [ -s '$OUT/$l/config.ini' ]" \
    "scenario $l has $l.h5, $l.xdmf, summary.csv and config.ini"
done
expect 'grep -q "^dose = 5e7\b\|^dose = 50000000\b" "$OUT/dose_5e7-source_adipose/config.ini" && grep -q "^source = adipose" "$OUT/dose_5e7-source_adipose/config.ini"' \
  "a scenario's effective config has its matrix values"
expect 'grep -q "^route = intra_articular" "$OUT/dose_1e7-source_bone_marrow/config.ini" && grep -q "^nx = 12" "$OUT/dose_1e7-source_bone_marrow/config.ini"' \
  "a scenario's effective config has the [set] overrides"

echo "== comparison.csv"
show results/tiny/comparison.csv 6
"$PY" - "$OUT" "$LABELS" <<'EOF'
import csv, math, os, sys
out, labels = sys.argv[1], sys.argv[2].split()
rows = list(csv.DictReader(open(os.path.join(out, "comparison.csv"))))
head = open(os.path.join(out, "comparison.csv")).readline().strip().split(",")
bad = []
def check(ok, msg):
    if not ok: bad.append(msg)
check(len(rows) == 4, f"4 rows expected, found {len(rows)}")
check(head[:4] == ["scenario", "therapy.dose", "therapy.source", "status"], f"header starts {head[:4]}")
summary_cols = open(os.path.join(out, labels[0], "summary.csv")).readline().strip().split(",")
check(head[4:4 + len(summary_cols)] == summary_cols, "all summary.csv columns follow, in order")
check(head[-1] == "rank", "the last column is rank")
check([r["scenario"] for r in rows] == labels, f"scenario order {[r['scenario'] for r in rows]}")
for r in rows:
    check(r["status"] == "done", f"{r['scenario']}: status {r['status']}")
    s = next(csv.DictReader(open(os.path.join(out, r["scenario"], "summary.csv"))))
    for k, v in s.items():
        check(r[k] == v, f"{r['scenario']}: {k} = {r[k]} in comparison.csv, {v} in summary.csv")
dose = {"1e7": "1e7", "5e7": "5e7"}
check([(r["therapy.dose"], r["therapy.source"]) for r in rows] ==
      [("1e7", "bone_marrow"), ("1e7", "adipose"), ("5e7", "bone_marrow"), ("5e7", "adipose")],
      "matrix values per row (first key slowest)")
ranked = sorted(rows, key=lambda r: int(r["rank"]))
vals = [float(r["fill_6wk"]) for r in ranked]
check(sorted(int(r["rank"]) for r in rows) == [1, 2, 3, 4], "ranks are 1..4")
check(all(a >= b for a, b in zip(vals, vals[1:])), f"rank follows fill_6wk descending: {vals}")
check(all(math.isfinite(v) and v > 0 for v in vals), "fill_6wk is positive")
for b in bad: print("        | " + b)
sys.exit(1 if bad else 0)
EOF
expect '[ $? -eq 0 ]' "comparison.csv: 4 rows + header, every summary column, values equal summary.csv, ranks by fill_6wk"

echo "== ranked table on stdout"
show compare.out 8
expect 'has compare.out "study tiny: 4 scenario(s) ranked by fill_6wk (higher first)"' "the table names the ranking key"
expect 'grep -qE "^ *rank +scenario +fill_6wk +fill_6mo +fill_12mo +fill_24mo +hyaline_12mo +msc_retained_1mo +inflammation_auc" "$WORK/compare.out"' \
  "the table has rank, scenario, rank_by and the key outcomes"
"$PY" - "$WORK/compare.out" "$OUT/comparison.csv" <<'EOF'
import csv, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip() and l.split()[0].isdigit()]
rows = {r["scenario"]: r for r in csv.DictReader(open(sys.argv[2]))}
ok = len(lines) == 4 and [int(l[0]) for l in lines] == [1, 2, 3, 4]
ok = ok and all(int(rows[l[1]]["rank"]) == int(l[0]) for l in lines)
ok = ok and all(abs(float(l[2]) - float(rows[l[1]]["fill_6wk"])) <= 1e-3 * abs(float(rows[l[1]]["fill_6wk"])) for l in lines)
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "4 ranked lines, in rank order, matching comparison.csv"
if [ -f "$SRC/scripts/plot_compare.py" ]; then
  expect '[ -s "$OUT/comparison.png" ] || has compare.err "no comparison.png"' \
    "comparison.png drawn by scripts/plot_compare.py (or its failure reported)"
fi
expect '[ -z "$(ls -A "$WORK/cwd")" ]' "nothing written in the working directory (--out)"

echo "== invalid studies fail up front with file, line and key"
bad_study() { # NAME SED-EXPRESSION: a copy of tiny.ini with one line changed
  sed "$2" "$WORK/study/tiny.ini" >"$WORK/study/$1.ini"
  "$BIN" compare "$WORK/study/$1.ini" --out "$WORK/bad" >"$WORK/$1.out" 2>"$WORK/$1.err"
  rc=$?
  echo "        $1: exit $rc: $(grep error "$WORK/$1.err" | head -1)"
}
bad_study badkey 's/^therapy.source = /therapy.sorce = /'
expect '[ $rc -eq 3 ]' "unknown matrix key: exit 3 (invalid configuration)"
expect 'has badkey.err "badkey.ini:9" && has badkey.err "therapy.sorce" && has badkey.err "did you mean '"'"'therapy.source'"'"'"' \
  "the message names badkey.ini:9, the key and the nearest valid key"
bad_study badvalue 's/^therapy.dose = 1e7 5e7/therapy.dose = 1e7 -5e7/'
expect '[ $rc -eq 3 ] && has badvalue.err "badvalue.ini:8" && has badvalue.err "therapy.dose = -5e7 is out of range"' \
  "a negative dose: exit 3, names badvalue.ini:8, the value and the allowed range"
bad_study badsource 's/^therapy.source = bone_marrow adipose/therapy.source = bone_marrow placenta/'
expect '[ $rc -eq 3 ] && has badsource.err "badsource.ini:9" && has badsource.err "placenta" && has badsource.err "available:"' \
  "an unknown cell source (found only when the scenario loads): names badsource.ini:9 and the choices"
bad_study badset 's/^run.end_time = 60/grid.ny = 3/'
expect '[ $rc -eq 3 ] && has badset.err "badset.ini" && has badset.err "grid.ny"' \
  "a [set] value inconsistent with the base (grid.ny = 3 in a 2D geometry) is caught before running"
bad_study badrank 's/^rank_by = fill_6wk/rank_by = fill_99mo/'
expect '[ $rc -eq 3 ] && has badrank.err "badrank.ini:5" && has badrank.err "fill_12mo"' \
  "an unknown rank_by names the line and lists the summary columns"
bad_study badsection 's/^\[matrix\]/[matrx]/'
expect '[ $rc -eq 3 ] && has badsection.err "badsection.ini:8: unknown section [matrx]"' "an unknown section names its line"
expect '[ ! -e "$WORK/bad" ]' "nothing ran and nothing was written for an invalid study"

echo "== a scenario that fails at run time"
# solver.max_steps = 5 cannot reach day 60: that scenario fails, the other one runs.
cat >"$WORK/study/fails.ini" <<'EOF'
[study]
name = fails
base = base.ini
rank_by = fill_6wk
[matrix]
solver.max_steps = 200000 10
[set]
therapy.route = intra_articular
grid.nx = 12
grid.nz = 6
run.end_time = 60
output.times = 0 30 60
EOF
"$BIN" compare "$WORK/study/fails.ini" --out "$WORK/results" --groups 3 --no-plot \
  >"$WORK/fails.out" 2>"$WORK/fails.err"
rc=$?
echo "        exit $rc: $(grep 'error:' "$WORK/fails.err" | tail -1)"
expect '[ $rc -eq 5 ]' "the study exits 5 (time integration failed) after finishing the others"
expect 'has fails.err "only 1 MPI rank(s)"' "--groups 3 on 1 rank: a warning, 1 group"
expect 'has fails.err "1 of 2 scenario(s) failed: max_steps_10"' "the error names the failed scenario"
expect 'grep -q "^max_steps_200000,200000,done," "$WORK/results/fails/comparison.csv" && grep -q "^max_steps_10,10,failed," "$WORK/results/fails/comparison.csv"' \
  "comparison.csv: the good scenario done, the failed one status=failed"
expect 'grep -qE "^ +2 +max_steps_10 +failed" "$WORK/fails.out"' "the ranked table lists the failed scenario last"
expect 'grep -qE "^max_steps_200000,[0-9a-f]{16},done$" "$WORK/results/fails/manifest.csv" && grep -qE "^max_steps_10,[0-9a-f]{16},failed$" "$WORK/results/fails/manifest.csv"' \
  "manifest.csv: each scenario with the fingerprint of its configuration and its status"

echo "== the study again: the finished scenario is not recomputed, an edited [set] re-runs it"
sleep 1.1; touch "$WORK/mark_again"
"$BIN" compare "$WORK/study/fails.ini" --out "$WORK/results" --no-plot >"$WORK/again.out" 2>"$WORK/again.err"
rc=$?
expect '[ $rc -eq 5 ] && has again.err "scenario max_steps_200000 already done with this configuration, skipping"' \
  "the done scenario is skipped (exit 5: the failing one ran again and failed again)"
expect '[ -z "$(find "$WORK/results/fails/max_steps_200000" -newer "$WORK/mark_again" -name summary.csv)" ]' \
  "its summary.csv was not rewritten"
expect 'grep -q "^max_steps_200000,200000,done," "$WORK/results/fails/comparison.csv"' "comparison.csv still has its results"
sed 's/^grid.nz = 6$/grid.nz = 7/' "$WORK/study/fails.ini" >"$WORK/study/fails_edited.ini"
sed -i 's/^name = fails$/name = fails/' "$WORK/study/fails_edited.ini"
"$BIN" compare "$WORK/study/fails_edited.ini" --out "$WORK/results" --no-plot >"$WORK/edited.out" 2>"$WORK/edited.err"
expect 'has edited.err "scenario max_steps_200000 finished with another configuration" && [ -n "$(find "$WORK/results/fails/max_steps_200000" -newer "$WORK/mark_again" -name summary.csv)" ]' \
  "after an edit of [set] (grid.nz 6 -> 7) the scenario runs again"

echo
if [ $nfail -ne 0 ]; then
  echo "test_compare: $nfail check(s) FAILED"
  exit 1
fi
echo "test_compare: all checks passed"
