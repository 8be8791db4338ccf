#!/usr/bin/env bash
# The plotting scripts end to end: a coarse run -> scripts/plot_run.py; a small study made of
# two quick runs (doses 1e6 and 1e7) plus a comparison.csv written here (with a missing and a
# failed scenario) -> scripts/plot_compare.py; a fake sweep.csv -> scripts/plot_sweep.py.
# Every PNG must be a valid, decodable, non-blank image of reasonable size; bad arguments must
# give a non-zero exit with one clear message and no Python traceback.
#
# usage: bash test_plots.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
PY=/usr/bin/python3                      # Debian python3 with numpy, h5py, matplotlib
SCRIPTS=$SRC/scripts
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
CONFIG=$SRC/configs/default.ini
COARSE=(--set grid.nx=16 --set grid.nz=8 --set run.end_time=90 --set "output.times=0 14 42 90")

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
export MPLCONFIGDIR=$WORK/mplconfig     # matplotlib's cache stays in the work dir
unset DISPLAY

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # nfail, pass, fail, expect
has() { grep -qF -- "$2" "$WORK/$1"; }   # has FILE SUBSTRING
show() { sed 's/^/        | /' "$WORK/$1" | head -n "${2:-20}"; }
# run_py NAME SCRIPT ARGS...: runs a plotting script, output in NAME.out / NAME.err, status in $rc
run_py() {
  local name=$1 script=$2; shift 2
  "$SCRIPTS/$script" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  echo "\$ $script $* -> exit $rc"
}
# png_ok FILE MINW MINH: a PNG signature, decodable by matplotlib, at least MINW x MINH pixels,
# more than 20 kB and not a blank canvas; prints what it found.
png_ok() {
  "$PY" - "$@" <<'EOF'
import sys, os
path, minw, minh = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not os.path.isfile(path):
    sys.exit(f"        {path}: missing")
with open(path, "rb") as fh:
    head = fh.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
    sys.exit(f"        {path}: not a PNG")
w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
size = os.path.getsize(path)
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
img = mpimg.imread(path)
std = float(img[..., :3].std())
print(f"        {os.path.basename(path)}: {w} x {h} px, {size / 1024:.0f} kB, pixel std {std:.3f}")
ok = img.shape[0] == h and img.shape[1] == w and w >= minw and h >= minh and size > 20000 and std > 0.02
sys.exit(0 if ok else 1)
EOF
}
no_traceback() { ! grep -q "Traceback" "$WORK/$1"; }

for s in plot_run.py plot_compare.py plot_sweep.py; do
  expect "[ -x '$SCRIPTS/$s' ] && head -1 '$SCRIPTS/$s' | grep -qx '#!/usr/bin/python3'" \
    "$s is executable with shebang #!/usr/bin/python3"
done

echo "== two coarse runs (doses 1e7 and 1e6) into study/"
STUDY=$WORK/study
for d in 1e7 1e6; do
  "$BIN" run "$CONFIG" "${COARSE[@]}" --set therapy.dose=$d --set run.name=dose_$d --out "$STUDY" \
    >"$WORK/run_$d.out" 2>"$WORK/run_$d.err"
  rc=$?
  echo "\$ chondrosim run default.ini (coarse) --set therapy.dose=$d --set run.name=dose_$d -> exit $rc"
  expect "[ $rc -eq 0 ] && [ -f '$STUDY/dose_$d/dose_$d.h5' ] && [ -f '$STUDY/dose_$d/summary.csv' ]" \
    "run dose_$d wrote dose_$d.h5 and summary.csv"
  [ $rc -ne 0 ] && show "run_$d.err" 20
done
RUN=$STUDY/dose_1e7

echo "== plot_run.py"
run_py run1 plot_run.py "$RUN"
expect '[ $rc -eq 0 ]' "plot_run.py RUN_DIR exits 0"
[ $rc -ne 0 ] && show run1.err 20
expect "png_ok '$RUN/dose_1e7.png' 1600 1400" "default output RUN_DIR/<run>.png is a valid PNG of reasonable size"
run_py run2 plot_run.py "$RUN/dose_1e7.h5" -o "$WORK/run_from_h5.png"
expect "[ $rc -eq 0 ] && png_ok '$WORK/run_from_h5.png' 1600 1400" "plot_run.py RUN.h5 -o OUT.png writes OUT.png"
run_py run3 plot_run.py "$STUDY/dose_1e6" -o "$WORK/run_1e6.png"
expect "[ $rc -eq 0 ] && png_ok '$WORK/run_1e6.png' 1600 1400" "plot_run.py on the second run"
expect 'no_traceback run1.err && no_traceback run2.err && no_traceback run3.err' "no Python traceback"

echo "== plot_compare.py (study of 2 runs + 1 missing + 1 failed scenario)"
"$PY" - "$STUDY" <<'EOF'
import csv, os, sys
study = sys.argv[1]
rows, header = [], None
for dose in ("1e6", "1e7"):
    name = f"dose_{dose}"
    with open(os.path.join(study, name, "summary.csv"), newline="") as fh:
        r = list(csv.reader(fh))
    header = r[0]
    rows.append([name, dose] + r[1] + ["ok"])
