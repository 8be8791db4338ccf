#!/usr/bin/python3
"""Plot a chondrosim study (`chondrosim compare`): defect fill, hyaline fraction, proteoglycan,
inflammation (lesion and joint fluid) and MSC retention over time, one line per scenario.

usage: plot_compare.py STUDY_DIR [-o OUT.png] [--colour-by KEY] [--style-by KEY] [--dpi N]

STUDY_DIR holds comparison.csv (first column `scenario`, then one column per varied config
key, then the summary columns from `run` on; maybe a `status` column) and one run directory
per scenario, STUDY_DIR/<scenario>/<scenario>.h5. Lines are coloured by one varied key and,
when two or more keys vary, styled by another (a third adds markers). Scenarios whose file is
missing, unreadable or whose status says they failed are skipped with a warning. The default
output is STUDY_DIR/comparison.png. Run with Debian's /usr/bin/python3.
"""
import argparse
import csv
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_run as pr  # noqa: E402  (numpy/h5py/matplotlib checks and the run reader)
from plot_run import np, plt, PlotError  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "plot_compare.py"
pr.PROG = PROG
OK_STATUS = {"", "ok", "0", "done", "success", "succeeded", "complete", "completed", "finished"}
SUMMARY_FIRST = "run"
STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def warn(msg):
    print(f"{PROG}: warning: {msg}", file=sys.stderr)


def as_number(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt_value(s):
    """A key's value as shown in a legend: 1e+06 -> 1e6, 0.5 stays 0.5, strings unchanged."""
    v = as_number(s)
    if v is None:
        return str(s)
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        m, e = f"{v:.3g}".split("e") if "e" in f"{v:.3g}" else (f"{v:.3g}", "0")
        return f"{m}e{int(e)}"
    return f"{v:g}"


def read_study(study):
    path = os.path.join(study, "comparison.csv")
    if not os.path.isfile(path):
        raise PlotError(f"no comparison.csv in '{study}' (give the directory `chondrosim compare` wrote)")
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise PlotError(f"{path} has no scenario rows")
    header = [h.strip() for h in rows[0]]
    recs = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) < len(header):
            r = r + [""] * (len(header) - len(r))
        recs.append({h: c.strip() for h, c in zip(header, r)})
    label_col = "scenario" if "scenario" in header else header[0]
    if SUMMARY_FIRST in header:
        start, stop = header.index(label_col) + 1, header.index(SUMMARY_FIRST)
        keys = [h for h in header[start:stop] if h != "status"] if stop > start else []
    else:
        keys = [h for h in header if "." in h and h != label_col]
    return path, header, label_col, keys, recs


def locate_h5(study, rec, label_col):
    """The scenario's .h5, or None."""
    names = [rec.get(label_col, ""), rec.get("run", "")]
    for n in names:
        if not n:
            continue
        for cand in (os.path.join(study, n, n + ".h5"), os.path.join(study, n + ".h5"),
                     n if n.endswith(".h5") else None,
                     os.path.join(study, n) if n.endswith(".h5") else None):
            if cand and os.path.isfile(cand):
                return cand
    for n in names:
        if n and os.path.isdir(os.path.join(study, n)):
            try:
                return pr.find_h5(os.path.join(study, n))
            except PlotError:
                pass
    return None


