#!/usr/bin/env bash
# Set up, build and run every test through CTest; exits non-zero on any failure.
#   scripts/test.sh [ctest options]      e.g. -L unit, -R config
#   scripts/test.sh --slurm [ctest options]
#                 run everything else first, then the real Slurm test (label slurm) verbosely
#                 (CTest runs it in the default set too; it starts and stops its own cluster)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh" --test --slurm
"$root/scripts/build.sh"
build=${CHONDROSIM_BUILD_DIR:-$root/build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$build"
slurm=0 args=()
for a in "$@"; do
  if [ "$a" = --slurm ]; then slurm=1; else args+=("$a"); fi
done
if [ $slurm -eq 0 ]; then
  ctest --output-on-failure --no-tests=error "${args[@]}"
else
  rc=0
  ctest --output-on-failure --no-tests=error -LE slurm "${args[@]}" || rc=$?
  ctest --output-on-failure --no-tests=error -V -L slurm || rc=$?
  exit $rc
fi
