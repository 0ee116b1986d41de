"""Procedural meshes as plain numpy arrays (vertices, triangles, per-triangle material slot).

Pure numpy so the same geometry can be checked without Blender (e.g. feet on the ground) and the
builders stay one call (`mesh.from_pydata`). Each labelled object is ONE mesh so that it gets one
pass index; multi-material via `material_index` per triangle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Mesh:
    verts: np.ndarray  # (N, 3) float
    tris: np.ndarray  # (M, 3) int
    mat: np.ndarray = field(default=None)  # (M,) int material slot

    def __post_init__(self) -> None:
        if self.mat is None:
            self.mat = np.zeros(len(self.tris), dtype=np.int32)

    def transformed(self, rot: np.ndarray | None = None, offset=(0.0, 0.0, 0.0), scale=(1.0, 1.0, 1.0)) -> Mesh:
        """Scale (local axes), then rotate, then translate."""
        v = self.verts * np.asarray(scale, float)
        if rot is not None:
            v = v @ np.asarray(rot, float).T
        return Mesh(v + np.asarray(offset, float), self.tris.copy(), self.mat.copy())

    def with_material(self, slot: int) -> Mesh:
        return Mesh(self.verts, self.tris, np.full(len(self.tris), slot, dtype=np.int32))


def concat(meshes: list[Mesh]) -> Mesh:
    verts, tris, mats, n = [], [], [], 0
    for m in meshes:
        verts.append(m.verts)
        tris.append(m.tris + n)
        mats.append(m.mat)
        n += len(m.verts)
    return Mesh(np.concatenate(verts), np.concatenate(tris), np.concatenate(mats))


def lathe(profile: list[tuple[float, float]], segments: int) -> Mesh:
    """Surface of revolution about +Z. profile: (radius, z) from bottom pole to top pole; the
    first and last entries are the poles (radius ignored)."""
    rings = profile[1:-1]
    ang = np.linspace(0, 2 * math.pi, segments, endpoint=False)
    verts = [[0.0, 0.0, profile[0][1]]]
    for r, z in rings:
        verts.extend(np.stack([r * np.cos(ang), r * np.sin(ang), np.full(segments, z)], axis=1).tolist())
    verts.append([0.0, 0.0, profile[-1][1]])
    tris = []
    top = len(verts) - 1
    for s in range(segments):
        t = (s + 1) % segments
        tris.append((0, 1 + t, 1 + s))
        for k in range(len(rings) - 1):
            a, b = 1 + k * segments, 1 + (k + 1) * segments
            tris.append((a + s, a + t, b + t))
            tris.append((a + s, b + t, b + s))
        last = 1 + (len(rings) - 1) * segments
        tris.append((last + s, last + t, top))
    return Mesh(np.asarray(verts, float), np.asarray(tris, np.int64))


def capsule(radius: float, length: float, segments: int = 12, cap_rings: int = 4) -> Mesh:
    """Capsule along +Z from z=0 to z=length (sphere centres), radius `radius`."""
    prof = [(0.0, -radius)]
    for i in range(1, cap_rings + 1):
        a = -math.pi / 2 + i * (math.pi / 2) / cap_rings
        prof.append((radius * math.cos(a), radius * math.sin(a)))
    for i in range(cap_rings):
        a = i * (math.pi / 2) / cap_rings
        prof.append((radius * math.cos(a), length + radius * math.sin(a)))
    prof.append((0.0, length + radius))
    return lathe(prof, segments)


def sphere(radius: float, segments: int = 12, rings: int = 8) -> Mesh:
    prof = [(radius * math.cos(a), radius * math.sin(a))
            for a in np.linspace(-math.pi / 2, math.pi / 2, rings + 1)]
    return lathe(prof, segments)


def box(size=(1.0, 1.0, 1.0)) -> Mesh:
    """Axis-aligned box centred at the origin."""
    sx, sy, sz = (s / 2 for s in size)
    v = np.array([[x, y, z] for x in (-sx, sx) for y in (-sy, sy) for z in (-sz, sz)], float)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    return Mesh(v, np.asarray(tris, np.int64))


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrix turning unit vector a onto unit vector b."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1 / (1 + c))


def euler_xyz(rx: float, ry: float, rz: float) -> np.ndarray:
    """Blender 'XYZ' Euler (radians) -> matrix (X applied first)."""
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ my @ mx


def limb(p0: np.ndarray, p1: np.ndarray, radius: float, slot: int) -> Mesh:
    d = np.asarray(p1, float) - np.asarray(p0, float)
    length = float(np.linalg.norm(d))
    rot = rotation_between(np.array([0.0, 0.0, 1.0]), d)
    return capsule(radius, length, segments=10, cap_rings=3).transformed(rot, p0).with_material(slot)


# Material slots of a humanoid.
SLOT_JACKET, SLOT_PANTS, SLOT_SKIN, SLOT_HELMET = 0, 1, 2, 3


def _dir(side: float, pitch_deg: float, abduct_deg: float) -> np.ndarray:
    """Limb direction: straight down, swung forward by pitch and outward (side=+-1) by abduction."""
    p, a = math.radians(pitch_deg), math.radians(abduct_deg)
    return np.array([side * math.sin(a), math.sin(p) * math.cos(a), -math.cos(p) * math.cos(a)])


def humanoid(height: float, joints: dict, helmet: bool) -> Mesh:
    """A simple person from capsules, body frame (x right, y forward, z up), feet on z=0.

    joints (degrees): lean; per side 'l'/'r': thigh, knee, leg_abduct, shoulder, arm_abduct, elbow.
    """
    h = height
    lean = math.radians(joints["lean"])
    hip = np.array([0.0, 0.0, 0.0])
    torso_dir = np.array([0.0, math.sin(lean), math.cos(lean)])
    neck = hip + torso_dir * 0.30 * h
    parts = [limb(hip + torso_dir * 0.03 * h, neck - torso_dir * 0.04 * h, 0.095 * h, SLOT_JACKET)]
    right = np.array([1.0, 0.0, 0.0])
    for side, key in ((-1.0, "l"), (1.0, "r")):
        j = joints[key]
        hj = hip + right * side * 0.06 * h
        knee = hj + _dir(side, j["thigh"], j["leg_abduct"]) * 0.245 * h
        foot = knee + _dir(side, j["thigh"] - j["knee"], j["leg_abduct"]) * 0.245 * h
        parts += [limb(hj, knee, 0.052 * h, SLOT_PANTS), limb(knee, foot, 0.042 * h, SLOT_PANTS)]
        sh = neck - torso_dir * 0.03 * h + right * side * 0.12 * h
        elbow = sh + _dir(side, j["shoulder"], j["arm_abduct"]) * 0.17 * h
        hand = elbow + _dir(side, j["shoulder"] + j["elbow"], j["arm_abduct"]) * 0.17 * h
        parts += [limb(sh, elbow, 0.036 * h, SLOT_JACKET), limb(elbow, hand, 0.03 * h, SLOT_SKIN)]
    head_c = neck + torso_dir * 0.09 * h
    parts.append(limb(neck - torso_dir * 0.01 * h, head_c, 0.035 * h, SLOT_SKIN))  # neck
    parts.append(sphere(0.062 * h, 12, 8).transformed(None, head_c).with_material(SLOT_SKIN))
    if helmet:
        parts.append(sphere(0.07 * h, 12, 6).transformed(None, head_c + torso_dir * 0.018 * h, (1, 1.05, 0.8))
                     .with_material(SLOT_HELMET))
    m = concat(parts)
    m.verts[:, 2] -= m.verts[:, 2].min()  # stand (or kneel) on the ground
    return m


def rock(size: float, seed: int, squash: float) -> Mesh:
    """A lumpy rubble chunk: a coarse sphere with seeded radial noise, squashed vertically."""
    rng = np.random.default_rng(seed)
    m = sphere(0.5, 9, 6)
    m.verts *= rng.uniform(0.7, 1.15, size=(len(m.verts), 1))
    return m.transformed(None, (0, 0, 0), (size, size * rng.uniform(0.6, 1.0), size * squash))


def _grid_solid(top: np.ndarray, bottom: np.ndarray) -> Mesh:
    """Closed solid from two (ny, nx, 3) vertex grids (top and bottom) with side walls."""
    ny, nx, _ = top.shape
    verts = np.concatenate([top.reshape(-1, 3), bottom.reshape(-1, 3)])
    off = ny * nx
    tris = []
    idx = lambda j, i: j * nx + i
    for j in range(ny - 1):
        for i in range(nx - 1):
            a, b, c, d = idx(j, i), idx(j, i + 1), idx(j + 1, i + 1), idx(j + 1, i)
            tris += [(a, b, c), (a, c, d), (a + off, c + off, b + off), (a + off, d + off, c + off)]
    ring = ([idx(0, i) for i in range(nx)] + [idx(j, nx - 1) for j in range(1, ny)]
            + [idx(ny - 1, i) for i in range(nx - 2, -1, -1)] + [idx(j, 0) for j in range(ny - 2, 0, -1)])
    for k in range(len(ring)):
        a, b = ring[k], ring[(k + 1) % len(ring)]
        tris += [(a, a + off, b + off), (a, b + off, b)]
    return Mesh(verts, np.asarray(tris, np.int64))


def slab(dims, seed: int, roughness: float = 0.04, n: int = 6) -> Mesh:
    """A broken concrete slab: a grid-subdivided box, noise-displaced, with chipped outline."""
    rng = np.random.default_rng(seed)
    sx, sy, sz = dims
    u, v = np.meshgrid(np.linspace(-0.5, 0.5, n + 1), np.linspace(-0.5, 0.5, n + 1))
    edge = np.maximum(abs(u), abs(v)) > 0.49
    shrink = np.where(edge, rng.uniform(0.7, 1.0, u.shape), 1.0)  # chipped, irregular outline
    x, y = u * sx * shrink, v * sy * shrink
    bump = rng.normal(0, roughness * sz * 4, u.shape)
    top = np.stack([x, y, sz / 2 + bump], -1)
    bottom = np.stack([x, y, -sz / 2 + rng.normal(0, roughness * sz * 2, u.shape)], -1)
    return _grid_solid(top, bottom)


def brick_pile(size: float, seed: int) -> Mesh:
    """Loose bricks (0.22 x 0.105 x 0.065 m) heaped within `size`: lower bricks first."""
    rng = np.random.default_rng(seed)
    n = int(np.clip(size * 25, 4, 60))
    parts = []
    for k in range(n):
        r = size / 2 * np.sqrt(rng.uniform())
        a = rng.uniform(0, 2 * math.pi)
        h = max(0.0, (1 - r / (size / 2 + 1e-9))) * size * 0.35 * rng.uniform(0.3, 1.0)
        rot = euler_xyz(rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(0, 2 * math.pi))
        parts.append(box((0.22, 0.105, 0.065)).transformed(rot, (r * math.cos(a), r * math.sin(a), 0.035 + h)))
    return concat(parts)


def rebar(size: float, seed: int) -> Mesh:
    """A few bent reinforcing bars (12-16 mm) lying about, each a chain of thin capsules."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(rng.integers(2, 6)):
        rad = rng.uniform(0.006, 0.008)
        p = np.array([*rng.uniform(-size / 2, size / 2, 2), rad])
        d = rng.normal(size=3) * [1, 1, 0.15]
        d /= np.linalg.norm(d)
        for _seg in range(rng.integers(1, 4)):
            q = p + d * rng.uniform(0.4, 1.2) * size
            q[2] = max(q[2], rad) if q[2] < 1.0 else 1.0
            parts.append(limb(p, q, rad, 0))
            d = d + rng.normal(size=3) * [0.6, 0.6, 0.3]
            d /= np.linalg.norm(d)
            p = q
    return concat(parts)


