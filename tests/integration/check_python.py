"""Checks what the chondrosim Python package returned against the files themselves.
usage: PYTHONPATH=python CHONDROSIM=... python3 check_python.py RESULTS_DIR"""
import json
import math
import os
import sys

import h5py
import numpy as np
import pandas as pd

import chondrosim as cs
from checklib import check, failures

res = sys.argv[1]
r = cs.load(os.path.join(res, "tutorial"))
with h5py.File(os.path.join(res, "tutorial", "tutorial.h5"), "r") as f:
    raw = f["step_00002/collagen2"][()]            # (nz, 1, nx), day 42
    units = f["step_00002/collagen2"].attrs["units"].decode()
    mt = f["metrics/time"][()]
    fill = f["metrics/defect_fill"][()]
    nx, ny, nz = f["grid/dims"][()]
    spacing = f["grid/spacing"][()]
da = r.fields["collagen2"].sel(time=42)
check(np.array_equal(da.values, raw[:, 0, :]), "fields: collagen2 at day 42 equals the HDF5 dataset")
check(r.fields["collagen2"].attrs["units"] == units, "fields: units from the file (%s)" % units)
check(r.fields.sizes["z"] == nz and r.fields.sizes["x"] == nx and "y" not in r.fields.dims,
      "fields: dims (time, z, x) for an axisymmetric run: %s" % dict(r.fields.sizes))
check(math.isclose(float(r.fields.z[0]), spacing[2] / 2) and
      math.isclose(float(r.fields.x[-1]), (nx - 0.5) * spacing[0]),
      "coords: cell centres in mm (z[0] = %g, x[-1] = %g)" % (r.fields.z[0], r.fields.x[-1]))
check(r.fields.time.attrs["units"] == "day" and r.fields.z.attrs["units"] == "mm", "coord units")
check(len(r.metrics) == len(mt) and np.array_equal(r.metrics["defect_fill"].values, fill) and
      np.array_equal(r.metrics.index.values, mt), "metrics: every row of /metrics (%d)" % len(mt))
csv = pd.read_csv(os.path.join(res, "tutorial", "summary.csv")).iloc[0]
js = json.load(open(os.path.join(res, "tutorial", "summary.json")))
same = all((pd.isna(csv[k]) and js[k] is None) or (js[k] is not None and
           math.isclose(float(csv[k]), float(js[k]), rel_tol=1e-12)) for k in csv.index if k != "run")
check(same and js["run"] == "tutorial" and set(js) == set(csv.index),
      "summary.json = summary.csv (%d keys, null where the CSV is empty)" % len(js))

t = cs.read_study(os.path.join(res, "tutorial_doses"))
check(list(t["therapy.dose"]) == [1e7, 5e7] and list(t["status"]) == ["done", "done"],
      "read_study: both design rows done with their dose")
f2 = [pd.read_csv(os.path.join(res, "tutorial_doses", run, "summary.csv"))["final_fill"][0]
      for run in t["run"]]
check(list(t["final_fill"]) == f2 and f2[1] > f2[0],
      "read_study: final_fill from each row's summary.csv, and more cells fill more (%.3f < %.3f)"
      % tuple(f2))

p = cs.params()
geo = p[p.key == "grid.geometry"].iloc[0]
check(len(p) > 50 and list(geo.choices) == ["axisymmetric", "cartesian2d", "cartesian3d"],
      "params(): %d keys from info --params --json, choices of grid.geometry" % len(p))
try:
    cs.run("configs/default.ini", out=res, run__end_time=-1)
    check(False, "a bad override raises")
except cs.ChondrosimError as e:
    check("run.end_time" in str(e) and "exited with 3" in str(e), "a bad override raises: %s" % e)
try:
    cs.run("configs/default.ini", out=res, end_time=5)
    check(False, "an override without a section raises")
except ValueError as e:
    check("section__key" in str(e), "an override without a section raises ValueError")
sys.exit(1 if failures else 0)
