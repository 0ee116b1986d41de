"""Ruined buildings around the site and rubble mounds on it: what makes a frame read as a
collapsed-building disaster site rather than people on an empty plane.

- Buildings: shelled concrete-frame apartment blocks (meshes.ruined_building) on a ring around the
  people's area, facing it, with collapsed bay columns, hanging and pancaked floor slabs, missing
  facade panels and soot; a far ring of plainer blocks fills the skyline. A rubble heap lies at
  the foot of each collapse.
- Heaps: large rubble mounds (meshes.rubble_heap) on the site itself, kept off the people.

All of it is unlabelled scenery. Cameras are kept out of buildings and heaps and must see the
target through them (`obstacle` boxes), so framing guarantees still hold.
"""

from __future__ import annotations

import math

import numpy as np

from blender_addon import meshes
from blender_addon.generators._util import choice, integer, jitter_color, r5, uniform
from blender_addon.generators.site import Site
from blender_addon.geometry import OrientedBox

FACADES = {"plaster": (0.55, 0.52, 0.46), "concrete": (0.42, 0.41, 0.39), "brick": (0.4, 0.17, 0.1),
           "panel": (0.5, 0.5, 0.47), "painted": (0.55, 0.45, 0.33)}
STRUCTURE = (0.4, 0.39, 0.37)
INTERIOR = (0.35, 0.32, 0.28)
RUBBLE = (0.33, 0.31, 0.28)


def _standing(rng: np.random.Generator, bays: int, storeys: int, damage: float) -> list[int]:
    """Storeys left standing per bay column: one or two collapse 'bites' of random width and depth."""
    h = np.full(bays, float(storeys))
    for _ in range(1 + int(rng.uniform() < damage)):
        c, w = rng.uniform(-0.5, bays - 0.5), rng.uniform(0.8, bays * 0.6)
        depth = storeys * damage * rng.uniform(0.6, 1.3)
        h -= depth * np.clip(1 - np.abs(np.arange(bays) - c) / w, 0, 1)
    h += rng.normal(0, 0.4, bays)  # ragged
    return [int(v) for v in np.clip(np.round(h), 0, storeys)]


def _building(rng: np.random.Generator, cfg: dict, name: str, angle: float, dist: float, far: bool) -> dict:
    bay = rng.uniform(3.0, 4.2)
    bays = int(rng.integers(3, 8))
    storeys = integer(rng, cfg["storeys"]) + (int(rng.integers(0, 4)) if far else 0)
    damage = uniform(rng, cfg["damage"])
    facade = choice(rng, cfg["facades"])
    yaw = angle - math.pi / 2 + rng.normal(0, 0.15)  # local +y (depth) points away from the site
    loc = [dist * math.cos(angle), dist * math.sin(angle), 0.0]
    standing = _standing(rng, bays, storeys, damage)
    return {"name": name, "kind": "building", "far": far, "bays": bays, "depth_bays": int(rng.integers(2, 4)),
            "storeys": storeys, "bay": r5(bay), "storey": r5(rng.uniform(2.8, 3.2)), "standing": standing,
            "missing": r5(damage * 0.6), "facade": facade, "color": jitter_color(rng, FACADES[facade], 0.12),
            "soot": r5(rng.uniform(0.0, 1.0) * damage), "location": r5(loc), "yaw": r5(yaw),
            "seed": int(rng.integers(2**31))}


def _heap_at_collapse(rng: np.random.Generator, b: dict, name: str) -> dict | None:
    """Rubble at the foot of the lowest column, spilling out in front of the facade."""
    low = int(np.argmin(b["standing"]))
    fallen = b["storeys"] - b["standing"][low]
    if fallen < 1:
        return None
    x = (low + 0.5 - b["bays"] / 2) * b["bay"]
    c, s = math.cos(b["yaw"]), math.sin(b["yaw"])
    lx, ly = x, rng.uniform(-0.5, 1.5)
    radius = min(3.0 + fallen * 1.2, 9.0) * rng.uniform(0.8, 1.1)
    loc = [b["location"][0] + c * lx - s * ly, b["location"][1] + s * lx + c * ly, 0.0]
    return _heap(rng, name, loc, radius, min(0.5 + fallen * 0.5, 3.5))


def _heap(rng: np.random.Generator, name: str, loc, radius: float, height: float) -> dict:
    return {"name": name, "kind": "heap", "radius": r5(radius), "height": r5(height), "location": r5(loc),
            "yaw": r5(rng.uniform(0, 2 * math.pi)),
            "color": r5(np.clip(np.asarray(jitter_color(rng, RUBBLE, 0.04)) * rng.uniform(0.75, 1.25), 0, 1)),
            "brick": r5(rng.uniform(0.0, 0.35)), "seed": int(rng.integers(2**31))}


def sample(rng: np.random.Generator, cfg: dict, site: Site) -> list[dict]:
    """Buildings (near ring, far ring) around the site and heaps on it, off everyone standing there."""
    out: list[dict] = []
    for ring, far in (("count", False), ("far_count", True)):
        n = integer(rng, cfg[ring])
        lo, hi = cfg["far_distance" if far else "distance"]
        start = rng.uniform(0, 2 * math.pi)
        for k in range(n):  # spread around the circle, jittered, so blocks rarely overlap
            angle = start + 2 * math.pi * (k + rng.uniform(-0.25, 0.25)) / max(n, 1)
            b = _building(rng, cfg, f"building_{'far' if far else 'near'}_{k:02d}", angle, rng.uniform(lo, hi), far)
            out.append(b)
            if not far:
                heap = _heap_at_collapse(rng, b, f"heap_building_{k:02d}")
                if heap:
                    out.append(heap)
    people = site.taken
    for k in range(integer(rng, cfg["heaps"])):
        radius, height = uniform(rng, cfg["heap_radius"]), 0.0
        for _ in range(100):
            r, a = rng.uniform(0.3, 1.6) * site.spread, rng.uniform(0, 2 * math.pi)
            x, y = r * math.cos(a), r * math.sin(a)
            if all(math.hypot(x - px, y - py) > radius + 0.6 for px, py in people):
                height = radius * rng.uniform(0.25, 0.45)
                break
        if height:
            out.append(_heap(rng, f"heap_{k:02d}", [x, y, 0.0], radius, height))
    return out


def obstacle(d: dict) -> OrientedBox:
    """The box the camera keeps out of and must see past: a building's whole block, or the solid
    core of a heap (the box of its upper half)."""
    if d["kind"] == "building":
        W, D = d["bays"] * d["bay"], d["depth_bays"] * d["bay"]
        return OrientedBox.about_z(d["location"], d["yaw"], (-W / 2, 0.0, 0.0), (W / 2, D, d["storeys"] * d["storey"]))
    r = d["radius"] * 0.6
    return OrientedBox.about_z(d["location"], d["yaw"], (-r, -r, 0.0), (r, r, d["height"] * 0.8))


def mesh(d: dict) -> meshes.Mesh:
    if d["kind"] == "heap":
        return meshes.rubble_heap(d["radius"], d["height"], d["seed"])
    return meshes.ruined_building(d["bays"], d["depth_bays"], d["storeys"], d["bay"], d["storey"],
                                  d["standing"], d["missing"], d["seed"])
