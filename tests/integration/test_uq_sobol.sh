#!/usr/bin/env bash
# The estimators of `chondrosim uq` against known answers: Sobol first- and total-order
# indices of the Ishigami function (Saltelli design, bootstrap CIs; tolerance explained in
# check_uq_stats.py), grouped indices, the inverse CDFs and the paired comparison statistics.
# usage: bash test_uq_sobol.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
SRC=$(readlink -f "$2")
exec /usr/bin/python3 "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/check_uq_stats.py" "$SRC"
