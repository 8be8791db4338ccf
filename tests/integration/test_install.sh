#!/usr/bin/env bash
# `cmake --install` into a prefix, then the prefix moved elsewhere: the installed binary
# finds its models and scripts next to itself (no source path compiled in), runs a short
# scenario from any directory, and the shipped run.sbatch calls the prefix's binary.
#
# usage: bash test_install.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
BUILD=$(cd "$(dirname "$BIN")" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
unset CHONDROSIM_MODELS CHONDROSIM_SCRIPTS
export OMP_NUM_THREADS=1

echo "== cmake --install $BUILD --prefix $WORK/prefix"
cmake --install "$BUILD" --prefix "$WORK/prefix" >install.log 2>&1
expect '[ $? -eq 0 ]' "cmake --install exits 0"
mv "$WORK/prefix" "$WORK/moved"   # relocatable: nothing may point into the old prefix
P=$WORK/moved
for f in bin/chondrosim share/chondrosim/models/base.ini share/chondrosim/configs/default.ini \
         share/chondrosim/scripts/plot_run.py share/chondrosim/scripts/aggregate.py \
         share/chondrosim/scripts/paraview/chondrosim_pictures.py \
         share/chondrosim/scripts/paraview/cross_section.pvsm \
         share/chondrosim/scripts/slurm/run.sbatch share/chondrosim/scripts/slurm/sweep.sbatch \
         share/chondrosim/python/chondrosim/__init__.py share/doc/chondrosim/README.md; do
  expect "[ -e '$P/$f' ]" "installed $f"
done
expect '! strings "$P/bin/chondrosim" | grep -q -- "$SRC/models"' \
  "the binary holds no source models path ($SRC/models)"

echo "== the installed binary, from an unrelated directory"
mkdir -p "$WORK/elsewhere" && cd "$WORK/elsewhere" || exit 2
"$P/bin/chondrosim" info >info.out 2>&1
expect "grep -q 'models directory: $P/share/chondrosim/models' info.out" \
  "info: models directory = the moved prefix's share/chondrosim/models"
grep 'models directory' info.out | sed 's/^/        | /'
"$P/bin/chondrosim" run "$P/share/chondrosim/configs/default.ini" --set grid.nx=8 --set grid.nz=4 \
  --set run.end_time=5 --set run.name=inst --out "$WORK/elsewhere" --quiet >run.out 2>&1
expect '[ $? -eq 0 ] && [ -f "$WORK/elsewhere/inst/inst.h5" ]' "a 5-day run from the installed configs and models"
"$P/bin/chondrosim" run "$P/share/chondrosim/configs/default.ini" --set therapy.source=placenta \
  --set run.end_time=5 --quiet --out "$WORK/elsewhere" >bad.out 2>&1
expect "grep -q '$P/share/chondrosim/models/sources' bad.out" \
  "an unknown source names the installed models/sources directory"
CHONDROSIM_MODELS=$SRC/models "$P/bin/chondrosim" info >env.out 2>&1
expect "grep -q 'models directory: $SRC/models' env.out" "\$CHONDROSIM_MODELS still wins"

echo "== the installed Python package"
got=$(env -u CHONDROSIM PATH=/usr/bin:/bin PYTHONPATH=$P/share/chondrosim/python /usr/bin/python3 -c \
  'import chondrosim; print(chondrosim.binary())' 2>&1)
expect '[ "$got" = "$P/bin/chondrosim" ]' "import chondrosim from the prefix finds the prefix's binary ($got)"

echo "== the shipped run.sbatch (outside Slurm: srun replaced by a shim that runs the command)"
expect "grep -q 'CHONDROSIM:-$WORK/prefix/bin/chondrosim' '$P/share/chondrosim/scripts/slurm/run.sbatch'" \
  "run.sbatch defaults to the install prefix's binary"
mkdir -p "$WORK/shim"
cat >"$WORK/shim/srun" <<'SH'
#!/bin/bash
while [[ $# -gt 0 && $1 == --* ]]; do shift; done
exec "$@"
SH
chmod +x "$WORK/shim/srun"
# The prefix was moved, so point CHONDROSIM at the moved binary as a user of a moved tree would.
PATH=$WORK/shim:/usr/bin:/bin CHONDROSIM=$P/bin/chondrosim bash "$P/share/chondrosim/scripts/slurm/run.sbatch" \
  "$P/share/chondrosim/configs/default.ini" --set grid.nx=8 --set grid.nz=4 --set run.end_time=5 \
  --set run.name=sb --out "$WORK/elsewhere" --quiet >sbatch.out 2>&1
expect '[ $? -eq 0 ] && [ -f "$WORK/elsewhere/sb/sb.h5" ]' "run.sbatch runs the scenario (no chondrosim on PATH)"
echo 'echo "site set-up ran"; export CHS_SETUP_MARK=1' >"$WORK/setup.sh"
PATH=$WORK/shim:/usr/bin:/bin CHONDROSIM=$P/bin/chondrosim CHONDROSIM_SETUP=$WORK/setup.sh \
  bash "$P/share/chondrosim/scripts/slurm/run.sbatch" --help >setup.out 2>&1
expect 'grep -q "site set-up ran" setup.out' "CHONDROSIM_SETUP is sourced before the run (module load hook)"

echo
if [ $nfail -ne 0 ]; then echo "test_install: $nfail check(s) FAILED"; exit 1; fi
echo "test_install: all checks passed"