def damaged_wall(width: float, height: float, thick: float, seed: int) -> Mesh:
    """A wall of 0.4 x 0.3 m blocks with a broken top, holes and missing chunks (constructed,
    not boolean): x along the wall, base at z = 0."""
    rng = np.random.default_rng(seed)
    bw, bh = 0.4, 0.3
    cols, rows = max(2, int(width / bw)), max(2, int(height / bh))
    top = rows - np.abs(np.cumsum(rng.normal(0, 0.8, cols))).astype(int)  # ragged broken top
    holes = [(rng.uniform(0, cols), rng.uniform(1, rows - 1), rng.uniform(0.8, 2.2)) for _ in range(rng.integers(1, 4))]
    parts = []
    for c in range(cols):
        for r in range(max(1, min(rows, top[c]))):
            if r > 0 and any(math.hypot(c - hc, (r - hr) * 1.2) < hr_ for hc, hr, hr_ in holes):
                continue
            shift = (r % 2) * bw / 2
            x = -width / 2 + c * bw + bw / 2 + shift - bw / 4
            j = rng.normal(0, 0.008, 3)
            parts.append(box((bw * 0.98, thick * rng.uniform(0.92, 1.0), bh * 0.98)).transformed(
                euler_xyz(0, 0, rng.normal(0, 0.01)), (x + j[0], j[1], r * bh + bh / 2)))
    return concat(parts)


