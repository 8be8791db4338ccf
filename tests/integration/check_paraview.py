"""Opens a chondrosim sidecar in ParaView 5.11 (run under pvpython, no display needed) with
both XDMF readers and compares what ParaView sees with the values check_output.py read
from the HDF5 file.

usage: pvpython check_paraview.py /abs/path/run.xdmf expect.json

Xdmf3ReaderS needs a path with a directory part (ParaView 5.11 behaviour): the script
passes the absolute path to both readers. Exits 1 if any check failed.
"""
import json
import math
import os
import sys

from paraview.simple import Show, XDMFReader, Xdmf3ReaderS

failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    sys.stdout.flush()
    if not ok:
        failures.append(what)
    return ok


def close(a, b, rel=1e-9, abs_tol=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def arrays(reader):
    # VTK may add bookkeeping arrays (vtkGhostType, vtkOriginalIndices...): not ours.
    return sorted(k for k in reader.CellData.keys() if not k.startswith("vtk"))


def probe(label, reader, exp):
    print("%s:" % label)
    reader.UpdatePipelineInformation()
    times = list(reader.TimestepValues)
    check(len(times) == len(exp["times"]) and
          all(close(a, b, 0, 1e-9) for a, b in zip(times, exp["times"])),
          "TimestepValues = output times %s (got %s)" % (exp["times"], times))
    t0, tl = exp["times"][0], exp["times"][-1]

    reader.UpdatePipeline(tl)
    day = reader.FieldData["day"].GetRange() if "day" in reader.FieldData.keys() else None
    check(day is not None and close(day[0], tl, 0, 1e-9),
          "field data 'day' = %g at the last step (got %s)" % (tl, day))
    info = reader.GetDataInformation()
    names = arrays(reader)
    check(names == exp["arrays"], "CellData arrays = 8 fields + lesion_mask (got %s)" % names)
    check(len(reader.PointData.keys()) == 0, "no PointData (fields are cell-centred; got %s)"
          % list(reader.PointData.keys()))
    b = list(info.GetBounds())
    check(all(close(x, y, 1e-9, 1e-9) for x, y in zip(b, exp["bounds"])),
          "bounds = %s (x 0..width, depth downwards from 0; got %s)" % (exp["bounds"], b))
    nx_cells = info.GetNumberOfCells()
    check(nx_cells > 0, "%d cells" % nx_cells)
    if "collagen2" in names:
        lo, hi = reader.CellData["collagen2"].GetRange()
        check(lo >= 0.0 and hi <= 1.0, "collagen2 range at t=%g within [0, 1] (%.6g..%.6g)" % (tl, lo, hi))
        check(close(lo, exp["collagen2_last_min"]) and close(hi, exp["collagen2_last_max"]),
              "collagen2 range at t=%g equals the HDF5 file (%.10g..%.10g vs %.10g..%.10g)"
              % (tl, lo, hi, exp["collagen2_last_min"], exp["collagen2_last_max"]))

    # What a user sees on opening the file: a coloured surface, not a white outline.
    rep = Show(reader)
    check(rep.Representation in ("Slice", "Surface") if exp.get("planar") else True,
          "flat mesh opens as a surface (default representation %s)" % rep.Representation)
    check(rep.ColorArrayName[1] != "",
          "opens coloured by a field (ColorArrayName %s)" % list(rep.ColorArrayName))

    reader.UpdatePipeline(t0)
    if "msc" in names:
        lo, hi = reader.CellData["msc"].GetRange()
        check(close(hi, exp["msc0_max"]),
              "msc max at t=%g = intralesional density from the h5 file (%.10g vs %.10g)"
              % (t0, hi, exp["msc0_max"]))
        check(close(lo, exp["msc0_min"]), "msc min at t=%g = %.6g (got %.6g)" % (t0, exp["msc0_min"], lo))


def main():
    xdmf, expfile = sys.argv[1], sys.argv[2]
    with open(expfile) as fh:
        exp = json.load(fh)
    xdmf = os.path.abspath(xdmf)
    if exp.get("planar"):
        # Known ParaView 5.11 limitation: libXdmf2 drops cell data on a 3DCoRectMesh with one
        # point on an axis (the flat 2D mesh); the Xdmf3 readers read it.
        print("  note  XDMFReader (libXdmf2) drops cell data on flat meshes: not checked")
    else:
        probe("XDMFReader(FileNames=[%s])" % xdmf, XDMFReader(FileNames=[xdmf]), exp)
    probe("Xdmf3ReaderS(FileName=[%s])" % xdmf, Xdmf3ReaderS(FileName=[xdmf]), exp)
    if failures:
        print("check_paraview: %d check(s) FAILED" % len(failures))
        return 1
    print("check_paraview: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
