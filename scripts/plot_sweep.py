#!/usr/bin/python3
"""Plot a chondrosim parameter sweep: each outcome against each swept key, from sweep.csv.

usage: plot_sweep.py SWEEP_DIR_or_CSV [-o OUT.png] [--outcomes fill_12mo,...] [--keys k1,k2] [--dpi N]

sweep.csv (the sweep's manifest) has a row id, the run name, one column per swept config key
(section.key), a status, then the summary columns of summary.csv (fill_12mo, hyaline_12mo,
days_to_50pct_fill, ...). One panel per (outcome, key): a scatter of the outcome against the
key's values (log x when the values span more than a decade; categories side by side for text
values), coloured by another swept key. Runs of a grid sweep that differ only in the plotted
key are joined by thin lines. Runs whose status is not ok are counted in the title, not drawn;
a days_to_* outcome that was never reached is drawn as an open triangle at the run's end day.
The default output is SWEEP_DIR/sweep.png. Run with Debian's /usr/bin/python3.
"""
import argparse
import csv
import math
import os
import sys
import warnings

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "plot_sweep.py"

try:
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import colors as mcolors
    from matplotlib import ticker
except ImportError as exc:  # pragma: no cover
    sys.exit(f"{PROG}: error: {exc}. Run the plotting scripts with Debian's /usr/bin/python3 "
             "(apt-get install python3-numpy python3-matplotlib).")

ID_COLUMNS = {"row", "id", "row_id", "index", "run", "name", "run_name", "scenario", "label", "dir", "path", "fingerprint"}
SUMMARY_COLUMNS = [
    "end_day", "days_to_50pct_fill", "days_to_90pct_fill", "fill_6wk", "fill_6mo", "fill_12mo",
    "fill_24mo", "hyaline_6wk", "hyaline_6mo", "hyaline_12mo", "hyaline_24mo", "inflammation_auc",
    "msc_retained_1mo", "msc_retained_6mo", "final_fill", "final_hyaline", "final_healthy_matrix",
]
DEFAULT_OUTCOMES = ["fill_12mo", "fill_24mo", "hyaline_12mo", "days_to_50pct_fill",
                    "inflammation_auc", "msc_retained_1mo"]
OK_STATUS = {"", "ok", "0", "done", "success", "succeeded", "complete", "completed", "finished"}


class PlotError(Exception):
    pass


def die(msg, code=1):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(code)


def warn(msg):
    print(f"{PROG}: warning: {msg}", file=sys.stderr)


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v


def outcome_label(name):
    """Axis label with units for a summary column."""
    if name.startswith("days_to_"):
        pct = name[len("days_to_"):].replace("pct_fill", " % fill")
        return f"days to {pct} (days)"
    for pre, what, unit in (("fill_", "defect fill", "fraction of native"),
                            ("hyaline_", "hyaline fraction", "dimensionless"),
                            ("msc_retained_", "MSCs retained", "fraction of injected")):
        if name.startswith(pre):
            when = name[len(pre):].replace("wk", " weeks").replace("mo", " months")
            when = "1 month" if when == "1 months" else when
            return f"{what} at {when}\n({unit})"
    known = {
        "final_fill": "defect fill at end\n(fraction of native)",
        "final_hyaline": "hyaline fraction at end\n(dimensionless)",
        "final_healthy_matrix": "healthy matrix at end\n(fraction of native)",
        "inflammation_auc": "lesion inflammation AUC\n(relative × days)",
        "end_day": "end of run (days)",
    }
    return known.get(name, name)


def fmt_value(v):
    if isinstance(v, str):
        return v
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        m, e = f"{v:.3g}".split("e")
        return f"{m}e{int(e)}"
    return f"{v:g}"


