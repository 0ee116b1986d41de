"""Copies of the artist's objects in the engine's scene (for frames with scene objects).

`obj.copy()` shares the mesh and materials with the original and is linked only into the engine's
collections, so the per-frame cleanup deletes the copy and never the artist's object or its data.
Animation, drivers, constraints and parenting are dropped from the copy: the frame description's
matrix_world is the pose, so a frame is reproducible from its JSON.
"""

from __future__ import annotations

import bpy
from mathutils import Matrix

from trainer.errors import UserError


def build(entry: dict, collection: bpy.types.Collection, pass_index: int = 0) -> bpy.types.Object:
    src = bpy.data.objects.get(entry["source"])
    if src is None:
        raise UserError(f"scene object {entry['source']!r} no longer exists")
    obj = src.copy()
    obj.animation_data_clear()
    obj.constraints.clear()
    obj.parent = None
    obj.matrix_world = Matrix(entry["matrix_world"])
    obj.pass_index = pass_index
    obj.hide_render = False
    collection.objects.link(obj)
    return obj
