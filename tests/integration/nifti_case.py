"""Writes a NIfTI-1 label volume (header by hand: no nibabel in Debian's base set) and, given
a finished run, compares its /grid/lesion_mask with nearest-voxel resampling done here.

usage: nifti_case.py write OUT.nii UNITS   (UNITS: mm or um; the same volume either way)
       nifti_case.py check OUT.nii RUN.h5  (exit 1 on a mismatch)
       nifti_case.py empty OUT.nii         (a volume without labels)"""
import struct
import sys

import h5py
import numpy as np

NX, NY, NZ = 40, 1, 12          # voxels: i = x, j = y, k = depth
VS = (0.25, 1.0, 0.2)           # mm


def labels():
    v = np.zeros((NZ, NY, NX), np.int16)   # C order k, j, i -> NIfTI i fastest
    for k in range(NZ):
        for i in range(NX):
            x, d = (i + 0.5) * VS[0], (k + 0.5) * VS[2]
            if x < 3.0 and d < 1.0:
                v[k, 0, i] = 1
            if 1.0 <= x < 2.0 and 1.0 <= d < 1.6:
                v[k, 0, i] = 7                # another label: any label > 0 is lesion
    return v


def write(path, data, units):
    scale, code = (1000.0, 3) if units == "um" else (1.0, 2)
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, 3, NX, NY, NZ, 1, 1, 1, 1)
    struct.pack_into("<hh", h, 70, 4, 16)                       # DT_INT16, 16 bits
    struct.pack_into("<8f", h, 76, 1.0, VS[0] * scale, VS[1] * scale, VS[2] * scale, 0, 0, 0, 0)
    struct.pack_into("<f", h, 108, 352.0)                       # vox_offset
    struct.pack_into("<B", h, 123, code)                        # xyzt_units
    h[344:348] = b"n+1\0"
    with open(path, "wb") as f:
        f.write(bytes(h) + data.astype("<i2").tobytes())


def check(path, h5):
    v = labels()
    with h5py.File(h5, "r") as f:
        m = f["grid/lesion_mask"][()]                           # (nz, 1, nx)
        nx, ny, nz = f["grid/dims"][()]
        hx, hy, hz = f["grid/spacing"][()]
    want = np.zeros_like(m)
    for k in range(nz):
        for i in range(nx):
            q = int(np.floor((i + 0.5) * hx / VS[0])), int(np.floor((k + 0.5) * hz / VS[2]))
            if q[0] < NX and q[1] < NZ:
                want[k, 0, i] = v[q[1], 0, q[0]] > 0
    ok = np.array_equal(m.astype(bool), want.astype(bool))
    print("  %s  lesion_mask (%d of %d cells) = nearest-voxel resampling of the %dx%dx%d "
          "volume (%g x %g x %g mm voxels) onto %dx%d cells of %g x %g mm"
          % ("ok   " if ok else "FAIL ", int(m.sum()), m.size, NX, NY, NZ, *VS, nx, nz, hx, hz))
    return ok


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2], labels(), sys.argv[3])
    elif cmd == "empty":
        write(sys.argv[2], np.zeros((NZ, NY, NX), np.int16), "mm")
    else:
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
