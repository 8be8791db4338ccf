#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer: builds chondrosim and its tests with gcc
# -O1 -fsanitize=address,undefined into a separate build directory and runs the unit,
# verification and MPI tests (CTest labels unit, verify, mpi) there. Any memory error,
# leak (Open MPI's own allocations excepted: tests/sanitize/lsan.supp) or undefined
# behaviour fails the run. CI runs it through CTest (test sanitize/asan_ubsan).
#   CHONDROSIM_SANITIZE_DIR   build directory (default: build/sanitize)
#   scripts/sanitize.sh [ctest options]     e.g. -R test_config
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHONDROSIM_SANITIZE_DIR:-$root/build/sanitize}
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
t0=$(date +%s)
# Configured every time (cheap), so changed options reach an existing build directory.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_C_COMPILER=gcc \
      "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" \
      -DCHS_SANITIZE_TEST=OFF -DCHS_FUZZ_TEST=OFF -DCHS_LAYER_CHECK=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
t1=$(date +%s)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's shared-memory transports and ASan's shadow memory do not mix well with its
# "vader" single-copy mechanism: use plain copies.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Keep Open MPI's plugins loaded at exit, so LeakSanitizer can name the library of their
# allocations (an unloaded plugin shows as "<unknown module>" and escapes lsan.supp).
export OMPI_MCA_mca_base_component_disable_dlclose=1
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_odr_violation=0:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
rc=0
ctest --output-on-failure --no-tests=error -L '^(unit|verify)$' "$@" || rc=$?
# Open MPI's libraries have no frame pointers: the slow (DWARF) unwinder gives the whole
# stack of their allocations, so the suppressions can see that Open MPI made them.
ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0 \
  ctest --output-on-failure --no-tests=error -L '^mpi$' "$@" || rc=$?
t2=$(date +%s)
echo "sanitize.sh: build $((t1 - t0)) s, tests $((t2 - t1)) s (ASan + UBSan, gcc -O1)"
exit $rc
