#!/usr/bin/env bash
# Set up, build and run every test through CTest; exits non-zero on any failure.
#   scripts/test.sh [ctest options]      e.g. -L unit, -R config
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh" --test
"$root/scripts/build.sh"
build=${CHONDROSIM_BUILD_DIR:-$root/build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$build"
ctest --output-on-failure --no-tests=error "$@"
