"""Meshes from user asset files (.blend, and .obj/.glb/.gltf/.fbx through Blender's importers);
from .blend files mesh data is appended without running any Python in them.

Only mesh data-blocks are appended (no objects, scenes or texts), and bpy never auto-runs
scripts for `libraries.load`, so a hostile .blend cannot execute code here. A file that is not
a readable .blend becomes a one-line UserError naming the file.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from blender_addon.builders.objects import link
from trainer.errors import UserError


def load_meshes(path: Path) -> list[bpy.types.Mesh]:
    if path.suffix.lower() != ".blend":  # OBJ / glTF / FBX: all parts joined, base at z=0
        from blender_addon.builders.bodies import load_body_mesh

        return [load_body_mesh(path, normalize=True)]
    try:
        with bpy.data.libraries.load(str(path), link=False) as (src, dst):
            dst.meshes = list(src.meshes)
    except (OSError, RuntimeError) as exc:
        raise UserError(f"not a readable .blend asset ({str(exc).splitlines()[0][:120]})", path) from None
    meshes = [m for m in dst.meshes if m is not None]
    if not meshes:
        raise UserError("asset .blend contains no mesh", path)
    for m in meshes:
        m.use_fake_user = True  # kept across frames by the cleanup (asset cache)
    return meshes


def asset_mesh_object(d: dict, path: Path, material: bpy.types.Material, cache: dict) -> bpy.types.Object:
    """An object using one of the file's meshes (chosen by the debris seed), scaled to `size`."""
    key = str(path)
    if key not in cache:
        cache[key] = load_meshes(path)
    meshes = cache[key]
    mesh = meshes[d["seed"] % len(meshes)]
    obj = bpy.data.objects.new(d["name"], mesh)
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    extent = float((co.max(0) - co.min(0)).max()) if len(co) else 1.0
    obj.scale = [d["size"] / max(extent, 1e-6)] * 3
    obj.location = d["location"]
    obj.rotation_euler = d["rotation_euler"]
    if not mesh.materials:  # the asset's own materials win; ours only fills an empty slot list
        obj.data.materials.append(material)
    return link(obj)