def car_body(length: float, seed: int) -> Mesh:
    """A low-poly car (chassis, tapered cabin, 4 wheels): slot 0 body, slot 1 tyres/rims."""
    rng = np.random.default_rng(seed)
    L, W = length, length * rng.uniform(0.4, 0.44)
    H = length * rng.uniform(0.13, 0.16)
    chassis = box((L, W, H)).transformed(None, (0, 0, 0.18 + H / 2))
    cab = box((L * 0.5, W * 0.9, H * 0.9))
    cab.verts[cab.verts[:, 2] > 0, 0] *= 0.7  # tapered roof
    cab = cab.transformed(None, (-L * 0.05, 0, 0.18 + H + H * 0.45))
    parts = [chassis, cab]
    wheel = lathe([(0, -0.1), (0.3, -0.1), (0.3, 0.1), (0, 0.1)], 12)
    rot = euler_xyz(math.pi / 2, 0, 0)
    for sx in (-0.32 * L, 0.32 * L):
        for sy in (-W / 2, W / 2):
            parts.append(wheel.transformed(rot, (sx, sy, 0.3 - rng.uniform(0, 0.12))).with_material(1))
    return concat(parts)


def rubble_heap(radius: float, height: float, seed: int, n: int = 28) -> Mesh:
    """A settled rubble mound: a disc grid raised to a noisy, lumpy cone-dome (angle of repose
    ~30-40 degrees), base slightly sunk so it never floats. Centre at the origin, base z ~ 0."""
    rng = np.random.default_rng(seed)
    u, v = np.meshgrid(np.linspace(-1, 1, n + 1), np.linspace(-1, 1, n + 1))
    r = np.hypot(u, v)
    scale = np.where(r > 1, 1 / np.maximum(r, 1e-9), 1.0)  # squash the square grid onto the disc
    u, v = u * scale, v * scale
    r = np.minimum(r, 1.0)
    theta = np.arctan2(v, u)  # ragged outline: no round pancakes seen from a drone
    edge = 1 + sum(rng.uniform(0.05, 0.14) * np.sin(k * theta + rng.uniform(0, 6.3)) for k in (2, 3, 5))
    u, v = u * edge, v * edge
    stretch = rng.uniform(0.7, 1.0)
    lumps = sum(rng.uniform(0.1, 0.25) * np.sin(u * f1 + p1) * np.sin(v * f2 + p2)
                for f1, f2, p1, p2 in rng.uniform([2, 2, 0, 0], [6, 6, 6.3, 6.3], (4, 4)))
    z = height * np.clip((1 - r ** 1.6) * (1 + lumps), 0, None) + rng.normal(0, 0.06, r.shape) * (r < 0.97)  # chunks
    z = np.where(r >= 0.999, -0.05, z)
    top = np.stack([u * radius, v * radius * stretch, z], -1)
    bottom = np.stack([u * radius, v * radius * stretch, np.full_like(z, -0.1)], -1)
    parts = [_grid_solid(top, bottom)]
    # Loose chunks and broken slab pieces on the surface: what makes a mound read as rubble.
    pts = top.reshape(-1, 3)[(r.ravel() < 0.95)]
    for p in pts[rng.choice(len(pts), size=min(len(pts), int(12 + 10 * radius)), replace=False)]:
        size = rng.uniform(0.12, 0.35) * min(1.0, 0.4 + radius / 4)
        rot = euler_xyz(*rng.uniform(-0.6, 0.6, 2), rng.uniform(0, 2 * math.pi))
        if rng.uniform() < 0.25:
            piece = slab((size * 3, size * 2, size * 0.5), int(rng.integers(2**31)), n=3)
        else:
            piece = rock(size, int(rng.integers(2**31)), rng.uniform(0.4, 0.8))
        parts.append(piece.transformed(rot, p + [0.0, 0.0, size * 0.1]))
    return concat(parts)


