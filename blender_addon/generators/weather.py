"""Weather: clear, rain (thin streaks) or snow (small flakes) between the camera and the scene.

Rain and snow are semi-transparent (alpha < 1), so they show in the RGB image but are skipped by
the object-index pass (view layer pass_alpha_threshold = 1): precipitation does NOT cut holes in
the labels. A rescuer behind rain is labelled in full.

Surfaces respond to the weather: rain makes debris darker and glossier (wet), snow whitens the
upward-facing parts of debris (geometry-normal mix) and the ground. Fog/dust (`fog_probability`)
is composited over the photo from the Mist pass (builders/passes.py), so, like rain, it never
changes the labels. (A world volume was tried: with an infinite medium the sun and sky are
absorbed completely and the index pass loses pixels where rays scatter.)
"""

from __future__ import annotations

import math

import numpy as np

from blender_addon import meshes
from blender_addon.generators._util import choice, integer, r5


def sample(rng: np.random.Generator, cfg: dict, ctx: dict) -> dict:
    cond = choice(rng, cfg["conditions"])
    d = {"condition": cond, "overcast": 0.0, "count": 0, "seed": int(rng.integers(2**31)), "ground_cover": 0.0}
    if cond == "rain":
        d.update(overcast=r5(rng.uniform(0.6, 1.0)), count=integer(rng, cfg["rain_streaks"]),
                 streak_length=r5(rng.uniform(0.2, 0.4)), wind_deg=r5(rng.uniform(-15, 15)))
    elif cond == "snow":
        d.update(overcast=r5(rng.uniform(0.5, 0.9)), count=integer(rng, cfg["snow_flakes"]),
                 flake_size=r5(rng.uniform(0.006, 0.012)), ground_cover=r5(rng.uniform(0.3, 0.8)))
    if rng.uniform() < cfg["fog_probability"]:
        lo, hi = cfg["fog_density"]
        d["fog"] = {"density": r5(rng.uniform(lo, hi)), "dust": bool(cond == "clear" and rng.uniform() < 0.5)}
    return d


def surface(nt, color_out, weather: dict):
    """Weather on a node material: returns (colour output, roughness factor). Rain: darker,
    glossier. Snow: white where the geometry normal points up, broken by noise."""
    cond = weather.get("condition")
    if cond == "rain":
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        mix.inputs["Factor"].default_value = 0.35
        nt.links.new(color_out, mix.inputs[6])
        mix.inputs[7].default_value = (0.0, 0.0, 0.0, 1.0)
        return mix.outputs[2], 0.45
    if cond == "snow" and weather.get("ground_cover", 0) > 0:
        geo = nt.nodes.new("ShaderNodeNewGeometry")
        sep = nt.nodes.new("ShaderNodeSeparateXYZ")
        nt.links.new(geo.outputs["Normal"], sep.inputs["Vector"])
        up = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(sep.outputs["Z"], up.inputs["Value"])
        up.inputs["From Min"].default_value = 0.55
        up.inputs["From Max"].default_value = 0.85
        noise = nt.nodes.new("ShaderNodeTexNoise")
        noise.inputs["Scale"].default_value = 4.0
        mul = nt.nodes.new("ShaderNodeMath")
        mul.operation = "MULTIPLY"
        nt.links.new(up.outputs["Result"], mul.inputs[0])
        cover = nt.nodes.new("ShaderNodeMapRange")
        nt.links.new(noise.outputs["Fac"], cover.inputs["Value"])
        cover.inputs["From Min"].default_value = 0.6 - 0.4 * weather["ground_cover"]
        cover.inputs["From Max"].default_value = 0.65 - 0.4 * weather["ground_cover"]
        nt.links.new(cover.outputs["Result"], mul.inputs[1])
        mix = nt.nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        nt.links.new(mul.outputs[0], mix.inputs["Factor"])
        nt.links.new(color_out, mix.inputs[6])
        mix.inputs[7].default_value = (0.85, 0.87, 0.9, 1.0)
        return mix.outputs[2], 1.0
    return color_out, 1.0


def particles(desc: dict, camera: dict) -> meshes.Mesh | None:
    """All drops/flakes as ONE mesh in the camera's view volume (1..25 m ahead), from the seed."""
    from blender_addon.geometry import quaternion_to_matrix

    n = desc["count"]
    if desc["condition"] == "clear" or n == 0:
        return None
    rng = np.random.default_rng(desc["seed"])
    rot = quaternion_to_matrix(camera["rotation_quaternion"])
    depth = 2.0 + 23.0 * rng.uniform(0, 1, n) ** 1.5  # denser close to the camera
    half = depth * 18.0 / camera["focal_length"]  # half-width of the view at that depth (36 mm sensor)
    local = np.stack([rng.uniform(-1.2, 1.2, n) * half, rng.uniform(-1.0, 1.0, n) * half, -depth], axis=1)
    centers = local @ rot.T + np.asarray(camera["location"])
    centers[:, 2] = np.maximum(centers[:, 2], 0.05)
    if desc["condition"] == "rain":
        tilt = meshes.euler_xyz(math.radians(desc["wind_deg"]), 0.0, 0.0)
        unit = meshes.box((0.004, 0.004, desc["streak_length"])).transformed(tilt)
    else:
        unit = meshes.sphere(desc["flake_size"], 4, 3)
    nv, nt = len(unit.verts), len(unit.tris)
    verts = (unit.verts[None, :, :] + centers[:, None, :]).reshape(-1, 3)
    tris = (unit.tris[None, :, :] + (np.arange(n) * nv)[:, None, None]).reshape(-1, 3)
    return meshes.Mesh(verts, tris, np.zeros(n * nt, dtype=np.int32))


def build(desc: dict, camera: dict) -> None:
    from blender_addon.builders.objects import mesh_object, principled

    mesh = particles(desc, camera)
    if mesh is None:
        return
    if desc["condition"] == "rain":
        mat = principled("rain", (0.75, 0.8, 0.85), 0.05, alpha=0.35)
    else:
        mat = principled("snow", (0.95, 0.95, 0.97), 0.6, emission=0.3, alpha=0.9)
    mesh_object(f"weather_{desc['condition']}", mesh, [mat], smooth=False)
