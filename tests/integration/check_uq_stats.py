#!/usr/bin/python3
"""The statistics of `chondrosim uq` (scripts/uqlib.py) against known answers.

usage: /usr/bin/python3 check_uq_stats.py <source-dir>

Ishigami function f = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 on [-pi, pi]^3, whose Sobol
indices are known in closed form (S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437).
Saltelli design with N = 4096 base points (20480 evaluations), first order by Saltelli
(2010), total order by Jansen (1999).
Tolerance: each estimate must lie within 3 bootstrap standard errors of the analytic value,
and that standard error must be below 0.03. The bootstrap SE is the Monte Carlo error of the
estimator at this N (about 0.01-0.025 here); 3 SE makes a false alarm < 0.3 % per index for
an unbiased estimator, while a biased or wrong estimator (the negative control: x1 and x3
swapped) is off by 0.25-0.3, i.e. > 10 SE. Checked for scrambled Sobol (randomised QMC, whose
actual error is smaller than the bootstrap SE) and for Latin hypercube points (plain Monte
Carlo regime, where the bootstrap SE is the honest error bar).
Also: grouped indices ({x1, x3} together), the inverse CDFs of the four distributions, and
the paired comparison statistics.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(sys.argv[1], "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uqlib  # noqa: E402
from checklib import check, failures  # noqa: E402

N, NBOOT = 4096, 300
s1_true, st_true = uqlib.ishigami_indices()
a, b, pi = uqlib.ISHIGAMI_A, uqlib.ISHIGAMI_B, math.pi
print(f"analytic: S1 = {np.round(s1_true, 4)}, ST = {np.round(st_true, 4)}")
check(abs(s1_true[0] - 0.3139) < 1e-4 and abs(s1_true[1] - 0.4424) < 1e-4 and abs(st_true[2] - 0.2437) < 1e-4,
      "the closed-form Ishigami indices match the literature values (0.3139, 0.4424, 0.2437)")


def estimate(sampler, groups, seed=11):
    u, labels = uqlib.saltelli(N, 3, groups, sampler, seed)
    y = uqlib.ishigami(-pi + 2 * pi * u)
    g = len(groups)
    check(len(y) == N * (g + 2) and [l[0] for l in labels[:1] + labels[N:N + 1] + labels[2 * N:2 * N + 1]] == ["A", "B", "AB"],
          f"{sampler}: Saltelli design has N (G + 2) = {N * (g + 2)} rows in blocks A, B, AB")
    return uqlib.sobol_indices(y[:N], y[N:2 * N], y[2 * N:].reshape(g, N), NBOOT, seed)


for sampler in ("sobol", "lhs"):
    r = estimate(sampler, [[0], [1], [2]])
    for kind, true in (("S1", s1_true), ("ST", st_true)):
        for i in range(3):
            err, se = abs(r[kind][i] - true[i]), r[kind + "_se"][i]
            check(err <= 3 * se and se < 0.03,
                  f"{sampler}: {kind} of x{i + 1} = {r[kind][i]:.4f} vs {true[i]:.4f}: |error| {err:.4f} <= "
                  f"3 SE = {3 * se:.4f}, SE < 0.03; 95 % CI [{r[kind + '_lo'][i]:.3f}, {r[kind + '_hi'][i]:.3f}]")

# Negative control: the same check must fail when the indices are attributed wrongly.
r = estimate("sobol", [[2], [1], [0]])
wrong = [abs(r["S1"][0] - s1_true[0]) > 3 * r["S1_se"][0], abs(r["ST"][0] - st_true[0]) > 3 * r["ST_se"][0]]
check(all(wrong), f"negative control: with x1 and x3 swapped the check fails (S1 {r['S1'][0]:.3f} vs "
      f"{s1_true[0]:.3f}, ST {r['ST'][0]:.3f} vs {st_true[0]:.3f})")

# Grouped indices: {x1, x3} has first order (V1 + V13) / V = ST_1, total order 1 - S1_2.
r = estimate("sobol", [[0, 2], [1]])
for kind, true in (("S1", st_true[0]), ("ST", 1 - s1_true[1])):
    err, se = abs(r[kind][0] - true), r[kind + "_se"][0]
    check(err <= 3 * se and se < 0.03, f"group {{x1, x3}}: {kind} = {r[kind][0]:.4f} vs {true:.4f} (3 SE = {3 * se:.4f})")

# Inverse CDFs of the distributions.
row = dict(key="k", source="prior", p1="0", p2="0", p3="0", p4="0", choices="", weights="", type="real")
u = (np.arange(20000) + 0.5) / 20000
x = uqlib.Input(dict(row, kind="loguniform", p1="0.01", p2="1")).ppf(u)
check(abs(np.median(x) - 0.1) < 1e-3 and x.min() >= 0.01 and x.max() <= 1, "loguniform 0.01 1: median 0.1 (geometric mean), within bounds")
x = uqlib.Input(dict(row, kind="truncnormal", p1="0", p2="1", p3="-1", p4="2")).ppf(u)
from scipy import stats  # noqa: E402
m_true = stats.truncnorm(-1, 2).mean()
check(x.min() >= -1 and x.max() <= 2 and abs(x.mean() - m_true) < 1e-3, f"truncnormal 0 1 -1 2: within bounds, mean {x.mean():.4f} vs {m_true:.4f}")
x = uqlib.Input(dict(row, kind="choice", choices="kl2 kl3 kl4", weights="0.5 0.3 0.2", type="text")).ppf(u)
freq = [np.mean(x == c) for c in ("kl2", "kl3", "kl4")]
check(np.allclose(freq, [0.5, 0.3, 0.2], atol=1e-3), f"choice kl2:0.5 kl3:0.3 kl4:0.2: frequencies {np.round(freq, 4)}")
x = uqlib.Input(dict(row, kind="uniform", p1="1", p2="3", type="int")).text([1.4, 2.6])
check(x == ["1", "3"], "integer keys are written rounded")
pts = uqlib.unit_points(256, 5, "sobol", 1)
check(all(sorted(np.floor(pts[:, j] * 256).astype(int)) == list(range(256)) for j in range(5)),
      "256 scrambled Sobol points: one in each 1/256 slice of every coordinate")

# Paired comparisons.
p, se, n = uqlib.prob_better([1, 2, 3, 4], [0, 3, 3, np.nan])
check(n == 3 and abs(p - 0.5) < 1e-12, "P(A better than B): 1 win, 1 loss, 1 tie (half), NaN pair skipped = 0.5")
pf, n = uqlib.prob_first(np.array([[1, 5, 2], [3, 1, 2], [0, 0, 1]]))
check(n == 3 and np.allclose(pf, [(1 + 0.5) / 3, (1 + 0.5) / 3, 0]), "P(first): ties share the win; sums to 1")
p, _, _ = uqlib.prob_better([1, 2], [2, 3], higher=False)
check(p == 1.0, "lower is better: the smaller value wins")

print(f"check_uq_stats: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
