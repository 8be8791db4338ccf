#!/usr/bin/python3
"""Join a chondrosim sweep's results into one table.

usage: /usr/bin/python3 scripts/aggregate.py results/<sweep>

Reads results/<sweep>/manifest.csv (written by `chondrosim sweep`), and for every row its
run's summary.csv (results/<sweep>/<run>/summary.csv). Writes results/<sweep>/sweep.csv:
the manifest's columns (row, run, the swept keys, status) followed by every summary column
except the run name,
one line per manifest row (summary columns empty for rows that are not done), and rewrites
the manifest with the current statuses:

  done     the run's summary.csv exists (the engine writes it last, atomically) and, when
           the manifest has a fingerprint column, the run's config.ini has that fingerprint
           (the row's full effective configuration; a result of an edited [set], base config
           or model file is not done: `chondrosim sweep` runs it again)
  failed   status/<run>.failed exists (written when the row's run failed)
  pending  neither (never run, or still running)

Both files are written atomically (temporary name, then rename), under the same lock
(results/<sweep>/.manifest.lock) that chondrosim takes, so it is safe while array tasks
are still finishing. Exit status: 0 if every row is done, 1 if rows are missing (they are
listed on stderr), 2 on bad usage or an unreadable manifest. Standard library only.
"""
import csv
import fcntl
import io
import os
import sys


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def config_fingerprint(path):
    """FNV-1a (64 bit) over the lines of a run's config.ini that are not ';' comments: the
    fingerprint chondrosim writes into the manifest (chs_config_text_fingerprint)."""
    h = 1469598103934665603
    with open(path, "rb") as f:
        for line in f.read().splitlines(keepends=True):
            if line.startswith(b";"):
                continue
            for byte in line:
                h = ((h ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def row_status(sweep_dir, run, fingerprint=None):
    if os.path.exists(os.path.join(sweep_dir, run, "summary.csv")):
        if not fingerprint:
            return "done", ""
        try:
            if config_fingerprint(os.path.join(sweep_dir, run, "config.ini")) == fingerprint:
                return "done", ""
        except OSError:
            pass
        return "pending", "finished with another configuration (fingerprint differs): run the sweep again"
    failed = os.path.join(sweep_dir, "status", run + ".failed")
    if os.path.exists(failed):
        with open(failed) as f:
            return "failed", f.read().strip()
    return "pending", ""


def read_summary(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"{path}: expected a header and one row")
    return rows[0], rows[1]


def csv_text(header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    sweep_dir = argv[1].rstrip("/") or "/"
    manifest_path = os.path.join(sweep_dir, "manifest.csv")
    if not os.path.isfile(manifest_path):
        print(f"aggregate.py: {manifest_path} does not exist (run `chondrosim sweep SWEEP.ini` "
              "or `--slurm` first)", file=sys.stderr)
        return 2
    with open(os.path.join(sweep_dir, ".manifest.lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(manifest_path, newline="") as f:
            manifest = list(csv.reader(f))
        if not manifest or manifest[0][:2] != ["row", "run"] or manifest[0][-1] != "status":
            print(f"aggregate.py: {manifest_path}: not a chondrosim manifest (header must be "
                  "row,run,<swept keys>,status)", file=sys.stderr)
            return 2
        header, rows = manifest[0], manifest[1:]
        summary_cols = None
        joined, missing = [], []
        for r in rows:
            if len(r) != len(header):
                print(f"aggregate.py: {manifest_path}: row {r[:1]} has {len(r)} fields, the header "
                      f"{len(header)}", file=sys.stderr)
                return 2
            fp = r[header.index("fingerprint")] if "fingerprint" in header else None
            status, why = row_status(sweep_dir, r[1], fp)
            r[-1] = status
            values = {}
            if status == "done":
                path = os.path.join(sweep_dir, r[1], "summary.csv")
                try:
                    cols, vals = read_summary(path)
                except (OSError, ValueError) as e:
                    print(f"aggregate.py: {e}", file=sys.stderr)
                    return 2
                if summary_cols is None:
                    summary_cols = [c for c in cols if c != "run"]
                values = dict(zip(cols, vals))
            else:
                missing.append((r[0], r[1], status, why))
            joined.append((r, values))
        summary_cols = summary_cols or []
        out_rows = [r + [v.get(c, "") for c in summary_cols] for r, v in joined]
        atomic_write(os.path.join(sweep_dir, "sweep.csv"), csv_text(header + summary_cols, out_rows))
        atomic_write(manifest_path, csv_text(header, rows))
    done = len(rows) - len(missing)
    print(f"aggregate.py: {os.path.join(sweep_dir, 'sweep.csv')}: {done} of {len(rows)} rows done")
    if missing:
        print(f"aggregate.py: {len(missing)} row(s) missing:", file=sys.stderr)
        for row, run, status, why in missing:
            print(f"  row {row} ({run}): {status}" + (f": {why}" if why else ""), file=sys.stderr)
        print("  run the sweep again (`chondrosim sweep SWEEP.ini`, or `--slurm` and submit.sh): "
              "done rows are skipped", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
