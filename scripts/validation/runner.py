"""Runs scenarios through the engine's CLI, in parallel, one OpenMP thread each."""
import concurrent.futures as cf
import os
import shutil
import subprocess

QUICK_DEFAULT = []          # the target files carry their own --quick overrides


class Engine:
    def __init__(self, binary, models=None):
        self.binary = os.path.abspath(binary)
        self.models = models
        self._keys = None

    def env(self):
        e = dict(os.environ)
        e["OMP_NUM_THREADS"] = "1"
        e.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        e.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        if self.models:
            e["CHONDROSIM_MODELS"] = os.path.abspath(self.models)
        return e

    def keys(self):
        """Every configuration key this engine accepts (`info --params`)."""
        if self._keys is None:
            out = subprocess.run([self.binary, "info", "--params"], env=self.env(), check=True,
                                 capture_output=True, text=True).stdout
            self._keys = {line.split()[0] for line in out.splitlines()
                          if line and not line[0].isspace() and "." in line.split()[0]}
        return self._keys


class Job:
    """One engine run: base config + overrides, into out_dir/name/."""

    def __init__(self, key, base, overrides, out_dir, name):
        self.key, self.base, self.overrides = key, base, overrides
        self.out_dir, self.name = out_dir, name
        self.rc, self.stderr = None, ""

    @property
    def run_dir(self):
        return os.path.join(self.out_dir, self.name)

    @property
    def h5(self):
        return os.path.join(self.run_dir, self.name + ".h5")

    @property
    def summary(self):
        return os.path.join(self.run_dir, "summary.csv")

    def command(self, engine):
        cmd = [engine.binary, "run", self.base, "--out", self.out_dir, "--quiet",
               "--set", f"run.name={self.name}"]
        for k, v in self.overrides:
            cmd += ["--set", f"{k}={v}"]
        return cmd


def run_one(engine, job):
    if os.path.isdir(job.run_dir):
        shutil.rmtree(job.run_dir)
    os.makedirs(job.out_dir, exist_ok=True)
    p = subprocess.run(job.command(engine), env=engine.env(), capture_output=True, text=True)
    job.rc, job.stderr = p.returncode, p.stderr.strip()
    with open(os.path.join(job.out_dir, job.name + ".log"), "w") as fh:
        fh.write(" ".join(job.command(engine)) + "\n" + p.stdout + p.stderr)
    return job


def run_all(engine, jobs, parallel=1, progress=None):
    """Runs the jobs, `parallel` at a time; returns them with rc and stderr set."""
    with cf.ThreadPoolExecutor(max_workers=max(1, parallel)) as ex:
        futs = {ex.submit(run_one, engine, j): j for j in jobs}
        for n, fut in enumerate(cf.as_completed(futs), 1):
            j = fut.result()
            if progress:
                progress(n, len(jobs), j)
    return jobs
