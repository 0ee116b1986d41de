"""Panel settings <-> preset data (pure Python, no bpy; tested without Blender).

The panel never invents scene logic: every switch maps to keys that exist in the preset schema
(blender_addon.preset.SCHEMA), and the result is validated like a preset file. A randomizer that
is switched off keeps the preset's *typical* value instead of sampling it:
  rescuers / civilians / debris off -> count = [0, 0] (none generated)
  buildings off   -> buildings.count, far_count and heaps = [0, 0] (open ground)
  weather off     -> weather.conditions = { clear = 1 }
  light off       -> every [min, max] of [light] collapsed to its midpoint, the most likely sky kind
  backgrounds off -> the most likely ground material, [ground] ranges collapsed to their midpoints
  camera mode     -> "preset" keeps camera.modes; "ground" / "close" / "drone" forces that mode
                     (drone also turns backplate frames off: they need an eye-level camera)
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from blender_addon.preset import QUALITY, SCHEMA

TOGGLES = ("rescuers", "civilians", "debris", "buildings", "weather", "light", "backgrounds")
CAMERA_MODES = ("preset", "ground", "close", "drone")
FILTER_KEYS = ("segmentation", "min_pixels", "min_visible_fraction", "min_extent")


def list_presets(folder: str | Path) -> list[Path]:
    """The *.toml presets of a folder, default.toml first (the panel starts on the first), then by
    name (an unreadable folder lists nothing)."""
    try:
        return sorted((p for p in Path(folder).glob("*.toml") if p.is_file()), key=lambda p: (p.stem != "default", p.name))
    except OSError:
        return []


def _most_likely(probs: dict[str, float]) -> dict[str, float]:
    best = max(probs, key=lambda k: probs[k])  # first of equals: table order is the file's order
    return {best: 1.0}


def _collapse(section: dict[str, Any], name: str) -> None:
    """Fix every range of a section at its midpoint and every choice table at its likeliest entry."""
    for key, spec in SCHEMA[name].items():
        v = section.get(key)
        if spec.kind == "range_float":
            mid = (v[0] + v[1]) / 2
            section[key] = [mid, mid]
        elif spec.kind == "range_int":
            mid = (v[0] + v[1]) // 2
            section[key] = [mid, mid]
        elif spec.kind == "probs":
            section[key] = _most_likely(v)


def apply_panel(data: dict[str, Any], *, toggles: dict[str, bool] | None = None, camera_mode: str = "preset",
                filters: dict[str, Any] | None = None, render: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new preset dict: `data` (a complete preset, e.g. Preset.data) with the panel's choices."""
    out = copy.deepcopy(data)
    toggles = toggles or {}
    unknown = set(toggles) - set(TOGGLES)
    if unknown:
        raise ValueError(f"unknown randomizer {min(unknown)!r}")
    for name in ("rescuers", "civilians", "debris"):
        if not toggles.get(name, True):
            out[name]["count"] = [0, 0]
    if not toggles.get("buildings", True):
        for key in ("count", "far_count", "heaps"):
            out["buildings"][key] = [0, 0]
    if not toggles.get("weather", True):
        out["weather"]["conditions"] = {"clear": 1.0}
    if not toggles.get("light", True):
        _collapse(out["light"], "light")
    if not toggles.get("backgrounds", True):
        _collapse(out["ground"], "ground")
    if camera_mode not in CAMERA_MODES:
        raise ValueError(f"camera mode {camera_mode!r} is not one of {', '.join(CAMERA_MODES)}")
    if camera_mode != "preset":
        out["camera"]["modes"] = {camera_mode: 1.0}
        if camera_mode == "drone":  # backplates are eye-level panoramas: from above they show a pole
            out["light"]["backplate_probability"] = 0.0
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            raise ValueError(f"unknown filter {key!r}")
        out["output"][key] = value
    for key, value in (render or {}).items():
        if key not in SCHEMA["render"]:
            raise ValueError(f"unknown render setting {key!r}")
        out["render"][key] = value
    return out


def quality_render(quality: str, given: dict[str, Any]) -> dict[str, Any]:
    """[render] settings for the panel's quality choice: the quality itself and its values for every
    key the preset file does not set (`given`: the file's [render] table). Samples are left out:
    the panel's samples field follows the quality unless the user changes it."""
    if quality not in QUALITY:
        raise ValueError(f"quality {quality!r} is not one of {', '.join(QUALITY)}")
    return {"quality": quality, **{k: v for k, v in QUALITY[quality].items() if k != "samples" and k not in given}}