def ruined_building(bays: int, depth_bays: int, storeys: int, bay: float, storey: float,
                    standing: list[int], missing: float, seed: int) -> Mesh:
    """A shelled concrete-frame apartment block, built from boxes (no booleans).

    Local frame: front facade on y = 0 spanning x in [-W/2, W/2], depth along +y, ground z = 0.
    `standing[i]` = storeys still standing in bay column i (0 = collapsed to the ground); where a
    column stands lower than its neighbour, the floor slabs above hang down from the neighbour's
    edge and the fallen slabs lie pancaked at its foot. Facade panels have window openings and
    are missing with probability `missing` (more near collapses), which opens the dark interior.
    Slots: 0 structure (slabs, columns), 1 facade, 2 interior walls.
    """
    rng = np.random.default_rng(seed)
    W, D = bays * bay, depth_bays * bay
    x0 = -W / 2
    slab_t, col = 0.22, 0.32
    parts: list[Mesh] = []

    def add(size, centre, slot, rot=None):
        parts.append(box(size).transformed(rot, centre).with_material(slot))

    def near_collapse(i: int) -> float:
        lo = min(standing[max(i - 1, 0)], standing[min(i + 1, bays - 1)], standing[i])
        return (storeys - lo) / storeys

    for i in range(bays):
        cx = x0 + (i + 0.5) * bay
        h = standing[i]
        for k in range(1, h + 1):  # floor slabs (k = storey above ground), slightly ragged
            add((bay * rng.uniform(0.97, 1.0), D, slab_t), (cx, D / 2, k * storey), 0)
        for k in range(h + 1, storeys + 1):  # collapsed part of this column
            left, right = standing[i - 1] if i else -1, standing[i + 1] if i + 1 < bays else -1
            if max(left, right) >= k and rng.uniform() < 0.7:  # hangs from the standing neighbour
                side = -1 if left >= k else 1
                droop = min(rng.uniform(0.35, 1.1), math.asin(min(1.0, k * storey / bay)))  # rests on the ground
                ang = -side * droop  # drooping down, away from the hinge
                hinge = np.array([cx + side * bay / 2, D / 2, k * storey])
                rot = euler_xyz(0, ang, 0)
                add((bay, D * rng.uniform(0.8, 1.0), slab_t), hinge + rot @ np.array([-side * bay / 2, 0, 0]), 0, rot)
            elif rng.uniform() < 0.8:  # pancaked on the pile
                z = 0.3 + (k - h - 1) * rng.uniform(0.25, 0.45) + h * storey
                rot = euler_xyz(rng.uniform(-0.03, 0.03), rng.uniform(-0.12, 0.12), rng.uniform(-0.1, 0.1))
                add((bay * rng.uniform(0.8, 1.0), D * rng.uniform(0.6, 0.95), slab_t),
                    (cx + rng.uniform(-0.4, 0.4), D / 2 + rng.uniform(-1, 1), z), 0, rot)
        for k in range(h):  # facade panels of the standing storeys: front, back (solid), interior
            z0 = k * storey + slab_t / 2
            ph = storey - slab_t
            top = k == h - 1 and h < storeys
            p_miss = missing * (0.5 + near_collapse(i)) + (0.25 if top else 0)
            for y, front in ((0.0, True), (D, False)):
                if rng.uniform() < p_miss:
                    if rng.uniform() < 0.5:  # only the parapet below the window survived
                        add((bay - col, 0.25, 0.9), (cx, y, z0 + 0.45), 1)
                    continue
                hh = ph * (rng.uniform(0.4, 1.0) if top else 1.0)  # broken top edge
                _window_panel(add, cx, y, z0, bay - col, hh, front and rng.uniform() > 0.1)
            if rng.uniform() < 0.5:  # an interior partition, seen through the holes
                add((0.12, D * rng.uniform(0.4, 0.9), ph), (cx + rng.uniform(-0.3, 0.3) * bay, D / 2, z0 + ph / 2), 2)
    for j in range(bays + 1):  # columns at the bay lines, as tall as the higher neighbour
        h = max(standing[max(j - 1, 0)], standing[min(j, bays - 1)])
        if h == 0:
            continue
        for y in np.linspace(0, D, depth_bays + 1):
            add((col, col, h * storey), (x0 + j * bay, y, h * storey / 2), 0)
    for side, i in ((-1, 0), (1, bays - 1)):  # gable walls with windows
        for jb in range(depth_bays):
            for k in range(standing[i]):
                if rng.uniform() < missing * 0.6:
                    continue
                y = (jb + 0.5) * bay
                z0 = k * storey + slab_t / 2
                _window_panel(add, y, 0.0, z0, bay - col, storey - slab_t, rng.uniform() > 0.3,
                              turn=(x0 if side < 0 else -x0, side))
    return concat(parts)


