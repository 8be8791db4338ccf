"""Shared by the Python checkers of tests/integration: counted checks and relative differences."""
import numpy as np

failures = []


def check(ok, what):
    """Prints one line for the check and records a failure; returns ok."""
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def rel(x, y, scale):
    """Largest |x - y| relative to scale (0 if both are equal and scale is 0)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    d = float(np.max(np.abs(x - y))) if x.size else 0.0
    return d / scale if scale > 0 else (0.0 if d == 0 else float("inf"))
