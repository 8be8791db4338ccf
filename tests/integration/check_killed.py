#!/usr/bin/python3
"""What a reader sees in the directory of a run that is paused in, or was killed during, a
write (tests/integration/test_kill.sh): the XDMF sidecar and the HDF5 file it references
must always open, every step the sidecar lists must be present and complete (equal to the
same step of an uninterrupted reference run), and the checkpoint must be a complete one.

usage: /usr/bin/python3 check_killed.py RUN_DIR RUN_NAME REF_H5 [--steps N]
           [--checkpoint-day D] [--label TEXT]

  --steps N           the sidecar must list exactly N steps (those finished before the kill)
                      and reference <run>.partial.h5; without it any number of steps (none
                      and no sidecar before the first output) and <run>.partial.h5 or the
                      finished <run>.h5 (a kill during the finish)
  --checkpoint-day D  <run>.chk.h5 must be the complete checkpoint of day D (the previous
                      one when the kill hit a checkpoint write); without it, a checkpoint
                      may be absent (killed before the first) but if present is complete

Prints one line per check; exits 1 if any failed.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

from checklib import check, failures

def sidecar_steps(path):
    """[(time, [(h5 file, dataset path, dims)])] for each step the sidecar lists."""
    root = ET.parse(path).getroot()
    steps = []
    for grid in root.iter("Grid"):
        if grid.get("GridType") != "Uniform":
            continue
        t = float(grid.find("Time").get("Value"))
        items = []
        for att in grid.findall("Attribute"):
            di = att.find("DataItem")
            if di.get("Format") != "HDF":  # e.g. the field data "day", given inline
                continue
            fname, dset = di.text.strip().split(":", 1)
            items.append((fname, dset, tuple(int(x) for x in di.get("Dimensions").split())))
        steps.append((t, items))
    return steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("run")
    ap.add_argument("ref")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--checkpoint-day", type=float)
    ap.add_argument("--label", default="")
    o = ap.parse_args()
    print("check %s: %s" % (o.label, o.run_dir))
    ref = h5py.File(o.ref, "r")

    # ------------------------------------------------------------ sidecar and data file
    xdmf = os.path.join(o.run_dir, o.run + ".xdmf")
    steps = []
    if o.steps is None and not os.path.exists(xdmf):
        print("  info  no sidecar yet (killed before the first output): nothing for ParaView to open")
    else:
        try:
            steps = sidecar_steps(xdmf)
            check(True, "%s.xdmf parses (%d steps)" % (o.run, len(steps)))
        except Exception as e:  # noqa: BLE001 - any failure to read is the finding
            check(False, "%s.xdmf parses: %s" % (o.run, e))
    if o.steps is not None:
        check(len(steps) == o.steps, "the sidecar lists the %d steps written before the kill "
              "(lists %d)" % (o.steps, len(steps)))
    files = sorted({f for _, items in steps for f, _, _ in items})
    allowed = [[o.run + ".partial.h5"]] if o.steps is not None else \
        [[], [o.run + ".partial.h5"], [o.run + ".h5"]]
    check(files in allowed, "the sidecar references one data file, %s (%s)"
          % (" or ".join(a[0] for a in allowed if a), files))
    incomplete = []
    for fname in files:
        try:
            h5 = h5py.File(os.path.join(o.run_dir, fname), "r")
        except Exception as e:  # noqa: BLE001
            check(False, "%s opens with h5py: %s" % (fname, e))
            continue
        check(True, "%s opens with h5py" % fname)
        times = h5["time"][:]
        check(len(times) >= len(steps), "/time has an entry for every listed step (%d >= %d)"
              % (len(times), len(steps)))
        nread = 0
        for k, (t, items) in enumerate(steps):
            if k < len(times) and times[k] != t:
                incomplete.append("step %d: /time %g, sidecar %g" % (k, times[k], t))
            if t != ref["time"][k]:
                incomplete.append("step %d: day %g, the reference's %g" % (k, t, ref["time"][k]))
            for f, dset, dims in items:
                try:
                    x = h5[dset][:]
                except Exception as e:  # noqa: BLE001
                    incomplete.append("%s unreadable (%s)" % (dset, e))
                    continue
                nread += 1
                if x.shape != dims:
                    incomplete.append("%s shape %s, sidecar %s" % (dset, x.shape, dims))
                elif not np.array_equal(x, ref[dset][:]):
                    incomplete.append("%s differs from the reference run's" % dset)
        check(not incomplete, "every listed step is present, complete and equal to the "
              "reference (%d datasets read) %s" % (nread, incomplete[:3]))
        nrows = len(h5["metrics/time"])
        rows_ok = nrows <= len(ref["metrics/time"]) and all(
            np.array_equal(h5["metrics"][m][:nrows], ref["metrics"][m][:nrows]) for m in h5["metrics"])
        check(rows_ok, "the %d metric rows in the file equal the reference's first %d" % (nrows, nrows))
        extra = sorted(k for k in h5.keys() if k.startswith("step_"))[len(steps):]
        print("  info  step groups in the file beyond the sidecar's: %s (not listed, so not shown; "
              "a restart writes them again)" % (extra or "none"))
        h5.close()

    # Whatever the sidecar says, every data file a reader could pick up opens.
    for name in (o.run + ".partial.h5", o.run + ".h5"):
        path = os.path.join(o.run_dir, name)
        if os.path.exists(path) and name not in files:
            try:
                with h5py.File(path, "r") as h5:
                    check("time" in h5 and "metrics" in h5, "%s (not in the sidecar) opens, with "
                          "/time and /metrics" % name)
            except Exception as e:  # noqa: BLE001
                check(False, "%s (not in the sidecar) opens with h5py: %s" % (name, e))

    # ------------------------------------------------------------ checkpoint
    ck = os.path.join(o.run_dir, o.run + ".chk.h5")
    if o.checkpoint_day is None and not os.path.exists(ck):
        print("  info  no checkpoint yet (killed before the first)")
        ck = None
    try:
        if ck is None:
            raise StopIteration
        with h5py.File(ck, "r") as c:
            check(int(c.attrs.get("complete", 0)) == 1, "%s.chk.h5 opens and is complete" % o.run)
            if o.checkpoint_day is not None:
                check(float(c.attrs["time"]) == o.checkpoint_day, "%s.chk.h5 is the checkpoint of "
                      "day %g (is %g)" % (o.run, o.checkpoint_day, float(c.attrs["time"])))
            else:
                print("  info  %s.chk.h5: day %g" % (o.run, float(c.attrs["time"])))
            n = sum(c["state"][f].size for f in c["state"])
            check(n > 0, "its state reads back (%d values)" % n)
    except StopIteration:
        pass
    except Exception as e:  # noqa: BLE001
        check(False, "%s.chk.h5 opens with h5py: %s" % (o.run, e))
    tmp = os.path.join(o.run_dir, o.run + ".chk.h5.tmp")
    print("  info  %s.chk.h5.tmp %s" % (o.run, "present (the interrupted new checkpoint; never read)"
                                        if os.path.exists(tmp) else "absent"))
    if failures:
        print("check_killed: %d check(s) FAILED" % len(failures))
        return 1
    print("check_killed: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