def _window_panel(add, cx: float, y: float, z0: float, w: float, h: float, window: bool,
                  turn: tuple[float, int] | None = None) -> None:
    """A wall panel (0.25 m thick) with an optional window opening (sill 0.9 m, 1.4 m tall), as
    up to four boxes. `turn=(x, side)`: the panel lies in the plane x = const (gable walls), its
    own cx running along y."""
    t = 0.25
    pieces = []
    if not window or h < 2.4:
        pieces.append((w, h, cx, z0 + h / 2))
    else:
        ww = w * 0.45
        pieces += [(w, 0.9, cx, z0 + 0.45),  # below the sill
                   (w, h - 2.3, cx, z0 + 2.3 + (h - 2.3) / 2),  # lintel
                   ((w - ww) / 2, 1.4, cx - (w + ww) / 4, z0 + 1.6),
                   ((w - ww) / 2, 1.4, cx + (w + ww) / 4, z0 + 1.6)]
    for pw, ph, px, pz in pieces:
        if turn is None:
            add((pw, t, ph), (px, y, pz), 1)
        else:
            add((t, pw, ph), (turn[0], px, pz), 1)


# Material slots of a dog and of a rescue vehicle.
DOG_COAT, DOG_DARK, DOG_VEST = 0, 1, 2
VEH_PAINT, VEH_BAND, VEH_GLASS, VEH_TYRE, VEH_LIGHT = 0, 1, 2, 3, 4


