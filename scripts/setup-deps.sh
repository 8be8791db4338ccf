#!/usr/bin/env bash
# Install the Debian 12 packages chondrosim needs. Idempotent: installs only what is missing.
#   scripts/setup-deps.sh            build + run dependencies
#   scripts/setup-deps.sh --test     also what the test suite needs (ParaView, Xvfb to render)
#   scripts/setup-deps.sh --slurm    also a single-node Slurm for the batch tests
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libsundials-dev libhypre-dev libinih-dev libcriterion-dev libnifti2-dev
  python3-numpy python3-h5py python3-matplotlib python3-pandas python3-xarray
  python3-scipy)   # scripts/calibrate.py, scripts/uq.py
test_pkgs=(paraview python3-paraview xvfb xauth clang)   # clang: libFuzzer (scripts/fuzz.sh)
slurm_pkgs=(slurmctld slurmd slurm-client)

want=("${build_pkgs[@]}")
for arg in "$@"; do
  case "$arg" in
    --test)  want+=("${test_pkgs[@]}") ;;
    --slurm) want+=("${slurm_pkgs[@]}") ;;
    *) echo "setup-deps.sh: unknown option '$arg' (allowed: --test, --slurm)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
