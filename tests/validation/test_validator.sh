#!/usr/bin/env bash
# Tests the validator itself (chondrosim validate) on small self-test targets:
# a passing target passes, an impossible tolerance FAILs with exit 1, a soft failure does
# not fail the suite, a key or metric the engine lacks gives NOT RUN (a failure only with
# --strict), and malformed target files are rejected (exit 2) naming the file and key.
# usage: test_validator.sh CHONDROSIM SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1
. "$src/tests/integration/lib.sh"
tdir=$src/tests/validation/targets_selftest
v() { "$bin" validate --targets "$tdir" --no-plot "$@" >"$work/out.txt" 2>"$work/err.txt"; echo $?; }
row() { /usr/bin/python3 -c "import csv,sys; r=[x for x in csv.DictReader(open('$1')) if x['id']=='$2']; print(r[0]['status'] if r else 'MISSING')"; }

rc=$(v --only T1 T3 T4 T5 --jobs 2 --out "$work/ok")
expect '[ "$rc" = 0 ]' "pass + soft failure + NOT RUN: exit 0 (got $rc)"
csv=$work/ok/validation.csv
expect '[ "$(row $csv T1)" = PASS ]' "T1 (invariant) PASS"
expect '[ "$(row $csv T3)" = SOFT-FAIL ]' "T3 (soft, missed) SOFT-FAIL"
expect '[ "$(row $csv T4)" = "NOT RUN" ]' "T4 (unknown key) NOT RUN"
expect 'grep -q "needs key nosuch.mechanism" $csv' "T4 says which key it needs"
expect '[ "$(row $csv T5)" = "NOT RUN" ]' "T5 (unknown metric) NOT RUN"
expect 'grep -q "needs metric no_such_metric" $csv' "T5 says which metric it needs"
expect 'grep -q "^T1" $work/out.txt && grep -q "PASS" $work/out.txt' "the table is printed"

rc=$(v --only T4 --strict --out "$work/strict")
expect '[ "$rc" = 1 ]' "--strict: NOT RUN fails (exit $rc)"

rc=$(v --only T1 T2 --out "$work/bad")
expect '[ "$rc" = 1 ]' "an impossible hard tolerance fails the suite (exit $rc)"
expect '[ "$(row $work/bad/validation.csv T2)" = FAIL ]' "T2 (impossible) FAIL"
expect 'grep -q "hard check(s) failed: T2" $work/err.txt' "the failing target is named"

rc=$(v --only T9 --out "$work/unknown")
expect '[ "$rc" = 2 ] && grep -q "unknown target id(s) T9" $work/err.txt' "--only with an unknown id: exit 2"

# malformed files: each must name the file and the key
bad=$work/malformed; mkdir -p "$bad"; cp "$tdir/base_tiny.ini" "$bad/"
malformed() { # file-body, expected message fragment, what
  rm -f "$bad"/X*.ini; printf '%s\n' "$1" > "$bad/X1_bad.ini"
  local want=$2
  "$bin" validate --targets "$bad" --no-plot --out "$work/m" >/dev/null 2>"$work/merr.txt"; local rc=$?
  expect '[ $rc = 2 ] && grep -q "X1_bad.ini" $work/merr.txt && grep -qF "$want" $work/merr.txt' "$3 (exit $rc: $(head -c 160 $work/merr.txt))"
}
head='[target]
id = X1
name = bad
type = M
observation = o
source = s
[scenario q]
base = base_tiny.ini'
malformed "$head
[check c]
observable = at(q, \"defect_fill\", 10)
lower = abc" "[check c] lower: 'abc' is not a number" "a non-numeric bound names the file and key"
malformed "$head
[check c]
observable = at(q, \"defect_fill\", 10)" "[check c] lower/upper" "a check without tolerance names the key"
malformed "$head
[check c]
observable = at(q, \"defect_fill\", 10
upper = 1" "[check c] observable: not a valid expression" "a broken observable names the key"
malformed "${head/type = M/type = Q}
[check c]
observable = at(q, \"defect_fill\", 10)
upper = 1" "[target] type: 'Q'" "an unknown type names the key"
malformed "${head/id = X1/id = X2}
[check c]
observable = at(q, \"defect_fill\", 10)
upper = 1" "[target] id: 'X2' does not match" "an id that differs from the file name"
malformed "$head
set = nonsense
[check c]
observable = at(q, \"defect_fill\", 10)
upper = 1" "[scenario q] set: 'nonsense'" "a bad override line names the key"
malformed "$head
tolerance = 3
[check c]
observable = at(q, \"defect_fill\", 10)
upper = 1" "[scenario q] tolerance: unknown key" "an unknown key names the key"
exit $((nfail > 0))
