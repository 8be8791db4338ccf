#!/usr/bin/python3
"""Checks one finished chondrosim run directory against the output contract of
the README's output layout and a few physical sanity rules of docs/model.md.

usage: /usr/bin/python3 check_output.py RUN_DIR RUN_NAME --times "0 14 42 90"
           --nx 20 --ny 1 --nz 8 [--width 10] [--thickness 2.4] [--ranks 1] [--threads 2]
           [--expect-json FILE]

Prints one line per check, exits 1 if any check failed. --expect-json writes values
that check_paraview.py compares with what ParaView reads (times, bounds, ranges).
"""
import argparse
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

from checklib import check, failures, registry

# The engine's own tables (src/model/fields.h, metrics.h, joint.h): outcomes, then the
# joint pools (each a metric of its name), then per field total / lesion mean / minimum.
FIELDS, OUTCOMES, POOLS = registry()
# Names the output contract promises to users (model v2); the tables must hold them.
CONTRACT_OUTCOMES = ["defect_fill", "hyaline_fraction", "inflammation", "msc_retained", "ledger_residual",
                     "retained_joint", "donor_lineage", "donor_fraction_lesion", "synovitis_m", "bone_B",
                     "thickness_equiv", "thickness_equiv_lesion", "thickness_equiv_healthy", "pain_proxy",
                     "rim_fill", "center_fill"]
CONTRACT_FIELDS = ["msc", "chondrocyte", "chondrocyte_repair", "chondrocyte_donor", "growth_factor",
                   "cytokine", "oxygen", "proteoglycan", "collagen2", "fibrous", "latent_gf"]
METRICS = (["time"] + OUTCOMES + POOLS + ["total_" + f for f in FIELDS] +
           ["lesion_mean_" + f for f in FIELDS] + ["min_" + f for f in FIELDS])
PROVENANCE = ["version", "git_revision", "compiler", "sundials_version", "mpi_version",
              "hdf5_version", "ranks", "threads", "wall_time", "start_time", "end_time"]
SOLVER_STATS = ["steps", "rhs_evals", "newton_iters", "krylov_iters"]

