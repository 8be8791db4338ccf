#!/usr/bin/env bash
# libFuzzer on the input readers (tests/fuzz/fuzz_{config,study,sweep,mask}.c): builds the
# engine and the harnesses with clang -fsanitize=fuzzer-no-link,address,undefined into a
# separate build directory, then fuzzes each reader for SECONDS (default 300) starting from
# the seed corpus tests/fuzz/corpus/<reader>/ (new inputs go to the build directory, the
# seeds are never modified). A crash, leak, sanitizer report or timeout is a finding: its
# input is kept as <build>/findings/<reader>/crash-* (etc.) and the script exits 1.
#   scripts/fuzz.sh [SECONDS] [READER...]     e.g. scripts/fuzz.sh 20 (CI), scripts/fuzz.sh 3600 mask
#   CHONDROSIM_FUZZ_DIR   build directory (default: build/fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CHONDROSIM_FUZZ_DIR:-$root/build/fuzz}
secs=${1:-300}
shift || true
readers=("$@")
[ ${#readers[@]} -eq 0 ] && readers=(config study sweep mask)
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (scripts/setup-deps.sh --test installs it)" >&2; exit 2; }
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
t0=$(date +%s)
# Configured every time (cheap), so changed options reach an existing build directory.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_C_COMPILER=clang "-DCMAKE_C_FLAGS=$flags" \
      -DCHS_FUZZ=ON -DCHS_SANITIZE_TEST=OFF -DCHS_FUZZ_TEST=OFF -DCHS_LAYER_CHECK=OFF >/dev/null
targets=()
for r in "${readers[@]}"; do targets+=(--target "fuzz_$r"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}" >/dev/null
echo "fuzz.sh: build $(( $(date +%s) - t0 )) s"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$root/models}
export TMPDIR=$build/tmp
mkdir -p "$TMPDIR"
rc=0
for r in "${readers[@]}"; do
  work=$build/corpus/$r findings=$build/findings/$r
  mkdir -p "$work" "$findings"
  log=$build/fuzz_$r.log
  set +e
  "$build/tests/fuzz/fuzz_$r" "$work" "$root/tests/fuzz/corpus/$r" -max_total_time="$secs" \
      -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$findings/" >"$log" 2>&1
  status=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  nfind=$(find "$findings" -type f | wc -l)
  echo "fuzz.sh: $r: ${secs} s, ${execs:-?} executions, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs, findings $nfind (exit $status)"
  if [ $status -ne 0 ] || [ "$nfind" -ne 0 ]; then
    rc=1
    grep -m 5 -E "ERROR|runtime error|SUMMARY" "$log" | sed 's/^/    /' || true
    echo "    log: $log; inputs: $findings/"
  fi
done
rm -rf "$TMPDIR"
exit $rc
