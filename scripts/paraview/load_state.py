#!/usr/bin/pvbatch
"""Loads a shipped ParaView state file for another run and saves the picture.

usage: pvbatch scripts/paraview/load_state.py STATE.pvsm RUN_DIR OUT.png
       (no display: xvfb-run -a pvbatch ...)

The shipped states (cross_section.pvsm: a 2D or axisymmetric run's cut, surface on top,
lesion outline, colour legend with units) name results/default/default.xdmf. In the
ParaView GUI: File > Load State, "Load State Data File Options" = "Choose File Names",
and pick your run's .xdmf (reader: Xdmf3 Reader (S)). This script does the same.
"""
import glob
import os
import sys
import tempfile

from paraview import simple as pv

PLACEHOLDER = "results/default/default.xdmf"


def main(state, run_dir, out):
    xdmfs = sorted(glob.glob(os.path.join(run_dir, "*.xdmf")))
    if not xdmfs:
        raise SystemExit("%s: no .xdmf sidecar" % run_dir)
    with open(state) as fh:
        text = fh.read()
    if PLACEHOLDER not in text:
        raise SystemExit("%s does not name %s" % (state, PLACEHOLDER))
    with tempfile.NamedTemporaryFile("w", suffix=".pvsm", delete=False) as tmp:
        tmp.write(text.replace(PLACEHOLDER, os.path.abspath(xdmfs[0])))
    try:
        pv.LoadState(tmp.name)
    finally:
        os.unlink(tmp.name)
    view = pv.GetActiveViewOrCreate("RenderView")
    pv.SaveScreenshot(out, view, ImageResolution=list(view.ViewSize), TransparentBackground=0)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])  # no sys.exit(0): see chondrosim_pictures.py (pvbatch teardown)
