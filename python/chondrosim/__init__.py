"""Scripting chondrosim from Python (Debian's numpy, h5py, pandas and xarray).

    import chondrosim as cs
    r = cs.run("configs/default.ini", run__end_time=90, grid__nx=20)   # section__key=value
    r.fields                    # xarray.Dataset: (time, z, x) or (time, z, y, x), units in attrs
    r.metrics                   # pandas.DataFrame indexed by day, every accepted step
    r.summary                   # dict: summary.json
    r = cs.load("results/default")                                      # an existing run

    design = pandas.DataFrame({"therapy.dose": [1e7, 5e7], "joint.k_att": [0.1, 0.2]})
    table = cs.sweep(design, base="configs/default.ini", name="my_sweep", out="results")
    table = cs.read_study("results/my_sweep")   # a sweep or a compare study, one row per run

The binary: $CHONDROSIM, else `chondrosim` next to this package in an installed prefix
(<prefix>/share/chondrosim/python -> <prefix>/bin), else the source tree's build/chondrosim,
else `chondrosim` on PATH.
"""
import glob
import json
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ChondrosimError", "Run", "load", "run", "sweep", "read_study", "params", "binary"]


class ChondrosimError(RuntimeError):
    """A chondrosim command failed; the message holds its exit code and error line."""


# ------------------------------------------------------------------ the binary


def binary():
    """Path of the chondrosim executable (see the module docstring for the search order)."""
    env = os.environ.get("CHONDROSIM")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "..", "..", "bin", "chondrosim"),  # installed
                 os.path.join(here, "..", "..", "build", "chondrosim")):     # source tree
        if os.access(cand, os.X_OK):
            return os.path.normpath(cand)
    found = shutil.which("chondrosim")
    if found:
        return found
    raise ChondrosimError("cannot find the chondrosim binary: set $CHONDROSIM or put it on PATH")


