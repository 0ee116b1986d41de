"""Between frames: delete everything the previous frame built, so memory stays flat.

One scene is reused for the whole run; per-frame data (objects, meshes, materials, lights,
collections, the compositor group) is removed and orphans purged. Asset meshes loaded from
.blend files carry a fake user and survive (cache).
"""

from __future__ import annotations

import bpy

from blender_addon.builders.objects import GENERATED
from blender_addon.builders.passes import LABELLED


def clear_frame() -> None:
    scene = bpy.context.scene
    doomed_cols = []
    for name in (GENERATED, LABELLED):
        col = bpy.data.collections.get(name)
        if col is not None:
            doomed_cols += [col, *col.children_recursive]
    objs = {o for c in doomed_cols for o in c.all_objects}
    objs |= {o for o in scene.collection.objects}
    data = {o.data for o in objs if o.data is not None and not getattr(o.data, "use_fake_user", False)}
    bpy.data.batch_remove(list(objs) + doomed_cols)
    bpy.data.batch_remove([d for d in data if d.users == 0])
    bpy.data.batch_remove([m for m in bpy.data.materials if m.users == 0])
    bpy.data.orphans_purge(do_local_ids=True, do_linked_ids=True, do_recursive=True)


def reset_factory() -> None:
    """Start from an empty scene (the default cube, light and camera would leak into renders)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.name = "rescuesynth"


KINDS = ("objects", "meshes", "materials", "node_groups", "images", "lights", "cameras", "worlds", "collections")


def datablock_counts() -> dict[str, int]:
    """How many of each kind of datablock exist, and how many have no user left ("orphans"; kept
    ones such as cached asset meshes carry a fake user): flat over a long run means nothing leaks."""
    out = {k: len(getattr(bpy.data, k)) for k in KINDS}
    out["orphans"] = sum(1 for k in KINDS for d in getattr(bpy.data, k) if d.users == 0)
    return out
