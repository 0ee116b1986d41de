"""One validator for the TOML files people write; scene presets (blender_addon.preset) and
augmentation presets (trainer.augment.preset) are two schemas for it.

A schema is data: a `Table` of named fields, each a `Spec` leaf (kind, default, bounds, choices,
doc) or a nested `Table`. `validate(data, schema)` merges a parsed file over the defaults, checks
every value and returns the normalised data. The first problem is a ValueError naming the dotted
key (`camera.focal_length: min 50.0 > max 24.0`), which each preset module turns into one line
naming the file. Standard library only: the renderer runs it inside Blender's own Python.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spec:
    """One leaf of a schema: its kind, default and bounds.

    kind: "int" | "float" | "bool" | "str" | "range_int" | "range_float" | "probs" | "str_list"
    | "folders" (must exist, relative to the file's folder) | "opt_folders" | "resolution" | "box"
    ([x0, y0, x1, y1] fractions of an image). `odd`: range_int of odd numbers (kernel sizes).
    """

    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""
    odd: bool = False


@dataclass(frozen=True)
class Table:
    """A TOML table. Absent fields take their defaults, except `required` ones (an error) and
    `optional` sub-tables (left out: e.g. a transform nobody asked for). `unknown` is the message for
    a key the table does not have; {allowed} lists the ones it has."""

    fields: dict[str, Spec | Table]
    required: tuple[str, ...] = ()
    optional: bool = False
    unknown: str = "unknown key"
    doc: str = field(default="", compare=False)


def defaults(schema: Table) -> dict[str, Any]:
    """The table with every default filled in (deep copies; optional sub-tables left out)."""
    return {k: defaults(f) if isinstance(f, Table) else copy.deepcopy(f.default)
            for k, f in schema.fields.items() if not (isinstance(f, Table) and f.optional)}


def validate(data: Any, schema: Table, base_dir: Path | None = None, where: str = "") -> dict[str, Any]:
    """`data` merged over the defaults and checked; raises ValueError naming the dotted key."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a table [{where}]" if where else "top level must be a table")
    for key in data:
        if key not in schema.fields:
            allowed = ", ".join(schema.fields)
            raise ValueError(f"{_join(where, key)}: {schema.unknown.format(allowed=allowed)}")
    out: dict[str, Any] = {}
    for key, f in schema.fields.items():
        at = _join(where, key)
        if key not in data:
            if key in schema.required:
                raise ValueError(f"{at}: missing" + (f" ({f.doc})" if f.doc else ""))
            if not (isinstance(f, Table) and f.optional):
                out[key] = defaults(f) if isinstance(f, Table) else copy.deepcopy(f.default)
        elif isinstance(f, Table):
            out[key] = validate(data[key], f, base_dir, at)
        else:
            out[key] = check_value(at, data[key], f, base_dir)
    return out


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


_KINDS = {
    "int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
    "range_int": "[min, max] integers", "range_float": "[min, max] numbers",
    "probs": "a table of name = probability", "str_list": "a list of strings",
    "folders": "a list of folder paths", "resolution": "[width, height] integers",
    "box": "[x0, y0, x1, y1] fractions",
}


def _kind_error(where: str, kind: str) -> ValueError:
    return ValueError(f"{where}: expected {_KINDS[kind]}")


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_bounds(where: str, v: float, spec: Spec) -> None:
    if spec.lo is not None and v < spec.lo:
        raise ValueError(f"{where}: {v} is below the minimum {spec.lo:g}")
    if spec.hi is not None and v > spec.hi:
        raise ValueError(f"{where}: {v} is above the maximum {spec.hi:g}")


def check_value(where: str, v: Any, spec: Spec, base_dir: Path | None = None) -> Any:
    """The normalised value, or a ValueError with a one-line message naming `where`."""
    k = spec.kind
    if k == "bool":
        if not isinstance(v, bool):
            raise _kind_error(where, k)
        return v
    if k == "int":
        if not _is_int(v):
            raise _kind_error(where, k)
        _check_bounds(where, v, spec)
        return v
    if k == "float":
        if not _is_num(v):
            raise _kind_error(where, k)
        _check_bounds(where, v, spec)
        return float(v)
    if k == "str":
        if not isinstance(v, str):
            raise _kind_error(where, k)
        if spec.choices and v not in spec.choices:
            raise ValueError(f"{where}: {v!r} is not one of {', '.join(spec.choices)}")
        return v
    if k in ("range_int", "range_float", "resolution"):
        integer = k != "range_float"
        if not (isinstance(v, list) and len(v) == 2 and all(_is_int(x) if integer else _is_num(x) for x in v)):
            raise _kind_error(where, k)
        for x in v:
            _check_bounds(where, x, spec)
        if k != "resolution" and v[0] > v[1]:
            raise ValueError(f"{where}: min {v[0]} > max {v[1]}")
        if spec.odd and (v[0] % 2 == 0 or v[1] % 2 == 0):
            raise ValueError(f"{where}: expected odd kernel sizes, got {v!r}")
        return [int(x) for x in v] if integer else [float(x) for x in v]
    if k == "box":
        if not (isinstance(v, list) and len(v) == 4 and all(_is_num(x) for x in v)):
            raise _kind_error(where, k)
        x0, y0, x1, y1 = v
        if not (0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1):
            raise ValueError(f"{where}: expected 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1, got {v!r}")
        return [float(x) for x in v]
    if k == "probs":
        if not isinstance(v, dict) or not v:
            raise _kind_error(where, k)
        for name, p in v.items():
            if spec.choices and name not in spec.choices:
                raise ValueError(f"{where}.{name}: unknown choice (expected {', '.join(spec.choices)})")
            if not _is_num(p) or p < 0:
                raise ValueError(f"{where}.{name}: probability must be a number >= 0")
        if sum(v.values()) <= 0:
            raise ValueError(f"{where}: probabilities sum to 0")
        return {name: float(p) for name, p in v.items()}
    if k == "str_list":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v) or (not v and spec.lo != 0):
            raise _kind_error(where, k)  # lo=0: the list may be empty
        if len(set(v)) != len(v):
            raise ValueError(f"{where}: duplicate entries")
        bad = [x for x in v if spec.choices and x not in spec.choices]
        if bad:
            raise ValueError(f"{where}: {bad[0]!r} is not one of {', '.join(spec.choices or ())}")
        return list(v)
    if k in ("folders", "opt_folders"):  # opt_folders: a missing folder is allowed (a fallback exists)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _kind_error(where, "folders")
        if k == "folders":
            for x in v:
                if not (Path(base_dir or Path.cwd()) / x).is_dir():
                    raise ValueError(f"{where}: asset folder {x!r} does not exist (relative to {base_dir})")
        return list(v)
    raise AssertionError(f"unknown schema kind {k}")
