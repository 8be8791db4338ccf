#!/usr/bin/env bash
# Performance figures (not tests), one run tells the story:
#  1. the default scenario at ranks x threads 1x1, 1x2, 2x1 (and the baseline revision at 1x1,
#     built from git in a temporary directory): process CPU seconds, solver counters, GMRES
#     iterations per Newton iteration, and the per-phase breakdown from the run's own timers
#     (/solver seconds_*: rhs, Jacobian-vector products, preconditioner set-up and solve,
#     N_Vector operations, output + metrics, the rest of CVODE) with per-call figures, and
#     the exact Jacobian-vector products (solver.jacobian_product = analytic) against
#     CVODE's difference quotients (the default);
#  2. the preconditioners on the default scenario (first 180 days);
#  3. the kernels (rhs, preconditioner) against a STREAM copy and triad in the same process;
#  4. 3D scaling, cartesian3d 32^2..256^2 columns x 24 cells over a short end time, per
#     preconditioner: iterations per Newton, CPU time per unknown per step, peak bytes per
#     unknown;
#  5. configs/lesion3d.ini (200 x 200 x 48) over a short end time: time per step and peak
#     memory, and an extrapolation to 730 days from the step count of the same case on a
#     4x coarser grid (an estimate: later steps need more GMRES iterations than early ones).
#   scripts/bench.sh [--quick] [--baseline REV|none] [--3d-days D] [--3d-sizes "32 64 ..."]
#                    [--lesion-days D]
# --quick: no baseline, no 1x2/2x1, 3D up to 64^2, lesion3d skipped.
# Machine noise: CPU seconds (user + sys) are reported next to wall time; on a shared
# machine compare CPU seconds and ratios measured in the same run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh"
build=${CHONDROSIM_BUILD_DIR:-$root/build}
out=$(mktemp -d /tmp/chondrosim-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
threads=$(nproc)
quick=0 baseline=819806e days3d=1 lesion_days=0.05 sizes=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; baseline=none ;;
    --baseline) baseline=$2; shift ;;
    --3d-days) days3d=$2; shift ;;
    --3d-sizes) sizes=$2; shift ;;
    --lesion-days) lesion_days=$2; shift ;;
    *) echo "bench.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

# run NAME RANKS THREADS BINARY CONFIG [--set ...]: runs, keeps /usr/bin/time's figures
run() {
  local name=$1 np=$2 nt=$3 bin=$4 cfg=$5; shift 5
  local cmd=("$bin" run "$cfg" --out "$out" --quiet --set run.name="$name" "$@")
  [ "$np" -gt 1 ] && cmd=(mpirun -n "$np" --oversubscribe --bind-to none "${cmd[@]}")
  OMP_NUM_THREADS=$nt /usr/bin/time -f "%U %S %e %M" -o "$out/$name.time" "${cmd[@]}"
}

# row NAME [label]: one table row from the run's HDF5 file and its time figures
row() {
  /usr/bin/python3 - "$out" "$@" <<'PY'
import sys, h5py
out, name = sys.argv[1], sys.argv[2]
label = sys.argv[3] if len(sys.argv) > 3 else name
u, s, e, rss = open(f"{out}/{name}.time").read().split()[:4]
f = h5py.File(f"{out}/{name}/{name}.h5", "r")
a = dict(f["solver"].attrs)
cpu = float(u) + float(s)
g = a["krylov_iters"] / max(a["newton_iters"], 1)
line = "%-22s cpu %7.2f s  wall %7.2f s  steps %5d  newton %5d  gmres %6d  gmres/newton %5.2f  rhs %6d" % (
    label, cpu, float(e), a["steps"], a["newton_iters"], a["krylov_iters"], g, a["rhs_evals"])
if "seconds_step" in a:
    step = a["seconds_step"]
    parts = [("rhs", a["seconds_rhs"]), ("Jv", a["seconds_jv"]), ("psetup", a["seconds_psetup"]),
             ("psolve", a["seconds_psolve"]), ("vector", a["seconds_vector"])]
    other = step - sum(v for _, v in parts)
    io = a["seconds_output"] + a["seconds_metrics"]
    tot = step + io
    line += "\n%-22s   phases (wall s, %% of steps+output): " % "" + "  ".join(
        "%s %.2f (%.0f%%)" % (k, v, 100 * v / tot) for k, v in parts + [("cvode-other", other), ("output+metrics", io)])
    per = []
    if a["krylov_iters"]: per.append("Jv %.0f us" % (1e6 * a["seconds_jv"] / a["krylov_iters"]))
    if a["prec_solves"]: per.append("psolve %.0f us" % (1e6 * a["seconds_psolve"] / a["prec_solves"]))
    if a["linear_setups"]: per.append("psetup %.2f ms" % (1e3 * a["seconds_psetup"] / a["linear_setups"]))
    line += "\n%-22s   per call: %s" % ("", ", ".join(per))
print(line)
PY
}

if [ "$baseline" != none ]; then
  echo "== building the baseline $baseline (git archive, same build script)"
  mkdir -p "$out/base-src"
  git -C "$root" archive "$baseline" | tar -x -C "$out/base-src"
  CHONDROSIM_BUILD_DIR="$out/base-build" nice -n 5 "$out/base-src/scripts/build.sh" 2>/dev/null
fi

echo "== 1. default scenario (configs/default.ini, 730 days)"
if [ "$baseline" != none ]; then
  run base_1x1 1 1 "$out/base-build/chondrosim" "$root/configs/default.ini"
  row base_1x1 "baseline $baseline 1x1"