def read_sweep(path, keys_arg=None):
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise PlotError(f"{path} has no runs (only {len(rows)} line)")
    header = [h.strip() for h in rows[0]]
    recs = []
    for r in rows[1:]:
        r = r + [""] * (len(header) - len(r))
        recs.append({h: c.strip() for h, c in zip(header, r)})
    if "status" in header:
        swept = [h for h in header[:header.index("status")] if h.lower() not in ID_COLUMNS]
    else:
        swept = [h for h in header if "." in h and h not in SUMMARY_COLUMNS]
    keys = swept
    if keys_arg:
        keys = keys_arg
        bad = [k for k in keys if k not in header]
        if bad:
            raise PlotError(f"--keys: {', '.join(bad)} not a column of {path} (columns: {', '.join(header)})")
        swept = list(dict.fromkeys(swept + keys))
    if not keys:
        raise PlotError(f"{path}: no swept-key columns found (expected section.key columns before "
                        "'status'; name them with --keys)")
    return header, keys, swept, recs


class Axis:
    """How a swept key maps to x: numeric (maybe log) or categorical."""

    def __init__(self, key, values):
        self.key = key
        nums = [num(v) for v in values if v != ""]
        self.numeric = bool(nums) and all(n is not None for n in nums)
        if self.numeric:
            arr = np.array(nums)
            self.levels = sorted(set(nums))
            pos = arr[arr > 0]
            self.log = pos.size == arr.size and pos.size > 0 and pos.max() / pos.min() > 10.0
        else:
            self.levels = sorted(set(values))
            self.log = False

    def x(self, v, jitter=0.0):
        if self.numeric:
            return num(v) if v != "" else np.nan
        return self.levels.index(v) + jitter if v in self.levels else np.nan

    def value(self, v):
        return num(v) if self.numeric else v


def colour_map(axis):
    """(cmap, norm, tick positions, tick labels) for colouring by a swept key."""
    lv = axis.levels
    if axis.numeric and len(lv) > 8:
        if axis.log:
            norm = mcolors.LogNorm(vmin=min(lv), vmax=max(lv))
        else:
            norm = mcolors.Normalize(vmin=min(lv), vmax=max(lv))
        return plt.get_cmap("viridis"), norm, None, None, lambda v: num(v)
    n = len(lv)
    if axis.numeric:
        base = plt.get_cmap("viridis")
        cols = [base(0.92 * i / max(n - 1, 1)) for i in range(n)]
    else:
        base = plt.get_cmap("tab10" if n <= 10 else "tab20")
        cols = [base(i % base.N) for i in range(n)]
    cmap = mcolors.ListedColormap(cols)
    norm = mcolors.BoundaryNorm(np.arange(-0.5, n + 0.5), n)
    key_value = (lambda v: lv.index(num(v))) if axis.numeric else (lambda v: lv.index(v))
    return cmap, norm, list(range(n)), [fmt_value(v) for v in lv], key_value


