#!/usr/bin/python3
"""Plot one chondrosim run: the outcome metrics of docs/model.md over time, and depth and
radial (lateral) profiles of collagen II, fibrous collagen, proteoglycan and MSCs at the
clinic visits (6 weeks, 3, 6, 12 and 24 months) found among the run's output times.

usage: plot_run.py RUN_DIR_or_H5 [-o OUT.png] [--dpi N]

RUN_DIR is results/<run>/ (the file read is <run>/<run>.h5); the default output is
<run_dir>/<run>.png. Needs Debian's python3-numpy, python3-h5py and python3-matplotlib
(run with /usr/bin/python3). Also imported by plot_compare.py for its run reader.
"""
import argparse
import configparser
import csv
import glob
import os
import re
import sys
import warnings

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "plot_run.py"

try:
    import numpy as np
    import h5py
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.lines import Line2D
except ImportError as exc:  # pragma: no cover - depends on the interpreter
    sys.exit(f"{PROG}: error: {exc}. Run the plotting scripts with Debian's /usr/bin/python3 "
             "(apt-get install python3-numpy python3-h5py python3-matplotlib).")

DAYS_PER_MONTH = 365.25 / 12.0
# Clinic visits (day, label); the days match the derived scalars of summary.csv.
VISITS = [(42.0, "6 wk"), (90.0, "3 mo"), (180.0, "6 mo"), (365.0, "12 mo"), (730.0, "24 mo")]
PROFILE_FIELDS = [
    ("collagen2", "collagen II (hyaline)"),
    ("fibrous", "fibrous collagen I"),
    ("proteoglycan", "proteoglycan"),
    ("msc", "MSCs"),
]


class PlotError(Exception):
    """A problem with the input that the user can fix; printed without a traceback."""


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    if isinstance(value, np.generic):
        return value.item()
    return value


def units_of(obj, default=""):
    u = obj.attrs.get("units", default) if obj is not None else default
    return str(_text(u))


def pretty_units(u):
    """Units as shown in an axis label."""
    if u in ("1", "", "none"):
        return "dimensionless"
    return u.replace("^3", "³").replace("^2", "²")


def label(name, units):
    return f"{name} ({pretty_units(units)})"


def find_h5(path):
    """The .h5 of a run: PATH itself, RUN_DIR/<basename>.h5, the only .h5 in RUN_DIR, or the
    only run one level below RUN_DIR (e.g. the --out directory of `chondrosim run`)."""
    if os.path.isfile(path):
        return path
    if not os.path.exists(path):
        raise PlotError(f"'{path}' does not exist (give a run directory results/<run>/ or its .h5 file)")
    if not os.path.isdir(path):
        raise PlotError(f"'{path}' is neither a directory nor an .h5 file")
    d = os.path.normpath(path)
    own = os.path.join(d, os.path.basename(d) + ".h5")
    if os.path.isfile(own):
        return own
    here = sorted(glob.glob(os.path.join(d, "*.h5")))
    if len(here) == 1:
        return here[0]
    if len(here) > 1:
        raise PlotError(f"'{path}' holds several .h5 files ({', '.join(os.path.basename(h) for h in here)}); "
                        "name the one to plot")
    below = sorted(p for p in glob.glob(os.path.join(d, "*", "*.h5"))
                   if os.path.basename(p) == os.path.basename(os.path.dirname(p)) + ".h5")
    if len(below) == 1:
        return below[0]
    if len(below) > 1:
        raise PlotError(f"'{path}' holds several runs ({', '.join(os.path.dirname(b) for b in below)}); "
                        "name the run directory to plot")
    raise PlotError(f"no chondrosim output (.h5) in '{path}': expected {own}")


def parse_config(text):
    """The effective config text as {'section.key': 'value'}."""
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   inline_comment_prefixes=(";", "#"), comment_prefixes=(";", "#"))
    cp.optionxform = str
    try:
        cp.read_string(text)
    except configparser.Error:
        return {}
    return {f"{s}.{k}": v.strip() for s in cp.sections() for k, v in cp.items(s)}


