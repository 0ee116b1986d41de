"""Ground: a large plane with a procedural (noise-driven) material."""

from __future__ import annotations

import numpy as np

from blender_addon.generators._util import choice, jitter_color, r5, uniform

# Base albedo of each ground material (linear RGB).
BASE_COLORS = {"concrete": (0.35, 0.34, 0.32), "dirt": (0.26, 0.19, 0.12), "asphalt": (0.09, 0.09, 0.1)}


def sample(rng: np.random.Generator, cfg: dict, ctx: dict) -> dict:
    material = choice(rng, cfg["materials"])
    base = np.asarray(BASE_COLORS[material]) * uniform(rng, cfg["brightness"])
    return {
        "material": material,
        "size": float(cfg["size"]),
        "color": jitter_color(rng, tuple(base), 0.1),
        "roughness": r5(uniform(rng, cfg["roughness"])),
        "bump": r5(uniform(rng, cfg["bump"])),
        "noise_offset": r5(rng.uniform(-1000, 1000, 3)),
    }


def build(desc: dict, weather: dict) -> None:
    """Plane + material; wet ground (rain) is glossier and darker, snow lightens it."""
    from blender_addon.builders.objects import mesh_object, new_material
    from blender_addon.meshes import Mesh

    s = desc["size"] / 2
    plane = Mesh(np.array([[-s, -s, 0], [s, -s, 0], [s, s, 0], [-s, s, 0]], float),
                 np.array([[0, 1, 2], [0, 2, 3]]))
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
    noise = nt.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 0.8
    noise.inputs["Detail"].default_value = 6.0
    ramp = nt.nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].color = (*(color * 0.55), 1.0)
    ramp.color_ramp.elements[1].color = (*(np.clip(color * 1.35, 0, 1)), 1.0)
    bump = nt.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = float(desc["bump"])
    fine = nt.nodes.new("ShaderNodeTexNoise")
    fine.inputs["Scale"].default_value = 25.0
    links = nt.links
    links.new(coord.outputs["Object"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], noise.inputs["Vector"])
    links.new(mapping.outputs["Vector"], fine.inputs["Vector"])
    links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    links.new(fine.outputs["Fac"], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    mesh_object("ground", plane, [mat], smooth=False)
