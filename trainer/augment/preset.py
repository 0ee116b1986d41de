"""Augmentation presets: TOML files naming transforms, each with a probability and parameter ranges.

Why a separate module: the preset is plain data that the offline `trainer augment` job and online
training both read, so it is parsed and validated once here (no albumentations import) by the same
validator as the scene presets (trainer.schema, with this module's SCHEMA), and every mistake
becomes one line naming the file and the dotted key (`transforms.crop.scale: min 1.0 > max 0.5`).
`trainer.augment.pipeline` turns a validated `Preset` into transforms.

File shape (see presets/default.toml):

    name = "default"
    description = "..."
    [options]
    min_area = 16            # instances with fewer visible pixels after augmenting are dropped
    empty = "redraw"         # "keep" or "redraw" a variant whose transforms removed every object
    max_redraws = 5
    [copy_paste]             # optional: objects of other images pasted beside this one's, first
    p = 0.5
    [transforms.crop]        # one table per transform; absent = off
    p = 0.5                  # probability this transform is applied to a variant
    scale = [0.5, 1.0]       # ranges are [low, high], sampled uniformly per variant

Transforms always run in the fixed order of `TRANSFORMS` (geometry, then colour and light, then
weather, then the camera: blur, noise, JPEG), whatever order the file lists them in.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.annotation.files import read_toml
from trainer.errors import UserError
from trainer.schema import Spec, Table, validate

PRESETS_DIR = Path(__file__).with_name("presets")


S = Spec
# p: required in every transform table, first
P = S("float", None, 0.0, 1.0, doc="p = probability in [0, 1]")

# Every transform a preset may name, in the order they are applied, with its parameters.
# `p` (probability) is required for each and is not listed here.
TRANSFORMS: dict[str, dict[str, Spec]] = {
    # geometry: masks follow pixel-exactly (nearest neighbour); output keeps the input size
    "person_crop": {"fill": S("range_float", [0.6, 1.6], 0.05, 10.0),   # subject's height over the crop's
                    "min_height": S("float", 0.1, 0.0, 1.0),             # subjects: at least this of the frame high
                    "max_zoom": S("float", 3.0, 1.0, 20.0)},             # crop at least 1/max_zoom of the frame
    "crop": {"scale": S("range_float", [0.5, 1.0], 0.01, 1.0),            # kept fraction of the area (zoom in)
             "ratio": S("range_float", [0.75, 1.3333], 0.1, 10.0)},       # aspect ratio of the crop
    "zoom": {"scale": S("range_float", [0.8, 1.25], 0.1, 10.0)},          # <1 zooms out (black border), >1 in
    "rotate": {"degrees": S("range_float", [-10.0, 10.0], -180.0, 180.0)},
    "perspective": {"scale": S("range_float", [0.02, 0.06], 0.0, 0.5)},   # corner jitter, fraction of size
    "hflip": {},
    "vflip": {},
    # colour and light
    "brightness": {"limit": S("range_float", [-0.2, 0.2], -1.0, 1.0)},    # added fraction of 255
    "contrast": {"limit": S("range_float", [-0.2, 0.2], -1.0, 1.0)},      # gain - 1 (albumentations' contrast)
    "gamma": {"gamma": S("range_float", [0.8, 1.25], 0.1, 10.0)},
    "hue_saturation": {"hue": S("range_float", [-8.0, 8.0], -180.0, 180.0),
                       "saturation": S("range_float", [-20.0, 20.0], -255.0, 255.0)},
    "temperature": {"kelvin": S("range_int", [4000, 10000], 3000, 15000)},  # black-body white point
    "low_light": {"gain": S("range_float", [0.3, 0.6], 0.01, 1.0),        # multiplies intensities (dusk, indoors)
                  "noise": S("range_float", [0.01, 0.03], 0.0, 1.0)},     # sensor noise std, fraction of 255
    # weather
    "fog": {"amount": S("range_float", [0.1, 0.3], 0.0, 1.0)},                # haze density (effects.Haze)
    "rain": {"type": S("str", "drizzle", choices=("drizzle", "heavy", "torrential", "default")),
             "slant": S("range_float", [-10.0, 10.0], -45.0, 45.0),
             "brightness": S("float", 0.8, 0.0, 1.0)},
    "snow": {"amount": S("range_float", [0.1, 0.3], 0.0, 1.0), "brightness": S("float", 2.0, 0.0, 10.0),
             "method": S("str", "bleach", choices=("bleach", "texture"))},
    "sun_glare": {"region": S("box", [0.0, 0.0, 1.0, 0.5]),
                  "radius": S("int", 200, 1, 10000),
                  "method": S("str", "overlay", choices=("overlay", "physics_based"))},
    # camera
    "gaussian_blur": {"sigma": S("range_float", [0.5, 1.5], 0.1, 20.0)},
    "motion_blur": {"kernel": S("range_int", [3, 7], 3, 101, odd=True)},
    "noise": {"std": S("range_float", [0.01, 0.04], 0.0, 1.0)},           # fraction of 255
    "jpeg": {"quality": S("range_int", [50, 95], 1, 100)},
}

GEOMETRIC = ("person_crop", "crop", "zoom", "rotate", "perspective", "hflip", "vflip")

OPTIONS: dict[str, Spec] = {
    "min_area": S("int", 16, 1, 10**9),
    "empty": S("str", "redraw", choices=("keep", "redraw")),
    "max_redraws": S("int", 5, 0, 100),
}

# [copy_paste] (trainer.augment.copy_paste; offline only, before the transforms): objects cut from
# other images of the dataset pasted beside objects of this one. Absent or p = 0: off.
COPY_PASTE: dict[str, Spec] = {
    "p": P,
    "objects": S("range_int", [1, 2], 1, 10),          # pasted per variant that gets any, each beside one there
    "scale": S("range_float", [0.85, 1.15], 0.1, 10.0),  # pasted height over its anchor's (cut-off pairs: widths)
    "offset": S("range_float", [1.0, 1.3], 0.0, 5.0),    # centre distance over the two half-widths (1: touching)
    "front": S("float", 0.5, 0.0, 1.0),                  # share in front of everything (else behind everything)
    "min_height": S("int", 24, 1, 10**5),                # px: smaller donors are not used
    "feather": S("float", 0.7, 0.1, 10.0),               # px, sigma of the pasted edge
}

# The file: name, description, [options], [copy_paste] and one optional table per transform (absent = off).
SCHEMA = Table({
    "name": S("str", None), "description": S("str", ""), "options": Table(OPTIONS),
    "copy_paste": Table(COPY_PASTE, required=("p",), optional=True),
    "transforms": Table({name: Table({"p": P, **params}, required=("p",), optional=True)
                         for name, params in TRANSFORMS.items()}, unknown="unknown transform (known: {allowed})"),
}, unknown="unknown top-level key (allowed: {allowed})")


@dataclass(frozen=True)
class CopyPasteSpec:
    """The validated [copy_paste] table (COPY_PASTE has the defaults and meanings; trainer.augment.copy_paste
    does the pasting)."""

    p: float
    objects: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[float, float]
    front: float
    min_height: int
    feather: float


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
    copy_paste: CopyPasteSpec | None = None  # None: off
    source: str = "<dict>"
    sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for run.json / COCO info, enough to rebuild the preset (copy_paste only
        when on, so presets without it keep the form, and the resume keys, they always had)."""
        paste = {} if self.copy_paste is None else {"copy_paste": {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self.copy_paste).items()}}
        return {**paste,
            "name": self.name, "source": self.source, "sha256": self.sha256,
            "options": {"min_area": self.min_area, "empty": self.empty, "max_redraws": self.max_redraws},
            "transforms": {t.name: {"p": t.p, **{k: list(v) if isinstance(v, tuple) else v
                                                  for k, v in t.params.items()}}
                           for t in self.transforms},
        }


def preset_from_dict(data: dict[str, Any], *, source: str = "<dict>", sha256: str = "") -> Preset:
    """Validate parsed TOML (trainer.schema with SCHEMA); raises UserError with one line naming
    `source` and the dotted key."""
    try:
        full = validate(data, SCHEMA)
    except ValueError as exc:
        raise UserError(str(exc), source) from None
    specs = [TransformSpec(name, table["p"], {k: tuple(v) if isinstance(v, list) else v
                                              for k, v in table.items() if k != "p"})
             for name, table in full["transforms"].items() if table["p"] > 0]  # in TRANSFORMS order
    name = full["name"] if full["name"] is not None else Path(source).stem
    paste = full.get("copy_paste")
    copy_paste = (CopyPasteSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in paste.items()})
                  if paste and paste["p"] > 0 else None)
    return Preset(name=name, description=full["description"], transforms=tuple(specs), source=source,
                  sha256=sha256, copy_paste=copy_paste, **full["options"])


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
