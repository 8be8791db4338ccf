#!/usr/bin/python3
"""Checks the MODEL.md §8 calibration targets on the runs made by test_calibration.sh."""
import csv
import sys

import h5py
import numpy as np

from checklib import check, failures

work = sys.argv[1]
def summary(name):
    with open(f"{work}/{name}/summary.csv") as f:
        row = next(csv.DictReader(f))
    return {k: (float(v) if v not in ("", None) and k != "run" else v) for k, v in row.items()}


def metric(name, key, day):
    with h5py.File(f"{work}/{name}/{name}.h5", "r") as f:
        return float(np.interp(day, f["metrics/time"][:], f["metrics/" + key][:]))


def thirds(name, day):
    """Mean collagen (k + f) in the top and bottom thirds of the lesion at an output day."""
    with h5py.File(f"{work}/{name}/{name}.h5", "r") as f:
        s = int(np.argmin(abs(f["time"][:] - day)))
        m = f[f"step_{s:05d}/collagen2"][:] + f[f"step_{s:05d}/fibrous"][:]
        mask = f["grid/lesion_mask"][:].astype(bool)
    nz = m.shape[0]
    return m[: nz // 3][mask[: nz // 3]].mean(), m[-(nz // 3):][mask[-(nz // 3):]].mean()


# 1. maturation and the matrix front
aci, msc = summary("aci"), summary("msc")
t90 = aci["days_to_90pct_fill"]
check(t90 != "" and 365 <= t90 <= 730, f"chondrocyte seeding reaches fill 0.9 in 12-24 months (day {t90})")
f18_aci, f18_msc = metric("aci", "defect_fill", 540), metric("msc", "defect_fill", 540)
check(f18_msc <= f18_aci, f"MSC-only is not better than chondrocytes at 18 months ({f18_msc:.3f} vs {f18_aci:.3f})")
top, bottom = thirds("aci", 90)
check(bottom > top, f"chondrocyte-seeded matrix grows from the bone side (day 90: bottom {bottom:.3f} > top {top:.3f})")

# 2. retention after intra-articular injection
r1, r6 = metric("ia_oa", "msc_retained", 30), metric("ia_oa", "msc_retained", 180)
check(0.10 <= r1 <= 0.20, f"retention at 1 month about 15 % ({100 * r1:.1f} %)")
check(0.008 <= r6 <= 0.025, f"retention at 6 months about 1.5 % ({100 * r6:.2f} %)")
q6 = metric("ia_quiet", "msc_retained", 180)
check(r6 > q6, f"an OA joint holds cells longer than a quiet one (6 months: {100 * r6:.2f} % > {100 * q6:.2f} %)")
for name in ("ia_oa", "ia_quiet"):
    with h5py.File(f"{work}/{name}/{name}.h5", "r") as f:
        worst = float(np.abs(f["metrics/ledger_residual"][:]).max())
    check(worst < 1e-5, f"{name}: the cell ledger closes (max relative residual {worst:.1e})")

# 3. saturating dose response: each doubling-ish step gains less
fills = [summary(f"il_{d}")["fill_12mo"] for d in ("1e7", "2.5e7", "5e7", "1e8")]
gains = np.diff(fills)
check(all(g > 0 for g in gains), f"more cells fill more at 12 months ({', '.join(f'{x:.3f}' for x in fills)})")
check(gains[0] > gains[1] > gains[2], f"the dose response saturates (gains {', '.join(f'{g:.3f}' for g in gains)})")

print(f"calibration: {len(failures)} target(s) missed" if failures else "calibration: all targets met")
sys.exit(1 if failures else 0)
