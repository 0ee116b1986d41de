"""Create bpy meshes, objects and simple node materials from plain data."""

from __future__ import annotations

import bpy
import numpy as np

from blender_addon.meshes import Mesh

GENERATED = "rescuesynth_generated"


def generated_collection() -> bpy.types.Collection:
    """The per-frame collection; everything in it is deleted before the next frame."""
    scene = bpy.context.scene
    col = bpy.data.collections.get(GENERATED)
    if col is None:
        col = bpy.data.collections.new(GENERATED)
    if col.name not in scene.collection.children:
        scene.collection.children.link(col)
    return col


def link(obj: bpy.types.Object, collection: bpy.types.Collection | None = None) -> bpy.types.Object:
    (collection or generated_collection()).objects.link(obj)
    return obj


def mesh_object(name: str, mesh: Mesh, materials: list[bpy.types.Material], *,
                location=(0.0, 0.0, 0.0), rotation_euler=(0.0, 0.0, 0.0), pass_index: int = 0,
                smooth: bool = True, collection: bpy.types.Collection | None = None) -> bpy.types.Object:
    """One object from numpy geometry, with per-triangle material slots."""
    me = bpy.data.meshes.new(name)
    verts = np.ascontiguousarray(mesh.verts, dtype=np.float32)
    tris = np.ascontiguousarray(mesh.tris, dtype=np.int32)
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", verts.ravel())
    me.loops.add(tris.size)
    me.loops.foreach_set("vertex_index", tris.ravel())
    me.polygons.add(len(tris))
    me.polygons.foreach_set("loop_start", np.arange(0, tris.size, 3, dtype=np.int32))
    me.polygons.foreach_set("material_index", np.ascontiguousarray(mesh.mat, dtype=np.int32))
    me.polygons.foreach_set("use_smooth", np.full(len(tris), smooth, dtype=bool))
    me.update(calc_edges=True)
    me.validate(verbose=False)
    for m in materials:
        me.materials.append(m)
    obj = bpy.data.objects.new(name, me)
    obj.location = location
    obj.rotation_euler = rotation_euler
    obj.pass_index = pass_index
    return link(obj, collection)


def new_material(name: str) -> bpy.types.Material:
    """A node material (4.x needs use_nodes switched on; 5.x always uses nodes)."""
    mat = bpy.data.materials.new(name)
    if not mat.use_nodes:
        mat.use_nodes = True
    return mat


def principled(name: str, color, roughness: float = 0.6, *, emission: float = 0.0,
               metallic: float = 0.0, alpha: float = 1.0) -> bpy.types.Material:
    """A Principled BSDF material. alpha < 1 mixes in a Transparent BSDF, which also keeps the
    surface out of the object-index pass (see builders.passes: pass_alpha_threshold)."""
    mat = new_material(name)
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    rgba = (*color[:3], 1.0)
    bsdf.inputs["Base Color"].default_value = rgba
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    if emission > 0:
        bsdf.inputs["Emission Color"].default_value = rgba
        bsdf.inputs["Emission Strength"].default_value = emission
    if alpha < 1.0:
        out = nt.nodes["Material Output"]
        transparent = nt.nodes.new("ShaderNodeBsdfTransparent")
        mix = nt.nodes.new("ShaderNodeMixShader")
        mix.inputs["Fac"].default_value = alpha
        nt.links.new(transparent.outputs[0], mix.inputs[1])
        nt.links.new(bsdf.outputs[0], mix.inputs[2])
        nt.links.new(mix.outputs[0], out.inputs["Surface"])
    mat.diffuse_color = rgba
    return mat


def world_vertices(obj: bpy.types.Object) -> np.ndarray:
    """Evaluated vertex positions in world space (N, 3)."""
    me = obj.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3).astype(float)
    m = np.array(obj.matrix_world)
    return co @ m[:3, :3].T + m[:3, 3]
