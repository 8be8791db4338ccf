#!/usr/bin/env bash
# Performance figures (not tests): the default scenario's wall time and solver statistics,
# the preconditioner choices on the same scenario, 1 vs 2 MPI ranks, and the kernels against
# a STREAM-like copy in the same process. Ratios measured in one run are what to compare.
#   scripts/bench.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
build=${CHONDROSIM_BUILD_DIR:-$root/build}
out=$(mktemp -d /tmp/chondrosim-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
threads=$(nproc)
quick=0; [ "${1:-}" = "--quick" ] && quick=1

stats() { # run dir name -> one line of solver statistics from the HDF5 file
  /usr/bin/python3 - "$1" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
s = dict(f["solver"].attrs)
print("wall %7.2f s  steps %6d  rhs %7d  newton %6d  gmres %7d  psetups %5d  err-fails %4d  ranks %d x threads %d" % (
    f.attrs["wall_time"], s["steps"], s["rhs_evals"], s["newton_iters"], s["krylov_iters"],
    s["linear_setups"], s["error_test_fails"], f.attrs["ranks"], f.attrs["threads"]))
PY
}

echo "== default scenario (configs/default.ini, 730 days), $threads thread(s)"
OMP_NUM_THREADS=$threads "$build/chondrosim" run "$root/configs/default.ini" --out "$out" --quiet
stats "$out/default/default.h5"

echo "== preconditioners on the default scenario, first 180 days"
for pc in column block none; do
  printf "%-7s " "$pc"
  if OMP_NUM_THREADS=$threads timeout 600 "$build/chondrosim" run "$root/configs/default.ini" --out "$out" \
      --quiet --set run.name=pc_$pc --set run.end_time=180 --set output.times="0 180" \
      --set solver.preconditioner=$pc; then
    stats "$out/pc_$pc/pc_$pc.h5"
  else
    echo "failed or took longer than 600 s"
  fi
done

if [ $quick -eq 0 ]; then
  echo "== ranks x threads on the default scenario"
  for rt in "1 1" "1 2" "2 1"; do
    set -- $rt
    OMP_NUM_THREADS=$2 mpirun -n "$1" --oversubscribe --bind-to none "$build/chondrosim" run "$root/configs/default.ini" \
      --out "$out" --quiet --set run.name=rt_$1_$2
    stats "$out/rt_$1_$2/rt_$1_$2.h5"
  done
fi

echo "== kernels (cartesian3d 64 x 64 x 24) against a STREAM-like copy"
for t in 1 $threads; do
  OMP_NUM_THREADS=$t "$build/tests/bench_kernels" 64 64 24 10
done
