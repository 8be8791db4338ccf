"""Observables: what a target compares, computed from a run's output.

A check's `observable` is a Python expression evaluated with no builtins; its names are the
target's scenario names (each bound to a Run) and the functions below. Everything reads the
run's HDF5 file (/metrics/<name> time series on every accepted step, /time and
/step_NNNNN/<field> at the output times, /grid) or its summary.csv. A metric, field or
summary column the engine does not write raises Needs, which the report shows as
"NOT RUN: needs <x>" — never a made-up value. A metric name may list alternatives,
"retained_joint|msc_retained": the first one the file has is used.
"""
import csv
import math

import h5py
import numpy as np


class Needs(Exception):
    """The observable needs something this engine's output does not have."""


class Run:
    def __init__(self, name, h5path, summary_path):
        self.name, self.h5path, self.summary_path = name, h5path, summary_path
        self._f = None
        self._summary = None

    def f(self):
        if self._f is None:
            self._f = h5py.File(self.h5path, "r")
        return self._f

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

    # -- raw access
    def series(self, metric):
        f = self.f()
        for m in metric.split("|"):
            if "metrics/" + m in f:
                return f["metrics/time"][:], f["metrics/" + m][:]
        raise Needs(f"metric {metric.split('|')[0]}")

    def times(self):
        return self.f()["time"][:]

    def step_index(self, day):
        t = self.times()
        s = int(np.argmin(np.abs(t - day)))
        if abs(t[s] - day) > 0.5:
            raise ValueError(f"run {self.name}: no field output at day {day:g} (output times {list(t)})")
        return s

    def field(self, name, day):
        f = self.f()
        s = self.step_index(day)
        key = f"step_{s:05d}/{name}"
        if key not in f:
            raise Needs(f"field {name}")
        return f[key][:]                      # (nz, ny, nx); z index 0 = articular surface

    def has_field(self, name):
        return f"step_00000/{name}" in self.f()

    def summary(self, column):
        if self._summary is None:
            with open(self.summary_path) as fh:
                self._summary = next(csv.DictReader(fh))
        if column not in self._summary:
            raise Needs(f"summary column {column}")
        v = self._summary[column]
        return float(v) if v not in ("", None) else math.nan

    def grid(self):
        f = self.f()
        g = f["grid"]
        geometry = g.attrs["geometry"]
        geometry = geometry.decode() if isinstance(geometry, bytes) else str(geometry)
        dims, dx, org = g["dims"][:], g["spacing"][:], g["origin"][:]
        mask = g["lesion_mask"][:].astype(bool)
        return geometry, dims, dx, org, mask

    def column_weights(self):
        """Surface-area weight of each (y, x) column: r dr in axisymmetric geometry."""
        geometry, dims, dx, org, _ = self.grid()
        nx, ny = int(dims[0]), int(dims[1])
        w = np.ones((ny, nx))
        if geometry == "axisymmetric":
            r = org[0] + (np.arange(nx) + 0.5) * dx[0]
            w = np.broadcast_to(r, (ny, nx)).copy()
        return w

    def lateral_distance_to_wall(self):
        """Per (y, x) column: lateral distance (mm) from the lesion wall, >0 inside the lesion,
        for columns of the surface layer that are lesion; nan outside."""
        geometry, dims, dx, org, mask = self.grid()
        nx, ny = int(dims[0]), int(dims[1])
        top = mask[0]                          # lesion columns seen from the surface
        x = org[0] + (np.arange(nx) + 0.5) * dx[0]
        y = org[1] + (np.arange(ny) + 0.5) * dx[1]
        X, Y = np.meshgrid(x, y)
        inside = np.argwhere(top)
        outside = np.argwhere(~top)
        d = np.full((ny, nx), np.nan)
        if len(inside) == 0:
            return d
        if geometry == "axisymmetric":
            redge = x[top[0]].max() + 0.5 * dx[0]
            d[0, top[0]] = redge - x[top[0]]
            return d
        if len(outside) == 0:
            return d
        ox, oy = X[~top], Y[~top]
        for j, i in inside:
            d[j, i] = np.sqrt(((ox - X[j, i]) ** 2 + (oy - Y[j, i]) ** 2).min())
        return d


