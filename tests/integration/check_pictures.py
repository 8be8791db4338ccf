"""Renders the standard pictures of a run with scripts/paraview/chondrosim_pictures.py (under
pvbatch and Xvfb) and checks the images themselves against the data read with h5py:

  - at the pixel of each sampled cell centre (projected by ParaView's own camera), the colour
    equals matplotlib's viridis of that cell's value on the picture's range (the shipped
    colour map is ParaView's "Viridis (matplotlib)");
  - the articular surface is at the top: the surface cells project above the deepest cells,
    and the first non-background row of the slab is the projected depth 0;
  - axisymmetric runs: the same colour check on the cut face of the revolved body.

usage: xvfb-run -a pvbatch check_pictures.py SCRIPTS_PARAVIEW_DIR RUN_DIR FIELD [FIELD...]
Exits 1 if any check failed.
"""
import os
import sys

import numpy as np
from matplotlib import cm
from matplotlib import image as mpimg

sys.path.insert(0, sys.argv[1])
import chondrosim_pictures as cp  # noqa: E402

TOL = 6  # 8-bit colour units per channel: colour-map sampling and PNG rounding

failures = []
stats = {"checked": 0, "worst": 0}


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    sys.stdout.flush()
    if not ok:
        failures.append(what)
    return ok


def pixel_of(view, world):
    """(row, col) in the saved PNG of a world point, from the view's camera."""
    ren = view.GetRenderer()
    ren.SetWorldPoint(world[0], world[1], world[2], 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    h = view.ViewSize[1]
    return int(round(h - 1 - y)), int(round(x))


def expected_rgb(v, rng):
    t = (v - rng[0]) / (rng[1] - rng[0]) if rng[1] > rng[0] else 0.0
    return np.array(cm.viridis(float(np.clip(t, 0, 1)))[:3]) * 255.0


def interior(mask, k, j, i):
    """Away from the lesion outline (drawn over the cells there) and from the edges."""
    if mask is None:
        return True
    nz, ny, nx = mask.shape
    for dk in (-1, 0, 1):
        for di in (-1, 0, 1):
            kk, ii = k + dk, i + di
            if 0 <= kk < nz and 0 <= ii < nx and mask[kk, j, ii] != mask[k, j, i]:
                return False
    return True


def compare(label, img, view, run, data, rng, cells, world_of):
    worst, n = 0.0, 0
    bad = []
    for (k, j, i) in cells:
        r, c = pixel_of(view, world_of(k, j, i))
        if not (0 <= r < img.shape[0] and 0 <= c < img.shape[1]):
            bad.append("cell (%d,%d,%d) projects outside the image" % (i, j, k))
            continue
        got = img[r, c, :3]
        want = expected_rgb(data[k, j, i], rng)
        err = float(np.max(np.abs(got - want)))
        worst = max(worst, err)
        n += 1
        if err > TOL:
            bad.append("cell (i=%d,k=%d) value %.4g at px (%d,%d): rgb %s, expected %s"
                       % (i, k, data[k, j, i], r, c, got.astype(int).tolist(),
                          want.round().astype(int).tolist()))
    stats["checked"] += n
    stats["worst"] = max(stats["worst"], worst)
    check(not bad and n > 0, "%s: %d cell colours match viridis(value) within %d/255 "
          "(worst %.1f)%s" % (label, n, TOL, worst, "; " + "; ".join(bad[:4]) if bad else ""))


def load_png(path):
    img = mpimg.imread(path)
    return (img * 255.0) if img.dtype != np.uint8 else img.astype(float)


def sample_cells(run, j):
    nx, nz = run.dims[0], run.dims[2]
    cols = sorted(set(int(round(f * (nx - 1))) for f in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95)))
    rows = sorted(set(int(round(f * (nz - 1))) for f in (0.0, 0.25, 0.5, 0.75, 1.0)))
    return [(k, j, i) for k in rows for i in cols if interior(run.mask, k, j, i)]


