#!/usr/bin/pvbatch
"""The standard ParaView pictures of a chondrosim run, rendered with pvbatch (ParaView 5.11).

usage:
  pvbatch scripts/paraview/chondrosim_pictures.py RUN_DIR [--field NAME] [--day T]
          [--out DIR] [--size WxH] [--state FILE.pvsm]
  (no display: xvfb-run -a pvbatch scripts/paraview/chondrosim_pictures.py ...)

Writes into DIR (default RUN_DIR/pictures):
  cross_section.png  the cartilage cut through the lesion centre, articular surface on top,
                     coloured by the field, lesion outline in white (every geometry)
  revolved.png       axisymmetric runs: the cross-section revolved into the 3D body, a
                     quarter cut away so the inside shows
  slice_contour.png  3D runs: a vertical slice through the lesion centre plus the
                     collagen2 = 0.5 iso-surface inside the box outline
Every picture carries the field's units on the colour legend and the time in days.
--state also saves the cross-section as a ParaView state file.

How a run looks in ParaView (what the sidecar <run>.xdmf says): lengths in mm, time in
days, depth drawn downwards (ParaView y = -depth in 2D/axisymmetric runs, z = -depth in 3D),
so the articular surface is at the top. Open the .xdmf with "Xdmf3 Reader (S)": the legacy
"XDMF Reader" drops cell data on the flat 2D mesh.

The module is also imported by tests (tests/integration/check_pictures.py): the functions
return the view, so the test can project world points to pixels.
"""
import argparse
import glob
import os
import sys

import h5py
import numpy as np
from paraview import simple as pv

COLORMAP = "Viridis (matplotlib)"
BACKGROUND = [1.0, 1.0, 1.0]


# ------------------------------------------------------------------ the run's metadata


class Run:
    """What a picture needs from <run>.h5, read with h5py (no ParaView involved)."""

    def __init__(self, run_dir):
        xdmfs = sorted(glob.glob(os.path.join(run_dir, "*.xdmf")))
        if not xdmfs:
            raise SystemExit("%s: no .xdmf sidecar (is this a run directory?)" % run_dir)
        self.xdmf = os.path.abspath(xdmfs[0])
        base = self.xdmf[: -len(".xdmf")]
        self.h5 = base + ".h5" if os.path.exists(base + ".h5") else base + ".partial.h5"
        with h5py.File(self.h5, "r") as f:
            g = f["grid"]
            self.geometry = g.attrs["geometry"].decode() if isinstance(
                g.attrs["geometry"], bytes) else str(g.attrs["geometry"])
            self.dims = [int(v) for v in g["dims"][()]]        # cells x y z
            self.spacing = [float(v) for v in g["spacing"][()]]
            self.origin = [float(v) for v in g["origin"][()]]
            self.mask = g["lesion_mask"][()] if "lesion_mask" in g else None
            self.times = [float(t) for t in f["time"][()]]
            first = f["step_00000"]
            self.fields = list(first.keys())
            self.units = {k: _text(first[k].attrs.get("units", b"")) for k in self.fields}
        self.planar = self.geometry != "cartesian3d"
        self.extent = [self.origin[a] + self.dims[a] * self.spacing[a] for a in range(3)]

    def step_of(self, day):
        """Index of the output step nearest to day (None = last)."""
        if day is None:
            return len(self.times) - 1
        return int(np.argmin([abs(t - day) for t in self.times]))

    def field(self, name, step):
        with h5py.File(self.h5, "r") as f:
            return f["step_%05d/%s" % (step, name)][()]  # (nz, ny, nx)

    def lesion_centre(self):
        """(x, y) of the lesion's centre (axis for axisymmetric runs, mask centroid else),
        moved to the nearest cell centre so a slice there cuts one row of cells, not a face."""
        if self.geometry == "axisymmetric" or self.mask is None or not self.mask.any():
            c = [self.origin[0], 0.5 * (self.origin[1] + self.extent[1])]
        else:
            k, j, i = np.nonzero(self.mask)
            c = [self.origin[0] + (i.mean() + 0.5) * self.spacing[0],
                 self.origin[1] + (j.mean() + 0.5) * self.spacing[1]]
        return [c[0]] + [self.origin[1] + (self.row_of(c[1]) + 0.5) * self.spacing[1]]

    def row_of(self, y):
        """Index of the cell row (along y) that contains y."""
        j = int(np.floor((y - self.origin[1]) / self.spacing[1]))
        return min(max(j, 0), self.dims[1] - 1)


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


