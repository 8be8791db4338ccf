"""The suite: turns targets into engine runs and runs into PASS/FAIL rows."""
import math
import os

from . import observables
from .runner import Job, run_all


NAN_MISFIT = 10.0


class Row(dict):
    """One compared number: id, check, type, source, value, tolerance, status, note, misfit."""


def _scenario_overrides(engine, target, sc, quick, extra):
    """The overrides of one scenario, or (None, 'needs key X') when the engine lacks a key."""
    keys = engine.keys()
    sets, note = sc.sets, ""
    missing = [k for k, _ in sets if k not in keys]
    if missing and sc.legacy is not None and all(k in keys for k, _ in sc.legacy):
        sets, note, missing = sc.legacy, "older-engine variant", []
    if missing:
        return None, f"key {missing[0]}"
    ov = list(sets)
    if quick:
        ov += list(target.quick) + list(sc.quick)
    ov += list(extra)
    bad = [k for k, _ in ov if k not in keys]
    if bad:
        return None, f"key {bad[0]}"
    return ov, note


def plan(engine, targets, out_dir, quick=False, extra=()):
    """-> (jobs, per-target info). A target whose scenario cannot be expressed is NOT RUN."""
    jobs, info = [], {}
    for t in targets:
        entry = {"jobs": {}, "needs": t.needs, "note": ""}
        info[t.id] = entry
        if t.needs:
            continue
        for sc in t.scenarios.values():
            ov, note = _scenario_overrides(engine, t, sc, quick, extra)
            if ov is None:
                entry["needs"] = note
                entry["jobs"] = {}
                break
            if note:
                entry["note"] = note
            j = Job((t.id, sc.name), sc.base, ov, os.path.join(out_dir, t.id), sc.name)
            entry["jobs"][sc.name] = j
        jobs += list(entry["jobs"].values())
    return jobs, info


def evaluate(targets, info):
    rows = []
    for t in targets:
        e = info[t.id]
        runs, failed = {}, None
        for name, j in e["jobs"].items():
            if j.rc != 0:
                last = j.stderr.splitlines()[-1] if j.stderr else f"exit {j.rc}"
                failed = f"run {name} failed: {last}"
            runs[name] = observables.Run(name, j.h5, j.summary)
        for c in t.checks:
            r = Row(id=t.id, check=c.name if c.label else "", label=c.label, type=t.meta["type"],
                    name=t.meta["name"], source=t.meta["source"], origin=t.meta.get("from", ""),
                    observation=t.meta["observation"], tolerance=c.tolerance_text(),
                    lower=c.lower, upper=c.upper, hard=c.hard, value=math.nan, misfit=math.nan,
                    note=e["note"], width=c.width())
            if e["needs"]:
                r.update(status="NOT RUN", note=f"needs {e['needs']}")
            elif failed:
                r.update(status="ERROR", note=failed)
            else:
                try:
                    v = observables.evaluate(c.observable, runs)
                    ok = not math.isnan(v) and c.inside(v)
                    # an undefined observable (e.g. a ratio to a non-positive reference)
                    # fails; for calibration it counts as NAN_MISFIT tolerance widths
                    r.update(value=v, misfit=c.misfit(v) if not math.isnan(v) else NAN_MISFIT,
                             status="PASS" if ok else ("FAIL" if c.hard else "SOFT-FAIL"))
                    if math.isnan(v):
                        r["note"] = (r["note"] + "; " if r["note"] else "") + "undefined value"
                except observables.Needs as n:
                    r.update(status="NOT RUN", note=f"needs {n}")
                except (ValueError, KeyError, ZeroDivisionError, OSError) as x:
                    r.update(status="ERROR", note=f"{type(x).__name__}: {x}")
            rows.append(r)
        for run in runs.values():
            run.close()
    return rows


def run_suite(engine, targets, out_dir, quick=False, jobs=1, extra=(), progress=None):
    job_list, info = plan(engine, targets, out_dir, quick, extra)
    run_all(engine, job_list, jobs, progress)
    return evaluate(targets, info)


def hard_failures(rows):
    return [r for r in rows if r["status"] == "ERROR" or (r["status"] == "FAIL" and r["hard"])]
