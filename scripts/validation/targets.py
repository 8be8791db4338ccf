"""Target files: configs/validation/<ID>_<name>.ini, read with configparser.

    [target]
    id = V10                     ; must match the file name's prefix
    name = ia_retention
    type = M                     ; NH natural history, M mechanism/biology, T trial outcome
    observation = what was observed, in words
    source = Toupet 2013 (B1) [A]
    from = v2 V10; v1 calibration target 2  ; which target list(s) it comes from
    hard = yes                   ; default for its checks
    quick = grid.nx = 20         ; overrides for --quick, every scenario (one per line)
    needs = ...                  ; optional: "NOT RUN: needs <x>" unconditionally (a mechanism
                                 ;   the engine cannot express yet)

    [scenario ia]                ; one run of the engine
    base = base_ia.ini           ; config file, relative to this directory (then the repo root)
    set = therapy.dose = 2.5e7   ; key overrides, one per line
    legacy = ...                 ; optional: used instead of `set` when the engine lacks a key
                                 ;   of `set` but knows every key of `legacy` (older engines)
    quick = ...                  ; extra --quick overrides of this scenario

    [check 30d]                  ; one compared number (several checks = several rows)
    observable = at(ia, "retained_joint", 30)   ; expression, see observables.py
    lower = 0.10                 ; tolerance interval (either side may be absent)
    upper = 0.20
    scale = 0.1                  ; width for misfits of a one-sided interval (default |bound|)
    hard = yes                   ; overrides the target's
    label = text shown in the table (default: the check name)

Without [check] sections the [target] section itself carries observable/lower/upper.
Comments: `;` or `#` at the start of a line or after whitespace, as in the engine's INI files.
"""
import configparser
import os
import re


class TargetError(Exception):
    """A malformed target file: the message names the file and the key."""


TYPES = ("NH", "M", "T", "M/T")
TARGET_KEYS = {"id", "name", "type", "observation", "source", "from", "hard", "quick", "needs",
               "observable", "lower", "upper", "scale", "label", "unit"}
SCENARIO_KEYS = {"base", "set", "legacy", "quick"}
CHECK_KEYS = {"observable", "lower", "upper", "scale", "hard", "label", "unit"}


class Check:
    def __init__(self, name, observable, lower, upper, scale, hard, label, unit):
        self.name, self.observable = name, observable
        self.lower, self.upper, self.scale = lower, upper, scale
        self.hard, self.label, self.unit = hard, label, unit

    def tolerance_text(self):
        if self.lower is not None and self.upper is not None:
            return f"[{self.lower:g}, {self.upper:g}]"
        if self.lower is not None:
            return f">= {self.lower:g}"
        return f"<= {self.upper:g}"

    def inside(self, value):
        return ((self.lower is None or value >= self.lower) and
                (self.upper is None or value <= self.upper))

    def width(self):
        """Width that scales the misfit: the interval's, else `scale`, else |bound|."""
        if self.scale is not None:
            return self.scale
        if self.lower is not None and self.upper is not None and self.upper > self.lower:
            return self.upper - self.lower
        b = self.lower if self.lower is not None else self.upper
        return abs(b) if b else 1.0

    def misfit(self, value):
        """Distance outside the tolerance interval divided by its width; 0 inside."""
        if self.lower is not None and value < self.lower:
            return (self.lower - value) / self.width()
        if self.upper is not None and value > self.upper:
            return (value - self.upper) / self.width()
        return 0.0


class Scenario:
    def __init__(self, name, base, sets, legacy, quick):
        self.name, self.base, self.sets, self.legacy, self.quick = name, base, sets, legacy, quick


class Target:
    def __init__(self, path):
        self.path = path
        self.meta = {}
        self.scenarios = {}
        self.checks = []
        self.quick = []
        self.needs = ""

    @property
    def id(self):
        return self.meta["id"]


def _err(path, key, msg):
    return TargetError(f"{path}: {key}: {msg}")


