"""Scene presets (scenes/*.toml): load, validate, save. Pure Python, no bpy.

A preset describes *distributions* (ranges, probability tables), never one fixed scene; the
sampler turns it into one frame description per (seed, frame index). The batch CLI and the
Blender panel read and write the same files, so the schema lives here once, as data; the
validator is trainer.schema, the one augmentation presets use too.

Validation reports the first problem as one line naming the file and the dotted key
(`scenes/x.toml: camera.focal_length: min 50 > max 24`). A preset may be partial: missing keys
take the defaults below, so `rain.toml` only states what differs from the default scene.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer import schema
from trainer.annotation.files import read_toml, write_bytes_atomic
from trainer.errors import UserError
from trainer.schema import Spec, Table


class PresetError(UserError):
    """A scene preset is missing, unreadable or invalid."""


S = Spec
# HDRIs every Blender 4.2+ ships in datafiles/studiolights/world (CC0, Poly Haven originals).
BUILTIN_HDRIS = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")
_POSES = ("standing", "crouching", "reaching", "kneeling", "walking", "bending", "lying", "carrying", "sitting")

# What `[render] quality` stands for: path-tracer settings picked from the measured time/quality
# curve (bench/render_quality.py, PSNR/SSIM against 256-spp references; docs/benchmarks.md).
# default: the cheapest point at least as good as the old 16-spp FAST default (42.7 vs 42.5 dB);
# draft: about a third of its cost for ~4 dB less; final: 32 spp, where the curve is flat
# (16 -> 24 spp gained 0.2 dB). Adaptive sampling did not stop a single pixel early at <= 24 spp
# (same bytes at thresholds 0.02-0.1). Any of these keys set in the same [render] table (or
# --samples) wins over the quality's value.
QUALITY: dict[str, dict[str, Any]] = {
    "draft": {"samples": 4, "adaptive_threshold": 0.05, "denoise_prefilter": "FAST", "light_tree": False},
    "default": {"samples": 10, "adaptive_threshold": 0.05, "denoise_prefilter": "ACCURATE", "light_tree": True},
    "final": {"samples": 32, "adaptive_threshold": 0.01, "denoise_prefilter": "ACCURATE", "light_tree": True},
}
_Q = QUALITY["default"]
_JACKETS = ("hivis_orange", "hivis_yellow", "red", "navy", "sand")

# section -> key -> Spec. Order here is the order the saver writes.
SCHEMA: dict[str, dict[str, Spec]] = {
    "scene": {
        "name": S("str", "default", doc="short preset name"),
        "description": S("str", "", doc="what this preset is for"),
    },
    "render": {
        "quality": S("str", "default", choices=tuple(QUALITY),
                     doc="sampling preset (samples, adaptive threshold, denoiser, light tree); keys below override it"),
        "resolution": S("resolution", [640, 480], 8, 16384),
        "samples": S("int", _Q["samples"], 1, 65536),
        "denoise": S("bool", True),
        "denoise_prefilter": S("str", _Q["denoise_prefilter"], choices=("NONE", "FAST", "ACCURATE")),
        "adaptive_threshold": S("float", _Q["adaptive_threshold"], 0.0, 1.0, doc="0 disables adaptive sampling"),
        "light_tree": S("bool", _Q["light_tree"]),
        "max_bounces": S("int", 4, 0, 1024),
        "filter_width": S("float", 1.5, 0.01, 10.0),
        "device": S("str", "cpu", choices=("cpu", "gpu")),
        "view_transform": S("str", "AgX", choices=("AgX", "Standard", "Filmic", "Khronos PBR Neutral")),
    },
    "output": {
        "categories": S("str_list", ["rescuer", "civilian"], choices=("rescuer", "civilian", "dog", "vehicle"),
                        doc="labelled classes; dogs/vehicles not listed here are unlabelled distractors"),
        "segmentation": S("str", "auto", choices=("auto", "polygon", "rle")),
        "min_pixels": S("int", 16, 0, None),
        "min_visible_fraction": S("float", 0.0, 0.0, 1.0),
        "min_extent": S("int", 2, 0, None),
    },
    "ground": {
        "size": S("float", 1000.0, 1.0, 100000.0, doc="edge length of the ground plane, m (large: drone views see far)"),
        "materials": S("probs", {"concrete": 0.4, "dirt": 0.4, "asphalt": 0.2},
                       choices=("concrete", "dirt", "asphalt")),
        "brightness": S("range_float", [0.7, 1.3], 0.0, 10.0),
        "roughness": S("range_float", [0.7, 0.95], 0.0, 1.0),
        "bump": S("range_float", [0.1, 0.4], 0.0, 10.0),
    },
    "rescuers": {
        "count": S("range_int", [1, 4], 0, 64),
        "height": S("range_float", [1.6, 1.95], 0.3, 3.0, doc="m"),
        "spread": S("float", 6.0, 0.0, 1000.0, doc="radius of the area people stand in, m"),
        "poses": S("probs", {"standing": 0.3, "walking": 0.15, "crouching": 0.15, "reaching": 0.08,
                             "kneeling": 0.1, "bending": 0.08, "carrying": 0.09, "lying": 0.05}, choices=_POSES),
        "jackets": S("probs", {"hivis_orange": 0.3, "hivis_yellow": 0.15, "red": 0.15, "navy": 0.25, "sand": 0.15},
                     choices=_JACKETS),
        "helmet_probability": S("float", 0.85, 0.0, 1.0),
        "body_folders": S("opt_folders", ["../assets/rescuers"],
                          doc="folders of body meshes (.obj/.glb/.gltf/.fbx/.blend); missing or empty = procedural"),
        "body_probability": S("float", 1.0, 0.0, 1.0, doc="share of people using a body mesh when there are any"),
        "dirt": S("range_float", [0.0, 0.6], 0.0, 1.0, doc="mud/dust on clothes"),
        "long_hair": S("float", 0.0, 0.0, 1.0,
                       doc="share of helmetless women whose hair hangs below the head (men: a sixth of it)"),
        "faces": S("bool", False, doc="paint eyes, brows, lips and beards on shipped bodies' heads"),
        "hair_loft": S("range_float", [0.0, 0.0], 0.0, 0.15,
                       doc="m the hair stands off the scalp at the crown, in clumps (0: a close-cut cap)"),
        "group": S("float", 0.0, 0.0, 1.0,
                   doc="share of frames whose standing/walking people stand together, shoulder to shoulder"),
    },
    "civilians": {
        "count": S("range_int", [0, 2], 0, 64),
        "height": S("range_float", [1.5, 1.9], 0.3, 3.0),
        "poses": S("probs", {"standing": 0.4, "walking": 0.2, "crouching": 0.05, "kneeling": 0.05, "carrying": 0.05,
                             "sitting": 0.1, "lying": 0.1}, choices=_POSES),
        "body_folders": S("opt_folders", ["../assets/rescuers"]),
        "body_probability": S("float", 1.0, 0.0, 1.0),
        "dirt": S("range_float", [0.0, 0.4], 0.0, 1.0),
        "long_hair": S("float", 0.0, 0.0, 1.0),
        "faces": S("bool", False),
        "hair_loft": S("range_float", [0.0, 0.0], 0.0, 0.15),
        "group": S("float", 0.0, 0.0, 1.0),
    },
    "distractors": {
        "dogs": S("range_int", [0, 1], 0, 50, doc="search-and-rescue dogs / strays among the people"),
        "dog_vest_probability": S("float", 0.5, 0.0, 1.0),
        "vehicles": S("range_int", [0, 1], 0, 20, doc="fire engines, ambulances, police vans at the site's edge"),
        "vehicle_kinds": S("probs", {"fire_engine": 0.4, "ambulance": 0.3, "ambulance_yellow": 0.1, "police": 0.2},
                           choices=("fire_engine", "ambulance", "ambulance_yellow", "police")),
        "shapes": S("range_int", [0, 0], 0, 100,
                    doc="flying distractors: random shapes with random textures in the camera's view"),
        "shape_fill": S("range_float", [0.05, 0.3], 0.001, 2.0,
                        doc="a flying shape's longest side over the image's longer side"),
    },
    "debris": {
        "count": S("range_int", [40, 90], 0, 2000),
        "size": S("range_float", [0.2, 1.2], 0.01, 100.0, doc="m"),
        "spread": S("float", 14.0, 0.0, 1000.0),
        "kinds": S("probs", {"rock": 0.35, "slab": 0.25, "beam": 0.1, "brick": 0.15, "rebar": 0.07, "wall": 0.04,
                             "car": 0.04}, choices=("rock", "slab", "beam", "brick", "rebar", "wall", "car")),
        "asset_folders": S("folders", [], doc="folders of .blend/.obj/.glb/.gltf/.fbx files whose meshes become debris"),
        "asset_probability": S("float", 0.0, 0.0, 1.0),
    },
    "buildings": {
        "count": S("range_int", [3, 6], 0, 50, doc="ruined blocks on the ring around the site"),
        "distance": S("range_float", [22.0, 40.0], 1.0, 1000.0, doc="m from the site centre to their facades"),
        "far_count": S("range_int", [3, 6], 0, 100, doc="plainer blocks on the skyline"),
        "far_distance": S("range_float", [55.0, 110.0], 1.0, 5000.0),
        "storeys": S("range_int", [2, 6], 1, 30),
        "damage": S("range_float", [0.3, 0.9], 0.0, 1.0, doc="collapse depth, missing facade panels, soot"),
        "facades": S("probs", {"plaster": 0.3, "concrete": 0.25, "brick": 0.2, "panel": 0.15, "painted": 0.1},
                     choices=("plaster", "concrete", "brick", "panel", "painted")),
        "heaps": S("range_int", [2, 5], 0, 100, doc="rubble mounds on the site, kept off the people"),
        "heap_radius": S("range_float", [1.5, 4.0], 0.2, 50.0, doc="m"),
    },
    "camera": {
        "modes": S("probs", {"ground": 1.0, "drone": 0.0}, choices=("ground", "close", "drone")),
        "focal_length": S("range_float", [28.0, 50.0], 1.0, 1000.0, doc="mm on a 36 mm sensor"),
        "ground_height": S("range_float", [1.2, 2.0], 0.1, 100.0),
        "ground_distance": S("range_float", [5.0, 12.0], 0.5, 1000.0),
        "close_fill": S("range_float", [0.5, 1.5], 0.05, 5.0,
                        doc="close-ups: the person's height over the image height (above 1: cut off below)"),
        "close_subjects": S("probs", {"rescuer": 1.0, "civilian": 1.0}, choices=("rescuer", "civilian"),
                            doc="close-ups: weight of each person of a class being the subject (equal: anyone alike)"),
        "portrait": S("float", 0.0, 0.0, 1.0,
                      doc="share of frames rendered upright (the longer side vertical), as phone photos are"),
        "drone_height": S("range_float", [8.0, 40.0], 1.0, 1000.0),
        "drone_pitch": S("range_float", [45.0, 85.0], 5.0, 90.0, doc="degrees below the horizon"),
        "roll": S("range_float", [-3.0, 3.0], -45.0, 45.0, doc="degrees"),
        "max_tries": S("int", 50, 1, 10000),
        "sensor_noise": S("range_float", [0.0, 0.02], 0.0, 0.5, doc="std of Gaussian sensor noise (0..1 scale)"),
    },
    "light": {
        "sky": S("probs", {"sky": 1.0, "color": 0.0}, choices=("sky", "color")),
        "sun_elevation": S("range_float", [20.0, 65.0], -10.0, 90.0, doc="degrees"),
        "sun_azimuth": S("range_float", [0.0, 360.0], -360.0, 720.0),
        "sun_strength": S("range_float", [2.5, 4.5], 0.0, 1000.0),
        "sky_strength": S("range_float", [0.6, 1.0], 0.0, 100.0),
        "work_lights": S("range_int", [0, 0], 0, 32),
        "work_light_power": S("range_float", [800.0, 2000.0], 0.0, 1e6, doc="W"),
        "turbidity": S("range_float", [2.0, 6.0], 1.0, 10.0, doc="haze of the physical sky"),
        "fires": S("range_int", [0, 0], 0, 32, doc="fire glows (warm point lights) in the rubble"),
        "fire_power": S("range_float", [300.0, 1500.0], 0.0, 1e6, doc="W"),
        "background_folders": S("opt_folders", ["../assets/backgrounds"],
                                doc="HDRIs / photo backplates (.hdr .exr .jpg .png); none = physical sky"),
        "background_probability": S("float", 0.5, 0.0, 1.0,
                                    doc="site frames: a background from the pool as sky instead of the physical sky"),
        "hdris": S("str_list", [], 0, choices=BUILTIN_HDRIS,
                   doc="Blender's own CC0 HDRIs (real captured places, offline) join the background pool"),
        "backplate_probability": S("float", 0.0, 0.0, 1.0,
                                   doc="frames set inside a background: its ground (a shadow catcher) and horizon "
                                       "replace the ruins"),
        "backplate_debris": S("range_float", [0.0, 0.3], 0.0, 1.0, doc="backplate frames keep this share of the debris"),
        "background_exposure": S("range_float", [-0.5, 0.5], -5.0, 5.0,
                                 doc="stops around a background's own level (it is normalised first)"),
    },
    "weather": {
        "conditions": S("probs", {"clear": 1.0, "rain": 0.0, "snow": 0.0}, choices=("clear", "rain", "snow")),
        "rain_streaks": S("range_int", [600, 1500], 0, 100000),
        "snow_flakes": S("range_int", [600, 1500], 0, 100000),
        "fog_probability": S("float", 0.15, 0.0, 1.0, doc="chance of fog/dust haze in a frame"),
        "fog_density": S("range_float", [0.005, 0.03], 0.0, 1.0, doc="1/m (extinction)"),
    },
}


# The file: one table per section, every key optional (defaults above).
SCENE = Table({sec: Table(keys) for sec, keys in SCHEMA.items()}, unknown="unknown section (expected one of {allowed})")


def defaults() -> dict[str, dict[str, Any]]:
    """A complete preset with every default value (a deep copy)."""
    return schema.defaults(SCENE)


def validate(data: dict[str, Any], base_dir: Path) -> dict[str, dict[str, Any]]:
    """Merge `data` over the defaults and validate it (trainer.schema with SCENE), then the rules
    between keys; raise ValueError naming the dotted key."""
    out = schema.validate(data, SCENE, base_dir)
    given = data.get("render", {})
    for key, value in QUALITY[out["render"]["quality"]].items():  # the quality fills what is not set
        if key not in given:
            out["render"][key] = value
    cats = out["output"]["categories"]
    for sec in ("rescuers", "civilians"):
        cat = sec[:-1]
        if out[sec]["count"][1] > 0 and cat not in cats:
            raise ValueError(f"output.categories: {cat!r} objects are generated but not listed")
    if out["debris"]["asset_probability"] > 0 and not out["debris"]["asset_folders"]:
        raise ValueError("debris.asset_probability: > 0 but debris.asset_folders is empty")
    return out


@dataclass
class Preset:
    """A validated preset: `data` is complete (defaults filled in); paths resolve against `base_dir`.
    `given` is the preset as written (before defaults and the quality's values were filled in), so
    an override such as --quality can be applied the way the file would have been read."""

    data: dict[str, dict[str, Any]]
    path: Path | None = None
    given: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.data[section]


def read_preset_data(path: str | Path) -> dict[str, Any]:
    """A preset file's TOML as it is (not yet validated); PresetError if it cannot be read."""
    return read_toml(Path(path), what="preset file", error=PresetError)


def load_preset(path: str | Path) -> Preset:
    """Read and validate a TOML preset; raise PresetError with one line on any problem."""
    return preset_from_dict(read_preset_data(path), path)


def preset_from_dict(data: dict[str, Any], path: str | Path | None = None) -> Preset:
    """Validate an in-memory preset (e.g. from the panel) as if read from `path`."""
    p = Path(path) if path is not None else None
    try:
        full = validate(data, p.parent if p else Path.cwd())
    except ValueError as exc:
        raise PresetError(str(exc), p) from None
    return Preset(full, p, copy.deepcopy(data))


# ---- saving: a tiny TOML writer for exactly the value shapes the schema allows ----

def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_str(k)


def _toml_str(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_preset(preset: Preset | dict[str, Any]) -> str:
    """TOML text for a preset (complete, schema order, doc strings as comments)."""
    data = preset.data if isinstance(preset, Preset) else preset
    lines: list[str] = []
    for sec, keys in SCHEMA.items():
        if lines:
            lines.append("")
        lines.append(f"[{sec}]")
        for key, spec in keys.items():
            if key not in data.get(sec, {}):
                continue
            comment = f"  # {spec.doc}" if spec.doc else ""
            lines.append(f"{key} = {_toml_value(data[sec][key])}{comment}")
    return "\n".join(lines) + "\n"


def save_preset(preset: Preset | dict[str, Any], path: str | Path) -> Path:
    """Validate then write atomically (temp + rename); comments in the old file are not kept."""
    path = Path(path)
    data = preset.data if isinstance(preset, Preset) else preset
    preset_from_dict(data, path)  # never write a preset we could not load back
    try:
        write_bytes_atomic(path, dumps_preset(data).encode("utf-8"))
    except OSError as exc:
        raise PresetError(f"cannot write preset: {exc.strerror}", path) from None
    return path