class Run:
    """The contents of one run's .h5 (metrics read eagerly, fields on demand)."""

    def __init__(self, h5path):
        self.path = h5path
        try:
            self.f = h5py.File(h5path, "r")
        except OSError as exc:
            raise PlotError(f"cannot open '{h5path}' as HDF5: {exc}") from None
        f = self.f
        self.attrs = {k: _text(v) for k, v in f.attrs.items()}
        self.name = os.path.splitext(os.path.basename(h5path))[0]
        self.config = {}
        if "config" in f:
            self.config = parse_config(str(_text(f["config"][()])))
        self.name = self.config.get("run.name", self.name) or self.name
        self.complete = int(self.attrs.get("complete", 1) or 0) == 1
        # metrics
        self.metrics, self.metric_units = {}, {}
        if "metrics" in f and "time" in f["metrics"]:
            m = f["metrics"]
            self.mtime = np.asarray(m["time"][()], dtype=float)
            for k, ds in m.items():
                if isinstance(ds, h5py.Dataset) and ds.ndim == 1 and ds.shape[0] == self.mtime.shape[0]:
                    self.metrics[k] = np.asarray(ds[()], dtype=float)
                    self.metric_units[k] = units_of(ds)
        else:
            self.mtime = np.zeros(0)
        # output steps
        steps = sorted((k for k in f.keys() if re.fullmatch(r"step_\d+", k)), key=lambda s: int(s[5:]))
        times = np.asarray(f["time"][()], dtype=float).ravel() if "time" in f else np.zeros(0)
        n = min(len(steps), len(times))
        self.steps, self.times = steps[:n], times[:n]
        # grid
        self._read_grid()

    def _read_grid(self):
        f = self.f
        g = f["grid"] if "grid" in f else None

        def get(key):
            if g is None:
                return None
            if key in g.attrs:
                return _text(g.attrs[key])
            if key in g and isinstance(g[key], h5py.Dataset):
                return _text(g[key][()])
            return None

        geom = get("geometry") or self.config.get("grid.geometry", "axisymmetric")
        self.geometry = str(geom)
        shape = None
        if self.steps:
            for k, ds in f[self.steps[0]].items():
                if isinstance(ds, h5py.Dataset) and ds.ndim == 3:
                    shape = tuple(ds.shape)
                    break
        mask = None
        if g is not None and "lesion_mask" in g:
            mask = np.asarray(g["lesion_mask"][()])
            shape = shape or tuple(mask.shape)
        if shape is None:
            dims = get("dims")
            shape = tuple(int(v) for v in np.asarray(dims)[::-1]) if dims is not None else (1, 1, 1)
        self.shape = shape  # (nz, ny, nx)
        dims = get("dims")
        spacing = get("spacing")
        origin = get("origin")
        # /grid vectors are x, y, z (dims reversed against the z-y-x datasets); accept z, y, x too.
        zyx_order = dims is not None and tuple(int(v) for v in np.asarray(dims)) == shape and shape[0] != shape[2]

        def xyz(v, default):
            if v is None:
                return default
            v = [float(a) for a in np.asarray(v, dtype=float).ravel()]
            if len(v) != 3:
                return default
            return v[::-1] if zyx_order else v

        nz, ny, nx = shape
        H = float(self.config.get("tissue.thickness", 2.4) or 2.4)
        W = float(self.config.get("grid.width", 1.0) or 1.0)
        self.spacing = xyz(spacing, [W / nx, W / max(ny, 1), H / nz])
        self.origin = xyz(origin, [0.0, 0.0, 0.0])
        self.mask = mask.astype(bool) if mask is not None and mask.shape == shape else None

    def coords(self, axis):
        """Cell-centre coordinates (mm) along axis 'x', 'y' or 'z'."""
        i = "xyz".index(axis)
        n = self.shape[2 - i]
        return self.origin[i] + (np.arange(n) + 0.5) * self.spacing[i]

    def field(self, step, name):
        grp = self.f[step]
        if name not in grp:
            return None, ""
        ds = grp[name]
        return np.asarray(ds[()], dtype=float), units_of(ds)

    def field_units(self, name):
        for s in self.steps:
            if name in self.f[s]:
                return units_of(self.f[s][name])
        return ""

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------------------------
# helpers shared with plot_compare.py

def months(days):
    return np.asarray(days, dtype=float) / DAYS_PER_MONTH


