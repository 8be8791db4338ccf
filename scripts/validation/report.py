"""The validation table (stdout), validation.csv and the one-page figure."""
import csv
import math
import os
import textwrap

COLUMNS = ["id", "check", "type", "name", "source", "origin", "value", "lower", "upper",
           "tolerance", "hard", "status", "misfit", "note", "observation"]


def _fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def table(rows, out):
    hdr = f"{'id':<16} {'type':<4} {'source':<34} {'value':>11} {'tolerance':<18} {'result':<9} note"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for r in rows:
        ident = r["id"] + (f"/{r['label']}" if r["label"] else "")
        hard = "" if r["hard"] else " soft"
        print(f"{ident:<16} {r['type']:<4} {textwrap.shorten(r['source'], 34):<34} "
              f"{_fmt(r['value']):>11} {(r['tolerance'] + hard):<18} {r['status']:<9} {r['note']}",
              file=out)
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    ntar = len({r["id"] for r in rows})
    print("-" * len(hdr), file=out)
    print(f"{len(rows)} checks of {ntar} targets: " +
          ", ".join(f"{counts[s]} {s}" for s in ("PASS", "FAIL", "SOFT-FAIL", "NOT RUN", "ERROR")
                    if s in counts), file=out)


def write_csv(rows, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if (isinstance(r.get(k), float) and math.isnan(r[k])) or r.get(k) is None
                            else r[k]) for k in COLUMNS})


def figure(rows, path, title):
    """One row per check: the tolerance band (green hard, amber soft), the value as a dot
    (blue pass, red fail), NOT RUN / ERROR written in the row. Each row is drawn on its own
    normalised axis: the band spans [0, 1]."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(rows)
    fig, ax = plt.subplots(figsize=(8.27, max(3.0, 0.26 * n + 1.2)))
    for i, r in enumerate(rows):
        y = n - 1 - i
        lo, hi = r["lower"], r["upper"]
        w = r["width"]
        a = lo if lo is not None else hi - w
        b = hi if hi is not None else lo + w
        span = (b - a) or 1.0
        x0 = 0.0 if lo is not None else -0.6
        x1 = 1.0 if hi is not None else 1.6
        ax.barh(y, x1 - x0, left=x0, height=0.6, color="#9ad29a" if r["hard"] else "#f3d48a",
                edgecolor="none")
        v = r["value"]
        if isinstance(v, float) and not math.isnan(v):
            xv = (v - a) / span
            clipped = max(-1.9, min(2.9, xv))
            ax.plot(clipped, y, ms=5, linestyle="none", color="#1f5fbf" if r["status"] == "PASS" else "#c0392b",
                    marker="o" if clipped == xv else (">" if xv > clipped else "<"))
            ax.text(3.05, y, f"{v:.3g}  {r['tolerance']}", va="center", fontsize=6)
        else:
            ax.text(3.05, y, f"{r['status']}: {r['note']}"[:60], va="center", fontsize=6, color="#555")
    ax.set_yticks(range(n))
    ax.set_yticklabels([r["id"] + (f"/{r['label']}" if r["label"] else "") + f" [{r['type']}]"
                        for r in reversed(rows)], fontsize=6)
    ax.set_xlim(-2, 5.2)
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["lower", "upper"], fontsize=7)
    ax.axvline(0, color="#888", lw=0.4)
    ax.axvline(1, color="#888", lw=0.4)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("value on each row's own scale (band = tolerance; arrows: off scale)", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
