#!/usr/bin/python3
"""Fits model knobs to the validation targets by bounded weighted least squares.

usage: calibrate.py [--config models/calibration.ini] [--engine BIN] [--jobs N] [--quick]
                    [--models DIR] [--write base|layer|none] [--record FILE]
                    [--out DIR] [--max-evals N] [--targets DIR]

The knobs, their bounds and the targets they are fitted to are listed in a calibration
file (see models/calibration.ini):

    [fit]
    targets = V10 V11        ; targets whose checks enter the misfit (hard and soft)
    weights = V11=0.5        ; optional per-target weights (default 1)
    step = 0.01              ; finite-difference step, fraction of each knob's range
    max_evals = 40           ; evaluations of the misfit at most
    [knob joint.delta_elsewhere]
    start = 0.0154
    lower = 0.005
    upper = 0.05
    scale = log              ; lin or log: the knob is fitted on this scale
    targets = V10 V11        ; the targets it is meant to move (for the record)
    evidence = what bounds it

Each check's residual is weight x (distance of the observable outside its tolerance
interval) / (the interval's width), zero inside: the fit asks for nothing more than the
evidence does. Every evaluation runs the targets' scenarios through the engine's CLI in
parallel (--jobs), with the knobs as --set overrides; the finite-difference Jacobian runs
all its perturbed points at once. Nothing is random: the same inputs give the same fit.
Trial outcomes (dose, source, route, product rankings) are not targets and are never
fitted. Writes the fitted values into the models directory (write_fitted) and a record into
CALIBRATION.md (between markers, the rest of the file is kept).
"""
import argparse
import configparser
import math
import os
import shutil
import sys
import time

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validation import suite, targets as tgt  # noqa: E402
from validation.runner import Engine, run_all  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- calibrate.py: begin -->", "<!-- calibrate.py: end -->"


class CalibrationError(Exception):
    pass


class Knob:
    def __init__(self, key, start, lower, upper, scale, targets, evidence):
        self.key, self.start, self.lower, self.upper = key, start, lower, upper
        self.scale, self.targets, self.evidence = scale, targets, evidence

    def to_unit(self, x):
        if self.scale == "log":
            return (math.log(x) - math.log(self.lower)) / (math.log(self.upper) - math.log(self.lower))
        return (x - self.lower) / (self.upper - self.lower)

    def from_unit(self, u):
        u = min(1.0, max(0.0, float(u)))
        if self.scale == "log":
            return math.exp(math.log(self.lower) + u * (math.log(self.upper) - math.log(self.lower)))
        return self.lower + u * (self.upper - self.lower)


