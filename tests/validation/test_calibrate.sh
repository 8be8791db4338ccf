#!/usr/bin/env bash
# scripts/calibrate.py on a tiny real problem: one knob of the current model
# (tests/validation/calibration_selftest.ini) fitted to one target (V10, intra-articular
# retention) on its coarse grid. The start misses V10; the fit must bring every V10 check
# inside its tolerance, write the value into a copy of models/base.ini (or calibrated.ini),
# keep the hand-written part of CALIBRATION.md, and give the same value when run again.
# usage: test_calibrate.sh CHONDROSIM SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1
. "$src/tests/integration/lib.sh"
cal() { # models-dir write-mode
  cp -r "$src/models" "$1"
  /usr/bin/python3 "$src/scripts/calibrate.py" --config "$src/tests/validation/calibration_selftest.ini" \
    --engine "$bin" --jobs 2 --models "$1" --write "$2" --out "$1.work" > "$1.out" 2> "$1.err"
}
cal "$work/a" base; rc=$?
expect '[ $rc = 0 ]' "calibrate.py exits 0 (rc $rc)"
cat "$work/a.out"
fitted=$(sed -n 's/^synovium.delta_Y2: [^ ]* -> \([^ ]*\) .*/\1/p' "$work/a.out")
expect '[ -n "$fitted" ]' "it reports the fitted value ($fitted)"
expect 'grep -q "V10/30 d: .* misfit 0$" $work/a.out && grep -q "V10/180 d: .* misfit 0$" $work/a.out' "every V10 check is inside its tolerance after the fit"
expect 'grep -q "^cost [1-9]" $work/a.out' "the start value missed the target (cost > 0 at the start)"
expect 'grep -qE "^delta_Y2 = $fitted +;.*\[calibrate.py: was 0.012\]" $work/a/base.ini' "the fitted value replaced the knob's line in base.ini, comment kept"
expect '[ "$(diff <(grep -v delta_Y2 $src/models/base.ini) <(grep -v delta_Y2 $work/a/base.ini) | wc -l)" = 0 ]' "no other line of base.ini changed"
expect 'grep -q "^## What was tuned" $work/a/CALIBRATION.md && grep -q "calibrate.py: begin" $work/a/CALIBRATION.md' "CALIBRATION.md keeps its text and gains the record"
expect 'grep -q "| V10/180 d | \[0.005, 0.03\] | 1 | .* | 0 |$" $work/a/CALIBRATION.md' "the record lists the residual per target check"
cal "$work/b" layer; rc=$?
fitted_b=$(sed -n 's/^synovium.delta_Y2: [^ ]* -> \([^ ]*\) .*/\1/p' "$work/b.out")
expect '[ $rc = 0 ] && [ "$fitted" = "$fitted_b" ]' "deterministic: the same fit again ($fitted vs $fitted_b)"
expect 'grep -qx "delta_Y2 = $fitted" $work/b/calibrated.ini && cmp -s $src/models/base.ini $work/b/base.ini' "--write layer: calibrated.ini holds the value, base.ini untouched"
exit $((nfail > 0))
