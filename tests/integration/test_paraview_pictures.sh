#!/usr/bin/env bash
# The standard ParaView pictures (scripts/paraview/chondrosim_pictures.py) of a coarse
# axisymmetric run and a coarse 3D run, rendered by Debian's ParaView 5.11 under Xvfb, and
# the images checked pixel by pixel against the data (check_pictures.py): colours at the
# cell centres, the articular surface at the top, the revolved body's cut face. Also the
# command-line script (all pictures + a state file) and the shipped state file.
#
# usage: bash test_paraview_pictures.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$1 SRC=$2 WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PVDIR=$SRC/scripts/paraview
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"

for tool in pvbatch xvfb-run; do
  command -v $tool >/dev/null || { echo "$tool not found (scripts/setup-deps.sh --test)"; exit 1; }
done
# xvfb-run -a starts at display 99 and races with other xvfb-runs started at the same
# moment ("bad X server connection"); start the search at a random number instead. On a
# busy machine that failure (the X server or its xauth cookie, not ParaView) still happens
# now and then: try up to 4 times, the X server's own messages in LOG.xvfb.
# pv LOG ARGS...: output to LOG.
pv() {
  local log=$1 rc; shift
  for attempt in 1 2 3 4; do
    timeout 600 xvfb-run -a -n $((200 + RANDOM % 700)) -e "$log.xvfb" -s "-screen 0 1600x1200x24" \
      pvbatch "$@" >"$log" 2>&1
    rc=$?
    grep -q "bad X server connection" "$log" || break
    echo "        (X server not reachable, attempt $attempt of 4)"
    sleep $((2 * attempt))
  done
  return $rc
}

echo "== runs"
"$BIN" run "$SRC/configs/default.ini" --quiet --out "$WORK" --set run.name=ax \
  --set grid.nx=40 --set grid.nz=12 --set run.end_time=90 --set "output.times=0 14 42 90" \
  >ax.out 2>&1
expect '[ $? -eq 0 ]' "axisymmetric run (40 x 12 cells, 90 days)"
"$BIN" run "$SRC/configs/default.ini" --quiet --out "$WORK" --set run.name=c3 \
  --set grid.geometry=cartesian3d --set grid.nx=20 --set grid.ny=20 --set grid.nz=8 \
  --set run.end_time=42 --set "output.times=0 14 42" >c3.out 2>&1
expect '[ $? -eq 0 ]' "3D run (20 x 20 x 8 cells, 42 days)"

echo "== image checks (check_pictures.py)"
for run in ax c3; do
  pv "check_$run.log" "$HERE/check_pictures.py" "$PVDIR" "$WORK/$run" oxygen collagen2
  rc=$?
  grep -E '^  (ok|FAIL)|^check_pictures' "check_$run.log"
  expect '[ $rc -eq 0 ]' "check_pictures.py on $run (exit $rc)"
  [ $rc -ne 0 ] && tail -20 "check_$run.log"
done

echo "== the script as a user runs it"
pv pics_ax.log "$PVDIR/chondrosim_pictures.py" "$WORK/ax" --state "$WORK/ax.pvsm"
expect '[ $? -eq 0 ]' "chondrosim_pictures.py ax --state exits 0"
for f in cross_section revolved; do
  expect "[ -s '$WORK/ax/pictures/$f.png' ]" "ax/pictures/$f.png written"
done
expect "[ -s '$WORK/ax.pvsm' ]" "state file written"
pv pics_c3.log "$PVDIR/chondrosim_pictures.py" "$WORK/c3" --field msc --day 14
expect '[ $? -eq 0 ]' "chondrosim_pictures.py c3 --field msc --day 14 exits 0"
for f in cross_section slice_contour; do
  expect "[ -s '$WORK/c3/pictures/$f.png' ]" "c3/pictures/$f.png written"
done
/usr/bin/python3 - "$WORK/c3/pictures/slice_contour.png" <<'EOF'
import sys
import numpy as np
from matplotlib import image
img = image.imread(sys.argv[1])[..., :3]
coloured = np.mean(np.max(np.abs(img - 1.0), axis=2) > 0.1)
print("        slice_contour.png: %.1f %% of the pixels not background" % (100 * coloured))
sys.exit(0 if coloured > 0.05 else 1)
EOF
expect '[ $? -eq 0 ]' "3D slice + contour picture is not empty (> 5 % of pixels drawn)"

echo "== the shipped state file, pointed at this run"
pv state.log "$PVDIR/load_state.py" "$PVDIR/cross_section.pvsm" "$WORK/ax" "$WORK/state.png"
expect '[ $? -eq 0 ] && [ -s "$WORK/state.png" ]' "cross_section.pvsm loads with this run's data and renders"
[ -s "$WORK/state.png" ] || tail -20 state.log

echo
if [ $nfail -ne 0 ]; then
  echo "test_paraview_pictures: $nfail check(s) FAILED"
  exit 1
fi
echo "test_paraview_pictures: all checks passed"
