"""Debris: rubble chunks, broken slabs, beams, brick piles, rebar, damaged walls, burnt cars
(procedural) or meshes from .blend asset files.

Debris is never labelled (pass index 0): it is the occluder that makes visibility interesting.
Asset files are read by builders/assets.py (.blend: bpy.data.libraries.load, meshes only: no
objects, no scripts).

Settling is cheap, not physics: pieces are dropped in order onto a heightfield of the pieces
already placed (a piece overlapping earlier ones rests on the highest of them, sunk 30% into it),
which gives heaps instead of interpenetrating or floating chunks. Walls and cars stand on the
ground at the edge of the site, outside the people's area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from blender_addon import meshes
from blender_addon.generators._util import choice, disc_point, integer, jitter_color, r5, uniform
from blender_addon.generators.site import Site

MATERIALS = {"concrete": (0.45, 0.44, 0.41), "brick": (0.36, 0.17, 0.11), "wood": (0.33, 0.2, 0.1),
             "rusty": (0.3, 0.14, 0.07), "charred": (0.03, 0.028, 0.025), "plaster": (0.6, 0.57, 0.52)}
KIND_MATERIALS = {"rock": ["concrete", "brick"], "slab": ["concrete"], "beam": ["wood", "rusty", "concrete"],
                  "brick": ["brick"], "rebar": ["rusty"], "wall": ["brick", "plaster", "concrete"], "car": ["charred"]}
EDGE_KINDS = ("wall", "car")  # large: placed at the edge of the site


def sample(rng: np.random.Generator, cfg: dict, site: Site, asset_files: Sequence[str] = (),
           keep: float | None = None) -> list[dict]:
    """Debris kept off everyone standing on the site and out of its keep-out discs; `asset_files`:
    the preset's debris meshes (assets.files.scan_assets); `keep`: the share of the sampled count
    a backplate frame keeps (None: all)."""
    people = site.taken
    assets = list(asset_files) if cfg["asset_probability"] > 0 else []
    out = []
    heights: list[tuple[float, float, float, float]] = []  # settled pieces: x, y, radius, top z
    count = integer(rng, cfg["count"])
    if keep is not None:  # a backplate frame: a few pieces in front of the photo's own ground
        count = int(round(count * keep))
    for k in range(count):
        size = uniform(rng, cfg["size"])
        kind = choice(rng, cfg["kinds"])
        edge = kind in EDGE_KINDS
        for _ in range(100):  # keep debris out of the people's footprint
            if edge:
                r, a = site.spread + rng.uniform(3.0, 8.0), rng.uniform(0, 2 * math.pi)
                x, y = r * math.cos(a), r * math.sin(a)
            else:
                x, y = disc_point(rng, cfg["spread"])
            if (all(math.hypot(x - a, y - b) > 0.45 + size * 0.6 for a, b in people)
                    and all(math.hypot(x - a, y - b) > r + size * 0.5 for a, b, r in site.keep_out)):
                break
        mat_name = KIND_MATERIALS[kind][rng.integers(len(KIND_MATERIALS[kind]))]
        d = {"name": f"debris_{k:03d}", "kind": kind, "material": mat_name,
             "color": jitter_color(rng, MATERIALS[mat_name], 0.15), "size": r5(size), "seed": int(rng.integers(2**31))}
        yaw = rng.uniform(0, 2 * math.pi)
        base = 0.0 if edge else _rest_height(heights, x, y, size * 0.4)
        if assets and rng.uniform() < cfg["asset_probability"]:
            d.update(kind="asset", asset=assets[rng.integers(len(assets))],
                     location=r5([x, y, base]), rotation_euler=r5([0.0, 0.0, yaw]))
            top = base + size * 0.5
        elif kind == "rock":
            squash = rng.uniform(0.4, 0.8)
            d.update(asset="procedural:rock", squash=r5(squash), location=r5([x, y, base + size * squash * 0.3]),
                     rotation_euler=r5([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), yaw]))
            top = base + size * squash * 0.7
        elif kind == "slab":
            dims = [size, size * rng.uniform(0.5, 1.0), size * rng.uniform(0.08, 0.2)]
            tilt = rng.uniform(0, 0.45)
            d.update(asset="procedural:slab", dims=r5(dims),
                     location=r5([x, y, base + dims[2] / 2 + math.sin(tilt) * dims[1] / 2]),
                     rotation_euler=r5([tilt, 0.0, yaw]))
            top = base + dims[2] + math.sin(tilt) * dims[1]
        elif kind == "beam":
            dims = [size * rng.uniform(2.0, 4.0), rng.uniform(0.12, 0.3), rng.uniform(0.12, 0.3)]
            tilt = rng.uniform(0, 0.5)
            d.update(asset="procedural:beam", dims=r5(dims),
                     location=r5([x, y, base + dims[2] / 2 + math.sin(tilt) * dims[0] / 2]),
                     rotation_euler=r5([0.0, tilt, yaw]))
            top = base + dims[2]
        elif kind in ("brick", "rebar"):
            d.update(asset=f"procedural:{kind}", location=r5([x, y, base]), rotation_euler=r5([0.0, 0.0, yaw]))
            top = base + (size * 0.35 if kind == "brick" else 0.02)
        elif kind == "wall":
            dims = [size * rng.uniform(3.0, 5.0), rng.uniform(0.2, 0.3), rng.uniform(1.8, 3.5)]
            d.update(asset="procedural:wall", dims=r5(dims), location=r5([x, y, 0.0]),
                     rotation_euler=r5([0.0, 0.0, math.atan2(y, x) + math.pi / 2]))  # faces the site
            top = dims[2]
        else:  # car
            d.update(asset="procedural:car", length=r5(rng.uniform(3.8, 4.8)), location=r5([x, y, 0.0]),
                     rotation_euler=r5([rng.uniform(-0.03, 0.03), rng.uniform(-0.03, 0.03), yaw]),
                     rust=r5(rng.uniform(0.2, 0.8)))
            top = 1.5
        heights.append((x, y, bounding_radius(d) if kind not in EDGE_KINDS else 0.0, top))
        out.append(d)
    return out


def _rest_height(heights: list, x: float, y: float, r: float) -> float:
    """Heightfield drop: top of the highest earlier piece under this footprint, sunk 30% in."""
    under = [top for (a, b, ra, top) in heights if math.hypot(x - a, y - b) < ra + r * 0.5]
    return 0.7 * max(under) if under else 0.0


def bounding_radius(d: dict) -> float:
    """Conservative core radius for cheap line-of-sight tests."""
    if d["kind"] == "wall":
        return 0.5 * d["dims"][1]
    if d["kind"] == "car":
        return 0.8
    if d["kind"] in ("brick", "rebar"):
        return 0.2 * d["size"]
    if "dims" in d:
        return 0.5 * min(d["dims"][:2])
    return 0.35 * d["size"]


def procedural_mesh(d: dict) -> meshes.Mesh:
    k = d["kind"]
    if k == "rock":
        return meshes.rock(d["size"], d["seed"], d["squash"])
    if k == "slab":
        return meshes.slab(d["dims"], d["seed"])
    if k == "brick":
        return meshes.brick_pile(d["size"], d["seed"])
    if k == "rebar":
        return meshes.rebar(d["size"], d["seed"])
    if k == "wall":
        return meshes.damaged_wall(*d["dims"], d["seed"])
    if k == "car":
        return meshes.car_body(d["length"], d["seed"])
    return meshes.box(d["dims"])