def parse_overrides(path, key, text):
    """'section.key = value' lines -> list of (key, value)."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        k, eq, v = line.partition("=")
        k, v = k.strip(), v.strip()
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*", k) or v == "":
            raise _err(path, key, f"'{line}': expected section.key = value")
        out.append((k, v))
    return out


def _number(path, key, text):
    try:
        return float(text)
    except ValueError:
        raise _err(path, key, f"'{text}' is not a number") from None


def _bool(path, key, text):
    t = text.strip().lower()
    if t in ("yes", "true", "1", "hard"):
        return True
    if t in ("no", "false", "0", "soft"):
        return False
    raise _err(path, key, f"'{text}': expected yes or no")


def _make_check(path, sec, name, s, default_hard):
    where = f"[{sec}]"
    if "observable" not in s:
        raise _err(path, f"{where} observable", "missing")
    lower = _number(path, f"{where} lower", s["lower"]) if "lower" in s else None
    upper = _number(path, f"{where} upper", s["upper"]) if "upper" in s else None
    if lower is None and upper is None:
        raise _err(path, f"{where} lower/upper", "a tolerance needs lower, upper or both")
    if lower is not None and upper is not None and lower > upper:
        raise _err(path, f"{where} lower", f"{lower:g} is above upper {upper:g}")
    scale = _number(path, f"{where} scale", s["scale"]) if "scale" in s else None
    if scale is not None and scale <= 0:
        raise _err(path, f"{where} scale", f"{scale:g}: must be > 0")
    hard = _bool(path, f"{where} hard", s["hard"]) if "hard" in s else default_hard
    try:
        compile(s["observable"], path, "eval")
    except SyntaxError as e:
        raise _err(path, f"{where} observable", f"not a valid expression ({e.msg})") from None
    return Check(name, s["observable"].strip(), lower, upper, scale, hard,
                 s.get("label", name), s.get("unit", ""))


def load_target(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), comment_prefixes=(";", "#"),
                                   interpolation=None, strict=True, empty_lines_in_values=False)
    cp.optionxform = str
    try:
        with open(path) as f:
            cp.read_file(f, source=path)
    except configparser.Error as e:
        raise TargetError(f"{path}: {e}".replace("\n", " ")) from None
    t = Target(path)
    if "target" not in cp:
        raise _err(path, "[target]", "missing section")
    s = cp["target"]
    for k in s:
        if k not in TARGET_KEYS:
            raise _err(path, f"[target] {k}", f"unknown key (allowed: {', '.join(sorted(TARGET_KEYS))})")
    for k in ("id", "name", "type", "observation", "source"):
        if not s.get(k, "").strip():
            raise _err(path, f"[target] {k}", "missing")
    t.meta = {k: " ".join(v.split()) for k, v in s.items()}
    fid = os.path.basename(path).split("_", 1)[0]
    if t.meta["id"] != fid:
        raise _err(path, "[target] id", f"'{t.meta['id']}' does not match the file name ('{fid}_...')")
    if t.meta["type"] not in TYPES:
        raise _err(path, "[target] type", f"'{t.meta['type']}': allowed {', '.join(TYPES)}")
    default_hard = _bool(path, "[target] hard", s["hard"]) if "hard" in s else True
    t.quick = parse_overrides(path, "[target] quick", s.get("quick", ""))
    t.needs = t.meta.get("needs", "")
    for sec in cp.sections():
        if sec == "target":
            continue
        kind, _, name = sec.partition(" ")
        name = name.strip()
        if kind not in ("scenario", "check") or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise _err(path, f"[{sec}]", "expected [scenario NAME] or [check NAME] (NAME: letters, digits, _)")
        body = cp[sec]
        allowed = SCENARIO_KEYS if kind == "scenario" else CHECK_KEYS
        for k in body:
            if k not in allowed:
                raise _err(path, f"[{sec}] {k}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        if kind == "scenario":
            if "base" not in body:
                raise _err(path, f"[{sec}] base", "missing")
            base = _resolve(path, f"[{sec}] base", body["base"])
            t.scenarios[name] = Scenario(
                name, base, parse_overrides(path, f"[{sec}] set", body.get("set", "")),
                parse_overrides(path, f"[{sec}] legacy", body.get("legacy", "")) if "legacy" in body else None,
                parse_overrides(path, f"[{sec}] quick", body.get("quick", "")))
        else:
            t.checks.append(_make_check(path, sec, name, body, default_hard))
    if not t.checks:
        if "observable" not in s:
            raise _err(path, "[target] observable", "missing (or give [check NAME] sections)")
        t.checks.append(_make_check(path, "target", t.id, s, default_hard))
        t.checks[0].label = ""
    if not t.scenarios and not t.needs:
        raise _err(path, "[scenario ...]", "a target needs at least one scenario")
    return t


def _resolve(path, key, rel):
    here = os.path.dirname(os.path.abspath(path))
    for root in (here, os.path.dirname(os.path.dirname(here))):
        p = os.path.normpath(os.path.join(root, rel.strip()))
        if os.path.isfile(p):
            return p
    raise _err(path, key, f"'{rel}' not found (looked in {here} and the repository root)")


def load_all(directory, only=None):
    """Every <ID>_<name>.ini of the directory (base_*.ini are scenario configs, skipped)."""
    files = sorted(f for f in os.listdir(directory)
                   if f.endswith(".ini") and not f.startswith("base_") and "_" in f)
    targets = [load_target(os.path.join(directory, f)) for f in files]
    ids = [t.id for t in targets]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise TargetError(f"{directory}: id(s) used by more than one file: {', '.join(sorted(dup))}")
    if only:
        unknown = [o for o in only if o not in ids]
        if unknown:
            raise TargetError(f"--only: unknown target id(s) {', '.join(unknown)} (known: {', '.join(ids)})")
        targets = [t for t in targets if t.id in only]
    targets.sort(key=lambda t: _id_key(t.id))
    return targets


def _id_key(i):
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", i)
    return (m.group(1) != "V", m.group(1), int(m.group(2))) if m else (True, i, 0)