# ------------------------------------------------------------------ ParaView pieces


def open_reader(run):
    # Xdmf3ReaderS needs a path with a directory part; Run keeps it absolute.
    r = pv.Xdmf3ReaderS(FileName=[run.xdmf])
    r.UpdatePipelineInformation()
    return r


_VIEW = []


def new_view(size):
    """One render view for all pictures, emptied each time: pvbatch under Xvfb fails at exit
    (GLXBadContext, exit 1) when a script leaves several render views behind."""
    if _VIEW:
        v = _VIEW[0]
        # Consumers first (proxy ids grow with creation): a filter with consumers survives
        # Delete and would stay in the picture.
        for key in sorted(pv.GetSources(), key=lambda k: -int(k[1])):
            pv.Delete(pv.GetSources()[key])
        for rep in v.Representations:  # whatever survived: legends, an unregistered reader
            rep.Visibility = 0
        v.ViewSize = list(size)
        pv.SetActiveView(v)
        return v
    v = pv.CreateRenderView()
    _VIEW.append(v)
    v.ViewSize = list(size)
    v.OrientationAxesVisibility = 0
    try:
        v.UseColorPaletteForBackground = 0
    except AttributeError:
        pass
    v.Background = BACKGROUND
    pv.SetActiveView(v)
    return v


_RANGES = {}


def field_lut(run, name, rng):
    lut = pv.GetColorTransferFunction(name)
    lut.ApplyPreset(COLORMAP, True)
    lo, hi = float(rng[0]), float(rng[1])
    if not hi > lo:
        hi = lo + (abs(lo) * 1e-6 or 1e-12)
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(lo, hi)
    _RANGES[name] = (lo, hi)  # colour_by restores it: ColorBy rescales to the shown data
    return lut


def legend(view, lut, run, name):
    bar = pv.GetScalarBar(lut, view)
    bar.Title = name
    bar.ComponentTitle = "(%s)" % run.units.get(name, "") if run.units.get(name) else ""
    bar.TitleColor = [0, 0, 0]
    bar.LabelColor = [0, 0, 0]
    bar.RangeLabelFormat = "%-#.3g"
    bar.WindowLocation = "Any Location"
    bar.Orientation = "Vertical"
    bar.Position = [0.88, 0.12]
    bar.ScalarBarLength = 0.7
    bar.Visibility = 1
    return bar


def day_label(view, run, step, extra=""):
    t = pv.Text(Text="day %g%s" % (run.times[step], extra))
    rep = pv.Show(t, view)
    rep.Color = [0, 0, 0]
    rep.FontSize = 14
    rep.WindowLocation = "Upper Left Corner"
    return t


def colour_by(rep, lut, name):
    """Colours rep by the cell field name on the whole field's range (a slice shows part of
    the field; its colours keep the meaning they have in every other picture of the run)."""
    pv.ColorBy(rep, ("CELLS", name))
    rep.LookupTable = lut
    rep.MapScalars = 1
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(*_RANGES[name])


def flat_lighting(rep):
    # Colours exactly as the colour map says (no shading): a cut face is a chart, not a body.
    rep.Ambient = 1.0
    rep.Diffuse = 0.0
    rep.Specular = 0.0


def lesion_outline(source, view, plane=None):
    """The lesion boundary: the 0.5 contour of the (cell) lesion mask, as a white line."""
    pts = pv.CellDatatoPointData(Input=source)
    pts.CellDataArraytoprocess = ["lesion_mask"]
    src = pts
    if plane is not None:
        src = pv.Slice(Input=pts)
        src.SliceType = "Plane"
        src.SliceType.Origin = plane[0]
        src.SliceType.Normal = plane[1]
    c = pv.Contour(Input=src)
    c.ContourBy = ["POINTS", "lesion_mask"]
    c.Isosurfaces = [0.5]
    rep = pv.Show(c, view)
    rep.ColorArrayName = ["POINTS", ""]
    rep.AmbientColor = rep.DiffuseColor = [1.0, 1.0, 1.0]
    rep.LineWidth = 3.0
    flat_lighting(rep)
    return c