def dog(shoulder: float, pose: str, seed: int, vest: bool) -> Mesh:
    """A dog (search-and-rescue dog or stray) from capsules: body, neck, head with snout and ears,
    four legs, tail; `vest` adds a harness vest around the chest. Faces +X, paws at z = 0.
    pose: standing | sniffing (head down) | sitting | lying."""
    rng = np.random.default_rng(seed)
    s = shoulder
    body_len, r_body = s * rng.uniform(0.95, 1.25), s * rng.uniform(0.17, 0.22)
    leg_r = s * 0.055
    hip_z = sh_z = s * 0.95 - r_body * 0.5
    front, back = np.array([body_len / 2, 0, 0]), np.array([-body_len / 2, 0, 0])
    if pose == "sitting":
        back_z = r_body * 1.2
        hip_z = back_z
    elif pose == "lying":
        hip_z = sh_z = r_body * 1.05
    parts = [limb(back + [0, 0, hip_z], front + [0, 0, sh_z], r_body, DOG_COAT)]
    neck_dir = np.array([0.5, 0, 0.85]) if pose != "sniffing" else np.array([0.8, 0, -0.5])
    neck_end = front + [0, 0, sh_z] + neck_dir * s * 0.35
    parts.append(limb(front + [0, 0, sh_z], neck_end, r_body * 0.55, DOG_COAT))
    head_dir = np.array([1.0, 0, -0.15]) if pose != "sniffing" else np.array([0.6, 0, -0.8])
    head_dir /= np.linalg.norm(head_dir)
    parts.append(limb(neck_end, neck_end + head_dir * s * 0.16, s * 0.1, DOG_COAT))
    snout_end = neck_end + head_dir * s * 0.36
    parts.append(limb(neck_end + head_dir * s * 0.12, snout_end, s * 0.055, DOG_COAT))
    parts.append(sphere(s * 0.03, 6, 4).transformed(None, snout_end).with_material(DOG_DARK))  # nose
    for side in (-1, 1):
        ear = neck_end + np.array([0, side * s * 0.07, s * 0.08])
        tip = ear + np.array([-0.02, side * 0.03, 1.0 if rng.uniform() < 0.5 else -0.6]) * s * 0.12
        parts.append(limb(ear, tip, s * 0.03, DOG_COAT))
        for end, z in ((front, sh_z), (back, hip_z)):
            top = end + np.array([0, side * r_body * 0.6, z])
            if pose == "lying":
                foot = top + np.array([s * 0.45 if end is front else s * 0.2, side * 0.05, -z + leg_r])
            elif pose == "sitting" and end is back:
                foot = top + np.array([s * 0.3, side * 0.04, -z + leg_r])
            else:
                foot = np.array([top[0] + rng.uniform(-0.05, 0.05) * s, top[1], leg_r])
            parts.append(limb(top, foot, leg_r, DOG_COAT))
    tail = back + [0, 0, hip_z + r_body * 0.5]
    parts.append(limb(tail, tail + np.array([-0.6, 0, rng.uniform(-0.5, 0.7)]) * s * 0.45, s * 0.03, DOG_COAT))
    if vest:  # harness vest around the chest, proud of the coat
        parts.append(limb(front + [-body_len * 0.45, 0, sh_z], front + [-body_len * 0.05, 0, sh_z],
                          r_body * 1.12, DOG_VEST))
    m = concat(parts)
    m.verts[:, 2] -= m.verts[:, 2].min()
    return m


