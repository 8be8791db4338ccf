#!/usr/bin/env bash
# The Python package (python/chondrosim): the README tutorial, extracted and executed as a
# user would run it from the source tree, then its results checked against the files
# (check_python.py: fields vs HDF5, metrics, summary.json vs summary.csv, the study table,
# info --params --json, refusals).
#
# usage: bash test_python.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM=$BIN PYTHONPATH=$SRC/python OMP_NUM_THREADS=1
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
ln -s "$SRC/configs" configs   # the tutorial names configs/default.ini, as in the source tree

echo "== the README tutorial"
sed -n '/<!-- tutorial:begin -->/,/<!-- tutorial:end -->/p' "$SRC/README.md" |
  sed '1,/^```python$/d; /^```$/,$d' >tutorial.py
expect '[ "$(grep -c . tutorial.py)" -gt 10 ]' "tutorial.py extracted from README.md ($(grep -c . tutorial.py) lines)"
/usr/bin/python3 tutorial.py >tutorial.out 2>tutorial.err
rc=$?
sed 's/^/        | /' tutorial.out
expect '[ $rc -eq 0 ]' "the tutorial runs (exit $rc)"
[ $rc -ne 0 ] && tail -20 tutorial.err
expect 'grep -q "collagen2 units: fraction of native | output days: \[0.0, 14.0, 42.0, 56.0, 60.0\]" tutorial.out' \
  "units and output days (60 appended as the end)"
expect '[ "$(grep -cE "^ *r000[01] " tutorial.out)" -eq 2 ] && ! grep -qE "^ *r000[01] .*(pending|failed)" tutorial.out' \
  "the study table has both rows, done"

echo "== the results against the files (check_python.py)"
/usr/bin/python3 "$HERE/check_python.py" "$WORK/results"
expect '[ $? -eq 0 ]' "check_python.py passed"

echo
if [ $nfail -ne 0 ]; then echo "test_python: $nfail check(s) FAILED"; exit 1; fi
echo "test_python: all checks passed"
