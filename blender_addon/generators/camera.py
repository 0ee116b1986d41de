"""Camera: ground-level, close-up or drone (UAV) view, aimed so at least one person is in frame.

- ground: 5-12 m from a rescuer, who is fully in frame;
- close: a person framed as photographers do, filling `close_fill` of the image height (above 1
  the frame cuts them off at the knees, the waist or the chest; the head stays in frame, the
  arms and shoulders may leave it at the sides), from the front or the side at the subject's
  eye height: the large, truncated, facing people that real ground photos are full of; half the
  close-ups of someone standing in a group (people.GROUP_POSES) frame the whole group instead;
- drone: from above, looking down at `drone_pitch`.

A camera pose is re-sampled (up to camera.max_tries) until the target person's bounding box
projects inside the image, the camera is not inside debris, a building, a heap or a vehicle, and
nothing of those blocks the line of sight to the target's centre (debris as spheres around their
cores, the others as `geometry.OrientedBox`es). This uses the same pure projection as Blender's camera.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from blender_addon.assets import bodies
from blender_addon.generators import buildings as buildings_gen
from blender_addon.generators import debris as debris_gen
from blender_addon.generators import distractors as distractors_gen
from blender_addon.generators import people as people_gen
from blender_addon.generators._util import choice, r5, uniform
from blender_addon.geometry import (SENSOR_WIDTH_MM, inside_frame, look_at_matrix, matrix_to_quaternion,
                                    segment_hits_sphere)

MARGIN_PX = 2.0
CLOSE_TRIES = 10  # close-up poses tried at the drawn fill before zooming out
CLOSE_MIN_GAP = 0.5  # m between a close-up camera and its subject's box, at the least
CLOSE_FRONT_SD = 55.0  # degrees: close-ups face their subject (normal spread about the face; few from behind)
CLOSE_EYE_OFFSET = (-0.3, 0.2)  # m about an upright subject's eye level that a close-up is shot from
HEAD_HALF_WIDTH = 0.15  # m: the part of a cut-off subject's top that must stay in frame
GROUP_SHOT = 0.5  # share of close-ups of a member of a group (people.GROUP_POSES) that frame the whole group
GROUP_SHOT_FILL = 0.9  # a group shot's largest fill: the group's height over the image height


def close_subject(rng: np.random.Generator, people: Sequence[dict], weights: dict[str, float]) -> dict | None:
    """The subject of a close-up: each person weighted by their class's weight. Equal weights are
    the uniform draw the sampler always made (same random numbers, so the same frames); if every
    person present has weight 0, anyone is (a close-up needs a subject)."""
    if not people:
        return None
    w = np.array([weights.get(p["category"], 0.0) for p in people], float)
    if w.sum() <= 0 or np.all(w == w[0]):
        return people[rng.integers(len(people))]
    return people[int(rng.choice(len(people), p=w / w.sum()))]


def _close_pose(rng, cfg, corners: np.ndarray, face_az: float, focal: float, w: int, h: int,
                zoom_out: float = 1.0, max_fill: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Camera location, aim point and the points that must be in frame for a close-up: the subject
    spans `fill` (times `zoom_out`) of the image height; above ~0.9 only its top part fits, so the
    aim rises to keep the head inside and the feet go out of frame. Photographers shoot people
    from the front or the side at their eye level (real photos are full of faces, and a camera
    far above a near subject foreshortens it), so the camera stands about the subject's face
    direction `face_az` (radians) and, for an upright subject, near its eye height; a lying
    subject is shot from camera.ground_height."""
    az = face_az + math.radians(CLOSE_FRONT_SD) * rng.standard_normal()
    fill = uniform(rng, cfg["close_fill"]) * zoom_out
    if max_fill is not None:
        fill = min(fill, max_fill)
    lo, hi = corners.min(0), corners.max(0)
    size = max(hi[2] - lo[2], float(np.max(hi[:2] - lo[:2])))  # lying people: their length
    sensor_v = SENSOR_WIDTH_MM * h / max(w, h)  # sensor_fit AUTO: the sensor width spans the longer side
    frame_h = size / fill  # world height the image spans at the subject
    # no nearer than half a metre from the subject's box (portraits are shot from about a metre)
    dist = max(frame_h * focal / sensor_v, CLOSE_MIN_GAP + float(np.max(hi[:2] - lo[:2])) / 2)
    mid = (lo + hi) / 2
    loc = mid + np.array([dist * math.cos(az), dist * math.sin(az), 0.0])
    if hi[2] - lo[2] >= float(np.max(hi[:2] - lo[:2])):  # upright: eye height, less a tenth of the height
        loc[2] = max(0.3, hi[2] - 0.1 * (hi[2] - lo[2]) + rng.uniform(*CLOSE_EYE_OFFSET))
    else:
        loc[2] = uniform(rng, cfg["ground_height"])
    aim = mid.copy()
    if fill > 0.9:  # the top of the subject stays in frame with a margin; the rest is cut off
        aim[2] = hi[2] - 0.42 * frame_h
    aim[:2] += rng.uniform(-0.15, 0.15, 2) * frame_h
    if fill <= 0.9:
        return loc, aim, corners
    # cut off: only the head must be in frame (the top of the box, narrowed to a head's width),
    # so arms and shoulders may leave the frame at the sides as they do in portraits
    half = np.minimum((hi[:2] - lo[:2]) / 2, HEAD_HALF_WIDTH)
    head = [[mid[0] + sx * half[0], mid[1] + sy * half[1], z] for sx in (-1, 1) for sy in (-1, 1)
            for z in (hi[2], hi[2] - 0.1 * (hi[2] - lo[2]))]
    return loc, aim, np.array(head)


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
           debris: Sequence[dict] = (), buildings: Sequence[dict] = (), vehicles: Sequence[dict] = (),
           backplate: bool = False) -> dict:
    """A camera for a width x height image aimed at a rescuer (any person for a close-up) among the
    labelled `objects`, kept out of and seeing past `debris` (cores), `buildings` (and heaps) and
    `vehicles` (boxes); a `backplate` frame never gets a drone view."""
    w, h = width, height
    people = objects
    rescuers = ([p for p in people if p["category"] == "rescuer"]
                or [p for p in people if p.get("generator") != "distractors"])  # dogs/vehicles are never the target
    modes = cfg["modes"]
    if backplate:  # a panorama seen from above is its distorted pole
        modes = {k: v for k, v in modes.items() if k != "drone" and v > 0} or {"ground": 1.0}
    mode = choice(rng, modes)
    focal = uniform(rng, cfg["focal_length"])
    if mode == "close":  # anyone may be the subject of a close-up, weighted by class
        rescuers = [p for p in people if p.get("generator") != "distractors"]
        target = close_subject(rng, rescuers, cfg["close_subjects"])
    else:
        target = rescuers[rng.integers(len(rescuers))] if rescuers else None
    corners = people_gen.bbox_corners(target) if target else np.zeros((1, 3))
    max_fill = None
    if mode == "close" and target is not None and target.get("group") and rng.uniform() < GROUP_SHOT:
        # a group photo: the whole row framed, everyone's head and feet in frame
        corners = np.concatenate([people_gen.bbox_corners(p) for p in people if p.get("group") == target["group"]])
        max_fill = GROUP_SHOT_FILL
    center = corners.mean(0)
    face_az = bodies.face_azimuth(target.get("yaw_deg", 0.0)) if target else 0.0
    cores = [(np.asarray(d["location"]), debris_gen.bounding_radius(d)) for d in debris]
    obstacles = [buildings_gen.obstacle(b) for b in buildings] + [distractors_gen.obstacle(v) for v in vehicles]
    fstop = float(rng.choice([2.8, 4.0, 5.6, 8.0, 11.0]))  # depth of field, focused on the target
    noise = r5(uniform(rng, cfg["sensor_noise"]))
    misframed = 0
    for attempt in range(1, cfg["max_tries"] + 1):
        if mode == "close" and target is not None:
            # a wide subject may not fit a narrow (upright) frame at the drawn fill: after
            # CLOSE_TRIES misses, each further try zooms out a little
            zoom_out = 0.9 ** max(0, misframed - CLOSE_TRIES)
            loc, aim, in_frame = _close_pose(rng, cfg, corners, face_az, focal, w, h, zoom_out, max_fill)
            sight = aim  # focus and line of sight on the framed part
        else:
            loc, aim = _pose(rng, cfg, mode, center)
            in_frame, sight = corners, center
        roll = uniform(rng, cfg["roll"])
        cam = {"mode": mode, "focal_length": r5(focal), "location": r5(loc),
               "rotation_quaternion": r5(matrix_to_quaternion(look_at_matrix(loc, aim, roll))),
               "look_at": r5(aim), "roll_deg": r5(roll), "target": target["name"] if target else None,
               "tries": attempt, "fstop": fstop, "sensor_noise": noise,
               "focus_distance": r5(np.linalg.norm(sight - loc)) if target is not None else 10.0}
        if max_fill is not None:
            cam["group"] = target["group"]  # a group shot: every member of that group is in frame
        if target is None:
            return cam
        if not inside_frame(cam, in_frame, w, h, MARGIN_PX):
            misframed += 1
            if mode != "close":
                focal = max(focal * 0.9, cfg["focal_length"][0])  # widen the view (within range), retry
            continue
        if any(np.linalg.norm(loc - c) < r + 0.5 for c, r in cores):
            continue
        if any(segment_hits_sphere(loc, sight, c, r) for c, r in cores):
            continue
        if any(box.contains(loc, margin=0.5) or box.hit_by(loc, sight) for box in obstacles):
            continue
        return cam
    raise ValueError(f"camera.max_tries: no camera pose framed {target['name']} in {cfg['max_tries']} tries")
