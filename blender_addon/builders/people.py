"""One labelled object per person: a body mesh file dressed by builders.bodies, or (no file, or
an unreadable one) the procedural humanoid of generators.people.body_mesh with flat materials."""

from __future__ import annotations

from blender_addon.builders.bodies import body_object
from blender_addon.builders.objects import mesh_object, principled
from blender_addon.generators.people import body_mesh


def build(person: dict, base_dir, cache: dict, collection=None):
    if person["asset"] != "procedural:humanoid":
        obj = body_object(person, base_dir, cache, collection)
        if obj is not None:
            return obj
        person["asset"] = "procedural:humanoid"  # unreadable file: warned, fall back (recorded in the JSON)
        person["helmet_geometry"] = None
    c = person["colors"]
    mats = [principled(f"{person['name']}_jacket", c["jacket"], 0.55),
            principled(f"{person['name']}_pants", c["pants"], 0.8),
            principled(f"{person['name']}_skin", c["skin"], 0.5),
            principled(f"{person['name']}_helmet", c["helmet"], 0.3)]
    return mesh_object(person["name"], body_mesh(person), mats, pass_index=person["index"], collection=collection)