def _lookup(t, v, day):
    if day < t[0] - 1e-9 or day > t[-1] + 1e-9:
        raise ValueError(f"day {day:g} is outside the run (0..{t[-1]:g})")
    return float(np.interp(day, t, v))


# ---- functions available in observable expressions

def at(run, metric, day):
    """Metric value at a day (linear between accepted steps)."""
    t, v = run.series(metric)
    return _lookup(t, v, day)


def final(run, metric):
    t, v = run.series(metric)
    return float(v[-1])


def peak(run, metric, t0=0.0, t1=math.inf):
    """Largest value of a metric within [t0, t1]."""
    t, v = run.series(metric)
    sel = (t >= t0) & (t <= t1)
    if not sel.any():
        raise ValueError(f"no step of run {run.name} in [{t0:g}, {t1:g}]")
    return float(v[sel].max())


def ratio(a, b):
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


def first_below(run, metric, level, after=0.0):
    """First day (after `after`) the metric falls below level after having been at or above
    it (interpolated; a series that starts at 0 before a dose is skipped); inf if never."""
    t, v = run.series(metric)
    sel = (t >= after) & np.isfinite(v)
    t, v = t[sel], v[sel]
    above = np.nonzero(v >= level)[0]
    if len(above) == 0:
        return float(t[0]) if len(t) else math.nan    # never at or above the level
    for i in range(above[0] + 1, len(t)):
        if v[i] < level <= v[i - 1]:
            return float(t[i - 1] + (level - v[i - 1]) / (v[i] - v[i - 1]) * (t[i] - t[i - 1]))
    return math.inf


def max_after(run, metric, after):
    t, v = run.series(metric)
    sel = t >= after
    return float(v[sel].max())


def halflife(run, metric, after=0.0):
    """Days from the value at `after` to half of it (interpolated)."""
    t, v = run.series(metric)
    v0 = _lookup(t, v, after)
    return first_below(run, metric, 0.5 * v0, after) - after


def thickness(run, day, columns="all"):
    """Thickness-equivalent (mm): area-weighted mean over columns of the integral of collagen2
    dz, from the fields; columns = all | lesion | healthy."""
    k = run.field("collagen2", day)
    _, _, dx, _, mask = run.grid()
    col = k.sum(axis=0) * dx[2]               # (ny, nx)
    w = run.column_weights()
    lesion_cols = mask.any(axis=0)
    sel = {"all": np.ones_like(lesion_cols), "lesion": lesion_cols, "healthy": ~lesion_cols}[columns]
    if not sel.any():
        raise ValueError(f"run {run.name}: no {columns} columns")
    return float((col * w)[sel].sum() / w[sel].sum())


def loss_pct_per_year(run, t0, t1, columns="all"):
    """Mean rate of thickness-equivalent loss over [t0, t1], % of the value at t0 per year."""
    a, b = thickness(run, t0, columns), thickness(run, t1, columns)
    return 100.0 * (a - b) / a / ((t1 - t0) / 365.0)


def change_pct(run, t0, t1, columns="all"):
    a, b = thickness(run, t0, columns), thickness(run, t1, columns)
    return 100.0 * (b - a) / a


def max_yearly_gain_pct(run, t_end, columns="all"):
    """Largest yearly gain of thickness-equivalent, % (negative: every year lost)."""
    days = np.arange(0.0, t_end + 1e-9, 365.0)
    th = [thickness(run, d, columns) for d in days]
    return float(max(100.0 * (th[i + 1] - th[i]) / th[i] for i in range(len(th) - 1)))


