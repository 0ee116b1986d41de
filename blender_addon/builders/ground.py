"""Ground plane and its procedural (noise-driven) material, from generators.ground's description."""

from __future__ import annotations

import numpy as np

from blender_addon.builders.objects import mesh_object, new_material
from blender_addon.builders.surfaces import mix, node, ramp
from blender_addon.meshes import Mesh


def build(desc: dict, weather: dict) -> None:
    """Plane + material; wet ground (rain) is glossier and darker, snow lightens it. In a backplate
    frame the plane is a shadow catcher: the background's own ground shows, with the people's shadows."""
    s = desc["size"] / 2
    plane = Mesh(np.array([[-s, -s, 0], [s, -s, 0], [s, s, 0], [-s, s, 0]], float),
                 np.array([[0, 1, 2], [0, 2, 3]]))
    if desc.get("shadow_catcher"):
        obj = mesh_object("ground", plane, [new_material("ground_catcher")], smooth=False)
        obj.is_shadow_catcher = True
        return
    color = np.asarray(desc["color"])
    rough = desc["roughness"]
    if weather["condition"] == "rain":
        color, rough = color * 0.6, rough * 0.35
    elif weather["condition"] == "snow":
        color = color + (np.array([0.8, 0.82, 0.85]) - color) * weather["ground_cover"]
    mat = new_material("ground")
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = float(rough)
    coord = nt.nodes.new("ShaderNodeTexCoord")
    mapping = nt.nodes.new("ShaderNodeMapping")
    mapping.inputs["Location"].default_value = desc["noise_offset"]
    nt.links.new(coord.outputs["Object"], mapping.inputs["Vector"])
    vec = mapping.outputs["Vector"]
    # The ground fills half of most frames: 2D textures (a flat plane needs no third axis) cost
    # roughly a third of their 3D versions per shading sample.
    noise = node(nt, "ShaderNodeTexNoise", Scale=0.8, Detail=6.0)
    nt.links.new(vec, noise.inputs["Vector"])
    col = mix(nt, noise.outputs["Fac"], (*(color * 0.55), 1.0), (*(np.clip(color * 1.35, 0, 1)), 1.0))
    # Scattered fragments and grit: Voronoi cells, a few of them concrete or brick chips.
    grit = node(nt, "ShaderNodeTexVoronoi", Scale=7.0)
    nt.links.new(vec, grit.inputs["Vector"])
    sep = nt.nodes.new("ShaderNodeSeparateColor")
    nt.links.new(grit.outputs["Color"], sep.inputs["Color"])
    chips = mix(nt, ramp(nt, sep.outputs["Green"], 0.5, 0.51), (0.4, 0.39, 0.37, 1.0), (0.28, 0.15, 0.1, 1.0))
    col = mix(nt, ramp(nt, sep.outputs["Red"], 0.86, 0.87), col, chips)
    patches = node(nt, "ShaderNodeTexNoise", Scale=0.12, Detail=3.0)  # dust / damp patches, metres wide
    nt.links.new(vec, patches.inputs["Vector"])
    col = mix(nt, ramp(nt, patches.outputs["Fac"], 0.4, 0.65), (*(color * 0.7), 1.0), col, "MULTIPLY")
    nt.links.new(col, bsdf.inputs["Base Color"])
    fine = node(nt, "ShaderNodeTexNoise", Scale=25.0)
    nt.links.new(vec, fine.inputs["Vector"])
    height = nt.nodes.new("ShaderNodeMath")
    height.operation = "ADD"
    nt.links.new(fine.outputs["Fac"], height.inputs[0])
    nt.links.new(grit.outputs["Distance"], height.inputs[1])
    bump = node(nt, "ShaderNodeBump", Strength=float(desc["bump"]))
    nt.links.new(height.outputs[0], bump.inputs["Height"])
    nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    for n in nt.nodes:
        if n.bl_idname == "ShaderNodeTexNoise":
            n.noise_dimensions = "2D"
        elif n.bl_idname == "ShaderNodeTexVoronoi":
            n.voronoi_dimensions = "2D"
    mesh_object("ground", plane, [mat], smooth=False)