# ------------------------------------------------------------------ the pictures


def scene(run, field, day, size, rng):
    """What every picture starts from: the output step nearest `day`, the colour range (the
    field's own at that step unless given), the reader, a view at that time and the
    colour table. Returns (step, rng, reader, view, lut)."""
    step = run.step_of(day)
    if rng is None:
        data = run.field(field, step)
        rng = (float(data.min()), float(data.max()))
    reader = open_reader(run)
    view = new_view(size)
    view.ViewTime = run.times[step]
    return step, rng, reader, view, field_lut(run, field, rng)


def cross_section(run, field, day=None, size=(900, 500), rng=None):
    """The cut through the lesion centre, surface on top. Returns (view, step, range)."""
    step, rng, reader, view, lut = scene(run, field, day, size, rng)
    depth = run.extent[2]
    if run.planar:  # the flat mesh itself, in the x-y plane
        src = reader
        centre = [0.5 * (run.origin[0] + run.extent[0]), -0.5 * depth, 0.0]
        cam_pos = [centre[0], centre[1], 10 * max(run.extent[0], depth)]
        up = [0, 1, 0]
        half_w = 0.5 * (run.extent[0] - run.origin[0])
        plane = None
    else:  # a vertical x-z cut at the lesion's y, seen from -y (x to the right, z up)
        yc = run.lesion_centre()[1]
        src = pv.Slice(Input=reader)
        src.SliceType = "Plane"
        src.SliceType.Origin = [0, yc, 0]
        src.SliceType.Normal = [0, 1, 0]
        centre = [0.5 * (run.origin[0] + run.extent[0]), yc, -0.5 * depth]
        cam_pos = [centre[0], yc - 10 * max(run.extent[0], depth), centre[2]]
        up = [0, 0, 1]
        half_w = 0.5 * (run.extent[0] - run.origin[0])
        plane = ([0, yc, 0], [0, 1, 0])
    rep = pv.Show(src, view)
    rep.Representation = "Surface"
    colour_by(rep, lut, field)
    flat_lighting(rep)
    if run.mask is not None:
        lesion_outline(reader, view, plane)
    legend(view, lut, run, field)
    day_label(view, run, step, "   (articular surface on top; mm)")
    view.CameraParallelProjection = 1
    view.CameraFocalPoint = centre
    view.CameraPosition = cam_pos
    view.CameraViewUp = up
    # Fit the width (the picture is wider than the slab is deep), leave room for the legend.
    aspect = size[0] / float(size[1])
    view.CameraParallelScale = 1.12 * max(0.5 * depth, half_w / (0.8 * aspect))
    pv.Render(view)
    return view, step, rng


def revolved(run, field, day=None, size=(900, 600), rng=None, flat=False):
    """Axisymmetric runs: the cross-section revolved about the axis, a quarter cut away."""
    if run.geometry != "axisymmetric":
        raise ValueError("revolved(): %s is not axisymmetric" % run.geometry)
    step, rng, reader, view, lut = scene(run, field, day, size, rng)
    surf = pv.ExtractSurface(Input=reader)
    # The flat mesh is x = r, y = -depth; RotationalExtrusion turns about z, so y -> z first.
    turn = pv.Transform(Input=surf)
    turn.Transform = "Transform"
    turn.Transform.Rotate = [90.0, 0.0, 0.0]
    body = pv.RotationalExtrusion(Input=turn)  # caps = the mesh at 0 and 270 degrees
    body.Resolution = 96
    body.Angle = 270.0
    body.Capping = 1
    rep = pv.Show(body, view)
    rep.Representation = "Surface"
    colour_by(rep, lut, field)
    if flat:  # tests compare colours on the cut faces
        flat_lighting(rep)
    else:
        rep.Ambient = 0.35
        rep.Diffuse = 0.65
    legend(view, lut, run, field)
    day_label(view, run, step, "   (revolved about the lesion axis; a quarter cut away)")
    r, depth = run.extent[0], run.extent[2]
    view.CameraFocalPoint = [0, 0, -0.5 * depth]
    view.CameraPosition = [1.6 * r, -2.6 * r, 1.5 * r]
    view.CameraViewUp = [0, 0, 1]
    view.CameraParallelProjection = 0
    pv.ResetCamera(view)
    pv.Render(view)
    return view, step, rng