def month_axis(ax, end_day, xlabel=True):
    end_m = max(months(end_day), 1e-9)
    if end_m > 2 and abs(end_m - round(end_m)) < 0.03 * end_m:
        end_m = max(end_m, float(round(end_m)))  # 730 days shows as 24 months with its tick
    ax.set_xlim(0, end_m)
    steps = [1, 2, 3, 6, 10] if end_m >= 4 else [1, 2, 2.5, 5, 10]
    ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=8, steps=steps, min_n_ticks=3))
    if xlabel:
        ax.set_xlabel("time after therapy (months)")


def positive(a):
    """Values for a log axis: non-positive and non-finite become NaN (gaps)."""
    a = np.array(a, dtype=float)
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def retention_series(run):
    """(total, in tissue, in joint fluid) retained fraction of cells injected so far, or
    None for the parts the file does not hold."""
    m = run.metrics
    total = m.get("msc_retained")
    tissue = fluid = None
    inj = m.get("cells_injected")
    if inj is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.where(inj > 0, inj, np.nan)
            if "msc_tissue" in m:
                tissue = m["msc_tissue"] / safe
            if "fluid_msc" in m:
                fluid = m["fluid_msc"] / safe
    return total, tissue, fluid


def log_floor(ax, series, decades=6):
    """Keep a log axis from spanning absurd ranges (e.g. 1e-70 after clearance)."""
    vals = np.concatenate([positive(s)[np.isfinite(positive(s))] for s in series if s is not None] or [np.zeros(0)])
    if vals.size:
        top = vals.max()
        bottom = max(vals.min(), top * 10.0 ** (-decades))
        bottom = min(bottom, top / 20.0)  # at least ~1.5 decades, so small changes look small
        ax.set_ylim(bottom / 1.5, top * 1.5)
        if top / bottom < 1e3:  # few decades: label 1, 2, 5 of each
            ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    fmt = ticker.FuncFormatter(lambda v, _: f"{v:.3g}" if 1e-3 <= v < 1e4 else f"{v:.0e}")
    ax.yaxis.set_major_formatter(fmt)
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def sci_axis(ax, axis="y"):
    fmt = ticker.ScalarFormatter(useMathText=True)
    fmt.set_powerlimits((-3, 4))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def die(msg, code=1):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------
# summary scalars

SUMMARY_ROWS = [
    ("days_to_50pct_fill", "days to 50 % fill", "{:.0f} d"),
    ("days_to_90pct_fill", "days to 90 % fill", "{:.0f} d"),
    ("fill_6wk", "fill at 6 weeks", "{:.3f}"),
    ("fill_6mo", "fill at 6 months", "{:.3f}"),
    ("fill_12mo", "fill at 12 months", "{:.3f}"),
    ("fill_24mo", "fill at 24 months", "{:.3f}"),
    ("hyaline_12mo", "hyaline at 12 months", "{:.3f}"),
    ("final_hyaline", "hyaline at end", "{:.3f}"),
    ("msc_retained_1mo", "MSCs retained, 1 month", "{:.3g}"),
    ("msc_retained_6mo", "MSCs retained, 6 months", "{:.3g}"),
    ("inflammation_auc", "inflammation AUC", "{:.1f} d"),
    ("final_healthy_matrix", "healthy matrix at end", "{:.3f}"),
]


def _interp(t, y, at):
    if y is None or t.size == 0 or at < t[0] or at > t[-1] + 1e-9:
        return float("nan")
    return float(np.interp(at, t, y))


def _first_reach(t, y, level):
    if y is None:
        return float("nan")
    idx = np.nonzero(y >= level)[0]
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    if i == 0:
        return float(t[0])
    return float(t[i - 1] + (level - y[i - 1]) * (t[i] - t[i - 1]) / (y[i] - y[i - 1]))


