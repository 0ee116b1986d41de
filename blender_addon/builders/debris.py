"""Debris objects from generators.debris's descriptions: procedural meshes (generators.debris.
procedural_mesh) with weathered materials, burnt cars, or meshes from the user's asset files
(builders.assets: mesh data only, no scripts)."""

from __future__ import annotations

from pathlib import Path

from blender_addon.builders.assets import asset_mesh_object
from blender_addon.builders.objects import mesh_object, new_material, principled
from blender_addon.builders.surfaces import matt_when_dry, weathered
from blender_addon.generators.debris import procedural_mesh


def build(d: dict, base_dir: Path, asset_cache: dict, weather: dict | None = None) -> None:
    if d["kind"] == "car":  # burnt-out car: charred shell, rusty patches, melted tyres
        mats = [_charred(d), principled(d["name"] + "_tyre", (0.02, 0.02, 0.02), 0.9)]
        if weather:
            for m in mats:
                weathered(m, weather)
        mesh_object(d["name"], procedural_mesh(d), mats, location=d["location"],
                    rotation_euler=d["rotation_euler"], smooth=False)
        return
    metal = 0.6 if d["kind"] == "rebar" else 0.0
    mat = principled(d["name"], d["color"], 0.85 if not metal else 0.6, metallic=metal)
    if weather:
        weathered(mat, weather)
    if not metal:
        matt_when_dry(mat, weather or {})
    if d["kind"] == "asset":
        asset_mesh_object(d, base_dir / d["asset"], mat, asset_cache)
        return
    mesh_object(d["name"], procedural_mesh(d), [mat], location=d["location"],
                rotation_euler=d["rotation_euler"], smooth=False)  # broken concrete and brick are angular


def _charred(d: dict):
    mat = new_material(d["name"])
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = 0.8
    bsdf.inputs["Metallic"].default_value = 0.4
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 3.0
    noise.inputs["Detail"].default_value = 6.0
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].position = 0.45
    ramp.color_ramp.elements[0].color = (*d["color"], 1.0)
    ramp.color_ramp.elements[1].position = 0.45 + 0.3 * (1 - d["rust"])
    ramp.color_ramp.elements[1].color = (0.25, 0.09, 0.03, 1.0)
    nt.links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
    nt.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    return mat