class Encoding:
    """Colour / line style / marker of each scenario from the varied keys."""

    def __init__(self, scen, keys, colour_by=None, style_by=None):
        self.scen = scen
        varying = [k for k in keys if len({s["rec"].get(k, "") for s in scen}) > 1]
        levels = {k: self._levels(k) for k in varying}
        if colour_by and colour_by not in keys:
            raise PlotError(f"--colour-by {colour_by}: not a varied key of this study (have: {', '.join(keys) or 'none'})")
        if style_by and style_by not in keys:
            raise PlotError(f"--style-by {style_by}: not a varied key of this study (have: {', '.join(keys) or 'none'})")
        order = sorted(varying, key=lambda k: -len(levels[k]))  # most levels -> colour
        if colour_by:
            order = [colour_by] + [k for k in order if k != colour_by]
            levels.setdefault(colour_by, self._levels(colour_by))
        if style_by:
            order = [order[0]] + [style_by] + [k for k in order[1:] if k != style_by] if order[0] != style_by else order
            levels.setdefault(style_by, self._levels(style_by))
        self.colour_key = order[0] if order else None
        self.style_key = order[1] if len(order) > 1 else None
        self.marker_key = order[2] if len(order) > 2 else None
        self.other_keys = order[3:]
        self.levels = levels
        self.colours = self._colours()

    def _levels(self, k):
        vals = sorted({s["rec"].get(k, "") for s in self.scen},
                      key=lambda v: (as_number(v) is None, as_number(v) if as_number(v) is not None else 0, v))
        return vals

    def _colours(self):
        if self.colour_key is None:  # one colour per scenario (tab10, then again dashed, ...)
            cmap = plt.get_cmap("tab10")
            self.own_style = {s["label"]: STYLES[(i // 10) % len(STYLES)] for i, s in enumerate(self.scen)}
            return {s["label"]: cmap(i % 10) for i, s in enumerate(self.scen)}
        lv = self.levels[self.colour_key]
        numeric = all(as_number(v) is not None for v in lv)
        if numeric and len(lv) > 2:
            cmap = plt.get_cmap("viridis")
            return {v: cmap(0.92 * i / (len(lv) - 1)) for i, v in enumerate(lv)}
        cmap = plt.get_cmap("tab10" if len(lv) <= 10 else "tab20")
        return {v: cmap(i % cmap.N) for i, v in enumerate(lv)}

    def style(self, s):
        kw = {"lw": 1.9}
        rec = s["rec"]
        kw["color"] = self.colours[s["label"] if self.colour_key is None else rec.get(self.colour_key, "")]
        if self.colour_key is None:
            kw["ls"] = self.own_style[s["label"]]
        if self.style_key:
            i = self.levels[self.style_key].index(rec.get(self.style_key, ""))
            kw["ls"] = STYLES[i % len(STYLES)]
            if i >= len(STYLES):  # more levels than line styles: add markers to tell them apart
                kw["marker"] = MARKERS[(i // len(STYLES) - 1) % len(MARKERS)]
        if self.marker_key:
            i = self.levels[self.marker_key].index(rec.get(self.marker_key, ""))
            kw["marker"] = MARKERS[i % len(MARKERS)]
        if "marker" in kw:
            kw.update(markevery=0.12, ms=5)
        return kw

    def legends(self):
        """[(title, handles, labels)] for the legend column."""
        out = []
        if self.colour_key is None:
            h = [Line2D([], [], **self.style(s)) for s in self.scen]
            return [("scenario", h, [s["label"] for s in self.scen])]
        lv = self.levels[self.colour_key]
        out.append((self.colour_key + " (colour)", [Line2D([], [], color=self.colours[v], lw=3) for v in lv],
                    [fmt_value(v) for v in lv]))
        if self.style_key:
            lv = self.levels[self.style_key]
            hs = []
            for i, v in enumerate(lv):
                kw = {"color": "0.2", "lw": 1.9, "ls": STYLES[i % len(STYLES)]}
                if i >= len(STYLES):
                    kw["marker"] = MARKERS[(i // len(STYLES) - 1) % len(MARKERS)]
                hs.append(Line2D([], [], **kw))
            out.append((self.style_key + " (line style)", hs, [fmt_value(v) for v in lv]))
        if self.marker_key:
            lv = self.levels[self.marker_key]
            hs = [Line2D([], [], color="0.2", lw=0, marker=MARKERS[i % len(MARKERS)]) for i in range(len(lv))]
            out.append((self.marker_key + " (marker)", hs, [fmt_value(v) for v in lv]))
        return out

    def describe(self):
        parts = []
        if self.colour_key:
            parts.append(f"colour: {self.colour_key}")
        if self.style_key:
            parts.append(f"line style: {self.style_key}")
        if self.marker_key:
            parts.append(f"marker: {self.marker_key}")
        if self.other_keys:
            parts.append("also varied (not encoded): " + ", ".join(self.other_keys))
        return "; ".join(parts) or "one colour per scenario"


PANELS = [
    ("defect_fill", "Defect fill: lesion mean (k + f)", "collagen", False),
    ("hyaline_fraction", "Hyaline fraction Σk / Σ(k + f)", "collagen II share of repair", False),
    ("proteoglycan", "Proteoglycan: lesion mean", "proteoglycan", False),
    ("inflammation", "Inflammation in the lesion (1 = typical OA joint)", "cytokine i", False),
    ("inflammation_fluid", "Inflammation in the joint fluid", "cytokine I", False),
    ("msc_retained", "MSC retention, tissue + fluid (log scale)", "fraction of cells injected so far", True),
]


def plot_compare(study, out, colour_by=None, style_by=None, dpi=110):
    csv_path, header, label_col, keys, recs = read_study(study)
    scen, skipped = [], []
    for rec in recs:
        lab = rec.get(label_col) or rec.get("run") or "?"
        status = rec.get("status", "")
        if status.lower() not in OK_STATUS:
            warn(f"scenario '{lab}': status '{status}' in comparison.csv; skipped")
            skipped.append(lab)
            continue
        h5 = locate_h5(study, rec, label_col)
        if h5 is None:
            warn(f"scenario '{lab}': no output file (expected {os.path.join(study, lab, lab + '.h5')}); skipped")
            skipped.append(lab)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run = pr.Run(h5)
            data = {"t": run.mtime, "m": run.metrics, "u": run.metric_units, "complete": run.complete,
                    "route": run.config.get("therapy.route")}
            run.close()
        except (PlotError, OSError, KeyError) as exc:
            warn(f"scenario '{lab}': cannot read {h5} ({exc}); skipped")
            skipped.append(lab)
            continue
        if data["t"].size == 0:
            warn(f"scenario '{lab}': {h5} has no /metrics; skipped")
            skipped.append(lab)
            continue
        scen.append({"label": lab, "rec": rec, **data})
    if not scen:
        raise PlotError(f"none of the {len(recs)} scenarios of {csv_path} has a readable output file")

    enc = Encoding(scen, keys, colour_by, style_by)
    end = max(float(s["t"][-1]) for s in scen)
    fig = plt.figure(figsize=(19, 10.5), layout="constrained")
    name = os.path.basename(os.path.normpath(os.path.abspath(study)))
    title = f"chondrosim study '{name}': {len(scen)} scenario{'s' if len(scen) != 1 else ''}"
    if skipped:
        title += f" ({len(skipped)} skipped: {', '.join(skipped[:6])}{', ...' if len(skipped) > 6 else ''})"
    fig.suptitle(f"{title}\n{enc.describe()}", fontsize=14)
    gs = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.5])
    axes, target = [], None
    for i, (key, ttl, ylab, log) in enumerate(PANELS):
        ax = fig.add_subplot(gs[i // 3, i % 3], sharex=axes[0] if axes else None)
        axes.append(ax)
        units, drew, series = "", False, []
        for s in scen:
            y = s["m"].get(key)
            if y is None:
                continue
            units = units or s["u"].get(key, "")
            if log:
                y = pr.positive(y)
            series.append(y)
            ax.plot(pr.months(s["t"]), y, **enc.style(s))
            drew = True
        ax.set_title(ttl, fontsize=11)
        if not drew:
            ax.text(0.5, 0.5, f"'{key}' in no scenario file", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
        elif log:
            if np.isfinite(np.concatenate(series)).any():
                ax.set_yscale("log")
                pr.log_floor(ax, series)
            if any(s.get("route") == "intra_articular" for s in scen):
                target = ax.plot(pr.months(np.array([30.0, 180.0])), [0.15, 0.015], "s", color="0.3",
                                 mfc="none", ms=9, mew=1.5)[0]
                lo, hi = ax.get_ylim()
                ax.set_ylim(min(lo, 0.01), max(hi, 0.2))
            ax.set_ylabel(ylab)
        else:
            ax.set_ylabel(pr.label(ylab, units))
            top = max(np.nanmax(y) for y in series)
            if units.startswith("fraction") or units == "1":
                ax.set_ylim(0, max(1.02, 1.05 * top))
            else:
                ax.set_ylim(0, max(1.1 * top, 0.1))
        pr.month_axis(ax, end, xlabel=(i >= 3))
        ax.grid(True, alpha=0.3)
    for ax in axes[:3]:
        ax.tick_params(labelbottom=False)
    lax = fig.add_subplot(gs[:, 3])
    lax.axis("off")
    # one legend, a bold header line per encoded key
    handles, labels, headers = [], [], []
    for k, (title_, hs, lbls) in enumerate(enc.legends()):
        if k:
            handles.append(Line2D([], [], lw=0))
            labels.append(" ")
        headers.append(len(labels))
        handles.append(Line2D([], [], lw=0))
        labels.append(title_)
        handles += hs
        labels += lbls
    if target is not None:
        handles += [Line2D([], [], lw=0), target]
        labels += [" ", "intra-articular retention\ntarget (docs/model.md)"]
    fs = 10 if len(labels) <= 28 else (8.5 if len(labels) <= 40 else 7)
    ncol = 1 if len(labels) <= 40 else 2
    leg = lax.legend(handles, labels, loc="upper left", fontsize=fs, frameon=False, ncol=ncol,
                     handlelength=3.2, borderaxespad=0.0)
    for i in headers:
        leg.get_texts()[i].set_fontweight("bold")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return len(scen), skipped


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot a chondrosim study: fill, hyaline fraction, proteoglycan, inflammation and "
                    "MSC retention over time, one line per scenario of STUDY_DIR/comparison.csv.")
    ap.add_argument("study", metavar="STUDY_DIR", help="directory with comparison.csv and one run directory per scenario")
    ap.add_argument("-o", "--output", metavar="OUT.png", help="output image (default: STUDY_DIR/comparison.png)")
    ap.add_argument("--colour-by", "--color-by", dest="colour_by", metavar="KEY",
                    help="varied key that sets the colour (default: the one with most values)")
    ap.add_argument("--style-by", metavar="KEY", help="varied key that sets the line style")
    ap.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.study):
        ap.error(f"STUDY_DIR '{args.study}' is not a directory")
    out = args.output or os.path.join(args.study, "comparison.png")
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        ap.error(f"output directory '{os.path.dirname(os.path.abspath(out))}' does not exist")
    try:
        n, skipped = plot_compare(args.study, out, args.colour_by, args.style_by, args.dpi)
    except PlotError as exc:
        pr.die(str(exc))
    except OSError as exc:
        pr.die(f"cannot read study '{args.study}': {exc}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