fi
run new_1x1 1 1 "$build/chondrosim" "$root/configs/default.ini"
row new_1x1 "this build 1x1"
# The exact Jacobian-vector products instead of CVODE's difference quotients (the default).
run new_1x1_exact 1 1 "$build/chondrosim" "$root/configs/default.ini" --set solver.jacobian_product=analytic
row new_1x1_exact "1x1, exact Jv"
if [ "$baseline" != none ]; then
  /usr/bin/python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
cpu = lambda n: sum(map(float, open(f"{out}/{n}.time").read().split()[:2]))
print("   speed-up (CPU seconds, 1x1): %.2fx" % (cpu("base_1x1") / cpu("new_1x1")))
PY
fi
if [ $quick -eq 0 ]; then
  run new_1x2 1 2 "$build/chondrosim" "$root/configs/default.ini"
  row new_1x2 "this build 1x2"
  run new_2x1 2 1 "$build/chondrosim" "$root/configs/default.ini"
  row new_2x1 "this build 2x1"
fi

echo "== 2. preconditioners on the default scenario, first 180 days, 1 thread"
for pc in multigrid column mg block; do
  if run pc_$pc 1 1 "$build/chondrosim" "$root/configs/default.ini" --set run.end_time=180 \
      --set output.times="0 180" --set solver.preconditioner=$pc; then
    row pc_$pc "$pc"
  else
    echo "$pc: failed"
  fi
done

echo "== 3. kernels (cartesian3d 64 x 64 x 24) against STREAM copy and triad"
for t in 1 $threads; do
  OMP_NUM_THREADS=$t "$build/tests/bench_kernels" 64 64 24 10 column
done
for pc in multigrid mg; do
  OMP_NUM_THREADS=1 "$build/tests/bench_kernels" 64 64 24 10 $pc | tail -3
done

echo "== 4. 3D scaling: cartesian3d n^2 x 24 cells (20 x 20 mm), $days3d day(s), 1 thread"
if [ -z "$sizes" ]; then
  sizes="32 64 128 256"
  [ $quick -eq 1 ] && sizes="32 64"
fi
printf "%-6s %-9s %9s %8s %7s %13s %16s %15s\n" n pc unknowns steps newton gmres/newton "cpu us/unk/step" "peak B/unknown"
for n in $sizes; do
  for pc in multigrid column; do
    name=s3_${n}_$pc
    run $name 1 1 "$build/chondrosim" "$root/configs/default.ini" --set grid.geometry=cartesian3d \
      --set grid.width=20 --set grid.length=20 --set grid.nx=$n --set grid.ny=$n --set grid.nz=24 \
      --set run.end_time=$days3d --set output.times=0 --set solver.preconditioner=$pc
    /usr/bin/python3 - "$out" "$name" "$n" "$pc" <<'PY'
import sys, h5py
out, name, n, pc = sys.argv[1:5]
u, s, e, rss = open(f"{out}/{name}.time").read().split()[:4]
f = h5py.File(f"{out}/{name}/{name}.h5", "r")
a = dict(f["solver"].attrs)
nf = len(f[sorted(k for k in f if k.startswith("step_"))[0]])  # fields per cell (pools negligible)
unk = int(n) ** 2 * 24 * nf
cpu = float(u) + float(s)
print("%-6s %-9s %9d %8d %7d %13.2f %16.3f %15.0f" % (n, pc, unk, a["steps"], a["newton_iters"],
      a["krylov_iters"] / max(a["newton_iters"], 1), 1e6 * cpu / unk / a["steps"], float(rss) * 1024 / unk))
PY
  done
done

if [ $quick -eq 0 ]; then
  echo "== 5. configs/lesion3d.ini (200 x 200 x 48): $lesion_days day(s) measured, 730 days extrapolated"
  run lesion 1 "$threads" "$build/chondrosim" "$root/configs/lesion3d.ini" --set run.end_time=$lesion_days \
    --set output.times=0
  run lesion_coarse 1 "$threads" "$build/chondrosim" "$root/configs/lesion3d.ini" --set grid.nx=50 \
    --set grid.ny=50 --set grid.nz=12 --set output.times="0 730"
  /usr/bin/python3 - "$out" <<'PY'
import sys, h5py
out = sys.argv[1]
def get(n):
    u, s, e, rss = open(f"{out}/{n}.time").read().split()[:4]
    a = dict(h5py.File(f"{out}/{n}/{n}.h5", "r")["solver"].attrs)
    return float(u) + float(s), float(e), float(rss) * 1024, a
cpu, wall, rss, a = get("lesion")
f = h5py.File(f"{out}/lesion/lesion.h5", "r")
unk = 200 * 200 * 48 * len(f[sorted(k for k in f if k.startswith("step_"))[0]])
print("lesion3d %s steps: cpu %.1f s, wall %.1f s, %.2f wall s/step, gmres/newton %.2f, peak %.2f GB = %.0f B/unknown"
      % (a["steps"], cpu, wall, wall / a["steps"], a["krylov_iters"] / max(a["newton_iters"], 1), rss / 1e9, rss / unk))
ccpu, cwall, crss, ca = get("lesion_coarse")
print("coarse 50x50x12, 730 days: %d steps, gmres/newton %.2f, wall %.1f s" % (ca["steps"], ca["krylov_iters"] / max(ca["newton_iters"], 1), cwall))
est = wall / a["steps"] * ca["steps"]
print("estimate for 730 days at 200x200x48: %d steps x %.2f s = %.1f h wall (early steps are cheaper than"
      " late ones: a lower bound)" % (ca["steps"], wall / a["steps"], est / 3600))
PY
fi