n = len(header)
rows.append(["dose_1e8", "1e8", "dose_1e8"] + [""] * (n - 1) + ["ok"])       # no run directory
rows.append(["dose_3e5", "3e5", "dose_3e5"] + [""] * (n - 1) + ["failed"])   # failed scenario
with open(os.path.join(study, "comparison.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["scenario", "therapy.dose"] + header + ["status"])
    w.writerows(rows)
EOF
expect "[ -f '$STUDY/comparison.csv' ]" "comparison.csv written"
run_py cmp1 plot_compare.py "$STUDY"
expect '[ $rc -eq 0 ]' "plot_compare.py STUDY_DIR exits 0 despite a missing and a failed scenario"
[ $rc -ne 0 ] && show cmp1.err 20
expect "png_ok '$STUDY/comparison.png' 1600 900" "default output STUDY_DIR/comparison.png is a valid PNG"
expect 'has cmp1.err "warning" && has cmp1.err "dose_1e8" && has cmp1.err "dose_3e5"' \
  "the missing and the failed scenario are skipped with a warning"
show cmp1.err 4
run_py cmp2 plot_compare.py "$STUDY" -o "$WORK/cmp.png"
expect "[ $rc -eq 0 ] && png_ok '$WORK/cmp.png' 1600 900" "plot_compare.py -o OUT.png writes OUT.png"
expect 'no_traceback cmp1.err && no_traceback cmp2.err' "no Python traceback"

echo "== plot_sweep.py (fake sweep.csv)"
SWEEP=$WORK/sweep
mkdir -p "$SWEEP"
"$PY" - "$SWEEP/sweep.csv" "$STUDY" <<'EOF'
import csv, os, sys
out, study = sys.argv[1], sys.argv[2]
with open(os.path.join(study, "dose_1e7", "summary.csv"), newline="") as fh:
    header, base = list(csv.reader(fh))[:2]
summary = header[1:]                      # without the 'run' column
rows, i = [], 0
for dose in (1e5, 1e6, 1e7, 1e8):
    for source in ("bone_marrow", "adipose"):
        vals = dict(zip(header, base))
        f = 0.2 + 0.1 * (len(str(int(dose))) - 6) + (0.05 if source == "adipose" else 0.0)
        vals.update(end_day=730, fill_12mo=f, fill_6mo=f / 2, hyaline_12mo=0.5 + f / 4, final_fill=f + 0.1,
                    days_to_50pct_fill=(400 - 100 * f if f >= 0.3 else ""),
                    msc_retained_1mo=0.15 * (1e6 / dose) ** 0.2, inflammation_auc=60 - 20 * f)
        rows.append([i, f"sweep_{i:03d}", f"{dose:g}", source, "ok"] + [vals[k] for k in summary])
        i += 1
rows.append([i, f"sweep_{i:03d}", "1e9", "adipose", "failed"] + [""] * len(summary))
with open(out, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["row", "run", "therapy.dose", "therapy.source", "status"] + summary)
    w.writerows(rows)
EOF
run_py sw1 plot_sweep.py "$SWEEP"
expect '[ $rc -eq 0 ]' "plot_sweep.py SWEEP_DIR exits 0"
[ $rc -ne 0 ] && show sw1.err 20
expect "png_ok '$SWEEP/sweep.png' 700 1000" "default output SWEEP_DIR/sweep.png is a valid PNG"
run_py sw2 plot_sweep.py "$SWEEP" -o "$WORK/sweep2.png" --outcomes fill_12mo,days_to_50pct_fill
expect "[ $rc -eq 0 ] && png_ok '$WORK/sweep2.png' 700 500" "plot_sweep.py --outcomes fill_12mo,days_to_50pct_fill -o OUT.png"
expect 'no_traceback sw1.err && no_traceback sw2.err' "no Python traceback"

echo "== bad arguments"
mkdir -p "$WORK/empty"
echo "not hdf5" >"$WORK/bogus.h5"
# bad NAME SUBSTRING SCRIPT ARGS...: non-zero exit, SUBSTRING in stderr, no traceback
bad() {
  local name=$1 sub=$2; shift 2
  local what="$*"
  run_py "$name" "$@"
  expect "[ $rc -ne 0 ] && has $name.err '$sub' && no_traceback $name.err" \
    "$what: non-zero exit and '$sub'"
  show "$name.err" 3
}
bad bad1 "does not exist" plot_run.py "$WORK/no_such_run"
bad bad2 "no chondrosim output" plot_run.py "$WORK/empty"
bad bad3 "cannot open" plot_run.py "$WORK/bogus.h5"
bad bad4 "usage:" plot_run.py
bad bad5 "no comparison.csv" plot_compare.py "$WORK/empty"
bad bad6 "not a directory" plot_compare.py "$WORK/no_such_study"
bad bad7 "no_such_outcome" plot_sweep.py "$SWEEP" --outcomes no_such_outcome
bad bad8 "no sweep.csv" plot_sweep.py "$WORK/empty"
bad bad9 "does not exist" plot_run.py "$RUN" -o "$WORK/no_such_dir/x.png"
expect '[ ! -e "$WORK/no_such_dir" ]' "a bad -o directory is not created"

echo
if [ $nfail -ne 0 ]; then
  echo "test_plots: $nfail check(s) FAILED"
  exit 1
fi
echo "test_plots: all checks passed"
