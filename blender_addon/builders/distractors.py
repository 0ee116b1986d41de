"""Dogs and rescue vehicles from generators.distractors's descriptions (geometry:
generators.distractors.mesh), labelled (own pass index) or scenery, and the flying shapes of
generators.shapes (always scenery)."""

from __future__ import annotations

from blender_addon.builders.objects import mesh_object, principled
from blender_addon.builders.surfaces import pattern, weathered
from blender_addon.generators import shapes
from blender_addon.generators.distractors import mesh


def build(d: dict, weather: dict, collection=None):
    if d["kind"] == "shape":
        return mesh_object(d["name"], shapes.mesh(d), [pattern(d["name"], d["texture"])],
                           smooth=d["shape"] in ("sphere", "capsule"), collection=collection)
    c = d["colors"]
    if d["kind"] == "dog":
        mats = [principled(d["name"] + "_coat", c["coat"], 0.8), principled(d["name"] + "_dark", (0.01, 0.01, 0.01), 0.4),
                principled(d["name"] + "_vest", c["vest"], 0.6)]
        mats[0].node_tree.nodes["Principled BSDF"].inputs["Sheen Weight"].default_value = 0.5  # fur
    else:
        mats = [principled(d["name"] + "_paint", c["paint"], 0.35), principled(d["name"] + "_band", c["band"], 0.3),
                principled(d["name"] + "_glass", (0.02, 0.025, 0.03), 0.05),
                principled(d["name"] + "_tyre", (0.02, 0.02, 0.02), 0.9),
                principled(d["name"] + "_lights", (0.1, 0.3, 1.0), 0.3, emission=4.0 if d["lights"] else 0.0)]
        for m in mats[:2]:
            weathered(m, weather)
    m = mesh(d)
    return mesh_object(d["name"], m, mats, pass_index=d.get("index", 0), smooth=d["kind"] == "dog",
                       collection=collection)
