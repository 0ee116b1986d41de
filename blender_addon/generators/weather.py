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


def sample(rng: np.random.Generator, cfg: dict) -> dict:
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
