#!/usr/bin/env bash
# The validation suite, quick version (coarse grids, same tolerances): every target of
# configs/validation/ with this engine. Fails when a hard target fails; a target the engine
# cannot run yet is reported NOT RUN (not a failure here). The table goes to the test log.
# usage: test_quick_suite.sh CHONDROSIM SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1
"$bin" validate --quick --jobs "${CHONDROSIM_VALIDATE_JOBS:-2}" --out "$work"
