"""The artist's own objects in a frame description (pure data, no bpy).

The add-on reads the open scene into plain dicts (`{"source": object name, "category": class or
None, "matrix_world": 4x4 rows}`); `add_scene_objects` appends them to a sampled frame
description: labelled ones (category set, e.g. obj["rescuesynth_class"] = "rescuer") join
"objects" with the next free pass indices, unlabelled ones become "scenery". The builder then
links copies of those objects into the engine's scene (builders/scene_copy.py), so the artist's
own objects are never moved or deleted.
"""

from __future__ import annotations

import copy
from typing import Any

CLASS_PROPERTY = "rescuesynth_class"


def add_scene_objects(desc: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """A new description with the scene's objects added; `desc` is left unchanged."""
    out = copy.deepcopy(desc)
    next_index = max((o["index"] for o in out["objects"]), default=0) + 1
    scenery = []
    for item in items:
        entry = {"source": item["source"], "matrix_world": [list(map(float, row)) for row in item["matrix_world"]]}
        if item.get("category"):
            out["objects"].append({"index": next_index, "category": item["category"],
                                   "name": f"scene_{item['source']}", "asset": f"scene:{item['source']}",
                                   "generator": "scene", **entry})
            next_index += 1
        else:
            scenery.append(entry)
    out["scenery"] = scenery
    return out


def check_categories(items: list[dict[str, Any]], categories: list[str]) -> str | None:
    """Why these labelled objects cannot go into a dataset with these categories, or None."""
    for item in items:
        cat = item.get("category")
        if cat and cat not in categories:
            return (f"object {item['source']!r} is labelled {cat!r}, which is not in the preset's "
                    f"output.categories ({', '.join(categories)})")
    return None
