#!/usr/bin/env bash
# Set up, build and run a scenario.
#   scripts/run.sh                       the default scenario (configs/default.ini)
#   scripts/run.sh CONFIG [options]      any scenario; options as `chondrosim run --help`
#   MPI_RANKS=2 scripts/run.sh ...       under mpirun with 2 ranks
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
build=${CHONDROSIM_BUILD_DIR:-$root/build}
config="$root/configs/default.ini"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then config=$1; shift; fi
# One thread per core unless the user (or Slurm) says otherwise.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-$(nproc)}}
cd "$root"
if [ -n "${MPI_RANKS:-}" ]; then
  extra=()
  [ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
  # --bind-to none: mpirun would pin each rank to one core, starving its OpenMP threads.
  exec mpirun -n "$MPI_RANKS" "${extra[@]}" --oversubscribe --bind-to none "$build/chondrosim" run "$config" "$@"
fi
exec "$build/chondrosim" run "$config" "$@"
