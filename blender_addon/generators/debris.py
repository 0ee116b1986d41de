"""Debris: rubble chunks, concrete slabs, beams (procedural) or meshes from .blend asset files.

Debris is never labelled (pass index 0): it is the occluder that makes visibility interesting.
Asset .blend files are read with bpy.data.libraries.load, meshes only: no objects, no scripts.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from blender_addon import meshes
from blender_addon.generators._util import choice, disc_point, integer, jitter_color, r5, uniform

MATERIALS = {"concrete": (0.45, 0.44, 0.41), "brick": (0.45, 0.16, 0.09), "wood": (0.33, 0.2, 0.1),
             "rusty": (0.3, 0.14, 0.07)}
KIND_MATERIALS = {"rock": ["concrete", "brick"], "slab": ["concrete"], "beam": ["wood", "rusty", "concrete"]}


def asset_files(folders: list[str], base_dir: Path) -> list[str]:
    """Asset .blend files (posix paths relative to the preset dir), sorted for determinism."""
    files: list[str] = []
    for folder in folders:
        files += sorted(p.relative_to(base_dir).as_posix() for p in (base_dir / folder).rglob("*.blend"))
    return files


def sample(rng: np.random.Generator, cfg: dict, ctx: dict) -> list[dict]:
    people = ctx["taken"]
    assets = asset_files(cfg["asset_folders"], ctx["base_dir"]) if cfg["asset_probability"] > 0 else []
    out = []
    for k in range(integer(rng, cfg["count"])):
        size = uniform(rng, cfg["size"])
        for _ in range(100):  # keep debris out of the people's footprint
            x, y = disc_point(rng, cfg["spread"])
            if all(math.hypot(x - a, y - b) > 0.45 + size * 0.6 for a, b in people):
                break
        kind = choice(rng, cfg["kinds"])
        mat_name = KIND_MATERIALS[kind][rng.integers(len(KIND_MATERIALS[kind]))]
        d = {"name": f"debris_{k:03d}", "kind": kind, "material": mat_name,
             "color": jitter_color(rng, MATERIALS[mat_name], 0.15), "size": r5(size), "seed": int(rng.integers(2**31))}
        yaw = rng.uniform(0, 2 * math.pi)
        if assets and rng.uniform() < cfg["asset_probability"]:
            d.update(kind="asset", asset=assets[rng.integers(len(assets))],
                     location=r5([x, y, 0.0]), rotation_euler=r5([0.0, 0.0, yaw]))
        elif kind == "rock":
            squash = rng.uniform(0.4, 0.8)
            d.update(asset="procedural:rock", squash=r5(squash), location=r5([x, y, size * squash * 0.3]),
                     rotation_euler=r5([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), yaw]))
        elif kind == "slab":
            dims = [size, size * rng.uniform(0.5, 1.0), size * rng.uniform(0.08, 0.2)]
            tilt = rng.uniform(0, 0.45)
            d.update(asset="procedural:slab", dims=r5(dims),
                     location=r5([x, y, dims[2] / 2 + math.sin(tilt) * dims[1] / 2]),
                     rotation_euler=r5([tilt, 0.0, yaw]))
        else:
            dims = [size * rng.uniform(2.0, 4.0), rng.uniform(0.12, 0.3), rng.uniform(0.12, 0.3)]
            tilt = rng.uniform(0, 0.5)
            d.update(asset="procedural:beam", dims=r5(dims),
                     location=r5([x, y, dims[2] / 2 + math.sin(tilt) * dims[0] / 2]),
                     rotation_euler=r5([0.0, tilt, yaw]))
        out.append(d)
    return out


def bounding_radius(d: dict) -> float:
    """Conservative core radius for cheap line-of-sight tests."""
    if "dims" in d:
        return 0.5 * min(d["dims"][:2])
    return 0.35 * d["size"]


def procedural_mesh(d: dict) -> meshes.Mesh:
    if d["kind"] == "rock":
        return meshes.rock(d["size"], d["seed"], d["squash"])
    return meshes.box(d["dims"])


def build(d: dict, base_dir: Path, asset_cache: dict) -> None:
    from blender_addon.builders.objects import mesh_object, principled

    mat = principled(d["name"], d["color"], 0.85)
    if d["kind"] == "asset":
        from blender_addon.builders.assets import asset_mesh_object

        asset_mesh_object(d, base_dir / d["asset"], mat, asset_cache)
        return
    mesh_object(d["name"], procedural_mesh(d), [mat], location=d["location"],
                rotation_euler=d["rotation_euler"], smooth=d["kind"] == "rock")
