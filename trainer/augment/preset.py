"""Augmentation presets: TOML files naming transforms, each with a probability and parameter ranges.

Why a separate module: the preset is plain data that the offline `trainer augment` job and online
training both read, so it is parsed and validated once here (no albumentations import), and every
mistake becomes one line naming the file, the table and the key. `trainer.augment.pipeline` turns a
validated `Preset` into transforms.

File shape (see presets/default.toml):

    name = "default"
    description = "..."
    [options]
    min_area = 16            # instances with fewer visible pixels after augmenting are dropped
    empty = "redraw"         # "keep" or "redraw" a variant whose transforms removed every object
    max_redraws = 5
    [transforms.crop]        # one table per transform; absent = off
    p = 0.5                  # probability this transform is applied to a variant
    scale = [0.5, 1.0]       # ranges are [low, high], sampled uniformly per variant

Transforms always run in the fixed order of `TRANSFORMS` (geometry, then colour and light, then
weather, then the camera: blur, noise, JPEG), whatever order the file lists them in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.annotation.files import read_toml
from trainer.errors import UserError

PRESETS_DIR = Path(__file__).with_name("presets")


@dataclass(frozen=True)
class Range:
    """A [low, high] pair with lo <= low <= high <= hi (integers only when `integer`)."""

    lo: float
    hi: float
    default: tuple[float, float]
    integer: bool = False
    odd: bool = False  # kernel sizes

    def check(self, value: Any) -> tuple[float, float]:
        if (not isinstance(value, list) or len(value) != 2
                or not all(_is_number(v, self.integer) for v in value)):
            kind = "integers" if self.integer else "numbers"
            raise ValueError(f"expected [low, high] ({kind}), got {value!r}")
        low, high = value
        if not (self.lo <= low <= high <= self.hi):
            raise ValueError(f"expected {_fmt(self.lo)} <= low <= high <= {_fmt(self.hi)}, got {value!r}")
        if self.odd and (low % 2 == 0 or high % 2 == 0):
            raise ValueError(f"expected odd kernel sizes, got {value!r}")
        return (low, high)


@dataclass(frozen=True)
class Number:
    """One number in [lo, hi]."""

    lo: float
    hi: float
    default: float
    integer: bool = False

    def check(self, value: Any) -> float:
        if not _is_number(value, self.integer):
            raise ValueError(f"expected {'an integer' if self.integer else 'a number'}, got {value!r}")
        if not (self.lo <= value <= self.hi):
            raise ValueError(f"expected {_fmt(self.lo)} <= value <= {_fmt(self.hi)}, got {value!r}")
        return value


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    options: tuple[str, ...]
    default: str

    def check(self, value: Any) -> str:
        if value not in self.options:
            raise ValueError(f"expected one of {', '.join(map(repr, self.options))}, got {value!r}")
        return value


@dataclass(frozen=True)
class Box:
    """[x0, y0, x1, y1] as fractions of the image, x0 <= x1, y0 <= y1."""

    default: tuple[float, float, float, float]

    def check(self, value: Any) -> tuple[float, float, float, float]:
        if not isinstance(value, list) or len(value) != 4 or not all(_is_number(v, False) for v in value):
            raise ValueError(f"expected [x0, y0, x1, y1] fractions, got {value!r}")
        x0, y0, x1, y1 = value
        if not (0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1):
            raise ValueError(f"expected 0 <= x0 <= x1 <= 1 and 0 <= y0 <= y1 <= 1, got {value!r}")
        return (x0, y0, x1, y1)


Param = Range | Number | Choice | Box

# Every transform a preset may name, in the order they are applied, with its parameters.
# `p` (probability) is required for each and is not listed here.
TRANSFORMS: dict[str, dict[str, Param]] = {
    # geometry: masks follow pixel-exactly (nearest neighbour); output keeps the input size
    "crop": {"scale": Range(0.01, 1.0, (0.5, 1.0)),            # kept fraction of the area (zoom in)
             "ratio": Range(0.1, 10.0, (0.75, 1.3333))},       # aspect ratio of the crop
    "zoom": {"scale": Range(0.1, 10.0, (0.8, 1.25))},          # <1 zooms out (black border), >1 in
    "rotate": {"degrees": Range(-180.0, 180.0, (-10.0, 10.0))},
    "perspective": {"scale": Range(0.0, 0.5, (0.02, 0.06))},   # corner jitter, fraction of size
    "hflip": {},
    "vflip": {},
    # colour and light
    "brightness": {"limit": Range(-1.0, 1.0, (-0.2, 0.2))},    # added fraction of 255
    "contrast": {"limit": Range(-1.0, 1.0, (-0.2, 0.2))},      # gain - 1 (albumentations' contrast)
    "gamma": {"gamma": Range(0.1, 10.0, (0.8, 1.25))},
    "hue_saturation": {"hue": Range(-180.0, 180.0, (-8.0, 8.0)),
                       "saturation": Range(-255.0, 255.0, (-20.0, 20.0))},
    "temperature": {"kelvin": Range(3000, 15000, (4000, 10000), integer=True)},  # black-body white point
    "low_light": {"gain": Range(0.01, 1.0, (0.3, 0.6)),        # multiplies intensities (dusk, indoors)
                  "noise": Range(0.0, 1.0, (0.01, 0.03))},     # sensor noise std, fraction of 255
    # weather
    "fog": {"amount": Range(0.0, 1.0, (0.1, 0.3))},                # haze density (effects.Haze)
    "rain": {"type": Choice(("drizzle", "heavy", "torrential", "default"), "drizzle"),
             "slant": Range(-45.0, 45.0, (-10.0, 10.0)),
             "brightness": Number(0.0, 1.0, 0.8)},
    "snow": {"amount": Range(0.0, 1.0, (0.1, 0.3)), "brightness": Number(0.0, 10.0, 2.0),
             "method": Choice(("bleach", "texture"), "bleach")},
    "sun_glare": {"region": Box((0.0, 0.0, 1.0, 0.5)),
                  "radius": Number(1, 10000, 200, integer=True),
                  "method": Choice(("overlay", "physics_based"), "overlay")},
    # camera
    "gaussian_blur": {"sigma": Range(0.1, 20.0, (0.5, 1.5))},
    "motion_blur": {"kernel": Range(3, 101, (3, 7), integer=True, odd=True)},
    "noise": {"std": Range(0.0, 1.0, (0.01, 0.04))},           # fraction of 255
    "jpeg": {"quality": Range(1, 100, (50, 95), integer=True)},
}

GEOMETRIC = ("crop", "zoom", "rotate", "perspective", "hflip", "vflip")

OPTIONS: dict[str, Param] = {
    "min_area": Number(1, 10**9, 16, integer=True),
    "empty": Choice(("keep", "redraw"), "redraw"),
    "max_redraws": Number(0, 100, 5, integer=True),
}


@dataclass(frozen=True)
class TransformSpec:
    """One enabled transform: its name, probability and fully defaulted parameters."""

    name: str
    p: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A validated preset; `transforms` is in application order."""

    name: str
    description: str
    transforms: tuple[TransformSpec, ...]
    min_area: int = 16
    empty: str = "redraw"
    max_redraws: int = 5
    source: str = "<dict>"
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for run.json / COCO info, enough to rebuild the preset."""
        return {
            "name": self.name, "source": self.source, "sha256": self.sha256,
            "options": {"min_area": self.min_area, "empty": self.empty, "max_redraws": self.max_redraws},
            "transforms": {t.name: {"p": t.p, **{k: list(v) if isinstance(v, tuple) else v
                                                  for k, v in t.params.items()}}
                           for t in self.transforms},
        }


def _is_number(value: Any, integer: bool) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(value, (int, float))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_table(table: Any, schema: dict[str, Param], where: str, extra: tuple[str, ...] = ()) -> dict:
    if not isinstance(table, dict):
        raise ValueError(f"[{where}] must be a table")
    unknown = sorted(set(table) - set(schema) - set(extra))
    if unknown:
        allowed = ", ".join(list(extra) + list(schema)) or "only p"
        raise ValueError(f"[{where}] unknown key {unknown[0]!r} (allowed: {allowed})")
    out: dict[str, Any] = {}
    for key, param in schema.items():
        try:
            out[key] = param.check(table[key]) if key in table else param.default
        except ValueError as exc:
            raise ValueError(f"[{where}] {key}: {exc}") from None
    return out


def preset_from_dict(data: dict[str, Any], *, source: str = "<dict>", sha256: str = "") -> Preset:
    """Validate parsed TOML; raises UserError with one line naming `source`, table and key."""
    try:
        unknown = sorted(set(data) - {"name", "description", "options", "transforms"})
        if unknown:
            raise ValueError(f"unknown top-level key {unknown[0]!r} (allowed: name, description, "
                             "options, transforms)")
        name = data.get("name", Path(source).stem)
        description = data.get("description", "")
        if not isinstance(name, str) or not isinstance(description, str):
            raise ValueError("name and description must be strings")
        options = _check_table(data.get("options", {}), OPTIONS, "options")
        tables = data.get("transforms", {})
        if not isinstance(tables, dict):
            raise ValueError("[transforms] must be a table of tables, e.g. [transforms.hflip]")
        for key in tables:
            if key not in TRANSFORMS:
                raise ValueError(f"unknown transform [transforms.{key}] (known: {', '.join(TRANSFORMS)})")
        specs = []
        for tname, schema in TRANSFORMS.items():
            if tname not in tables:
                continue
            where = f"transforms.{tname}"
            table = tables[tname]
            if not isinstance(table, dict) or "p" not in table:
                raise ValueError(f"[{where}] needs p = probability in [0, 1]")
            try:
                p = Number(0.0, 1.0, 0.0).check(table["p"])
            except ValueError as exc:
                raise ValueError(f"[{where}] p: {exc}") from None
            params = _check_table(table, schema, where, extra=("p",))
            if p > 0:
                specs.append(TransformSpec(tname, float(p), params))
    except ValueError as exc:
        raise UserError(str(exc), source) from None
    return Preset(name=name, description=description, transforms=tuple(specs), source=source,
                  sha256=sha256, **options)


def available_presets() -> list[str]:
    """Names of the presets shipped in trainer/augment/presets/."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def load_preset(name_or_path: str | Path) -> Preset:
    """A shipped preset by name (`default`, `drone`, ...) or a TOML file path."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        path = PRESETS_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise UserError(f"unknown augment preset {str(name_or_path)!r} (shipped: "
                            f"{', '.join(available_presets())}; or give a .toml file)")
    data = read_toml(path, what="preset file", error=UserError)
    return preset_from_dict(data, source=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())
