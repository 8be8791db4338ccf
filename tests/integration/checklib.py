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


def _registry_names(header, macro):
    """Names (the second X(...) argument, a string) of one X-macro table in src/model/."""
    import os
    import re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "model", header)
    with open(path) as fh:
        text = fh.read()
    start = text.index("#define " + macro)
    body = []
    for line in text[start:].splitlines():
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    return re.findall(r'X\(\s*\w+\s*,\s*"([^"]+)"', " ".join(body))


def registry():
    """The engine's own name tables, read from the headers that generate every output:
    fields (src/model/fields.h, state order), clinical outcome metrics (metrics.h) and the
    joint pools (joint.h, each also a metric). No test keeps a copy of these lists."""
    return (_registry_names("fields.h", "CHS_FIELD_LIST"),
            _registry_names("metrics.h", "CHS_OUTCOME_LIST"),
            _registry_names("joint.h", "CHS_POOL_LIST"))
