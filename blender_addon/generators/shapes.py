"""Flying distractors: random geometric shapes with random procedural textures floating in the
camera's view (Tremblay et al. 2018, "Training Deep Networks with Synthetic Data: Bridging the
Reality Gap by Domain Randomization", whose detector gained most from them).

They are unlabelled scenery (pass index 0): hard negatives that teach a detector that colourful,
textured clutter is not a person, and occluders that cut people's outlines in new places (the
masks stay exact: the index pass only sees what is in front). They are placed after the camera,
in its view frustum, so every one is seen: at a random pixel and depth, sized to span
`distractors.shape_fill` of the image's longer side, above the ground, clear of every labelled
object's box and of the camera's line of sight to its target.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

import numpy as np

from blender_addon import meshes
from blender_addon.generators import people as people_gen
from blender_addon.generators._util import integer, r5, uniform
from blender_addon.geometry import focal_px, quaternion_to_matrix, segment_hits_sphere

KINDS = ("box", "sphere", "cylinder", "cone", "capsule")
PATTERNS = ("plain", "noise", "voronoi", "checker", "wave", "magic", "brick")
NEAREST = 0.5  # m: no nearer to the camera than this
TRIES = 20  # placements tried per shape before it is dropped


def _texture(rng: np.random.Generator) -> dict:
    """A random procedural surface: pattern, two colours (any hue), scale, roughness, metal."""
    colors = [r5(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.0, 1.0), rng.uniform(0.05, 0.95)))
              for _ in range(2)]
    return {"pattern": PATTERNS[rng.integers(len(PATTERNS))], "colors": colors,
            "scale": r5(float(np.exp(rng.uniform(math.log(1.0), math.log(30.0))))),
            "roughness": r5(rng.uniform(0.1, 1.0)), "metallic": r5(float(rng.uniform() < 0.15))}


def _clear_of(loc: np.ndarray, radius: float, boxes: Sequence[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Whether a sphere misses every axis-aligned box (lo, hi)."""
    return all(np.linalg.norm(loc - np.clip(loc, lo, hi)) > radius for lo, hi in boxes)


def sample(rng: np.random.Generator, cfg: dict, cam: dict, *, width: int, height: int,
           objects: Sequence[dict] = ()) -> list[dict]:
    """`distractors.shapes` flying shapes in the view of `cam` (a width x height frame), clear of the
    labelled `objects`. A shape with no free place after TRIES is left out (crowded close-ups)."""
    count = integer(rng, cfg["shapes"])
    if count == 0:
        return []
    rot = quaternion_to_matrix(cam["rotation_quaternion"])
    loc0 = np.asarray(cam["location"], float)
    f = focal_px(cam["focal_length"], width, height)
    far = max(3.0, 2.0 * float(cam["focus_distance"]))
    sight = np.asarray(cam["look_at"], float)
    boxes = []
    for o in objects:
        if o.get("generator") == "people":
            c = people_gen.bbox_corners(o)
            boxes.append((c.min(0), c.max(0)))
    shapes = []
    for k in range(count):
        for _ in range(TRIES):
            depth = float(np.exp(rng.uniform(math.log(NEAREST), math.log(far))))  # near ones as often as far
            u, v = rng.uniform(0, width), rng.uniform(0, height)
            loc = loc0 + rot @ np.array([(u - width / 2) * depth / f, (height / 2 - v) * depth / f, -depth])
            size = uniform(rng, cfg["shape_fill"]) * max(width, height) * depth / f  # m, across
            dims = size * rng.uniform(0.35, 1.0, 3)
            dims[int(rng.integers(3))] = size  # the longest side spans the drawn fill
            radius = float(np.linalg.norm(dims)) / 2
            kind = KINDS[rng.integers(len(KINDS))]
            euler = rng.uniform(0, 2 * math.pi, 3)
            texture = _texture(rng)
            if loc[2] - radius < 0.02 or not _clear_of(loc, radius, boxes):
                continue
            if segment_hits_sphere(loc0, sight, loc, radius):
                continue
            shapes.append({"name": f"shape_{k:02d}", "kind": "shape", "category": "shape",
                           "generator": "shapes", "shape": kind, "location": r5(loc), "dims": r5(dims),
                           "rotation_euler": r5(euler), "texture": texture})
            break
    return shapes


def mesh(d: dict) -> meshes.Mesh:
    """World-space geometry of one shape (unit primitive scaled to `dims`, rotated, placed)."""
    kind = d["shape"]
    if kind == "box":
        m = meshes.box()
    elif kind == "sphere":
        m = meshes.sphere(0.5, segments=24, rings=12)
    elif kind == "cylinder":
        m = meshes.lathe([(0.0, -0.5), (0.5, -0.5), (0.5, 0.5), (0.0, 0.5)], 24)
    elif kind == "cone":
        m = meshes.lathe([(0.0, -0.5), (0.5, -0.5), (0.0, 0.5)], 24)
    else:
        m = meshes.capsule(0.5, 1.0, segments=24).transformed(None, (0.0, 0.0, -0.25), (1.0, 1.0, 0.5))
    rx, ry, rz = d["rotation_euler"]
    return m.transformed(meshes.euler_xyz(rx, ry, rz), d["location"], scale=d["dims"])
