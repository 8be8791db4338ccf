#!/usr/bin/python3
"""chondrosim validation suite: runs every target of configs/validation/ and reports.

usage: validate.py --engine BIN [--quick] [--only ID ...] [--jobs N] [--out DIR]
                   [--targets DIR] [--models DIR] [--strict] [--no-plot]

Normally started by `chondrosim validate`, which passes its own path as --engine so the
same engine is validated. Each target's scenarios run through `BIN run` (OMP_NUM_THREADS=1,
N at a time); each check's observable is computed from the run's output and compared with
its tolerance. Prints the table, writes DIR/validation.csv and DIR/validation.png.
Exit 0 when no hard target fails, 1 when one does (or a run fails), 2 for a malformed
target file or bad arguments; with --strict a NOT RUN target also gives 1.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validation import report, suite, targets  # noqa: E402
from validation.runner import Engine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="chondrosim validate",
                                 description="Run the validation targets and report PASS/FAIL.")
    ap.add_argument("--engine", required=True, help="the chondrosim binary to validate")
    ap.add_argument("--quick", action="store_true", help="coarser grids, fewer outputs, same tolerances")
    ap.add_argument("--only", nargs="+", metavar="ID", help="only these target ids")
    ap.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    ap.add_argument("--out", default=os.path.join("results", "validation"), help="output directory")
    ap.add_argument("--targets", default=os.path.join(ROOT, "configs", "validation"),
                    help="directory of target files")
    ap.add_argument("--models", help="parameter files (default: the engine's)")
    ap.add_argument("--strict", action="store_true", help="NOT RUN counts as a failure")
    ap.add_argument("--no-plot", action="store_true", help="no figure")
    a = ap.parse_args(argv)
    if a.jobs < 1:
        ap.error(f"--jobs {a.jobs}: expected a whole number >= 1")
    try:
        tl = targets.load_all(a.targets, a.only)
    except (targets.TargetError, OSError) as e:
        print(f"chondrosim validate: error: {e}", file=sys.stderr)
        return 2
    if not tl:
        print(f"chondrosim validate: error: no target files in {a.targets}", file=sys.stderr)
        return 2
    engine = Engine(a.engine, a.models)
    t0 = time.time()

    def progress(n, total, job):
        status = "ok" if job.rc == 0 else f"exit {job.rc}"
        print(f"  [{n}/{total}] {job.key[0]} {job.key[1]}: {status}", file=sys.stderr, flush=True)

    print(f"validate: {len(tl)} targets{' (quick)' if a.quick else ''}, {a.jobs} job(s), "
          f"engine {engine.binary}", file=sys.stderr)
    rows = suite.run_suite(engine, tl, os.path.join(a.out, "runs"), a.quick, a.jobs, progress=progress)
    report.table(rows, sys.stdout)
    csv_path = os.path.join(a.out, "validation.csv")
    report.write_csv(rows, csv_path)
    print(f"wrote {csv_path}" + ("" if a.no_plot else f", {os.path.join(a.out, 'validation.png')}")
          + f" ({time.time() - t0:.0f} s)")
    if not a.no_plot:
        report.figure(rows, os.path.join(a.out, "validation.png"),
                      "chondrosim validation" + (" (quick)" if a.quick else ""))
    bad = suite.hard_failures(rows)
    notrun = [r for r in rows if r["status"] == "NOT RUN"]
    if bad:
        print(f"validate: {len(bad)} hard check(s) failed: "
              + ", ".join(dict.fromkeys(r["id"] for r in bad)), file=sys.stderr)
        return 1
    if a.strict and notrun:
        print(f"validate: --strict: {len(notrun)} check(s) not run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