def plot_sweep(csv_path, out, outcomes_arg=None, keys_arg=None, dpi=110):
    header, keys, swept, recs = read_sweep(csv_path, keys_arg)
    status_col = "status" if "status" in header else None
    ok = [r for r in recs if status_col is None or r[status_col].lower() in OK_STATUS]
    failed = len(recs) - len(ok)
    if outcomes_arg:
        outcomes = outcomes_arg
        bad = [o for o in outcomes if o not in header]
        if bad:
            avail = [h for h in header if h in SUMMARY_COLUMNS or (h not in keys and h.lower() not in ID_COLUMNS
                                                                   and h != status_col)]
            raise PlotError(f"--outcomes: {', '.join(bad)} not a column of {csv_path} "
                            f"(outcomes available: {', '.join(avail)})")
    else:
        outcomes = [o for o in DEFAULT_OUTCOMES
                    if o in header and any(num(r[o]) is not None and math.isfinite(num(r[o])) for r in ok)]
        if not outcomes:
            outcomes = [h for h in header if h in SUMMARY_COLUMNS and h != "end_day"
                        and any(num(r[h]) is not None for r in ok)][:6]
    if not ok:
        raise PlotError(f"{csv_path}: none of the {len(recs)} runs has status ok")
    if not outcomes:
        raise PlotError(f"{csv_path}: no outcome column with values (expected e.g. {', '.join(DEFAULT_OUTCOMES)})")

    axes_info = {k: Axis(k, [r[k] for r in ok]) for k in swept}
    nrow, ncol = len(outcomes), len(keys)
    fig = plt.figure(figsize=(max(4.6 * ncol + 1.6, 7.5), 2.9 * nrow + 2.0), layout="constrained")
    axs = fig.subplots(nrow, ncol, squeeze=False, sharex="col", sharey="row")
    name = os.path.basename(os.path.dirname(os.path.abspath(csv_path)))
    title = f"chondrosim sweep '{name}': {len(ok)} runs"
    if failed:
        title += f" ({failed} failed, not shown)"
    fig.suptitle(title + "\neach outcome against each swept key", fontsize=13)
    end_days = [num(r.get("end_day")) for r in ok]
    end_days = [d for d in end_days if d is not None]
    unreached = {}
    for j, key in enumerate(keys):
        ax_k = axes_info[key]
        others = [k for k in swept if k != key]
        # colour by another swept key (the one with fewest levels > 1), else by nothing
        ckey = None
        cands = [k for k in others if len(axes_info[k].levels) > 1]
        if cands:
            ckey = min(cands, key=lambda k: len(axes_info[k].levels))
        if ckey:
            cmap, norm, ticks, ticklabels, cval = colour_map(axes_info[ckey])
        # grid-like sweep: join runs that differ only in `key`
        # (grouped by every other swept column, plotted or not; only when the x values of each
        # group are distinct, and the key has few levels or is the only thing that varies)
        groups = {}
        for r in ok:
            groups.setdefault(tuple(r[k] for k in swept if k != key), []).append(r)
        join = (ax_k.numeric and len(groups) <= 16 and len(groups) < len(ok)
                and all(len(g) >= 2 and len({r[key] for r in g}) == len(g) for g in groups.values())
                and (len(ax_k.levels) <= 12 or len(groups) == 1))
        rng = np.random.default_rng(12345)
        jit = {id(r): (rng.uniform(-0.12, 0.12) if not ax_k.numeric else 0.0) for r in ok}
        for i, outc in enumerate(outcomes):
            ax = axs[i, j]
            xs = np.array([ax_k.x(r[key], jit[id(r)]) for r in ok], dtype=float)
            ys = np.array([num(r[outc]) if num(r[outc]) is not None else np.nan for r in ok], dtype=float)
            cs = np.array([cval(r[ckey]) for r in ok], dtype=float) if ckey else None
            if join:
                for g in groups.values():
                    gx = np.array([ax_k.x(r[key]) for r in g], dtype=float)
                    gy = np.array([num(r[outc]) if num(r[outc]) is not None else np.nan for r in g])
                    o = np.argsort(gx)
                    col = cmap(norm(cval(g[0][ckey]))) if ckey else "0.5"
                    ax.plot(gx[o], gy[o], "-", color=col, lw=0.9, alpha=0.6, zorder=1)
            good = np.isfinite(xs) & np.isfinite(ys)
            kw = dict(s=38, edgecolors="k", linewidths=0.5, zorder=3)
            if ckey:
                ax.scatter(xs[good], ys[good], c=cs[good], cmap=cmap, norm=norm, **kw)
            else:
                ax.scatter(xs[good], ys[good], color="C0", **kw)
            missing = np.isfinite(xs) & ~np.isfinite(ys)
            if missing.any():
                if outc.startswith("days_to_"):
                    yend = np.array([num(r.get("end_day")) if num(r.get("end_day")) is not None else np.nan
                                     for r in ok])[missing]
                    if not np.isfinite(yend).any() and end_days:
                        yend = np.full(missing.sum(), max(end_days))
                    mk = dict(marker="^", s=46, zorder=3, linewidths=1.2)
                    if ckey:
                        ax.scatter(xs[missing], yend, facecolors="none",
                                   edgecolors=cmap(norm(cs[missing])), **mk)
                    else:
                        ax.scatter(xs[missing], yend, facecolors="none", edgecolors="C0", **mk)
                    unreached[outc] = max(unreached.get(outc, 0), int(missing.sum()))
                else:
                    ax.text(0.99, 0.98, f"{missing.sum()} run(s) without a value", transform=ax.transAxes,
                            ha="right", va="top", fontsize=8, color="0.3",
                            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"))
            if ax_k.log:
                ax.set_xscale("log")
            if outc.startswith("msc_retained"):
                fin = ys[np.isfinite(ys) & (ys > 0)]
                if fin.size and fin.size == np.isfinite(ys).sum() and fin.max() / fin.min() > 10:
                    ax.set_yscale("log")
            ax.grid(True, alpha=0.3)
            if j == ncol - 1:
                lab = outcome_label(outc)
                if outc in unreached:
                    lab += f"\n△ never reached ({unreached[outc]} runs), drawn at end day"
                axs[i, 0].set_ylabel(lab, fontsize=10)
            if i == nrow - 1:
                ax.set_xlabel(key + ("  (log scale)" if ax_k.log else ""), fontsize=10)
            if i == 0:
                ax.set_title(f"vs {key}", fontsize=11, fontweight="bold")
        if not ax_k.numeric:
            axs[-1, j].set_xticks(range(len(ax_k.levels)))
            axs[-1, j].set_xticklabels(ax_k.levels, rotation=20 if len(ax_k.levels) > 3 else 0, ha="right"
                                       if len(ax_k.levels) > 3 else "center")
            axs[-1, j].set_xlim(-0.5, len(ax_k.levels) - 0.5)
        elif ax_k.log and max(ax_k.levels) / min(ax_k.levels) < 1e3:  # few decades: label 1, 2, 5
            axs[-1, j].xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axs[-1, j].xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt_value(v)))
            axs[-1, j].xaxis.set_minor_formatter(ticker.NullFormatter())
        elif not ax_k.log and len(ax_k.levels) <= 8:
            axs[-1, j].set_xticks(ax_k.levels)
            axs[-1, j].xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt_value(v)))
        if ckey:
            sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
            cb = fig.colorbar(sm, ax=list(axs[:, j]), location="top", shrink=0.85, aspect=30, pad=0.01)
            cb.set_label(f"colour: {ckey}", fontsize=10)
            if ticks is not None:
                cb.set_ticks(ticks)
                cb.set_ticklabels(ticklabels)
                cb.ax.tick_params(length=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(out, dpi=dpi)
    plt.close(fig)


def split_list(s):
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot a chondrosim sweep: each outcome (summary column of sweep.csv) against "
                    "each swept key.")
    ap.add_argument("sweep", metavar="SWEEP_DIR", help="directory holding sweep.csv (or the .csv itself)")
    ap.add_argument("-o", "--output", metavar="OUT.png", help="output image (default: SWEEP_DIR/sweep.png)")
    ap.add_argument("--outcomes", metavar="LIST",
                    help="comma-separated summary columns to plot (default: " + ",".join(DEFAULT_OUTCOMES) + ")")
    ap.add_argument("--keys", metavar="LIST", help="comma-separated swept-key columns (default: the columns "
                    "between the run name and status)")
    ap.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")
    args = ap.parse_args(argv)
    path = args.sweep
    if os.path.isdir(path):
        path = os.path.join(path, "sweep.csv")
        if not os.path.isfile(path):
            ap.error(f"no sweep.csv in '{args.sweep}' (give the directory a sweep wrote, or the .csv)")
    elif not os.path.isfile(path):
        ap.error(f"'{args.sweep}' does not exist")
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(path)), "sweep.png")
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        ap.error(f"output directory '{os.path.dirname(os.path.abspath(out))}' does not exist")
    try:
        plot_sweep(path, out, split_list(args.outcomes), split_list(args.keys), args.dpi)
    except PlotError as exc:
        die(str(exc))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        die(f"cannot read '{path}': {exc}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
