#!/usr/bin/env bash
# Lesion masks from NIfTI-1 label volumes: a 40 x 1 x 12 volume of 0.25 x 1 x 0.2 mm voxels
# (labels 0, 1, 7) on a 20 x 8 axisymmetric grid of 0.5 x 0.3 mm cells; the run's lesion
# mask must equal nearest-voxel resampling by physical position (nifti_case.py), the same
# with voxel sizes given in micrometres, and a volume without labels is refused.
#
# usage: bash test_nifti.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models} OMP_NUM_THREADS=1
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
PY=/usr/bin/python3
GRID=(--set grid.nx=20 --set grid.nz=8 --set grid.width=10 --set lesion.shape=mask
      --set run.end_time=1 --quiet --out "$WORK")

for units in mm um; do
  "$PY" "$HERE/nifti_case.py" write "lab_$units.nii" $units
  "$BIN" run "$SRC/configs/default.ini" "${GRID[@]}" --set lesion.mask_file="$WORK/lab_$units.nii" \
    --set run.name=n_$units >n_$units.out 2>&1
  rc=$?
  expect '[ $rc -eq 0 ]' "a run with the NIfTI mask (voxel sizes in $units) succeeds (exit $rc)"
  [ $rc -ne 0 ] && tail -3 n_$units.out
  "$PY" "$HERE/nifti_case.py" check "lab_$units.nii" "$WORK/n_$units/n_$units.h5"
  expect '[ $? -eq 0 ]' "its lesion mask is the volume resampled by physical position ($units)"
done
gzip -k lab_mm.nii
"$BIN" run "$SRC/configs/default.ini" "${GRID[@]}" --set lesion.mask_file="$WORK/lab_mm.nii.gz" \
  --set run.name=n_gz >n_gz.out 2>&1
expect '[ $? -eq 0 ] && cmp -s <(h5dump -d /grid/lesion_mask n_gz/n_gz.h5 | tail -n +3) <(h5dump -d /grid/lesion_mask n_mm/n_mm.h5 | tail -n +3)' \
  ".nii.gz gives the same mask"
"$PY" "$HERE/nifti_case.py" empty empty.nii
"$BIN" run "$SRC/configs/default.ini" "${GRID[@]}" --set lesion.mask_file="$WORK/empty.nii" \
  --set run.name=n_empty >n_empty.out 2>&1
rc=$?
expect '[ $rc -eq 3 ] && grep -q "empty.nii: no voxel has a label > 0" n_empty.out' \
  "a volume without labels: exit 3 naming the file ($rc)"

echo
if [ $nfail -ne 0 ]; then echo "test_nifti: $nfail check(s) FAILED"; exit 1; fi
echo "test_nifti: all checks passed"
