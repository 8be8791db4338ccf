#!/usr/bin/env bash
# Configure (once) and build chondrosim incrementally into build/.
#   CHONDROSIM_BUILD_DIR  build directory (default: build)
#   CMAKE_BUILD_TYPE      default RelWithDebInfo
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHONDROSIM_BUILD_DIR:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" >/dev/null