def rescue_vehicle(length: float, height: float, seed: int) -> Mesh:
    """A rescue vehicle (fire engine, ambulance, police van): cab and box body built from boxes,
    a reflective band along the sides, windows, wheels and a roof light bar. Faces +X, wheels on
    z = 0. Slots: paint, band, glass, tyres, light bar."""
    rng = np.random.default_rng(seed)
    L, W = length, rng.uniform(2.1, 2.5)
    clear = 0.45  # ground clearance to the chassis
    cab_len = L * rng.uniform(0.22, 0.3)
    body_h = height - clear
    parts = [box((L - cab_len, W, body_h)).transformed(None, (-cab_len / 2, 0, clear + body_h / 2)),
             box((cab_len, W * 0.98, body_h * 0.82)).transformed(None, ((L - cab_len) / 2, 0, clear + body_h * 0.41))]
    parts.append(box((L, W * 0.9, 0.3)).transformed(None, (0, 0, clear - 0.05)).with_material(VEH_TYRE))  # chassis
    band_z = clear + body_h * rng.uniform(0.3, 0.45)
    for side in (-1, 1):  # band and windows, slightly proud of the panels
        parts.append(box((L * 0.98, 0.02, body_h * 0.1)).transformed(None, (0, side * (W / 2 + 0.01), band_z))
                     .with_material(VEH_BAND))
        parts.append(box((cab_len * 0.6, 0.02, body_h * 0.25)).transformed(
            None, ((L - cab_len) / 2 + cab_len * 0.1, side * (W / 2), clear + body_h * 0.62)).with_material(VEH_GLASS))
    parts.append(box((0.02, W * 0.85, body_h * 0.28)).transformed(None, (L / 2, 0, clear + body_h * 0.6))
                 .with_material(VEH_GLASS))  # windscreen
    parts.append(box((0.25, W * 0.7, 0.12)).transformed(None, ((L - cab_len) / 2, 0, clear + body_h * 0.82 + 0.06))
                 .with_material(VEH_LIGHT))  # light bar on the cab roof
    wheel = lathe([(0, -0.15), (0.5, -0.15), (0.5, 0.15), (0, 0.15)], 14)
    rot = euler_xyz(math.pi / 2, 0, 0)
    axles = [L / 2 - cab_len * 0.5, -L / 2 + 1.2] + ([-L / 2 + 2.5] if L > 7.5 else [])
    for x in axles:
        for side in (-1, 1):
            parts.append(wheel.transformed(rot, (x, side * (W / 2 - 0.1), 0.5)).with_material(VEH_TYRE))
    m = concat(parts)
    m.verts[:, 2] -= m.verts[:, 2].min()  # the wheel polygons' lowest edge on the ground
    return m
