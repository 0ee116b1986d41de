"""Camera: ground-level or drone (UAV) view, aimed so at least one rescuer is fully in frame.

A camera pose is re-sampled (up to camera.max_tries) until the target person's bounding box
projects inside the image, the camera is not inside debris, a building, a heap or a vehicle, and
nothing of those blocks the line of sight to the target's centre (debris as spheres around their
cores, the others as `geometry.OrientedBox`es). This uses the same pure projection as Blender's camera.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from blender_addon.generators import buildings as buildings_gen
from blender_addon.generators import debris as debris_gen
from blender_addon.generators import distractors as distractors_gen
from blender_addon.generators import people as people_gen
from blender_addon.generators._util import choice, r5, uniform
from blender_addon.geometry import inside_frame, look_at_matrix, matrix_to_quaternion, segment_hits_sphere

MARGIN_PX = 2.0


def _pose(rng, cfg, mode, center) -> tuple[np.ndarray, np.ndarray]:
    az = rng.uniform(0, 2 * math.pi)
    if mode == "ground":
        dist = uniform(rng, cfg["ground_distance"])
        loc = center + np.array([dist * math.cos(az), dist * math.sin(az), 0.0])
        loc[2] = uniform(rng, cfg["ground_height"])
        aim = center + rng.uniform(-0.4, 0.4, 3) * np.array([1, 1, 0.5])
    else:
        h = uniform(rng, cfg["drone_height"])
        pitch = math.radians(uniform(rng, cfg["drone_pitch"]))
        horiz = h / math.tan(pitch)
        loc = center + np.array([horiz * math.cos(az), horiz * math.sin(az), 0.0])
        loc[2] = h
        aim = center + rng.uniform(-1.5, 1.5, 3) * np.array([1, 1, 0])
    return loc, aim


def sample(rng: np.random.Generator, cfg: dict, *, width: int, height: int, objects: Sequence[dict],
           debris: Sequence[dict] = (), buildings: Sequence[dict] = (), vehicles: Sequence[dict] = ()) -> dict:
    """A camera for a width x height image aimed at a rescuer among the labelled `objects`, kept
    out of and seeing past `debris` (cores), `buildings` (and heaps) and `vehicles` (boxes)."""
    w, h = width, height
    people = objects
    rescuers = ([p for p in people if p["category"] == "rescuer"]
                or [p for p in people if p.get("generator") != "distractors"])  # dogs/vehicles are never the target
    mode = choice(rng, cfg["modes"])
    focal = uniform(rng, cfg["focal_length"])
    target = rescuers[rng.integers(len(rescuers))] if rescuers else None
    corners = people_gen.bbox_corners(target) if target else np.zeros((1, 3))
    center = corners.mean(0)
    cores = [(np.asarray(d["location"]), debris_gen.bounding_radius(d)) for d in debris]
    obstacles = [buildings_gen.obstacle(b) for b in buildings] + [distractors_gen.obstacle(v) for v in vehicles]
    fstop = float(rng.choice([2.8, 4.0, 5.6, 8.0, 11.0]))  # depth of field, focused on the target
    noise = r5(uniform(rng, cfg["sensor_noise"]))
    for attempt in range(1, cfg["max_tries"] + 1):
        loc, aim = _pose(rng, cfg, mode, center)
        roll = uniform(rng, cfg["roll"])
        cam = {"mode": mode, "focal_length": r5(focal), "location": r5(loc),
               "rotation_quaternion": r5(matrix_to_quaternion(look_at_matrix(loc, aim, roll))),
               "look_at": r5(aim), "roll_deg": r5(roll), "target": target["name"] if target else None,
               "tries": attempt, "fstop": fstop, "sensor_noise": noise,
               "focus_distance": r5(np.linalg.norm(center - loc)) if target is not None else 10.0}
        if target is None:
            return cam
        if not inside_frame(cam, corners, w, h, MARGIN_PX):
            focal = max(focal * 0.9, cfg["focal_length"][0])  # widen the view (within range), retry
            continue
        if any(np.linalg.norm(loc - c) < r + 0.5 for c, r in cores):
            continue
        if any(segment_hits_sphere(loc, center, c, r) for c, r in cores):
            continue
        if any(box.contains(loc, margin=0.5) or box.hit_by(loc, center) for box in obstacles):
            continue
        return cam
    raise ValueError(f"camera.max_tries: no camera pose framed {target['name']} in {cfg['max_tries']} tries")