def cross_section_checks(run, field, out):
    view, step, rng = cp.cross_section(run, field, size=(1200, 900))
    path = cp.save(view, os.path.join(out, "cross_section_%s.png" % field))
    img = load_png(path)
    data = run.field(field, step)
    dx, dz = run.spacing[0], run.spacing[2]
    j = 0 if run.planar else run.row_of(run.lesion_centre()[1])
    yc = 0.0 if run.planar else run.origin[1] + (j + 0.5) * run.spacing[1]

    def world(k, jj, i):
        x, d = run.origin[0] + (i + 0.5) * dx, run.origin[2] + (k + 0.5) * dz
        return (x, -d, 0.0) if run.planar else (x, yc, -d)

    label = "%s cross-section, %s at day %g" % (run.geometry, field, run.times[step])
    compare(label, img, view, run, data, rng, sample_cells(run, j), world)

    # The surface on top: the first cell row projects above the last, and scanning down the
    # middle column from the top, the first slab pixel is at the projected depth 0.
    nz, nx = run.dims[2], run.dims[0]
    # a column away from the lesion wall (its white outline) and the edges
    mid = next(i for i in sorted(range(2, nx - 2), key=lambda i: abs(i - nx // 2))
               if all(interior(run.mask, k, j, i) for k in range(nz)))
    r_top, c_mid = pixel_of(view, world(0, j, mid))
    r_bot, _ = pixel_of(view, world(nz - 1, j, mid))
    check(r_top < r_bot, "%s: surface cells drawn above the deepest cells (rows %d < %d)"
          % (label, r_top, r_bot))
    surf_world = list(world(0, j, mid))
    if run.planar:
        surf_world[1] = 0.0
    else:
        surf_world[2] = 0.0
    r_surf, _ = pixel_of(view, surf_world)
    col = img[:, c_mid, :3]
    slab = np.nonzero(np.max(np.abs(col - 255.0), axis=1) > 30)[0]
    slab = slab[slab > 40]  # below the day label
    first = int(slab[0]) if slab.size else -1
    check(slab.size > 0 and abs(first - r_surf) <= 2,
          "%s: first slab row from the top %d = projected depth 0 row %d (+-2 px)"
          % (label, first, r_surf))
    return step


def revolved_checks(run, field, out):
    view, step, rng = cp.revolved(run, field, size=(1200, 900), flat=True)
    path = cp.save(view, os.path.join(out, "revolved_%s.png" % field))
    img = load_png(path)
    data = run.field(field, step)
    dx, dz = run.spacing[0], run.spacing[2]

    # The first cut face is the original half-plane: r along +x, y = 0, z = -depth.
    def world(k, j, i):
        return (run.origin[0] + (i + 0.5) * dx, 0.0, -(run.origin[2] + (k + 0.5) * dz))

    cells = [c for c in sample_cells(run, 0) if c[2] > 0]  # the axis cell's face is edge-on
    compare("revolved body, %s at day %g, cut face" % (field, run.times[step]), img, view, run,
            data, rng, cells, world)
    r_top, _ = pixel_of(view, world(0, 0, run.dims[0] - 1))
    r_bot, _ = pixel_of(view, world(run.dims[2] - 1, 0, run.dims[0] - 1))
    check(r_top < r_bot, "revolved body: surface above bone at the rim (rows %d < %d)"
          % (r_top, r_bot))


def main():
    run_dir, fields = sys.argv[2], sys.argv[3:]
    run = cp.Run(run_dir)
    out = os.path.join(run_dir, "pictures_check")
    os.makedirs(out, exist_ok=True)
    print("run %s (%s, cells %s)" % (run_dir, run.geometry, run.dims))
    for f in fields:
        cross_section_checks(run, f, out)
        if run.geometry == "axisymmetric":
            revolved_checks(run, f, out)
    print("check_pictures: %d cell colours compared, worst channel error %.1f/255"
          % (stats["checked"], stats["worst"]))
    if failures:
        print("check_pictures: %d check(s) FAILED" % len(failures))
        sys.stdout.flush()
        os._exit(1)
    print("check_pictures: all checks passed")


if __name__ == "__main__":
    main()  # no sys.exit(0): see chondrosim_pictures.py (pvbatch teardown under Xvfb)
