#!/usr/bin/python3
"""The Python half of `chondrosim uq`: draws before the runs, statistics after.

usage: /usr/bin/python3 scripts/uq.py design  results/<study>
       /usr/bin/python3 scripts/uq.py analyze results/<study>   (analyze-noplot: no PNGs)

`chondrosim uq STUDY.ini` calls both; run `analyze` by hand to redo the statistics or
plots. Reads only what chondrosim wrote into results/<study>/: uq.ini (settings),
inputs.csv (the checked distributions), and after the runs sweep.csv (scripts/aggregate.py)
and each run's HDF5 /metrics.

design   writes design.csv (one row per draw: the config values; the sweep runs every
         scenario x every row, so draw j is the same in every scenario = common random
         numbers) and draws.csv (block, base index, group and unit-cube point of each row).
         If design.csv exists and differs (the study changed), exit 3 and change nothing:
         finished runs are never mixed with other draws.
analyze  writes
  outcomes.csv    one line per run: scenario, draw, block, status, the outcomes
  stats.csv       per scenario and outcome: n, mean, sd, median, 5 % and 95 % quantiles
  bands.csv       per scenario, series and day: 5 %, median and 95 % over the draws
  pairwise.csv    per outcome and ordered pair: P(A better than B) over paired draws with its
                  standard error, and the median and 5-95 % of the paired difference
  rank_first.csv  per outcome: P(each scenario ranks first)
  sobol.csv       (sensitivity = sobol) first/total-order indices with bootstrap 95 % CIs per
                  scenario and outcome, and for the paired difference of the two best
                  scenarios by rank_by (which input decides the ranking)
  report.txt      the findings in words and numbers
  bands.png, outcomes.png, sobol.png
The statistics use the draws of blocks plain (or A and B of a Saltelli design) that finished
in every scenario; a draw missing in one scenario is left out of all (pairing).
"""
import configparser
import csv
import io
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uqlib  # noqa: E402


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def csv_text(header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def settings(d):
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
    cp.read(os.path.join(d, "uq.ini"))
    s = cp["uq"]
    return {
        "name": s["name"], "draws": int(s["draws"]), "seed": int(s["seed"]),
        "sampler": s["sampler"], "sensitivity": s["sensitivity"],
        "bootstrap": int(s["bootstrap"]), "rank_by": s["rank_by"],
        "rows_per_scenario": int(s["rows_per_scenario"]),
        "outcomes": s["outcomes"].split(), "series": s["series"].split(),
        "groups": s["groups"].split(), "matrix": s["matrix"].split(),
        "cohort": s.get("cohort_description", ""),
    }


def sensitivity_groups(inputs, listed):
    """Lists of column indices and their names: listed keys alone, `cohort` = every cohort
    input, the rest one group; without a list every input alone."""
    if not listed:
        return [[i] for i in range(len(inputs))], [x.key for x in inputs]
    groups, names, used = [], [], set()
    for g in listed:
        cols = [i for i, x in enumerate(inputs) if (x.source == "cohort" if g == "cohort" else x.key == g)]
        groups.append(cols)
        names.append("cohort (all patient inputs)" if g == "cohort" else g)
        used.update(cols)
    rest = [i for i in range(len(inputs)) if i not in used]
    if rest:
        groups.append(rest)
        names.append(f"other ({len(rest)} inputs)")
    return groups, names


# ---------------------------------------------------------------- design

def design(d):
    cfg = settings(d)
    inputs = uqlib.read_inputs(os.path.join(d, "inputs.csv"))
    n, dim = cfg["draws"], len(inputs)
    if cfg["sensitivity"] == "sobol":
        groups, gnames = sensitivity_groups(inputs, cfg["groups"])
        u, labels = uqlib.saltelli(n, dim, groups, cfg["sampler"], cfg["seed"])
    else:
        gnames = []
        u = uqlib.unit_points(n, dim, cfg["sampler"], cfg["seed"])
        labels = [("plain", j, -1) for j in range(n)]
    if len(u) != cfg["rows_per_scenario"]:
        print(f"uq.py: {len(u)} design rows, chondrosim expected {cfg['rows_per_scenario']}", file=sys.stderr)
        return 2
    cols = [x.text(x.ppf(u[:, i])) for i, x in enumerate(inputs)]
    text = csv_text([x.key for x in inputs], [[c[r] for c in cols] for r in range(len(u))])
    path = os.path.join(d, "design.csv")
    if os.path.exists(path):
        with open(path, newline="") as f:
            if f.read() != text:
                print(f"uq.py: {path} holds other draws than the study now asks for (draws, seed, "
                      "sampler, priors, vary, cohort or groups changed)", file=sys.stderr)
                return 3
    else:
        atomic_write(path, text)
    meta = [[r, b, j, gnames[g] if g >= 0 else ""] + ["%.6f" % v for v in u[r]]
            for r, (b, j, g) in enumerate(labels)]
    atomic_write(os.path.join(d, "draws.csv"),
                 csv_text(["row", "block", "index", "group"] + ["u:" + x.key for x in inputs], meta))
    return 0


# ---------------------------------------------------------------- analysis

def label_of(matrix, values):
    """The scenario name `compare` gives: the key's last part and the value."""
    parts = []
    for k, v in zip(matrix, values):
        short = k.rsplit(".", 1)[-1]
        if sum(1 for o in matrix if o.rsplit(".", 1)[-1] == short) > 1:
            short = k
        parts.append("".join(c if c.isalnum() or c in "._+-" else "_" for c in f"{short}_{v}"))
    return "-".join(parts) if parts else "base"


def number(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return math.nan


def read_series(d, run, names, grid):
    """The run's /metrics series interpolated onto `grid` (NaN beyond its end)."""
    import h5py
    out = np.full((len(names), len(grid)), np.nan)
    path = os.path.join(d, run, run + ".h5")
    try:
        with h5py.File(path, "r") as f:
            t = f["metrics/time"][:]
            for i, name in enumerate(names):
                if "metrics/" + name in f:
                    out[i] = np.interp(grid, t, f["metrics/" + name][:], right=np.nan)
    except OSError:
        pass
    return out


def quant(x, q):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if len(x) else math.nan


def fmt(v):
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else "%.6g" % v


def analyze(d, plot=True):
    cfg = settings(d)
    path = os.path.join(d, "sweep.csv")
    if not os.path.exists(path):
        print(f"uq.py: {path} is missing (scripts/aggregate.py {d} writes it)", file=sys.stderr)
        return 2
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(d, "draws.csv"), newline="") as f:
        draws = list(csv.DictReader(f))
    R = cfg["rows_per_scenario"]
    if len(rows) % R or len(draws) != R:
        print(f"uq.py: {len(rows)} runs, {len(draws)} design rows: not scenarios x draws", file=sys.stderr)
        return 2
    ns = len(rows) // R
    matrix = cfg["matrix"]
    labels = [label_of(matrix, [rows[s * R][k] for k in matrix]) for s in range(ns)]
    outcomes = [(o.split(":")[0], not o.endswith(":lower")) for o in cfg["outcomes"]]
    onames = [o for o, _ in outcomes]
    higher = dict(outcomes)
    if cfg["rank_by"] not in higher:
        onames.append(cfg["rank_by"])
        higher[cfg["rank_by"]] = True

    # Y[s][outcome] = array over design rows; done[s] = bool array
    Y = {s: {o: np.array([number(rows[s * R + r].get(o)) for r in range(R)]) for o in onames} for s in range(ns)}
    state = np.array([[run_state(d, rows[s * R + r]) for r in range(R)] for s in range(ns)])
    done = state == "done"
    all_done = done.all(axis=0)
    inadmissible = (state == "inadmissible").any(axis=0)
    block = [x["block"] for x in draws]
    stat_rows = np.array([b in ("plain", "A", "B") for b in block]) & all_done
    nstat = int(stat_rows.sum())
    nwanted = sum(b in ("plain", "A", "B") for b in block)

    # outcomes.csv
    out = []
    for s in range(ns):
        for r in range(R):
            row = rows[s * R + r]
            out.append([labels[s], r, block[r], draws[r]["index"], draws[r]["group"], row["run"], state[s, r]]
                       + [fmt(Y[s][o][r]) for o in onames])
    atomic_write(os.path.join(d, "outcomes.csv"),
                 csv_text(["scenario", "draw", "block", "index", "group", "run", "status"] + onames, out))

    # stats.csv
    summ = []
    for s in range(ns):
        for o in onames:
            x = Y[s][o][stat_rows]
            x = x[np.isfinite(x)]
            summ.append([labels[s], o, len(x), fmt(np.mean(x) if len(x) else math.nan),
                         fmt(np.std(x, ddof=1) if len(x) > 1 else math.nan), fmt(quant(x, 50)),
                         fmt(quant(x, 5)), fmt(quant(x, 95))])
    atomic_write(os.path.join(d, "stats.csv"),
                 csv_text(["scenario", "outcome", "n", "mean", "sd", "median", "q05", "q95"], summ))

    # pairwise.csv and rank_first.csv
    pair, first = [], []
    for o in onames:
        for a in range(ns):
            for b in range(ns):
                if a == b:
                    continue
                xa, xb = Y[a][o][stat_rows], Y[b][o][stat_rows]
                p, se, n = uqlib.prob_better(xa, xb, higher[o])
                diff = xa - xb
                pair.append([o, "higher" if higher[o] else "lower", labels[a], labels[b], n, fmt(p), fmt(se),
                             fmt(quant(diff, 50)), fmt(quant(diff, 5)), fmt(quant(diff, 95))])
        pf, n = uqlib.prob_first(np.array([Y[s][o][stat_rows] for s in range(ns)]), higher[o])
        for s in range(ns):
            first.append([o, labels[s], n, fmt(pf[s])])
    atomic_write(os.path.join(d, "pairwise.csv"),
                 csv_text(["outcome", "better", "A", "B", "n", "p_A_better", "se", "diff_median",
                           "diff_q05", "diff_q95"], pair))
    atomic_write(os.path.join(d, "rank_first.csv"), csv_text(["outcome", "scenario", "n", "p_first"], first))

    # bands.csv: series over time
    ends = [number(r.get("end_day")) for r in rows if r["status"] == "done"]
    end = min(ends) if ends else 0.0
    grid = np.linspace(0.0, end, 121) if end > 0 else np.array([0.0])
    series = cfg["series"]
    bands = {}
    idx = np.nonzero(stat_rows)[0]
    for s in range(ns):
        curves = np.array([read_series(d, rows[s * R + r]["run"], series, grid) for r in idx]) \
            if len(idx) else np.full((0, len(series), len(grid)), np.nan)
        bands[s] = curves
    band_rows = []
    for s in range(ns):
        for i, name in enumerate(series):
            c = bands[s][:, i, :] if len(idx) else np.full((0, len(grid)), np.nan)
            with np.errstate(all="ignore"):
                q = np.nanpercentile(c, [5, 50, 95], axis=0) if len(c) else np.full((3, len(grid)), np.nan)
            for t in range(len(grid)):
                band_rows.append([labels[s], name, fmt(grid[t]), fmt(q[0, t]), fmt(q[1, t]), fmt(q[2, t])])
    atomic_write(os.path.join(d, "bands.csv"), csv_text(["scenario", "series", "day", "q05", "median", "q95"], band_rows))

    # sobol.csv
    sob = []
    if cfg["sensitivity"] == "sobol":
        inputs = uqlib.read_inputs(os.path.join(d, "inputs.csv"))
        _, gnames = sensitivity_groups(inputs, cfg["groups"])
        G = len(gnames)
        n = cfg["draws"]
        rowof = {(x["block"], int(x["index"]), x["group"]): r for r, x in enumerate(draws)}
        ia = np.array([rowof[("A", j, "")] for j in range(n)])
        ib = np.array([rowof[("B", j, "")] for j in range(n)])
        iab = np.array([[rowof[("AB", j, g)] for j in range(n)] for g in gnames])
        complete = all_done[ia] & all_done[ib] & all_done[iab].all(axis=0)
        med = [quant(Y[s][cfg["rank_by"]][stat_rows], 50) for s in range(ns)]
        order = sorted(range(ns), key=lambda s: -med[s] if higher[cfg["rank_by"]] else med[s])
        targets = [(labels[s], o, Y[s][o]) for s in range(ns) for o in onames]
        if ns >= 2:
            a, b = order[0], order[1]
            targets.append((f"{labels[a]} minus {labels[b]}", cfg["rank_by"], Y[a][cfg["rank_by"]] - Y[b][cfg["rank_by"]]))
        for scen, o, y in targets:
            ok = complete & np.isfinite(y[ia]) & np.isfinite(y[ib]) & np.isfinite(y[iab]).all(axis=0)
            res = uqlib.sobol_indices(y[ia][ok], y[ib][ok], y[iab][:, ok], cfg["bootstrap"], cfg["seed"])
            for g in range(G):
                sob.append([scen, o, gnames[g], int(ok.sum())] + [fmt(res[k][g]) for k in
                           ("S1", "S1_lo", "S1_hi", "ST", "ST_lo", "ST_hi")])
        atomic_write(os.path.join(d, "sobol.csv"),
                     csv_text(["scenario", "outcome", "input", "n", "S1", "S1_lo", "S1_hi", "ST", "ST_lo", "ST_hi"], sob))

    adm = admissibility(d, draws, inadmissible, [b in ("plain", "A", "B") for b in block])
    report(d, cfg, labels, onames, higher, summ, pair, first, sob, nstat, nwanted, state, adm)
    if plot:
        plots(d, cfg, labels, onames, Y, stat_rows, series, grid, bands, sob)
    bad = int(((state == "failed") | (state == "pending")).sum())
    return 4 if bad else 0


def run_state(d, row):
    """done, pending, failed, or inadmissible: the run stopped at setup with an invalid
    configuration although the configuration itself was validated before the sweep ran:
    the model refused the drawn parameter set (e.g. no viable native tissue)."""
    if row["status"] != "failed":
        return row["status"]
    try:
        with open(os.path.join(d, "status", row["run"] + ".failed")) as f:
            why = f.read()
    except OSError:
        return "failed"
    return "inadmissible" if why.startswith("CHS_ERR_CONFIG") else "failed"


def admissibility(d, draws, inadmissible, counted):
    """Which inputs make a draw inadmissible: for each input, the mean unit-cube coordinate of
    the inadmissible draws minus that of the admissible ones (0 = no influence, +-0.5 = the
    whole effect at one end of the prior). Written to admissibility.csv."""
    keys = [k[2:] for k in draws[0] if k.startswith("u:")]
    sel = np.array(counted)
    u = np.array([[float(x["u:" + k]) for k in keys] for x in draws])[sel]
    bad = np.asarray(inadmissible)[sel]
    rows = []
    if bad.any() and (~bad).any():
        shift = u[bad].mean(axis=0) - u[~bad].mean(axis=0)
        rows = sorted(([k, "%.3f" % v] for k, v in zip(keys, shift)), key=lambda r: -abs(float(r[1])))
    atomic_write(os.path.join(d, "admissibility.csv"), csv_text(["input", "shift"], rows))
    return int(bad.sum()), int(len(bad)), rows


def report(d, cfg, labels, onames, higher, summ, pair, first, sob, nstat, nwanted, state, adm):
    L = []
    L.append(f"uq study {cfg['name']}: {len(labels)} scenario(s) x {cfg['draws']} draw(s) "
             f"({cfg['sampler']}, seed {cfg['seed']}; sensitivity {cfg['sensitivity']})")
    if cfg["cohort"]:
        L.append(f"cohort: {cfg['cohort']}")
    counts = {k: int((state == k).sum()) for k in ("done", "inadmissible", "failed", "pending")}
    L.append(f"runs: {state.size}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    L.append(f"draws in the statistics: {nstat} of {nwanted} (a draw counts only when it finished in "
             "every scenario)")
    nbad, ntot, shifts = adm
    if nbad:
        L.append(f"inadmissible draws: {nbad} of {ntot} ({100.0 * nbad / ntot:.0f} %): the model refuses "
                 "these parameter sets at setup (e.g. native chondrocytes cannot persist), so the "
                 "statistics are conditioned on a viable healthy joint. Inputs that push draws out "
                 "(mean unit-cube shift of the refused draws, admissibility.csv): "
                 + ", ".join(f"{k} {v}" for k, v in shifts[:5]))
    if counts["failed"] or counts["pending"]:
        L.append(f"{counts['failed']} run(s) failed and {counts['pending']} did not finish: see outcomes.csv "
                 "(status) and status/*.failed; run the study again to retry them")
    L.append("")
    for o in onames:
        L.append(f"{o} ({'higher' if higher[o] else 'lower'} is better): median [5 %, 95 %] and P(ranks first)")
        pf = {r[1]: r[3] for r in first if r[0] == o}
        for r in summ:
            if r[1] == o:
                L.append(f"  {r[0]:<40s} {r[5]:>11s} [{r[6]:>11s}, {r[7]:>11s}]   P(first) = {pf.get(r[0], '')}")
        L.append("")
    o = cfg["rank_by"]
    L.append(f"pairwise, {o}: P(row better than column) over paired draws")
    w = max(len(x) for x in labels)
    L.append(" " * (w + 2) + "".join(f"{i + 1:>8d}" for i in range(len(labels))))
    p = {(r[2], r[3]): ("%.3f" % float(r[5]) if r[5] else "-") for r in pair if r[0] == o}
    for i, a in enumerate(labels):
        L.append(f"{i + 1:>2d} {a:<{w}s}" + "".join(f"{p.get((a, b), '-'):>8s}" if a != b else f"{'':>8s}" for b in labels))
    if sob:
        L.append("")
        L.append("Sobol indices (first order S1, total order ST; 95 % bootstrap intervals), largest ST first:")
        keyf = lambda r: -(number(r[7]) if math.isfinite(number(r[7])) else -1)
        for scen in dict.fromkeys(r[0] for r in sob):
            for oo in dict.fromkeys(r[1] for r in sob if r[0] == scen):
                rs = sorted([r for r in sob if r[0] == scen and r[1] == oo], key=keyf)
                L.append(f"  {scen}, {oo} (n = {rs[0][3]}):")
                for r in rs[:8]:
                    L.append(f"    {r[2]:<34s} S1 {r[4]:>9s} [{r[5]:>9s}, {r[6]:>9s}]  ST {r[7]:>9s} [{r[8]:>9s}, {r[9]:>9s}]")
    text = "\n".join(L) + "\n"
    atomic_write(os.path.join(d, "report.txt"), text)
    print(text, end="")


def plots(d, cfg, labels, onames, Y, stat_rows, series, grid, bands, sob):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # bands.png
    fig, axes = plt.subplots(1, len(series), figsize=(5.5 * len(series), 4), squeeze=False)
    for i, name in enumerate(series):
        ax = axes[0][i]
        for s, lab in enumerate(labels):
            c = bands[s][:, i, :]
            if not len(c):
                continue
            with np.errstate(all="ignore"):
                q = np.nanpercentile(c, [5, 50, 95], axis=0)
            col = colors[s % len(colors)]
            ax.fill_between(grid, q[0], q[2], color=col, alpha=0.2, lw=0)
            ax.plot(grid, q[1], color=col, label=lab)
        ax.set_xlabel("day")
        ax.set_ylabel(name)
        ax.set_title(f"{name}: median and 5-95 % band")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "bands.png"), dpi=110)
    plt.close(fig)
    # outcomes.png: distributions per scenario
    fig, axes = plt.subplots(1, len(onames), figsize=(4.5 * len(onames), 4), squeeze=False)
    for i, o in enumerate(onames):
        ax = axes[0][i]
        data = [Y[s][o][stat_rows][np.isfinite(Y[s][o][stat_rows])] for s in range(len(labels))]
        ax.boxplot(data, whis=(5, 95), showfliers=False)
        ax.set_xticks(range(1, len(labels) + 1), [str(k + 1) for k in range(len(labels))])
        ax.set_title(o)
        ax.set_xlabel("scenario")
    fig.suptitle("; ".join(f"{k + 1} = {lab}" for k, lab in enumerate(labels)), fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "outcomes.png"), dpi=110)
    plt.close(fig)
    # sobol.png: the rank_by outcome of every scenario and the top-2 difference
    if sob:
        targets = [t for t in dict.fromkeys((r[0], r[1]) for r in sob) if t[1] == cfg["rank_by"]]
        fig, axes = plt.subplots(len(targets), 1, figsize=(9, 2.6 * len(targets)), squeeze=False)
        for i, (scen, o) in enumerate(targets):
            ax = axes[i][0]
            rs = [r for r in sob if r[0] == scen and r[1] == o]
            x = np.arange(len(rs))
            for off, k, lab in ((-0.2, 4, "S1"), (0.2, 7, "ST")):
                v = np.array([number(r[k]) for r in rs])
                lo = np.array([number(r[k + 1]) for r in rs])
                hi = np.array([number(r[k + 2]) for r in rs])
                err = np.nan_to_num(np.vstack([v - lo, hi - v]).clip(min=0))
                ax.bar(x + off, np.nan_to_num(v), 0.4, yerr=err, label=lab, capsize=2)
            ax.set_xticks(x, [r[2] for r in rs], rotation=30, ha="right", fontsize=7)
            ax.set_title(f"{scen}: {o}", fontsize=9)
            ax.axhline(0, color="k", lw=0.5)
        axes[0][0].legend()
        fig.tight_layout()
        fig.savefig(os.path.join(d, "sobol.png"), dpi=110)
        plt.close(fig)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("design", "analyze", "analyze-noplot"):
        print(__doc__.strip(), file=sys.stderr if argv[1:2] not in (["-h"], ["--help"]) else sys.stdout)
        return 0 if argv[1:2] in (["-h"], ["--help"]) else 2
    if argv[1] == "design":
        return design(argv[2])
    return analyze(argv[2], plot=argv[1] == "analyze")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
