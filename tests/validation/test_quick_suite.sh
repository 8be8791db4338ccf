#!/usr/bin/env bash
# The validation suite, quick version (coarse grids, same tolerances): every target of
# configs/validation/ with this engine; the table goes to the test log.
# The model does not meet every hard target yet. tests/validation/known_failures.txt lists
# the hard checks that fail today (id/check); this test fails when any other hard check
# fails or errors (a regression), and when a listed one passes (update the list: progress
# must be recorded, not hidden). The list is the model's open credibility debt; see the
# README's validation section.
# usage: test_quick_suite.sh CHONDROSIM SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1
"$bin" validate --quick --jobs "${CHONDROSIM_VALIDATE_JOBS:-2}" --out "$work" --no-plot
rc=$?
[ "$rc" -le 1 ] || { echo "FAIL: validate exited $rc"; exit 1; }
/usr/bin/python3 - "$work/validation.csv" "$src/tests/validation/known_failures.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
known = {l.split('#')[0].strip() for l in open(sys.argv[2]) if l.split('#')[0].strip()}
failing = {f"{r['id']}/{r['check']}" for r in rows
           if r['hard'] == 'True' and r['status'] not in ('PASS', 'NOT RUN', 'SOFT-FAIL')}
new = sorted(failing - known)
fixed = sorted(known - failing)
print(f"hard checks: {sum(r['hard'] == 'True' for r in rows)}, failing: {len(failing)}, known: {len(known)}")
for f in new: print(f"FAIL: regression, {f} fails and is not in known_failures.txt")
for f in fixed: print(f"FAIL: {f} now passes: remove it from known_failures.txt")
sys.exit(1 if new or fixed else 0)
PY
