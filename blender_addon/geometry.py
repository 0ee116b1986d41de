"""Camera geometry in pure numpy, matching Blender's camera conventions.

The sampler needs to know, without bpy, whether a rescuer lands in the frame; the engine needs
the same projection to flag truncation. Blender cameras look down their local -Z with +Y up;
with sensor_fit AUTO the sensor width spans the larger image side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SENSOR_WIDTH_MM = 36.0


def look_at_matrix(location: np.ndarray, target: np.ndarray, roll_deg: float = 0.0) -> np.ndarray:
    """3x3 rotation whose columns are the camera's x (right), y (up), z (backwards) in world space."""
    fwd = np.asarray(target, float) - np.asarray(location, float)
    fwd /= np.linalg.norm(fwd)
    up_world = np.array([0.0, 0.0, 1.0])
    right = np.cross(fwd, up_world)
    if np.linalg.norm(right) < 1e-6:  # looking straight down: any horizontal right vector works
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    if roll_deg:
        a = math.radians(roll_deg)
        right, up = right * math.cos(a) + up * math.sin(a), -right * math.sin(a) + up * math.cos(a)
    return np.stack([right, up, -fwd], axis=1)


def matrix_to_quaternion(m: np.ndarray) -> list[float]:
    """Rotation matrix -> unit quaternion [w, x, y, z] (Blender's order)."""
    t = np.trace(m)
    if t > 0:
        s = math.sqrt(t + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    q = np.asarray(q)
    return [float(x) for x in q / np.linalg.norm(q)]


def quaternion_to_matrix(q: list[float]) -> np.ndarray:
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def focal_px(focal_mm: float, width: int, height: int) -> float:
    """Focal length in pixels for sensor_fit AUTO (sensor width along the larger side)."""
    return focal_mm / SENSOR_WIDTH_MM * max(width, height)


def project(camera: dict, points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """World points (N,3) -> pixel coords (N,2) (x right, y down, pixel (i,j) covers [i,i+1)) and
    an in-front-of-camera flag (N,)."""
    rot = quaternion_to_matrix(camera["rotation_quaternion"])
    pc = (np.asarray(points, float) - np.asarray(camera["location"], float)) @ rot  # camera coords
    depth = -pc[:, 2]
    front = depth > 1e-6
    f = focal_px(camera["focal_length"], width, height)
    d = np.where(front, depth, 1.0)
    uv = np.stack([width / 2 + f * pc[:, 0] / d, height / 2 - f * pc[:, 1] / d], axis=1)
    return uv, front


def inside_frame(camera: dict, points: np.ndarray, width: int, height: int, margin: float = 0.0) -> bool:
    """True when every point is in front of the camera and inside the image (minus a margin in px)."""
    uv, front = project(camera, points, width, height)
    return bool(front.all() and (uv[:, 0] >= margin).all() and (uv[:, 0] <= width - margin).all()
                and (uv[:, 1] >= margin).all() and (uv[:, 1] <= height - margin).all())


def truncated(camera: dict, points: np.ndarray, width: int, height: int) -> bool:
    """True when part of an object lies outside the image (or behind the camera)."""
    return not inside_frame(camera, points, width, height)


def segment_hits_sphere(p0: np.ndarray, p1: np.ndarray, center: np.ndarray, radius: float) -> bool:
    """Whether the segment p0-p1 passes within `radius` of `center` (cheap line-of-sight test)."""
    d = p1 - p0
    t = float(np.clip(np.dot(center - p0, d) / max(np.dot(d, d), 1e-12), 0.0, 1.0))
    return float(np.linalg.norm(p0 + t * d - center)) < radius


@dataclass(frozen=True)
class OrientedBox:
    """A box turned about +Z: local = (world - origin) @ rot, inside when lo <= local <= hi. What
    the camera keeps out of and sees past (buildings, heaps, vehicles)."""

    origin: np.ndarray
    rot: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def about_z(cls, origin, yaw: float, lo, hi) -> OrientedBox:
        c, s = math.cos(yaw), math.sin(yaw)
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        return cls(np.asarray(origin, float), rot, np.asarray(lo, float), np.asarray(hi, float))

    def local(self, p) -> np.ndarray:
        return (np.asarray(p, float) - self.origin) @ self.rot

    def contains(self, point, margin: float = 0.0) -> bool:
        p = self.local(point)
        return bool(np.all(p >= self.lo - margin) and np.all(p <= self.hi + margin))

    def hit_by(self, p0, p1) -> bool:
        """Whether the segment p0-p1 passes through the box (slab test)."""
        a, b = self.local(p0), self.local(p1)
        t0, t1 = 0.0, 1.0
        for ax in range(3):
            d = b[ax] - a[ax]
            if abs(d) < 1e-12:
                if a[ax] < self.lo[ax] or a[ax] > self.hi[ax]:
                    return False
                continue
            ta, tb = sorted(((self.lo[ax] - a[ax]) / d, (self.hi[ax] - a[ax]) / d))
            t0, t1 = max(t0, ta), min(t1, tb)
            if t0 > t1:
                return False
        return True
