"""Ruined buildings and rubble heaps from generators.buildings's descriptions (geometry:
generators.buildings.mesh), with weathered masonry materials."""

from __future__ import annotations

import numpy as np

from blender_addon.builders.objects import mesh_object
from blender_addon.builders.surfaces import masonry
from blender_addon.generators._util import jitter_color
from blender_addon.generators.buildings import INTERIOR, STRUCTURE, mesh


def build(d: dict, weather: dict) -> None:
    """One object per building / heap, with procedural weathered materials."""
    if d["kind"] == "heap":
        mats = [masonry(d["name"], d["color"], weather, rubble=d["brick"], relief=False)]  # chunks are geometry
    else:
        structure = jitter_color(np.random.default_rng(d["seed"]), STRUCTURE, 0.1)
        mats = [masonry(d["name"] + "_structure", structure, weather, soot=d["soot"], relief=False),
                masonry(d["name"] + "_facade", d["color"], weather, soot=d["soot"],
                        brick=d["facade"] == "brick" and not d["far"], relief=False),
                masonry(d["name"] + "_interior", INTERIOR, weather, relief=False)]
    obj = mesh_object(d["name"], mesh(d), mats, location=d["location"], rotation_euler=(0.0, 0.0, d["yaw"]),
                      smooth=d["kind"] == "heap")
    obj.visible_glossy = False  # matt masonry in nobody's reflection: saves glossy rays for nothing