def summary_scalars(run):
    """The derived scalars: summary.csv next to the .h5 if present, else computed."""
    out = {}
    path = os.path.join(os.path.dirname(run.path), "summary.csv")
    if os.path.isfile(path):
        try:
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
            if rows:
                for k, v in rows[0].items():
                    try:
                        out[k] = float(v) if v not in (None, "") else float("nan")
                    except ValueError:
                        pass
                return out, "summary.csv"
        except OSError:
            pass
    t, m = run.mtime, run.metrics
    fill, hyal, infl = m.get("defect_fill"), m.get("hyaline_fraction"), m.get("inflammation")
    ret = m.get("msc_retained")
    out["days_to_50pct_fill"] = _first_reach(t, fill, 0.5)
    out["days_to_90pct_fill"] = _first_reach(t, fill, 0.9)
    for key, day in (("6wk", 42), ("6mo", 180), ("12mo", 365), ("24mo", 730)):
        out[f"fill_{key}"] = _interp(t, fill, day)
        out[f"hyaline_{key}"] = _interp(t, hyal, day)
    out["msc_retained_1mo"] = _interp(t, ret, 30)
    out["msc_retained_6mo"] = _interp(t, ret, 180)
    if infl is not None and t.size > 1:
        out["inflammation_auc"] = float(np.sum(0.5 * (infl[1:] + infl[:-1]) * np.diff(t)))
    for k, name in (("final_fill", "defect_fill"), ("final_hyaline", "hyaline_fraction"),
                    ("final_healthy_matrix", "healthy_matrix")):
        out[k] = float(m[name][-1]) if name in m and m[name].size else float("nan")
    return out, "computed from /metrics"


# ---------------------------------------------------------------------------------------------
# the figure

def describe(run):
    """One line naming the scenario, from the effective config."""
    c = run.config
    parts = []
    route, dose = c.get("therapy.route"), c.get("therapy.dose")
    if route or dose:
        cell = c.get("therapy.components", "cells")
        src = c.get("therapy.source")
        try:
            dose_s = f"{float(dose):.3g}"
        except (TypeError, ValueError):
            dose_s = dose or "?"
        doses = c.get("therapy.doses")
        extra = f" × {doses} doses" if doses not in (None, "", "1") else ""
        parts.append(f"{route or ''} {dose_s} {cell}{extra}" + (f" ({src})" if src else ""))
    if c.get("therapy.carrier") not in (None, "", "none"):
        parts.append(f"carrier {c['therapy.carrier']}")
    shape = c.get("lesion.shape")
    if shape:
        les = f"{shape} lesion"
        if shape not in ("diffuse", "mask"):
            les += f" R {c.get('lesion.radius', '?')} mm, depth {c.get('lesion.depth', '?')} mm"
        parts.append(les)
    if c.get("patient.age"):
        parts.append(f"age {c['patient.age']}")
    if c.get("patient.inflammation"):
        parts.append(f"inflammation {c['patient.inflammation']}")
    nz, ny, nx = run.shape
    grid = f"{run.geometry} {nx}×{nz}" if ny == 1 else f"{run.geometry} {nx}×{ny}×{nz}"
    parts.append(grid)
    return ", ".join(p.strip() for p in parts if p.strip())


def visit_steps(run):
    """[(step, day, label)] for the clinic visits present among the output times (nearest
    output within 10 % or 7 days), plus day 0 as a baseline when written."""
    out, used = [], set()
    t = run.times
    if t.size == 0:
        return out
    i0 = int(np.argmin(np.abs(t)))
    if abs(t[i0]) < 1e-9:
        out.append((run.steps[i0], float(t[i0]), "day 0"))
        used.add(i0)
    for day, name in VISITS:
        i = int(np.argmin(np.abs(t - day)))
        if i in used or abs(t[i] - day) > max(7.0, 0.1 * day):
            continue
        used.add(i)
        out.append((run.steps[i], float(t[i]), f"{name} (day {t[i]:g})"))
    if len(out) <= 1 and t.size > 1:  # no clinic visit written: show the last output
        i = t.size - 1
        if i not in used:
            out.append((run.steps[i], float(t[i]), f"last output (day {t[i]:g})"))
    return out