def _call(args, quiet=True):
    cmd = [binary()] + [str(a) for a in args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        last = [l for l in p.stderr.splitlines() if "error" in l] or p.stderr.splitlines()[-1:]
        raise ChondrosimError("%s exited with %d: %s" % (" ".join(cmd[:3]), p.returncode,
                                                          last[-1] if last else ""))
    if not quiet:
        print(p.stderr, end="")
    return p


def params():
    """Every configuration key (`chondrosim info --params --json`) as a DataFrame."""
    return pd.DataFrame(json.loads(_call(["info", "--params", "--json"]).stdout))


# ------------------------------------------------------------------ reading a run


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class Run:
    """One run directory: fields (xarray), metrics (pandas), summary (dict), config (text)."""

    def __init__(self, run_dir):
        self.path = os.path.abspath(run_dir)
        h5s = [p for p in glob.glob(os.path.join(self.path, "*.h5"))
               if not p.endswith((".partial.h5", ".chk.h5", ".tmp"))]
        if not h5s:
            h5s = glob.glob(os.path.join(self.path, "*.partial.h5"))  # a run still going
        if not h5s:
            raise ChondrosimError("%s: no <run>.h5 (is this a run directory?)" % run_dir)
        self.h5 = sorted(h5s)[0]
        self.name = os.path.basename(self.h5).split(".")[0]
        self.complete = not self.h5.endswith(".partial.h5")
        with h5py.File(self.h5, "r") as f:
            self.fields = _fields(f)
            self.metrics = _metrics(f)
            self.config = _text(f["config"][()]) if "config" in f else ""
            self.attrs = {k: (_text(v) if isinstance(v, (bytes, str)) else v.item()
                              if hasattr(v, "item") else v) for k, v in f.attrs.items()}
        js = os.path.join(self.path, "summary.json")
        self.summary = json.load(open(js)) if os.path.exists(js) else None

    def __repr__(self):
        return "<chondrosim.Run %s: %s, %d output times, %d metric rows>" % (
            self.name, dict(self.fields.sizes), self.fields.sizes.get("time", 0),
            len(self.metrics))


def _fields(f):
    g = f["grid"]
    geometry = _text(g.attrs["geometry"])
    nx, ny, nz = (int(v) for v in g["dims"][()])
    ox, oy, oz = (float(v) for v in g["origin"][()])
    dx, dy, dz = (float(v) for v in g["spacing"][()])
    times = np.asarray(f["time"][()], dtype=float)
    steps = sorted(k for k in f.keys() if re.match(r"^step_\d{5}$", k))[: len(times)]
    names = list(f[steps[0]].keys()) if steps else []
    planar = geometry != "cartesian3d"
    coords = {
        "time": ("time", times, {"units": "day"}),
        "z": ("z", oz + (np.arange(nz) + 0.5) * dz,
              {"units": "mm", "long_name": "depth below the articular surface"}),
        "x": ("x", ox + (np.arange(nx) + 0.5) * dx,
              {"units": "mm", "long_name": "radius from the lesion axis" if geometry ==
               "axisymmetric" else "lateral position"}),
    }
    dims = ("time", "z", "x")
    if not planar:
        coords["y"] = ("y", oy + (np.arange(ny) + 0.5) * dy, {"units": "mm",
                                                              "long_name": "lateral position"})
        dims = ("time", "z", "y", "x")
    data = {}
    for n in names:
        arr = np.stack([f[s][n][()] for s in steps]) if steps else np.empty((0, nz, ny, nx))
        if planar:
            arr = arr[:, :, 0, :]
        data[n] = (dims, arr, {"units": _text(f[steps[0]][n].attrs.get("units", ""))})
    if "lesion_mask" in g:
        m = g["lesion_mask"][()].astype(bool)
        data["lesion_mask"] = (dims[1:], m[:, 0, :] if planar else m, {"units": "1 = lesion"})
    return xr.Dataset(data, coords=coords,
                      attrs={"geometry": geometry, "cell_centred": 1,
                             "note": "coordinates are cell centres; z = 0 is the surface"})


def _metrics(f):
    if "metrics" not in f:
        return pd.DataFrame()
    g = f["metrics"]
    t = np.asarray(g["time"][()], dtype=float)
    cols = {k: np.asarray(g[k][()]) for k in g.keys() if k != "time"}
    df = pd.DataFrame(cols, index=pd.Index(t, name="day"))
    df.attrs["units"] = {k: _text(g[k].attrs.get("units", "")) for k in cols}
    return df


def load(run_dir):
    """Reads a run directory (results/<run>/): returns a Run with .fields (xarray.Dataset,
    cell-centre coordinates in mm, time in days, each variable's units in .attrs),
    .metrics (pandas.DataFrame indexed by day, units in .attrs["units"]), .summary (dict
    from summary.json) and .config (the effective configuration text)."""
    return Run(run_dir)


# ------------------------------------------------------------------ running


def _sets(overrides):
    """{"therapy__dose": 1e7} or {"therapy.dose": 1e7} -> ["--set", "therapy.dose=1e7"]."""
    out = []
    for k, v in overrides.items():
        key = k.replace("__", ".")
        if "." not in key:
            raise ValueError("override %r: use section__key=value (e.g. run__end_time=90)" % k)
        if isinstance(v, (list, tuple, np.ndarray)):
            v = " ".join("%s" % x for x in v)
        out += ["--set", "%s=%s" % (key, v)]
    return out


def run(config, out=None, name=None, quiet=True, **overrides):
    """Runs `chondrosim run config` with overrides given as section__key=value (or a dict
    passed as **{"section.key": value}) and returns load() of its results directory.
    out: results root (default: the config's output.dir); name: run.name."""
    args = ["run", os.path.abspath(config)] + _sets(overrides)
    if name:
        args += ["--set", "run.name=%s" % name]
    if out:
        args += ["--out", os.path.abspath(out)]
    p = _call(args, quiet=quiet)
    m = re.search(r"results: (.*)/[^/]+\.h5", p.stdout)
    if not m:
        raise ChondrosimError("chondrosim run printed no results line:\n%s" % p.stdout)
    return load(m.group(1))


def _supports_design():
    try:
        return "design =" in _call(["sweep", "--help"]).stdout
    except ChondrosimError:
        return False


def sweep(design, base, name="sweep", out="results", set=None, jobs=None, quiet=True):
    """Runs one simulation per row of `design` (a DataFrame whose columns are config keys,
    e.g. "therapy.dose") on top of the `base` config, plus fixed overrides `set` (dict), via
    `chondrosim sweep`, and returns read_study() of <out>/<name>.

    The design goes to <out>/<name>.design.csv and the sweep file to <out>/<name>.sweep.ini.
    A binary whose sweep reads external designs gets `[sweep] design = ...`; otherwise a
    one-column design becomes a `[values]` list, and a design of several columns is refused
    (a `[values]` list per key would run their product, not the rows)."""
    design = pd.DataFrame(design)
    if design.empty:
        raise ValueError("sweep(): the design has no rows")
    for c in design.columns:
        if "." not in str(c):
            raise ValueError("sweep(): column %r is not a section.key" % c)
    os.makedirs(out, exist_ok=True)
    out = os.path.abspath(out)
    csv = os.path.join(out, "%s.design.csv" % name)
    ini = os.path.join(out, "%s.sweep.ini" % name)
    lines = ["; written by chondrosim.sweep()", "[sweep]", "name = %s" % name,
             "base = %s" % os.path.abspath(base)]
    if _supports_design():
        design.to_csv(csv, index=False)
        lines += ["design = %s" % os.path.basename(csv)]
    elif design.shape[1] == 1:
        col = design.columns[0]
        lines += ["", "[values]", "%s = %s" % (col, " ".join("%s" % v for v in design[col]))]
    else:
        raise ChondrosimError("this chondrosim's sweep cannot read an external design; a design "
                              "of %d columns needs it (one column works)" % design.shape[1])
    if set:
        lines += ["", "[set]"] + ["%s = %s" % (k.replace("__", "."), v) for k, v in set.items()]
    with open(ini, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    args = ["sweep", ini, "--out", out]
    if jobs:
        args += ["--jobs", jobs]
    _call(args, quiet=quiet)
    return read_study(os.path.join(out, name))


def read_study(study_dir):
    """One table for a sweep (manifest.csv + every done row's summary) or a compare study
    (comparison.csv): one row per run, the swept keys and every summary column."""
    man = os.path.join(study_dir, "manifest.csv")
    if os.path.exists(man):
        table = pd.read_csv(man)
        rows = []
        for r in table["run"]:
            sp = os.path.join(study_dir, r, "summary.csv")
            rows.append(pd.read_csv(sp).iloc[0].drop(labels=["run"]) if os.path.exists(sp)
                        else pd.Series(dtype=float))
        summ = pd.DataFrame(rows).reset_index(drop=True)
        done = [os.path.exists(os.path.join(study_dir, r, "summary.csv")) for r in table["run"]]
        table["status"] = ["done" if d else s for d, s in zip(done, table.get("status", ""))]
        return pd.concat([table.reset_index(drop=True), summ], axis=1)
    comp = os.path.join(study_dir, "comparison.csv")
    if os.path.exists(comp):
        return pd.read_csv(comp)
    raise ChondrosimError("%s: neither manifest.csv (sweep) nor comparison.csv (compare)"
                          % study_dir)