def field_change_max(run, t0, t1, fields=None):
    """Largest relative change of any field between two output days, over the grid:
    max |x(t1) - x(t0)| / max(|x(t0)|) per field (the quiet-joint invariant)."""
    f = run.f()
    names = fields or [k for k in f[f"step_{run.step_index(t0):05d}"].keys()]
    worst = 0.0
    for n in names:
        a, b = run.field(n, t0), run.field(n, t1)
        scale = float(np.abs(a).max())
        if scale > 0:
            worst = max(worst, float(np.abs(b - a).max()) / scale)
    return worst


def depth_ratio(run, field, day, z_mm, column=0):
    """field(z) / field(surface) at depth z_mm (interpolated between cell centres), on one
    column (index into x; default the axis / first column) of the surface layer."""
    v = run.field(field, day)[:, 0, column]
    _, _, dx, _, _ = run.grid()
    z = (np.arange(len(v)) + 0.5) * dx[2]
    # the surface value: extrapolate the first two cell centres to z = 0
    v0 = v[0] - (v[1] - v[0]) * 0.5 if len(v) > 1 else v[0]
    if v0 <= 0:
        raise ValueError(f"run {run.name}: {field} at the surface is {v0:g}")
    return float(np.interp(z_mm, z, v)) / v0


def lesion_thirds(run, field, day):
    """(superficial, middle, deep) lesion means of a field (volume-weighted)."""
    v = run.field(field, day)
    _, _, _, _, mask = run.grid()
    w = np.broadcast_to(run.column_weights(), v.shape)
    nz = v.shape[0]
    edges = [0, nz // 3, nz - nz // 3, nz]
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        m = mask[a:b]
        if not m.any():
            raise ValueError(f"run {run.name}: the lesion has no cells in depth {a}..{b}")
        out.append(float((v[a:b] * w[a:b])[m].sum() / w[a:b][m].sum()))
    return out


def deep_minus_superficial(run, field, day):
    s, _, d = lesion_thirds(run, field, day)
    return d - s


def _matrix(run, day):
    return run.field("collagen2", day) + run.field("fibrous", day)


def rim_center_ratio(run, day, rim_mm=2.0):
    """Lesion mean of collagen2 + fibrous within rim_mm of the lesion wall (laterally)
    divided by the mean farther in, from the fields (the rim_fill/center_fill metrics' rule)."""
    m = _matrix(run, day)
    _, _, _, _, mask = run.grid()
    d = run.lateral_distance_to_wall()
    w = np.broadcast_to(run.column_weights(), m.shape)
    rim = mask & np.broadcast_to(d <= rim_mm, m.shape)
    ctr = mask & np.broadcast_to(d > rim_mm, m.shape)
    if not rim.any() or not ctr.any():
        raise ValueError(f"run {run.name}: lesion too small for a {rim_mm:g} mm rim")
    a = (m * w)[rim].sum() / w[rim].sum()
    b = (m * w)[ctr].sum() / w[ctr].sum()
    return ratio(float(a), float(b))


def front_position(run, day, level=0.5):
    """How far (mm) the column-mean matrix (collagen2 + fibrous, lesion columns) has reached
    `level` inward from the lesion wall: the largest wall distance d with every column
    closer to the wall than d at or above level."""
    m = _matrix(run, day)
    _, _, _, _, mask = run.grid()
    d = run.lateral_distance_to_wall()
    colmean = np.where(mask.any(axis=0), (m * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1), np.nan)
    cols = np.argwhere(~np.isnan(d))
    order = sorted(cols, key=lambda ji: d[ji[0], ji[1]])
    reach = 0.0
    for j, i in order:
        if colmean[j, i] >= level:
            reach = d[j, i]
        else:
            break
    return float(reach)


def front_speed(run, t0, t1, level=0.5):
    """Mean inward speed (mm/day) of the matrix front between two output days."""
    return (front_position(run, t1, level) - front_position(run, t0, level)) / (t1 - t0)


def pos_ratio(a, b):
    """a / b for a positive reference b; nan (a failed check) when b <= 0, so that two
    negative numbers cannot make a passing ratio."""
    return a / b if b > 0 else math.nan


def summary(run, column):
    """A column of the run's summary.csv (nan when empty, e.g. a fill never reached)."""
    return run.summary(column)


def donor_lineage_max(run, after):
    """Largest donor-lineage ratio for t >= after: the donor_lineage metric, or where the
    engine predates it the same definition from its parts, (retained MSCs + cumulative
    differentiated) / cells injected."""
    try:
        return max_after(run, "donor_lineage", after)
    except Needs:
        t, ret = run.series("msc_retained")
        _, dif = run.series("msc_differentiated")
        _, inj = run.series("cells_injected")
        sel = (t >= after) & (inj > 0)
        return float((ret[sel] + dif[sel] / inj[sel]).max())


def excess_depth_ratio(run, field, day, ref_day, z_mm, column=0):
    """Like depth_ratio, for the excess of a field over its profile at ref_day (the
    response to a fluid step on top of the native background)."""
    v = run.field(field, day)[:, 0, column] - run.field(field, ref_day)[:, 0, column]
    _, _, dx, _, _ = run.grid()
    z = (np.arange(len(v)) + 0.5) * dx[2]
    v0 = v[0] - (v[1] - v[0]) * 0.5
    if v0 <= 0:
        raise ValueError(f"run {run.name}: no excess {field} at the surface on day {day:g}")
    return float(np.interp(z_mm, z, v)) / v0


def near_minus_far_loss(run, t0, t1, near_mm=2.0):
    """Collagen2 loss (t0 -> t1) of intact columns within near_mm of the lesion wall minus
    that of intact columns farther away (> 0: the rim degrades more)."""
    geometry, dims, dx, org, mask = run.grid()
    nx, ny = int(dims[0]), int(dims[1])
    les = mask.any(axis=0)
    x = org[0] + (np.arange(nx) + 0.5) * dx[0]
    y = org[1] + (np.arange(ny) + 0.5) * dx[1]
    X, Y = np.meshgrid(x, y)
    if not les.any() or les.all():
        raise ValueError(f"run {run.name}: needs a focal lesion with intact tissue around it")
    lx, ly = X[les], Y[les]
    d = np.full((ny, nx), np.nan)
    for j, i in np.argwhere(~les):
        d[j, i] = np.sqrt(((lx - X[j, i]) ** 2 + (ly - Y[j, i]) ** 2).min())
    loss = (run.field("collagen2", t0) - run.field("collagen2", t1)).mean(axis=0)
    w = run.column_weights()
    near, far = (~les) & (d <= near_mm), (~les) & (d > near_mm)
    if not near.any() or not far.any():
        raise ValueError(f"run {run.name}: the domain is too small for a {near_mm:g} mm near zone")
    return float((loss * w)[near].sum() / w[near].sum() - (loss * w)[far].sum() / w[far].sum())


FUNCTIONS = {f.__name__: f for f in (
    pos_ratio, summary, donor_lineage_max, excess_depth_ratio, near_minus_far_loss,
    at, final, peak, ratio, first_below, max_after, halflife, thickness, loss_pct_per_year,
    change_pct, max_yearly_gain_pct, field_change_max, depth_ratio, lesion_thirds,
    deep_minus_superficial, rim_center_ratio, front_position, front_speed)}
FUNCTIONS.update({"min": min, "max": max, "abs": abs, "log10": math.log10})


def evaluate(expr, runs):
    """Evaluate an observable expression with the scenario runs bound by name."""
    env = {"__builtins__": {}}
    env.update(FUNCTIONS)
    env.update(runs)
    return float(eval(compile(expr, "<observable>", "eval"), env))  # noqa: S307 (no builtins)