def slice_contour(run, field, day=None, size=(900, 600), rng=None, level=0.5):
    """3D runs: the vertical slice through the lesion centre and the collagen2 iso-surface."""
    if run.planar:
        raise ValueError("slice_contour(): needs a cartesian3d run")
    step, rng, reader, view, lut = scene(run, field, day, size, rng)
    yc = run.lesion_centre()[1]
    sl = pv.Slice(Input=reader)
    sl.SliceType = "Plane"
    sl.SliceType.Origin = [0, yc, 0]
    sl.SliceType.Normal = [0, 1, 0]
    srep = pv.Show(sl, view)
    colour_by(srep, lut, field)
    flat_lighting(srep)
    outline = pv.Show(reader, view)
    outline.Representation = "Outline"
    outline.ColorArrayName = ["POINTS", ""]
    outline.AmbientColor = outline.DiffuseColor = [0.2, 0.2, 0.2]
    if "collagen2" in run.fields:
        pts = pv.CellDatatoPointData(Input=reader)
        pts.CellDataArraytoprocess = ["collagen2"]
        iso = pv.Contour(Input=pts)
        iso.ContourBy = ["POINTS", "collagen2"]
        iso.Isosurfaces = [level]
        irep = pv.Show(iso, view)
        irep.ColorArrayName = ["POINTS", ""]
        irep.AmbientColor = irep.DiffuseColor = [0.85, 0.45, 0.3]
        irep.Opacity = 0.6
    legend(view, lut, run, field)
    day_label(view, run, step, "   (slice through the lesion; collagen2 = %g surface)" % level)
    w, d = run.extent[0], run.extent[2]
    view.CameraFocalPoint = [0.5 * w, yc, -0.5 * d]
    view.CameraPosition = [0.5 * w + 0.9 * w, yc - 2.2 * w, 1.2 * w]
    view.CameraViewUp = [0, 0, 1]
    pv.ResetCamera(view)
    pv.Render(view)
    return view, step, rng


def save(view, path):
    pv.SaveScreenshot(path, view, ImageResolution=list(view.ViewSize), TransparentBackground=0)
    return path


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--field", default=None, help="field to colour by (default collagen2)")
    ap.add_argument("--day", type=float, default=None, help="output time (default: the last)")
    ap.add_argument("--out", default=None, help="directory for the PNGs (default RUN_DIR/pictures)")
    ap.add_argument("--size", default="900x500", help="picture size WxH in pixels")
    ap.add_argument("--state", default=None, help="also save the cross-section as this .pvsm")
    a = ap.parse_args(argv)
    run = Run(a.run_dir)
    field = a.field or ("collagen2" if "collagen2" in run.fields else run.fields[0])
    if field not in run.fields:
        raise SystemExit("--field %s: not in this run (fields: %s)" % (field, " ".join(run.fields)))
    size = [int(v) for v in a.size.lower().split("x")]
    out = a.out or os.path.join(a.run_dir, "pictures")
    os.makedirs(out, exist_ok=True)
    view, step, _ = cross_section(run, field, a.day, size)
    print(save(view, os.path.join(out, "cross_section.png")))
    if a.state:
        pv.SaveState(a.state)
        print(a.state)
    if run.geometry == "axisymmetric":
        view, _, _ = revolved(run, field, a.day, (size[0], int(size[0] * 2 / 3)))
        print(save(view, os.path.join(out, "revolved.png")))
    if not run.planar:
        view, _, _ = slice_contour(run, field, a.day, (size[0], int(size[0] * 2 / 3)))
        print(save(view, os.path.join(out, "slice_contour.png")))
    return 0


if __name__ == "__main__":
    # No sys.exit(0): raising SystemExit with a live render view makes pvbatch under Xvfb
    # die in its teardown (GLXBadContext, exit 1). Errors still exit non-zero.
    main(sys.argv[1:])