def text(v):
    if isinstance(v, bytes):
        return v.decode("ascii", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind == "S":
        return v.tobytes().decode("ascii", "replace")
    return str(v)


def parse_config(txt):
    """The effective-config INI text -> {'section.key': 'value'} (comments after ';' dropped)."""
    cfg, sec = {}, ""
    for line in txt.splitlines():
        line = line.split(";", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            sec = m.group(1).strip()
            continue
        if "=" in line:
            k, v = line.split("=", 1)
            cfg[sec + "." + k.strip()] = v.strip()
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("run_name")
    ap.add_argument("--times", required=True)
    ap.add_argument("--nx", type=int, required=True)
    ap.add_argument("--ny", type=int, default=1)
    ap.add_argument("--nz", type=int, required=True)
    ap.add_argument("--width", type=float, default=10.0)
    ap.add_argument("--thickness", type=float, default=2.4)
    ap.add_argument("--ranks", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--expect-json", default=None)
    a = ap.parse_args()
    times = [float(x) for x in a.times.split()]
    d, run = a.run_dir, a.run_name
    h5path = os.path.join(d, run + ".h5")
    xdmf = os.path.join(d, run + ".xdmf")

    print("files in %s:" % d)
    check(os.path.isfile(h5path), "%s.h5 exists" % run)
    check(os.path.isfile(xdmf), "%s.xdmf exists" % run)
    check(not os.path.exists(os.path.join(d, run + ".partial.h5")),
          "no %s.partial.h5 left behind" % run)
    check(not any(n.endswith(".tmp") for n in os.listdir(d)), "no *.tmp files left behind")
    check(os.path.isfile(os.path.join(d, "config.ini")), "config.ini exists")
    if os.path.isfile(os.path.join(d, "config.ini")):
        with open(os.path.join(d, "config.ini")) as fh:
            check(re.search(r"^nx = %d\b" % a.nx, fh.read(), re.M) is not None,
                  "config.ini has 'nx = %d'" % a.nx)
    if not os.path.isfile(h5path):
        return finish()

    f = h5py.File(h5path, "r")
    nz, ny, nx = a.nz, a.ny, a.nx

    # ------------------------------------------------------------ root attributes
    print("root attributes:")
    attrs = dict(f.attrs)
    for k in PROVENANCE:
        check(k in attrs, "root attribute '%s' present (%s)" % (k, text(attrs.get(k, "-"))[:60]))
    check(int(attrs.get("complete", -1)) == 1, "root attribute complete = 1 (got %s)"
          % attrs.get("complete"))
    if a.ranks is not None:
        check(int(attrs.get("ranks", -1)) == a.ranks, "ranks = %d (got %s)" % (a.ranks, attrs.get("ranks")))
    if a.threads is not None:
        check(int(attrs.get("threads", -1)) == a.threads,
              "threads = %d (got %s)" % (a.threads, attrs.get("threads")))
    wt = attrs.get("wall_time")
    check(wt is not None and np.isfinite(float(wt)) and float(wt) > 0, "wall_time > 0 (%s)" % wt)
    iso = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
    st, et = text(attrs.get("start_time", "")), text(attrs.get("end_time", ""))
    check(re.match(iso, st) is not None and re.match(iso, et) is not None and st <= et,
          "start_time <= end_time, ISO 8601 (%s, %s)" % (st, et))
    for k in ["version", "compiler", "sundials_version", "mpi_version", "hdf5_version"]:
        check(len(text(attrs.get(k, "")).strip()) > 0, "%s is not empty" % k)

    # ------------------------------------------------------------ every dataset has units
    print("units attribute on every dataset:")
    missing = []
    ndsets = [0]

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            ndsets[0] += 1
            if "units" not in obj.attrs:
                missing.append(name)
    f.visititems(visit)
    check(not missing, "all %d datasets carry 'units' (missing: %s)" % (ndsets[0], missing[:10]))

    # ------------------------------------------------------------ /time and steps
    print("/time and /step_NNNNN:")
    check("time" in f, "/time exists")
    tt = f["time"][:] if "time" in f else np.array([])
    check(len(tt) == len(times) and np.allclose(tt, times, rtol=0, atol=1e-9),
          "/time = output.times %s (got %s)" % (times, list(tt)))
    steps = sorted(k for k in f.keys() if re.match(r"^step_\d{5}$", k))
    check(steps == ["step_%05d" % i for i in range(len(times))],
          "groups step_00000..step_%05d (got %s)" % (len(times) - 1, steps))
    allfinite, shapes_ok, tiny = True, True, 0
    for s in steps:
        g = f[s]
        check(sorted(g.keys()) == sorted(FIELDS), "/%s holds exactly the %d registry fields (%s)"
              % (s, len(FIELDS), sorted(g.keys())))
        for fl in FIELDS:
            if fl not in g:
                continue
            ds = g[fl]
            if ds.shape != (nz, ny, nx):
                shapes_ok = False
                print("        /%s/%s shape %s" % (s, fl, ds.shape))
            v = ds[:]
            if not np.all(np.isfinite(v)):
                allfinite = False
                print("        /%s/%s has %d non-finite values" % (s, fl, np.sum(~np.isfinite(v))))
            tiny += int(np.sum((v != 0) & (np.abs(v) < 1e-30)))
    check(tiny == 0, "no field value with 0 < |x| < 1e-30 (flushed to 0 at output; found %d)" % tiny)
    check(shapes_ok, "every field dataset has shape (nz, ny, nx) = (%d, %d, %d)" % (nz, ny, nx))
    check(allfinite, "every field value is finite")

    # ------------------------------------------------------------ /grid
    print("/grid:")
    grid_ok = all(k in f.get("grid", {}) for k in ["origin", "spacing", "dims", "lesion_mask"])
    check(grid_ok, "/grid has origin, spacing, dims, lesion_mask")
    geom = text(f["grid"].attrs.get("geometry", "")) if "grid" in f else ""
    check(geom in ("axisymmetric", "cartesian2d", "cartesian3d"), "/grid geometry = '%s'" % geom)
    mask = None
    if grid_ok:
        origin, spacing, dims = f["grid/origin"][:], f["grid/spacing"][:], f["grid/dims"][:]
        check(list(dims) == [nx, ny, nz], "/grid/dims = [nx, ny, nz] = %s (got %s)"
              % ([nx, ny, nz], list(dims)))
        check(np.allclose(origin, 0.0), "/grid/origin = 0 (got %s)" % list(origin))
        check(math.isclose(spacing[0], a.width / nx, rel_tol=1e-12)
              and math.isclose(spacing[2], a.thickness / nz, rel_tol=1e-12),
              "/grid/spacing x = width/nx = %g, z = thickness/nz = %g (got %s)"
              % (a.width / nx, a.thickness / nz, list(spacing)))
        mask = f["grid/lesion_mask"][:]
        check(mask.shape == (nz, ny, nx), "lesion_mask shape (nz, ny, nx) (got %s)" % (mask.shape,))
        check(set(np.unique(mask)) <= {0, 1} and mask.sum() > 0 and mask.sum() < mask.size,
              "lesion_mask is 0/1 with %d lesion cells of %d" % (mask.sum(), mask.size))

    # ------------------------------------------------------------ /config
    print("/config:")
    cfgtext = text(f["config"][()]) if "config" in f else ""
    check(re.search(r"^nx = %d\b" % nx, cfgtext, re.M) is not None,
          "/config text contains 'nx = %d'" % nx)
    cfg = parse_config(cfgtext)
    check("msc.D" in cfg and "therapy.dose" in cfg, "/config holds model and scenario keys "
          "(msc.D, therapy.dose)")

    # ------------------------------------------------------------ /metrics
    print("/metrics:")
    check(all(m in OUTCOMES for m in CONTRACT_OUTCOMES) and FIELDS == CONTRACT_FIELDS,
          "the engine's tables hold the v2 contract's fields (in state order) and outcomes")
    mg = f.get("metrics")
    names = sorted(mg.keys()) if mg is not None else []
    absent = [m for m in METRICS if m not in names]
    check(not absent, "/metrics has time and the %d metrics of metrics.h (missing: %s)"
          % (len(METRICS) - 1, absent))
    mt = mg["time"][:] if mg is not None and "time" in mg else np.array([0.0])
    lens = {m: mg[m].shape[0] for m in names}
    check(all(n == len(mt) for n in lens.values()),
          "every metric series has %d entries (%s)"
          % (len(mt), {k: v for k, v in lens.items() if v != len(mt)}))
    check(np.all(np.diff(mt) > 0), "metrics time strictly increases (%d entries, %g..%g)"
          % (len(mt), mt[0], mt[-1]))
    check(math.isclose(mt[0], 0.0, abs_tol=0) and math.isclose(mt[-1], times[-1], rel_tol=1e-12),
          "metrics time runs from 0 to run.end_time = %g" % times[-1])
    solver = dict(f["solver"].attrs) if "solver" in f else {}
    nsteps = int(solver.get("steps", -1))
    restarts = int(solver.get("restarts", 0))
    check(len(mt) == nsteps + 1 + restarts,
          "one metrics entry per accepted step: %d entries = 1 (t=0) + %d steps + %d restarts"
          % (len(mt), nsteps, restarts))
    bad = [m for m in names if not np.all(np.isfinite(mg[m][:]))]
    check(not bad, "every metric value is finite (bad: %s)" % bad)
    for tv in times:
        check(np.any(mt == tv), "metrics time hits output time %g exactly" % tv)
    if "ledger_residual" in names:
        lr = float(np.max(np.abs(mg["ledger_residual"][:])))
        check(lr <= 1e-4, "cell balance holds: |ledger_residual| <= 1e-4 (max %.3g)" % lr)

    # ------------------------------------------------------------ /solver
    print("/solver:")
    for k in SOLVER_STATS:
        v = solver.get(k)
        check(v is not None and float(v) > 0, "/solver attribute %s > 0 (%s)" % (k, v))

    # ------------------------------------------------------------ physics
    print("physical sanity:")
    expect = {"times": times}
    if steps and mask is not None and all(fl in f[steps[0]] for fl in FIELDS):
        lesion = mask == 1
        for fl in FIELDS:
            worst = min(float(np.min(f[s][fl][:])) for s in steps)
            scale = max(float(np.max(np.abs(f[s][fl][:]))) for s in steps)
            check(worst >= -1e-6 * max(scale, 1e-300),
                  "%s >= 0 at every output (min %.3g, tolerance 1e-6 x max %.3g)"
                  % (fl, worst, scale))
        s0 = f[steps[0]]
        k0 = s0["collagen2"][:]
        check(np.all(np.abs(k0[lesion]) <= 1e-12), "step 0: collagen2 = 0 in the lesion (max %.3g)"
              % np.max(np.abs(k0[lesion])))
        check(np.all(k0[~lesion] > 0.8), "step 0: collagen2 > 0.8 in healthy tissue (min %.4g)"
              % np.min(k0[~lesion]))
        for fl in ["chondrocyte", "chondrocyte_repair", "chondrocyte_donor", "proteoglycan", "fibrous",
                   "latent_gf"]:
            v = s0[fl][:]
            check(np.all(np.abs(v[lesion]) <= 1e-12), "step 0: %s = 0 in the lesion (emptied defect)" % fl)
        for fl in ["chondrocyte_repair", "chondrocyte_donor"]:
            check(np.all(s0[fl][:] == 0), "step 0: no %s anywhere (an MSC-only dose)" % fl)
        check(np.all(s0["chondrocyte"][:][~lesion] > 0), "step 0: chondrocytes > 0 in healthy tissue")
        msc0 = s0["msc"][:]
        check(np.all(msc0[~lesion] == 0), "step 0: no MSCs outside the lesion (intralesional dose)")
        check(np.ptp(msc0[lesion]) <= 1e-12 * np.max(msc0),
              "step 0: MSC density uniform over the lesion (%.10g..%.10g)"
              % (np.min(msc0[lesion]), np.max(msc0[lesion])))
        # s = eta_il * dose / V_les; V_les from the mask and the cell volumes.
        if geom == "axisymmetric" and "therapy.dose" in cfg and "delivery.eta_il" in cfg:
            dr, dz = spacing[0], spacing[2]
            rc = (np.arange(nx) + 0.5) * dr
            vol = np.broadcast_to((2 * np.pi * rc * dr * dz)[None, None, :], mask.shape)
            vles = float(np.sum(vol[lesion]))
            dens = float(cfg["delivery.eta_il"]) * float(cfg["therapy.dose"]) / vles
            check(math.isclose(np.max(msc0), dens, rel_tol=1e-9),
                  "step 0: MSC density = eta_il * dose / V_les = %.10g (V_les %.6g mm^3; got %.10g)"
                  % (dens, vles, np.max(msc0)))
            if "lesion.radius" in cfg and "lesion.depth" in cfg and \
                    float(cfg["lesion.depth"]) >= a.thickness and text(cfg.get("lesion.shape")) == "cylinder":
                want = np.broadcast_to((rc < float(cfg["lesion.radius"]))[None, None, :], mask.shape)
                check(np.array_equal(lesion, want), "lesion_mask = full-depth cylinder r < %s mm"
                      % cfg["lesion.radius"])
        # defect fill starts at 0 and grows
        if "defect_fill" in names:
            df = mg["defect_fill"][:]
            check(abs(df[0]) <= 1e-12, "defect_fill(0) = 0 (got %.3g)" % df[0])
            at = [float(df[np.where(mt == tv)[0][-1]]) for tv in times if np.any(mt == tv)]
            check(len(at) == len(times) and all(b > c for b, c in zip(at[1:], at[:-1])),
                  "defect_fill increases over the output times: %s" % ["%.4g" % x for x in at])
            check(df[-1] > 0.01, "defect_fill at the end %.4g > 0.01" % df[-1])
        last = f[steps[-1]]["collagen2"][:]
        check(np.min(last) >= -1e-9 and np.max(last) <= 1.0 + 1e-9,
              "collagen2 at the last output within [0, 1] (%.4g..%.4g)" % (np.min(last), np.max(last)))
        expect.update({
            "msc0_max": float(np.max(msc0)), "msc0_min": float(np.min(msc0)),
            "collagen2_last_min": float(np.min(last)), "collagen2_last_max": float(np.max(last)),
            # As ParaView places the mesh: depth downwards (the surface at the top); one
            # cell in y = a flat mesh in ParaView's x-y plane (y = -depth).
            "bounds": ([0.0, float(spacing[0] * nx), -float(spacing[2] * nz), 0.0, 0.0, 0.0]
                       if ny == 1 else
                       [0.0, float(spacing[0] * nx), 0.0, float(spacing[1] * ny),
                        -float(spacing[2] * nz), 0.0]),
            "planar": ny == 1,
            "arrays": sorted(FIELDS + ["lesion_mask"]),
        })

    # ------------------------------------------------------------ summary.csv
    print("summary.csv:")
    sp = os.path.join(d, "summary.csv")
    if check(os.path.isfile(sp), "summary.csv exists"):
        with open(sp) as fh:
            rows = [r for r in fh.read().splitlines() if r.strip()]
        check(len(rows) == 2, "summary.csv has a header and exactly one row (%d lines)" % len(rows))
        if len(rows) == 2:
            hdr, val = rows[0].split(","), rows[1].split(",")
            check(len(hdr) == len(val), "header and row have the same number of columns (%d, %d)"
                  % (len(hdr), len(val)))
            row = dict(zip(hdr, val))
            check(row.get("run") == run, "summary run = %s (got %s)" % (run, row.get("run")))
            if "end_day" in row:
                check(math.isclose(float(row["end_day"]), times[-1]), "summary end_day = %g" % times[-1])
            if "final_fill" in row and "defect_fill" in names:
                check(math.isclose(float(row["final_fill"]), float(mg["defect_fill"][-1]), rel_tol=1e-8),
                      "summary final_fill = last defect_fill (%s vs %.10g)"
                      % (row["final_fill"], mg["defect_fill"][-1]))

    # ------------------------------------------------------------ sidecar
    print("%s.xdmf:" % run)
    if os.path.isfile(xdmf):
        try:
            root = ET.parse(xdmf).getroot()
            grids = root.findall("./Domain/Grid/Grid")
            tv = [float(g.find("Time").get("Value")) for g in grids]
            check(np.allclose(tv, times, rtol=0, atol=1e-9) and len(tv) == len(times),
                  "sidecar Time values = output times (%s)" % tv)
            items = [di.text.strip() for di in root.iter("DataItem") if di.get("Format") == "HDF"]
            wrong = [i for i in items if not i.startswith(run + ".h5:")]
            check(items and not wrong, "sidecar HDF paths are relative to %s.h5 (%d items; wrong: %s)"
                  % (run, len(items), wrong[:3]))
            dangling = [i for i in items if i.split(":", 1)[1] not in f]
            check(not dangling, "every sidecar HDF path exists in the file (dangling: %s)" % dangling[:3])
            topo = [g.find("Topology").get("Dimensions") for g in grids]
            # point counts in ParaView's z y x; one cell in y = the flat mesh, depth as its y
            want = [1, nz + 1, nx + 1] if ny == 1 else [nz + 1, ny + 1, nx + 1]
            check(all(t.split() == [str(v) for v in want] for t in topo),
                  "topology dims are point counts z y x = %d %d %d" % tuple(want))
            spc = [g.find("Geometry")[1].text.split() for g in grids]
            check(all(float(v[1 if ny == 1 else 0]) < 0 for v in spc),
                  "depth spacing written negative (surface on top in ParaView): %s" % spc[0])
        except ET.ParseError as e:
            check(False, "sidecar parses as XML (%s)" % e)

    if a.expect_json:
        with open(a.expect_json, "w") as fh:
            json.dump(expect, fh, indent=1)
    return finish()


def finish():
    if failures:
        print("check_output: %d check(s) FAILED" % len(failures))
        return 1
    print("check_output: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