def load_config(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    cp.optionxform = str
    if not cp.read(path):
        raise CalibrationError(f"{path}: cannot read")

    def num(sec, key):
        if key not in cp[sec]:
            raise CalibrationError(f"{path}: [{sec}] {key}: missing")
        try:
            return float(cp[sec][key])
        except ValueError:
            raise CalibrationError(f"{path}: [{sec}] {key}: '{cp[sec][key]}' is not a number") from None

    knobs = []
    for sec in cp.sections():
        if not sec.startswith("knob "):
            continue
        key = sec[5:].strip()
        k = Knob(key, num(sec, "start"), num(sec, "lower"), num(sec, "upper"),
                 cp[sec].get("scale", "lin").strip(), cp[sec].get("targets", "").split(),
                 " ".join(cp[sec].get("evidence", "").split()))
        if k.scale not in ("lin", "log"):
            raise CalibrationError(f"{path}: [{sec}] scale: '{k.scale}': allowed lin, log")
        if not k.lower < k.upper or not k.lower <= k.start <= k.upper:
            raise CalibrationError(f"{path}: [{sec}] start/lower/upper: need lower <= start <= upper "
                                   f"and lower < upper (got {k.start:g}, {k.lower:g}, {k.upper:g})")
        if k.scale == "log" and k.lower <= 0:
            raise CalibrationError(f"{path}: [{sec}] lower: {k.lower:g}: a log-scale knob needs lower > 0")
        knobs.append(k)
    if not knobs:
        raise CalibrationError(f"{path}: no [knob section.key] sections")
    fit = cp["fit"] if "fit" in cp else {}
    ids = fit.get("targets", "").split() or sorted({t for k in knobs for t in k.targets})
    weights = {}
    for item in fit.get("weights", "").split():
        tid, eq, w = item.partition("=")
        try:
            weights[tid] = float(w)
        except ValueError:
            raise CalibrationError(f"{path}: [fit] weights: '{item}': expected ID=number") from None
    opts = {"step": float(fit.get("step", 0.01)), "max_evals": int(fit.get("max_evals", 40))}
    return knobs, ids, weights, opts


class Problem:
    """The misfit vector as a function of the knobs (unit scale), with a cache."""

    def __init__(self, engine, targets, knobs, weights, out, quick, jobs, log):
        self.engine, self.targets, self.knobs = engine, targets, knobs
        self.weights, self.out, self.quick, self.jobs, self.log = weights, out, quick, jobs, log
        self.cache, self.nevals = {}, 0

    def values(self, u):
        return [k.from_unit(v) for k, v in zip(self.knobs, u)]

    def _key(self, u):
        return tuple(round(float(v), 12) for v in u)

    def rows_many(self, us):
        """Evaluates several knob vectors in one parallel batch; returns their rows."""
        todo = [u for u in us if self._key(u) not in self.cache]
        plans = []
        for u in todo:
            self.nevals += 1
            extra = [(k.key, f"{x:.10g}") for k, x in zip(self.knobs, self.values(u))]
            d = os.path.join(self.out, f"eval_{self.nevals:04d}")
            jobs, info = suite.plan(self.engine, self.targets, d, self.quick, extra)
            plans.append((u, jobs, info, self.nevals))
        run_all(self.engine, [j for _, js, _, _ in plans for j in js], self.jobs)
        for u, _, info, n in plans:
            rows = suite.evaluate(self.targets, info)
            bad = [r for r in rows if r["status"] in ("ERROR", "NOT RUN")]
            if bad:
                r = bad[0]
                raise CalibrationError(f"target {r['id']} {r['check']}: {r['status']}: {r['note']}")
            self.cache[self._key(u)] = rows
            self.log(f"  eval {n}: " + ", ".join(f"{k.key}={x:.5g}" for k, x in zip(self.knobs, self.values(u)))
                     + f" -> cost {0.5 * float(np.sum(self.residual_of(rows) ** 2)):.4g}")
        return [self.cache[self._key(u)] for u in us]

    def residual_of(self, rows):
        return np.array([self.weights.get(r["id"], 1.0) * r["misfit"] for r in rows])

    def fun(self, u):
        return self.residual_of(self.rows_many([u])[0])

    def perturbed(self, u, step):
        pts, hs = [], []
        for i in range(len(u)):
            h = step if u[i] + step <= 1.0 else -step
            p = np.array(u, dtype=float)
            p[i] += h
            pts.append(p)
            hs.append(h)
        return pts, hs

    def jac(self, u, step):
        pts, hs = self.perturbed(u, step)
        base, *rows = self.rows_many([u] + pts)
        r0 = self.residual_of(base)
        return np.column_stack([(self.residual_of(r) - r0) / h for r, h in zip(rows, hs)])

    def value_jac(self, u, step):
        """d(observable)/d(unit knob) / tolerance width, per check: the raw pull of each
        knob on each target, also where the misfit is zero."""
        pts, hs = self.perturbed(u, step)
        base, *rows = self.rows_many([u] + pts)
        v0 = np.array([r["value"] for r in base])
        w = np.array([r["width"] for r in base])
        return np.column_stack([(np.array([x["value"] for x in r]) - v0) / h / w for r, h in zip(rows, hs)])


def write_fitted(values, models_dir, mode="base"):
    """Writes fitted knob values into models/: mode "base" rewrites each key's line in
    base.ini (keeping its comment, noting the calibration), "layer" writes calibrated.ini
    (a [section] key = value layer), "none" writes nothing. Returns the file written."""
    if mode == "none":
        return None
    if mode == "layer":
        path = os.path.join(models_dir, "calibrated.ini")
        by_sec = {}
        for key, v in values.items():
            sec, k = key.split(".", 1)
            by_sec.setdefault(sec, []).append((k, v))
        with open(path, "w") as fh:
            fh.write("; Knob values fitted by scripts/calibrate.py (record: CALIBRATION.md).\n")
            for sec, items in by_sec.items():
                fh.write(f"\n[{sec}]\n")
                for k, v in items:
                    fh.write(f"{k} = {v:.6g}\n")
        return path
    path = os.path.join(models_dir, "base.ini")
    lines = open(path).read().split("\n")
    for key, v in values.items():
        sec, k = key.split(".", 1)
        cur, done = None, False
        for i, line in enumerate(lines):
            s = line.strip()
            if s.startswith("[") and s.endswith("]"):
                cur = s[1:-1].strip()
                continue
            name, eq, rest = line.partition("=")
            if cur == sec and eq and name.strip() == k:
                val, sc, comment = rest.partition(";")
                old = val.strip()
                note = "" if "calibrate.py" in comment else f" [calibrate.py: was {old}]"
                head = f"{name.rstrip()} = {v:.6g}"
                pad = max(len(name.rstrip()) + 3 + len(val.rstrip()), len(head) + 1)
                lines[i] = (head.ljust(pad) + "; " + comment.strip() + note) if sc else head + "  ; [calibrate.py: was " + old + "]"
                done = True
                break
        if not done:
            raise CalibrationError(f"{path}: no line '{k} = ...' in section [{sec}] for knob {key}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return path


def _rel(path):
    """A path inside the repository relative to its root (the record must not point outside)."""
    ap = os.path.abspath(path)
    return os.path.relpath(ap, ROOT) if ap.startswith(ROOT + os.sep) else path


def record(path, knobs, start_vals, fit_vals, rows0, rows1, vjac, res, weights, cmd, written, secs):
    out = [BEGIN, "## Calibration by program (scripts/calibrate.py)", "",
           f"Command: `{cmd}`  ", f"Result: {res.message} ({res.nfev} misfit evaluations, {secs:.0f} s); "
           f"cost {0.5 * float(np.sum(res.fun ** 2)):.4g} (start {rows0['cost']:.4g}).  ",
           f"Written to: {_rel(written) if written else 'nothing (--write none)'}", "",
           "| knob | scale | lower | upper | start | fitted | fitted to | evidence |",
           "|---|---|---|---|---|---|---|---|"]
    for k, a, b in zip(knobs, start_vals, fit_vals):
        out.append(f"| `{k.key}` | {k.scale} | {k.lower:g} | {k.upper:g} | {a:.4g} | {b:.4g} | "
                   f"{' '.join(k.targets)} | {k.evidence} |")
    out += ["", "Residual per target check (misfit = distance outside the tolerance / its width, "
            "times the target's weight; 0 = inside):", "",
            "| check | tolerance | weight | value at start | misfit at start | value fitted | misfit fitted |",
            "|---|---|---|---|---|---|---|"]
    for r0, r1 in zip(rows0["rows"], rows1):
        cid = r1["id"] + (f"/{r1['label']}" if r1["label"] else "")
        out.append(f"| {cid} | {r1['tolerance']} | {weights.get(r1['id'], 1.0):g} | {r0['value']:.4g} | "
                   f"{r0['misfit']:.3g} | {r1['value']:.4g} | {r1['misfit']:.3g} |")
    out += ["", "Which way each target pulls each knob at the fitted values: d(value)/d(knob), "
            "in tolerance widths per unit of the knob's (lin/log) range; a target outside its "
            "tolerance *wants* the knob moved the way that brings it back (up/down); inside, "
            "it is satisfied (-).", ""]
    out.append("| check | " + " | ".join(f"`{k.key}`" for k in knobs) + " |")
    out.append("|---|" + "---|" * len(knobs))
    wants = []
    for i, r in enumerate(rows1):
        cells, w = [], []
        for j in range(len(knobs)):
            d = vjac[i, j]
            want = "-"
            if r["lower"] is not None and r["value"] < r["lower"]:
                want = "up" if d > 0 else "down" if d < 0 else "stuck"
            elif r["upper"] is not None and r["value"] > r["upper"]:
                want = "down" if d > 0 else "up" if d < 0 else "stuck"
            w.append(want)
            cells.append(f"{d:+.3g} ({want})")
        wants.append(w)
        out.append(f"| {r['id']}{'/' + r['label'] if r['label'] else ''} | " + " | ".join(cells) + " |")
    conflicts = []
    name = lambda r: r["id"] + (f"/{r['label']}" if r["label"] else "")  # noqa: E731
    for j, k in enumerate(knobs):
        ups = [name(rows1[i]) for i in range(len(rows1)) if wants[i][j] == "up"]
        downs = [name(rows1[i]) for i in range(len(rows1)) if wants[i][j] == "down"]
        if ups and downs:
            conflicts.append(f"`{k.key}`: {', '.join(ups)} want it up, {', '.join(downs)} want it down")
    # checks outside their tolerance whose wanted knob moves point in opposite directions
    want_dir = []
    for i, r in enumerate(rows1):
        if r["lower"] is not None and r["value"] < r["lower"]:
            want_dir.append(vjac[i])
        elif r["upper"] is not None and r["value"] > r["upper"]:
            want_dir.append(-vjac[i])
        else:
            want_dir.append(None)
    n = len(rows1)
    for a in range(n):
        for b in range(a + 1, n):
            ga, gb = want_dir[a], want_dir[b]
            if ga is None or gb is None or len(knobs) < 2:
                continue
            na, nb = np.linalg.norm(ga), np.linalg.norm(gb)
            if na > 0 and nb > 0 and np.dot(ga, gb) / (na * nb) < -0.5:
                conflicts.append(f"{name(rows1[a])} and {name(rows1[b])} want the knobs moved in "
                                 f"opposite directions (cosine {np.dot(ga, gb) / (na * nb):.2f})")
    out += ["", "Targets pulling against each other: " + ("; ".join(conflicts) if conflicts else
            "none found at the fitted values (no knob is wanted up by one target and down by another)."),
            "", END]
    text = "\n".join(out) + "\n"
    old = open(path).read() if os.path.exists(path) else "# Calibration\n"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text + old[old.index(END) + len(END):].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    with open(path, "w") as fh:
        fh.write(new)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fit model knobs to the validation targets.")
    ap.add_argument("--config", default=os.path.join(ROOT, "models", "calibration.ini"))
    ap.add_argument("--engine", default=os.environ.get("CHONDROSIM", os.path.join(ROOT, "build", "chondrosim")))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="the targets' coarse --quick grids")
    ap.add_argument("--models", default=os.path.join(ROOT, "models"),
                    help="models directory the engine reads and the fit is written to")
    ap.add_argument("--write", choices=("base", "layer", "none"), default="base")
    ap.add_argument("--record", help="record file (default MODELS/CALIBRATION.md)")
    ap.add_argument("--out", default=os.path.join("results", "calibration"), help="work directory")
    ap.add_argument("--max-evals", type=int)
    ap.add_argument("--targets", default=os.path.join(ROOT, "configs", "validation"))
    a = ap.parse_args(argv)
    t_start = time.time()
    try:
        knobs, ids, weights, opts = load_config(a.config)
        targets = tgt.load_all(a.targets, ids)
        engine = Engine(a.engine, a.models)
        unknown = [k.key for k in knobs if k.key not in engine.keys()]
        if unknown:
            raise CalibrationError(f"{a.config}: knob(s) {', '.join(unknown)}: not a key of this engine "
                                   "(`chondrosim info --params`)")
        if os.path.isdir(a.out):
            shutil.rmtree(a.out)
        log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        prob = Problem(engine, targets, knobs, weights, a.out, a.quick, a.jobs, log)
        u0 = np.array([k.to_unit(k.start) for k in knobs])
        step = opts["step"]
        log(f"calibrate: {len(knobs)} knob(s), targets {' '.join(ids)}, {a.jobs} job(s)")
        rows_start = prob.rows_many([u0])[0]
        cost0 = 0.5 * float(np.sum(prob.residual_of(rows_start) ** 2))
        res = least_squares(prob.fun, u0, jac=lambda u: prob.jac(u, step), bounds=(0.0, 1.0),
                            method="trf", x_scale=1.0, max_nfev=a.max_evals or opts["max_evals"],
                            xtol=1e-4, ftol=1e-6, gtol=1e-8)
        rows_fit = prob.rows_many([res.x])[0]
        vjac = prob.value_jac(res.x, step)
        start_vals, fit_vals = prob.values(u0), prob.values(res.x)
        written = write_fitted({k.key: v for k, v in zip(knobs, fit_vals)}, a.models, a.write)
        rec = a.record or os.path.join(a.models, "CALIBRATION.md")
        cmd = "scripts/calibrate.py " + " ".join(argv if argv is not None else sys.argv[1:])
        record(rec, knobs, start_vals, fit_vals, {"rows": rows_start, "cost": cost0}, rows_fit, vjac,
               res, weights, cmd, written, time.time() - t_start)
    except (CalibrationError, tgt.TargetError) as e:
        print(f"calibrate: error: {e}", file=sys.stderr)
        return 2
    for k, x0, x1 in zip(knobs, start_vals, fit_vals):
        print(f"{k.key}: {x0:.6g} -> {x1:.6g}  [{k.lower:g}, {k.upper:g}] {k.scale}")
    for r in rows_fit:
        print(f"  {r['id']}/{r['label']}: {r['value']:.4g} in {r['tolerance']}: misfit {r['misfit']:.3g}")
    cost = 0.5 * float(np.sum(res.fun ** 2))
    print(f"cost {cost0:.4g} -> {cost:.4g}; {res.message}; record: {rec}"
          + (f"; wrote {written}" if written else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
