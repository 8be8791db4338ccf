#!/usr/bin/python3
"""Compares two chondrosim result files of the same scenario run with different numbers
of ranks and threads (README, Parallelism: Parallelism: results do not depend on them beyond
round-off).

usage: /usr/bin/python3 compare_runs.py A.h5 B.h5 [--tol 1e-8] [--ranks RA RB]
           [--threads TA TB] [--label TEXT]

Differences are relative to each series' (or field's) largest absolute value over both
runs. The min_<field> metrics are the exception: far from the lesion they are 1e-40-level
numbers (far below solver.atol, i.e. not controlled by the integrator), so they are
measured against the larger of their own and lesion_mean_<field>'s magnitude; and
ledger_residual (a cell balance, (injected - accounted) / injected, ideally 0 and in
practice round-off) against 1.

Metric series are compared step by step when both runs took the same steps (same times);
otherwise at the output times, which every run hits exactly. Fields are compared at every
output time. Prints the observed maxima; exits 1 if any exceeds --tol or a structural
check fails.
"""
import argparse
import sys

import h5py
import numpy as np

from checklib import check, failures, registry, rel

# Balance residuals, ideally 0, are fractions of what they balance: only their absolute
# size means anything (their own magnitude is round-off), so their scale is at least 1.
ABSOLUTE = {"ledger_residual": 1.0}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--ranks", type=int, nargs=2)
    ap.add_argument("--threads", type=int, nargs=2)
    ap.add_argument("--label", default="")
    o = ap.parse_args()
    print("compare %s\n   A = %s\n   B = %s" % (o.label, o.a, o.b))
    A, B = h5py.File(o.a, "r"), h5py.File(o.b, "r")

    for name, f, i in (("A", A, 0), ("B", B, 1)):
        check(int(f.attrs.get("complete", 0)) == 1, "%s is complete" % name)
        if o.ranks:
            check(int(f.attrs.get("ranks", -1)) == o.ranks[i],
                  "%s ran on %d rank(s) (file says %s)" % (name, o.ranks[i], f.attrs.get("ranks")))
        if o.threads:
            check(int(f.attrs.get("threads", -1)) == o.threads[i],
                  "%s ran with %d thread(s) (file says %s)" % (name, o.threads[i], f.attrs.get("threads")))
    check(np.array_equal(A["grid/dims"][:], B["grid/dims"][:]), "same grid %s" % list(A["grid/dims"][:]))
    check(np.array_equal(A["grid/lesion_mask"][:], B["grid/lesion_mask"][:]), "identical lesion_mask")
    ta, tb = A["time"][:], B["time"][:]
    check(np.array_equal(ta, tb), "same output times %s" % list(ta))
    times = [t for t in ta if t in set(tb)]

    # ------------------------------------------------------------ metrics
    ma, mb = A["metrics"], B["metrics"]
    names = sorted(set(ma.keys()) & set(mb.keys()))
    check(set(ma.keys()) == set(mb.keys()), "same metric names (%d)" % len(names))
    sa, sb = ma["time"][:], mb["time"][:]
    steps_a = int(A["solver"].attrs.get("steps", -1))
    steps_b = int(B["solver"].attrs.get("steps", -1))
    same_steps = len(sa) == len(sb) and np.allclose(sa, sb, rtol=1e-12, atol=0)
    if len(sa) == len(sb):
        dt = float(np.max(np.abs(sa - sb) / np.maximum(np.abs(sa), 1e-300)))
        print("  info  steps: A %d, B %d; step times differ by up to %.3g (relative)"
              % (steps_a, steps_b, dt))
    else:
        print("  info  steps: A %d, B %d (different step sequences)" % (steps_a, steps_b))

    def scale(m):
        s = max(float(np.max(np.abs(ma[m][:]))), float(np.max(np.abs(mb[m][:]))))
        if m in ABSOLUTE:
            s = max(s, ABSOLUTE[m])
        if m.startswith("min_") and "lesion_mean_" + m[4:] in ma:
            lm = "lesion_mean_" + m[4:]
            s = max(s, float(np.max(np.abs(ma[lm][:]))), float(np.max(np.abs(mb[lm][:]))))
        return s

    def rows(t, at):
        hit = np.where(at == t)[0]
        return int(hit[-1]) if hit.size else None

    idx_a = [rows(t, sa) for t in times]
    idx_b = [rows(t, sb) for t in times]
    check(None not in idx_a and None not in idx_b, "both metric series hit every output time exactly")
    worst_out, worst_step = (0.0, ""), (0.0, "")
    for m in names:
        s = scale(m)
        xa, xb = ma[m][:], mb[m][:]
        if None not in idx_a and None not in idx_b:
            worst_out = max(worst_out, (rel(xa[idx_a], xb[idx_b], s), m))
        if same_steps:
            worst_step = max(worst_step, (rel(xa, xb, s), m))
    print("  info  metrics at the output times: max relative difference %.3g (%s)" % worst_out)
    check(worst_out[0] < o.tol, "every metric series at the output times agrees within %g "
          "(observed %.3g, %s)" % (o.tol, worst_out[0], worst_out[1]))
    if same_steps:
        print("  info  metrics at every step: max relative difference %.3g (%s)" % worst_step)
        check(worst_step[0] < o.tol, "every metric series at every step agrees within %g "
              "(observed %.3g, %s)" % (o.tol, worst_step[0], worst_step[1]))
    else:
        print("  info  step times differ: metric series compared at the output times only")

    # ------------------------------------------------------------ fields
    fields = sorted(A["step_00000"].keys())
    check(fields == sorted(registry()[0]) and sorted(B["step_00000"].keys()) == fields,
          "both files hold the %d fields of the registry (src/model/fields.h)" % len(registry()[0]))
    worst_f, worst_last = (0.0, ""), (0.0, "")
    nsteps = min(len(ta), len(tb))
    for k in range(nsteps):
        g = "step_%05d" % k
        for fl in fields:
            xa, xb = A[g][fl][:], B[g][fl][:]
            if xa.shape != xb.shape:
                check(False, "/%s/%s shapes %s vs %s" % (g, fl, xa.shape, xb.shape))
                continue
            s = max(float(np.max(np.abs(xa))), float(np.max(np.abs(xb))))
            r = (rel(xa, xb, s), "%s at t=%g" % (fl, ta[k]))
            worst_f = max(worst_f, r)
            if k == nsteps - 1:
                worst_last = max(worst_last, r)
    print("  info  final fields (t=%g): max relative difference %.3g (%s)"
          % (ta[nsteps - 1], worst_last[0], worst_last[1]))
    print("  info  fields at all output times: max relative difference %.3g (%s)" % worst_f)
    check(worst_f[0] < o.tol, "every field at every output time agrees within %g (observed %.3g)"
          % (o.tol, worst_f[0]))
    overall = max(worst_out[0], worst_step[0], worst_f[0])
    print("MAXRELDIFF %s %.3e" % (o.label.replace(" ", "_") or "-", overall))
    if failures:
        print("compare_runs: %d check(s) FAILED" % len(failures))
        return 1
    print("compare_runs: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