def profile_location(run):
    """(iy, ix) of the lesion-centre column and iz of the lateral profile."""
    nz, ny, nx = run.shape
    mask = run.mask
    has_lesion = mask is not None and mask.any()
    if run.geometry.startswith("axi"):
        ix, iy = 0, 0
    elif has_lesion:
        zz, yy, xx = np.nonzero(mask)
        iy, ix = int(round(yy.mean())), int(round(xx.mean()))
    else:
        iy, ix = ny // 2, nx // 2
    iz = nz // 2
    if has_lesion and mask[:, iy, ix].any():
        zs = np.nonzero(mask[:, iy, ix])[0]
        iz = int((zs.min() + zs.max()) // 2)
    return iy, ix, iz


def spans(flags):
    """Contiguous True runs of a 1-D bool array as (start, stop) index pairs."""
    out, start = [], None
    for i, v in enumerate(list(flags) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    return out


def plot_metrics(sub, run, visits):
    m, t = run.metrics, run.mtime
    end = t[-1] if t.size else (run.times[-1] if run.times.size else 1.0)
    axes = sub.subplots(2, 4, sharex=True)
    sub.suptitle("Outcomes over time (docs/model.md; grey lines: profile times below)", fontsize=13, fontweight="bold")

    def series(ax, key, title, ylabel=None, color="C0", ylim01=False, **kw):
        if key not in m:
            ax.text(0.5, 0.5, f"'{key}' not in /metrics", ha="center", va="center", transform=ax.transAxes, color="0.4")
            ax.set_title(title)
            return None
        ax.plot(months(t), m[key], color=color, lw=2, **kw)
        ax.set_title(title)
        ax.set_ylabel(ylabel or label(key, run.metric_units.get(key, "")))
        if ylim01:
            top = np.nanmax(m[key]) if m[key].size else 1
            ax.set_ylim(0, max(1.02, 1.05 * top))
        return m[key]

    a = axes.ravel()
    fill = series(a[0], "defect_fill", "Defect fill: lesion mean (k + f)",
                  label("collagen", run.metric_units.get("defect_fill", "")), ylim01=True)
    if fill is not None:
        for level, col in ((0.5, "C1"), (0.9, "C2")):
            day = _first_reach(t, fill, level)
            a[0].axhline(level, color=col, lw=0.8, ls=":")
            txt = f"{level:.0%} at day {day:.0f}" if np.isfinite(day) else f"{level:.0%} not reached"
            a[0].text(0.02, level, txt, transform=a[0].get_yaxis_transform(), ha="left",
                      va="bottom", fontsize=8, color=col)
            if np.isfinite(day):
                a[0].plot([months(day)], [level], "o", color=col, ms=5)
    series(a[1], "hyaline_fraction", "Hyaline fraction Σk / Σ(k + f)",
           "collagen II share of repair (dimensionless)", color="C2", ylim01=True)
    series(a[2], "proteoglycan", "Proteoglycan: lesion mean", color="C4", ylim01=True)
    # inflammation: lesion and joint fluid
    ax = a[3]
    ax.set_title("Inflammation (1 = typical OA joint)")
    drew = False
    for key, lab, col, ls in (("inflammation", "lesion mean i", "C3", "-"),
                              ("inflammation_fluid", "joint fluid I", "C1", "--")):
        if key in m:
            ax.plot(months(t), m[key], color=col, ls=ls, lw=2, label=lab)
            drew = True
    if drew:
        u = run.metric_units.get("inflammation", run.metric_units.get("inflammation_fluid", "relative"))
        ax.set_ylabel(label("cytokine", u))
        lo = min(np.nanmin(m[k]) for k in ("inflammation", "inflammation_fluid") if k in m)
        hi = max(np.nanmax(m[k]) for k in ("inflammation", "inflammation_fluid") if k in m)
        ax.set_ylim(min(0, lo), max(hi * 1.15, 0.1))
        ax.legend(loc="best", fontsize=9, framealpha=0.85)
    # MSC retention (log)
    ax = a[4]
    total, tissue, fluid = retention_series(run)
    ax.set_title("MSC retention (log scale)")
    for s, lab, col, ls in ((total, "total (tissue + fluid)", "k", "-"),
                            (tissue, "in tissue", "C0", "--"),
                            (fluid, "in joint fluid", "C1", ":")):
        if s is not None and np.isfinite(positive(s)).any():
            ax.plot(months(t), positive(s), color=col, ls=ls, lw=2, label=lab)
    if ax.lines and run.config.get("therapy.route") == "intra_articular":
        # docs/model.md, target 2: ~15 % at 1 month, ~1.5 % at 6 months
        ax.plot(months(np.array([30.0, 180.0])), [0.15, 0.015], "s", color="0.35", mfc="none", ms=8,
                mew=1.5, label="target (docs/model.md)")
    if ax.lines:
        ax.set_yscale("log")
        log_floor(ax, [total, tissue, fluid])
        if run.config.get("therapy.route") == "intra_articular":
            lo, hi = ax.get_ylim()
            ax.set_ylim(min(lo, 0.01), max(hi, 0.2))
        ax.set_ylabel("fraction of cells injected so far")
        ax.legend(loc="best", fontsize=9, framealpha=0.85)
    else:
        ax.text(0.5, 0.5, "no MSCs retained / injected", ha="center", va="center", transform=ax.transAxes, color="0.4")
    series(a[5], "chondrocytes_lesion", "Chondrocytes in the lesion",
           label("chondrocytes", run.metric_units.get("chondrocytes_lesion", "cells")), color="C5")
    sci_axis(a[5])
    a[5].set_ylim(bottom=0)
    series(a[6], "healthy_matrix", "Healthy matrix: mean k outside lesion (OA progression)",
           label("collagen II", run.metric_units.get("healthy_matrix", "")), color="C7", ylim01=True)
    # summary scalars
    ax = a[7]
    ax.axis("off")
    vals, source = summary_scalars(run)
    lines = []
    for key, name, fmt in SUMMARY_ROWS:
        v = vals.get(key, float("nan"))
        s = fmt.format(v) if np.isfinite(v) else ("not reached" if key.startswith("days_to") else "n/a")
        lines.append(f"{name:<24s}{s:>12s}")
    ax.text(0.0, 1.0, "Derived outcomes\n" + "\n".join(lines) + f"\n\n(source: {source})",
            family="monospace", fontsize=9.5, va="top", ha="left", transform=ax.transAxes)
    for i, ax in enumerate(a[:7]):
        month_axis(ax, end, xlabel=(i >= 4))
        ax.grid(True, alpha=0.3)
        for _, day, _ in visits:
            if day > 0:
                ax.axvline(months(day), color="0.6", lw=0.7, zorder=0)
    # the bottom row holds the x labels; the text panel shares no axis
    a[3].tick_params(labelbottom=True)
    a[3].set_xlabel("time after therapy (months)")


def plot_profiles(sub, run, visits):
    iy, ix, iz = profile_location(run)
    z, x = run.coords("z"), run.coords("x")
    axi = run.geometry.startswith("axi")
    xname = "r" if axi else "x"
    gs = sub.add_gridspec(2, 5, width_ratios=[1, 1, 1, 1, 0.42])
    sub.suptitle("Profiles at clinic visits", fontsize=13, fontweight="bold")
    where_col = f"{xname} = {x[ix]:.2g} mm" + ("" if run.shape[1] == 1 else f", y = {run.coords('y')[iy]:.2g} mm")
    cmap = plt.get_cmap("viridis")
    nvis = sum(1 for v in visits if v[1] > 0)
    colours, k = [], 0
    for _, day, _ in visits:
        if day <= 0:
            colours.append(("0.45", "--", 1.3))
        else:
            colours.append((cmap(0.9 * k / max(nvis - 1, 1)), "-", 2.0))
            k += 1
    mask = run.mask
    depth_axes, lat_axes = [], []
    for j, (fname, title) in enumerate(PROFILE_FIELDS):
        axd = sub.add_subplot(gs[0, j], sharey=depth_axes[0] if depth_axes else None)
        axl = sub.add_subplot(gs[1, j])
        depth_axes.append(axd)
        lat_axes.append(axl)
        units = run.field_units(fname)
        if not units and not any(fname in run.f[s] for s in run.steps):
            for ax in (axd, axl):
                ax.text(0.5, 0.5, f"no '{fname}' field", ha="center", va="center", transform=ax.transAxes)
            continue
        # lesion extent as a shaded band
        if mask is not None:  # (a column or row entirely in the lesion is not shaded: says nothing)
            col, row = mask[:, iy, ix], mask[iz, iy, :]
            for s0, s1 in spans(col) if not col.all() else []:
                axd.axhspan(z[s0] - run.spacing[2] / 2, z[s1 - 1] + run.spacing[2] / 2, color="#f7ead2", zorder=0, lw=0)
            for s0, s1 in spans(row) if not row.all() else []:
                axl.axvspan(x[s0] - run.spacing[0] / 2, x[s1 - 1] + run.spacing[0] / 2, color="#f7ead2", zorder=0, lw=0)
        for (step, day, lab), (col, ls, lw) in zip(visits, colours):
            data, _ = run.field(step, fname)
            if data is None:
                continue
            axd.plot(data[:, iy, ix], z, color=col, ls=ls, lw=lw, label=lab)
            axl.plot(x, data[iz, iy, :], color=col, ls=ls, lw=lw, label=lab)
        xl = label(title, units)
        axd.set_xlabel(xl)
        full = mask is not None and mask[:, iy, ix].all()
        axd.set_title(f"{title}: depth profile\nlesion centre, {where_col}" + (" (all lesion)" if full else ""),
                      fontsize=10)
        axl.set_ylabel(xl)
        axl.set_xlabel("r, distance from lesion axis (mm)" if axi else f"{xname} (mm)")
        axl.set_title(f"{title}: {'radial' if axi else 'lateral'} profile\nat depth z = {z[iz]:.2g} mm"
                      + ("" if run.shape[1] == 1 else f", y = {run.coords('y')[iy]:.2g} mm"), fontsize=10)
        axl.set_xlim(x[0] - run.spacing[0] / 2, x[-1] + run.spacing[0] / 2)
        axd.set_xlim(left=0)
        axl.set_ylim(bottom=0)
        if fname == "msc" or "cells" in units:
            sci_axis(axd, "x")
            sci_axis(axl, "y")
        for ax in (axd, axl):
            ax.grid(True, alpha=0.3)
    if depth_axes:
        depth_axes[0].set_ylim(z[-1] + run.spacing[2] / 2, z[0] - run.spacing[2] / 2)  # surface on top
        depth_axes[0].set_ylabel("depth z below articular surface (mm)\n(top: surface, bottom: bone)")
        for ax in depth_axes[1:]:
            ax.tick_params(labelleft=False)
    # legend panel
    lax = sub.add_subplot(gs[:, 4])
    lax.axis("off")
    handles = [Line2D([], [], color=c, ls=ls, lw=lw) for (c, ls, lw) in colours]
    handles.append(matplotlib.patches.Patch(color="#f7ead2"))
    labels = [v[2] for v in visits] + ["lesion"]
    lax.legend(handles, labels, loc="center left", title="time", fontsize=10, title_fontsize=11, frameon=False)


def plot_run(h5path, out, dpi=110):
    with Run(h5path) as run:
        if run.mtime.size == 0 and not run.steps:
            raise PlotError(f"'{h5path}' holds neither /metrics nor /step_* output (not a chondrosim run?)")
        visits = visit_steps(run)
        fig = plt.figure(figsize=(21, 17), layout="constrained")
        title = f"chondrosim run '{run.name}'" + ("" if run.complete else "  [INCOMPLETE RUN]")
        fig.suptitle(f"{title}\n{describe(run)}", fontsize=14)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.05], hspace=0.02)
        if run.mtime.size:
            plot_metrics(top, run, visits)
        else:
            top.text(0.5, 0.5, "no /metrics in this file", ha="center")
        if visits:
            plot_profiles(bottom, run, visits)
        else:
            bottom.text(0.5, 0.5, "no field output (/step_*) in this file", ha="center")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.savefig(out, dpi=dpi)
        plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot one chondrosim run: outcome metrics over time and tissue profiles at "
                    "the clinic visits (6 weeks, 3, 6, 12, 24 months) present in the output.")
    ap.add_argument("run", metavar="RUN_DIR_or_H5", help="results/<run>/ or results/<run>/<run>.h5")
    ap.add_argument("-o", "--output", metavar="OUT.png", help="output image (default: <run_dir>/<run>.png)")
    ap.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")
    args = ap.parse_args(argv)
    if not os.path.exists(args.run):
        ap.error(f"'{args.run}' does not exist (give a run directory results/<run>/ or its .h5 file)")
    if args.output and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        ap.error(f"output directory '{os.path.dirname(os.path.abspath(args.output))}' does not exist")
    try:
        h5 = find_h5(args.run)
        out = args.output or os.path.join(os.path.dirname(os.path.abspath(h5)),
                                          os.path.splitext(os.path.basename(h5))[0] + ".png")
        plot_run(h5, out, dpi=args.dpi)
    except PlotError as exc:
        die(str(exc))
    except (KeyError, OSError) as exc:
        die(f"cannot read '{args.run}': {exc}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
