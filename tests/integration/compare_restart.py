#!/usr/bin/python3
"""Compares a run continued from a checkpoint (B) with an uninterrupted run (A) of the
same scenario: the whole metrics series, every output field and summary.csv.

usage: /usr/bin/python3 compare_restart.py RUN_DIR_A RUN_DIR_B RUN_NAME [--tol 1e-10]
           [--label TEXT] [--same-steps] [--restarts N] [--identical-until DAY]

Differences are relative to each series' (field's, summary column's) largest absolute
value over both runs; min_<field> metrics are measured against the larger of their own
and lesion_mean_<field>'s magnitude (as in compare_runs.py: far from the lesion they are
1e-40-level numbers below solver.atol), and ledger_residual, itself a relative number that
is ideally 0, is compared absolutely. summary.csv counts towards the bound only when both
runs took the same steps: values it interpolates between steps (fill_6wk, msc_retained_1mo,
days_to_50pct_fill) otherwise differ by the interpolation error, not the solution's.

The metric series are compared row by row when both runs took the same steps (they must
with --same-steps); otherwise at the output times, which every run hits exactly. Prints
the maxima and "MAXRELDIFF <label> <value>"; exits 1 if a check fails or a difference
exceeds --tol.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np

from checklib import check, failures, registry, rel

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("run")
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--label", default="")
    ap.add_argument("--same-steps", action="store_true")
    ap.add_argument("--restarts", type=int)
    ap.add_argument("--identical-until", type=float, metavar="DAY",
                    help="the metric rows up to DAY (the checkpoint) must be bitwise identical")
    o = ap.parse_args()
    print("compare %s\n   A = %s (uninterrupted)\n   B = %s (restarted)" % (o.label, o.a, o.b))
    fa, fb = (os.path.join(d, o.run + ".h5") for d in (o.a, o.b))
    if not (check(os.path.isfile(fa), "A has %s.h5" % o.run) and
            check(os.path.isfile(fb), "B has %s.h5 (the restart finished and renamed it)" % o.run)):
        return 1
    check(not os.path.exists(os.path.join(o.b, o.run + ".partial.h5")), "B has no .partial.h5 left")
    A, B = h5py.File(fa, "r"), h5py.File(fb, "r")
    check(int(A.attrs.get("complete", 0)) == 1 and int(B.attrs.get("complete", 0)) == 1,
          "both files are complete")
    if o.restarts is not None:
        check(int(B.attrs.get("restarts", 0)) == o.restarts,
              "B records %d restart(s) (attribute restarts = %s)" % (o.restarts, B.attrs.get("restarts")))
    check(np.array_equal(A["grid/dims"][:], B["grid/dims"][:]), "same grid")
    ta, tb = A["time"][:], B["time"][:]
    check(np.array_equal(ta, tb), "same output times %s" % list(ta))
    steps_a = sorted(k for k in A.keys() if k.startswith("step_"))
    steps_b = sorted(k for k in B.keys() if k.startswith("step_"))
    check(steps_a == steps_b and len(steps_a) == len(ta), "same step groups (%d), one per /time entry"
          % len(steps_a))

    # ---------------------------------------------------------------- metrics
    ma, mb = A["metrics"], B["metrics"]
    names = sorted(set(ma.keys()) - {"time"})
    check(set(ma.keys()) == set(mb.keys()), "same metric names (%d)" % len(names))
    sa, sb = ma["time"][:], mb["time"][:]
    same_steps = len(sa) == len(sb) and np.array_equal(sa, sb)
    print("  info  metric rows: A %d, B %d; %s" % (len(sa), len(sb),
          "identical step times" if same_steps else "different step sequences"))
    if o.identical_until is not None:
        na, nb = int(np.sum(sa <= o.identical_until)), int(np.sum(sb <= o.identical_until))
        same = na == nb and all(np.array_equal(ma[m][:na], mb[m][:nb]) for m in list(names) + ["time"])
        check(same, "the %d metric rows up to day %g (the checkpoint) are bitwise identical"
              % (na, o.identical_until))
    if o.same_steps:
        check(same_steps, "both runs took exactly the same steps (identical /metrics/time)")

    def scale(m):
        if m == "ledger_residual":  # already relative and ideally 0: compare it absolutely
            return 1.0
        s = max(float(np.max(np.abs(ma[m][:]))), float(np.max(np.abs(mb[m][:]))))
        if m.startswith("min_") and "lesion_mean_" + m[4:] in ma:
            lm = "lesion_mean_" + m[4:]
            s = max(s, float(np.max(np.abs(ma[lm][:]))), float(np.max(np.abs(mb[lm][:]))))
        return s

    def last_row(t, at):
        hit = np.where(at == t)[0]
        return int(hit[-1]) if hit.size else None

    worst_m = (0.0, "-")
    if same_steps:
        for m in names:
            worst_m = max(worst_m, (rel(ma[m][:], mb[m][:], scale(m)), m))
        where = "every step"
    else:
        ia = [last_row(t, sa) for t in ta]
        ib = [last_row(t, sb) for t in ta]
        check(None not in ia and None not in ib, "both metric series hit every output time")
        if None not in ia and None not in ib:
            for m in names:
                worst_m = max(worst_m, (rel(ma[m][:][ia], mb[m][:][ib], scale(m)), m))
        where = "the output times"
    print("  info  metrics at %s: max relative difference %.3g (%s)" % (where, worst_m[0], worst_m[1]))

    # ---------------------------------------------------------------- fields
    worst_f, worst_last = (0.0, "-"), (0.0, "-")
    bad_shapes = []
    for k, g in enumerate(steps_a):
        if g not in B:
            continue
        for fl in sorted(A[g].keys()):
            xa, xb = A[g][fl][:], B[g][fl][:]
            if xa.shape != xb.shape or sorted(A[g].keys()) != sorted(B[g].keys()):
                bad_shapes.append("/%s/%s" % (g, fl))
                continue
            s = max(float(np.max(np.abs(xa))), float(np.max(np.abs(xb))))
            r = (rel(xa, xb, s), "%s at day %g" % (fl, ta[k]))
            worst_f = max(worst_f, r)
            if k == len(steps_a) - 1:
                worst_last = max(worst_last, r)
    check(not bad_shapes, "every step has the same fields and shapes in both %s" % bad_shapes[:3])
    check(all(sorted(A[g].keys()) == sorted(registry()[0]) for g in steps_a),
          "every step of the reference holds the %d registry fields" % len(registry()[0]))
    print("  info  final fields: max relative difference %.3g (%s)" % worst_last)
    print("  info  fields at every output time: max relative difference %.3g (%s)" % worst_f)

    # ---------------------------------------------------------------- summary.csv
    worst_s = (0.0, "-")
    rows = []
    for d in (o.a, o.b):
        with open(os.path.join(d, "summary.csv")) as f:
            rows.append(list(csv.DictReader(f))[0])
    check(rows[0].keys() == rows[1].keys(), "summary.csv: same columns")
    for key in rows[0]:
        if key == "run":
            continue
        va, vb = rows[0][key], rows[1].get(key, "")
        if va == "" or vb == "":
            if va != vb:
                check(False, "summary.csv %s: set in one run only" % key)
            continue
        x, y = float(va), float(vb)
        worst_s = max(worst_s, (rel(x, y, max(abs(x), abs(y))), key))
    print("  info  summary.csv: max relative difference %.3g (%s; printed with 10 digits)%s"
          % (worst_s[0], worst_s[1], "" if same_steps else
             " - not bounded: with other step times its values interpolated between steps differ"))

    overall = max(worst_m[0], worst_f[0], worst_s[0] if same_steps else 0.0)
    check(overall <= o.tol, "metrics, fields%s agree within %g (observed %.3g)"
          % (" and summary" if same_steps else "", o.tol, overall))
    print("MAXRELDIFF %s %.3e" % (o.label.replace(" ", "_") or "-", overall))
    if failures:
        print("compare_restart: %d check(s) FAILED" % len(failures))
        return 1
    print("compare_restart: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
