"""Sampling and statistics of `chondrosim uq` (used by scripts/uq.py and its tests).

Inputs come normalised from the C side (results/<study>/inputs.csv, one line per uncertain
input, already checked against the parameter table): this module only maps unit-cube points
to values, builds the designs and estimates the statistics. numpy and scipy only.

Designs
  plain     N points of a scrambled Sobol sequence (or a Latin hypercube) in [0, 1)^d.
  saltelli  A and B (the two halves of one 2d-dimensional point set) and, per group g of
            inputs, AB_g = A with the columns of g taken from B: N (G + 2) rows.
Sobol indices of a group g (Saltelli et al. 2010, Comput. Phys. Commun. 181: 259):
  S1_g = mean(f(B) (f(AB_g) - f(A))) / V       first order (Saltelli 2010, eq. (b))
  ST_g = mean((f(A) - f(AB_g))^2) / (2 V)      total order (Jansen 1999)
with V the variance of f over A and B; confidence intervals by bootstrap over the N base
points (percentile, 95 %).
"""
import csv
import math

import numpy as np
from scipy import stats
from scipy.stats import qmc


# ---------------------------------------------------------------- inputs

class Input:
    """One uncertain input (a line of inputs.csv)."""

    def __init__(self, row):
        self.key = row["key"]
        self.source = row["source"]          # prior | cohort
        self.kind = row["kind"]              # uniform | loguniform | truncnormal | choice
        self.p = [float(row[f"p{i}"]) for i in range(1, 5)]
        self.choices = row["choices"].split()
        self.weights = np.array([float(w) for w in row["weights"].split()]) if row["weights"] else None
        self.type = row["type"]              # real | int | text
        self.origin = row.get("origin", "")

    def ppf(self, u):
        """Values at unit-cube coordinates u (the inverse CDF); text for choices."""
        u = np.asarray(u, dtype=float)
        if self.kind == "uniform":
            return self.p[0] + u * (self.p[1] - self.p[0])
        if self.kind == "loguniform":
            lo, hi = math.log(self.p[0]), math.log(self.p[1])
            return np.exp(lo + u * (hi - lo))
        if self.kind == "truncnormal":
            mu, sd, lo, hi = self.p
            return stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd).ppf(u)
        if self.kind == "choice":
            cum = np.cumsum(self.weights)
            cum[-1] = 1.0
            idx = np.minimum(np.searchsorted(cum, u, side="right"), len(self.choices) - 1)
            return np.array(self.choices, dtype=object)[idx]
        raise ValueError(f"{self.key}: unknown distribution {self.kind}")

    def text(self, values):
        """Values as the configuration text the runs get."""
        if self.kind == "choice":
            return [str(v) for v in values]
        if self.type == "int":
            return [str(int(round(v))) for v in values]
        return ["%.6g" % v for v in values]


def read_inputs(path):
    with open(path, newline="") as f:
        return [Input(r) for r in csv.DictReader(f)]


# ---------------------------------------------------------------- designs

def unit_points(n, d, sampler, seed):
    """n points in [0, 1)^d: scrambled Sobol (balanced when n is a power of 2) or LHS."""
    if sampler == "sobol":
        eng = qmc.Sobol(d, scramble=True, seed=seed)
        m = int(round(math.log2(n))) if n > 0 else 0
        return eng.random_base2(m) if 2 ** m == n else eng.random(n)
    if sampler == "lhs":
        return qmc.LatinHypercube(d, seed=seed).random(n)
    raise ValueError(f"unknown sampler {sampler}")


def saltelli(n, d, groups, sampler, seed):
    """Rows A (n), B (n), AB_g (n per group); groups = lists of column indices.
    Returns (U, labels) with labels[i] = (block, base index, group index or -1)."""
    base = unit_points(n, 2 * d, sampler, seed)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    labels = [("A", j, -1) for j in range(n)] + [("B", j, -1) for j in range(n)]
    for g, cols in enumerate(groups):
        ab = a.copy()
        ab[:, cols] = b[:, cols]
        blocks.append(ab)
        labels += [("AB", j, g) for j in range(n)]
    return np.vstack(blocks), labels


# ---------------------------------------------------------------- Sobol indices

def sobol_estimates(ya, yb, yab):
    """First- and total-order indices of each group: ya, yb (n,), yab (G, n)."""
    v = np.var(np.concatenate([ya, yb]), ddof=1)
    if not v > 0:
        nan = np.full(len(yab), np.nan)
        return nan, nan
    s1 = np.mean(yb * (yab - ya), axis=1) / v
    st = 0.5 * np.mean((ya - yab) ** 2, axis=1) / v
    return s1, st


def sobol_indices(ya, yb, yab, nboot=200, seed=0):
    """Indices with 95 % bootstrap intervals and standard errors (resampling base points).
    Returns a dict of arrays: S1, S1_lo, S1_hi, S1_se, ST, ST_lo, ST_hi, ST_se."""
    ya, yb, yab = np.asarray(ya, float), np.asarray(yb, float), np.asarray(yab, float)
    s1, st = sobol_estimates(ya, yb, yab)
    out = {"S1": s1, "ST": st}
    n = len(ya)
    if nboot > 0 and n > 1:
        rng = np.random.default_rng(seed)
        b1, bt = [], []
        for _ in range(nboot):
            j = rng.integers(0, n, n)
            x1, xt = sobol_estimates(ya[j], yb[j], yab[:, j])
            b1.append(x1)
            bt.append(xt)
        b1, bt = np.array(b1), np.array(bt)
        for name, b in (("S1", b1), ("ST", bt)):
            out[name + "_lo"] = np.percentile(b, 2.5, axis=0)
            out[name + "_hi"] = np.percentile(b, 97.5, axis=0)
            out[name + "_se"] = np.std(b, axis=0, ddof=1)
    else:
        for name in ("S1", "ST"):
            for suffix in ("_lo", "_hi", "_se"):
                out[name + suffix] = np.full(len(s1), np.nan)
    return out


# ---------------------------------------------------------------- the Ishigami function

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami(x):
    """f(x) = sin x1 + a sin^2 x2 + b x3^4 sin x1, x in [-pi, pi]^3."""
    return (np.sin(x[:, 0]) + ISHIGAMI_A * np.sin(x[:, 1]) ** 2
            + ISHIGAMI_B * x[:, 2] ** 4 * np.sin(x[:, 0]))


def ishigami_indices():
    """Analytic first- and total-order indices (Sobol' & Levitan 1999)."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


# ---------------------------------------------------------------- comparisons

def prob_better(x, y, higher=True):
    """P(x better than y) over paired draws (ties count half) and its standard error."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return np.nan, np.nan, 0
    d = (x[ok] - y[ok]) * (1 if higher else -1)
    p = np.mean(d > 0) + 0.5 * np.mean(d == 0)
    n = int(ok.sum())
    return p, math.sqrt(max(p * (1 - p), 0.0) / n), n


def prob_first(values, higher=True):
    """values (scenarios, draws): P(each scenario ranks first), ties shared, over the draws
    where every scenario has a value."""
    v = np.asarray(values, float)
    ok = np.all(np.isfinite(v), axis=0)
    v = v[:, ok] * (1 if higher else -1)
    if v.shape[1] == 0:
        return np.full(v.shape[0], np.nan), 0
    best = v.max(axis=0)
    winners = (v == best)
    share = winners / winners.sum(axis=0)
    return share.mean(axis=1), int(v.shape[1])
