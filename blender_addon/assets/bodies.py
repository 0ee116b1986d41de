"""Body meshes from assets/rescuers/ (pure Python, no bpy): scan, validate, describe, place helmets.

The sampler must know a body's extent (camera framing, truncation) without Blender, so each file
is described here: from its sidecar JSON (written by `trainer assets rescuers`), else from the
file itself (OBJ vertices, glTF POSITION min/max), else (FBX, .blend) as an upright body of
unknown shape that the builder normalises to the sampled height. A file that cannot be what its
extension says (wrong magic bytes, unparsable, no vertices) is skipped with an AssetWarning that
names it; the folder's other bodies are still used.

Frame of every description: Z up, metres, feet (lowest point) at z = 0, before yaw and scale.
"""

from __future__ import annotations

import json
import math
import struct
import warnings
from pathlib import Path

import numpy as np

from blender_addon import meshes
from blender_addon.rounding import r5

BODY_EXTS = (".obj", ".glb", ".gltf", ".fbx", ".blend")
# Clothing regions of bodies made by assets.rescuers: one material group (usemtl) each, which the
# renderer dresses by name (builders.surfaces.dress).
REGIONS = ("skin", "jacket", "pants", "boots", "gloves")
# Sidecar fields a body may carry beyond its geometry (bodies from `trainer assets rescuers`):
# who it is, its joint heights, UV scale and chest print position; the look's sampler reads them
BODY_EXTRAS = ("person", "landmarks", "uv_metres", "chest_uv")
# Upright body of unknown shape (FBX/.blend without sidecar): extent as fractions of its height.
ASSUMED_HALF_WIDTH, ASSUMED_HALF_DEPTH = 0.22, 0.15
# Reflective bands of hi-vis clothing as ranges of the rest-pose height fraction f (0 at the soles,
# 1 at the crown): `assets.rescuers.stripe_mask` selects vertices with them and the cloth shader
# thresholds the interpolated f with the same numbers, so both agree on every vertex.
STRIPE_BANDS = {"torso": ((0.585, 0.62), (0.665, 0.70)),   # jacket, not arm
                # jacket, forearm above the cuff and upper arm above the elbow (Anny's rest A-pose:
                # wrist f ~0.61, elbow ~0.68, shoulder ~0.79; a band below 0.6 would miss the arm)
                "arm": ((0.625, 0.65), (0.715, 0.74)),
                "pants": ((0.16, 0.19), (0.225, 0.255))}   # below the knees
# version of the smooth stripe field in a body's vertex colours (R 0/1 mask, G f, B arm), see
# assets/rescuers.py; 0 / absent = R mask only
STRIPE_FIELD = 1


class AssetWarning(UserWarning):
    """A user asset was skipped (the message names the file and why)."""


_CACHE: dict[tuple, dict | None] = {}


def skip(path: Path, why: str) -> None:
    warnings.warn(f"{path}: skipped ({why})", AssetWarning, stacklevel=3)


def body_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in BODY_EXTS and p.is_file()
                  and not p.name.startswith("."))


def relative_to_preset(path: Path, base_dir: Path) -> str:
    """A found asset as the frame JSON records it: posix and relative to the preset's folder, or
    absolute when the preset names a folder outside it (`base_dir / path` finds it either way)."""
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def scan(folders: list[str], base_dir: Path) -> list[dict]:
    """Descriptions of every usable body file (sorted, so sampling is deterministic)."""
    out = []
    for folder in folders:
        for p in body_files(base_dir / folder):
            st = p.stat()
            side = p.with_suffix(".json")
            key = (str(p), st.st_mtime_ns, st.st_size, side.stat().st_mtime_ns if side.is_file() else 0)
            if key not in _CACHE:
                try:
                    _CACHE[key] = describe(p)
                except (ValueError, OSError, UnicodeDecodeError, struct.error, KeyError, IndexError, TypeError) as exc:
                    skip(p, str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__)
                    _CACHE[key] = None
            d = _CACHE[key]
            if d is not None:
                out.append({**d, "file": relative_to_preset(p, base_dir)})
    return out


def _head_from_bbox(lo: np.ndarray, hi: np.ndarray) -> dict:
    h = hi[2] - lo[2]
    r = 0.065 * h
    c = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2] - r * 1.1])
    return {"head_center": [float(x) for x in c], "head_axis": [0.0, 0.0, 1.0], "head_radius": float(r),
            "head_top": [float(c[0]), float(c[1]), float(hi[2])]}


def describe(path: Path) -> dict:
    """Extent and head of one body file (raises ValueError when the file is not usable)."""
    ext = path.suffix.lower()
    head = path.read_bytes()[:64] if ext in (".glb", ".fbx", ".blend") else b""
    if ext == ".blend" and not head.startswith((b"BLENDER", b"\x28\xb5\x2f\xfd", b"\x1f\x8b")):  # plain, zstd, gzip
        raise ValueError("not a .blend file (bad header)")
    if ext == ".fbx" and not (head.startswith(b"Kaydara FBX Binary") or b"FBX" in head[:64]):
        raise ValueError("not an FBX file (bad header)")
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        _check_format(path, ext)  # the mesh itself must still be readable
        keys = ("bbox_min", "bbox_max", "head_center", "head_axis", "head_radius", "stature")
        missing = [k for k in keys if k not in meta]
        if missing:
            raise ValueError(f"sidecar {sidecar.name} lacks {missing[0]}")
        d = {k: meta[k] for k in keys}
        d.update(pose=meta.get("pose", "unknown"), regions=True, normalize=False,
                 stripe_field=int(meta.get("stripe_field", 0)))
        # who the body is and where its garments can end (sex, age, ancestry; joint heights; UV
        # scale and chest print position): the look's sampler uses them when present
        d.update({k: meta[k] for k in BODY_EXTRAS if k in meta})
        return d
    if ext in (".obj", ".gltf", ".glb"):
        lo, hi = _check_format(path, ext)
        d = {"bbox_min": lo.tolist(), "bbox_max": hi.tolist(), "stature": float(hi[2] - lo[2])}
    else:  # FBX / .blend: extent known only after import; the builder normalises to this box
        lo, hi = np.array([-ASSUMED_HALF_WIDTH, -ASSUMED_HALF_DEPTH, 0.0]), np.array([ASSUMED_HALF_WIDTH, ASSUMED_HALF_DEPTH, 1.0])
        d = {"bbox_min": lo.tolist(), "bbox_max": hi.tolist(), "stature": 1.0}
    # normalised frame: centred in x/y, feet on z = 0 (the builder applies the same shift)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    lo, hi = lo + shift, hi + shift
    d.update(bbox_min=lo.tolist(), bbox_max=hi.tolist(), pose="unknown", regions=False, normalize=True, stripe_field=0,
             **_head_from_bbox(lo, hi))
    return d


def _check_format(path: Path, ext: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse enough of the file to trust it; returns its Z-up bounding box (OBJ/glTF)."""
    if ext == ".obj":
        v = read_obj_vertices(path)
        return v.min(0), v.max(0)
    if ext in (".gltf", ".glb"):
        lo, hi = gltf_bounds(path)
        # glTF is Y up, +Z forward -> Blender (x, -z, y)
        a = np.array([lo[0], -hi[2], lo[1]])
        b = np.array([hi[0], -lo[2], hi[1]])
        return a, b
    return np.zeros(3), np.ones(3)


def read_obj_vertices(path: Path) -> np.ndarray:
    """OBJ 'v' lines -> (N, 3) Z-up vertices (OBJ is Y up, -Z forward)."""
    rows = []
    with open(path, encoding="utf-8", errors="strict") as f:
        for line in f:
            if line.startswith("v "):
                p = line.split()
                rows.append((float(p[1]), float(p[2]), float(p[3])))
    if not rows:
        raise ValueError("OBJ has no vertices")
    v = np.asarray(rows, float)
    if not np.isfinite(v).all():
        raise ValueError("OBJ has non-finite vertices")
    return np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1)


def read_obj(path: Path) -> meshes.Mesh:
    """Vertices (Z up) and triangles (fans) of an OBJ, for geometric checks."""
    v = read_obj_vertices(path)
    tris = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("f "):
                idx = [int(t.split("/")[0]) for t in line.split()[1:]]
                idx = [i - 1 if i > 0 else len(v) + i for i in idx]
                tris += [(idx[0], idx[k], idx[k + 1]) for k in range(1, len(idx) - 1)]
    return meshes.Mesh(v, np.asarray(tris, np.int64).reshape(-1, 3))


def gltf_bounds(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Union of the POSITION accessors' min/max (glTF requires them). Node transforms are ignored."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".glb":
        magic, _version, _length = struct.unpack_from("<4sII", raw, 0)
        if magic != b"glTF":
            raise ValueError("not a binary glTF (bad magic)")
        clen, ctype = struct.unpack_from("<II", raw, 12)
        if ctype != 0x4E4F534A:
            raise ValueError("binary glTF without a JSON chunk")
        doc = json.loads(raw[20:20 + clen].decode("utf-8"))
    else:
        doc = json.loads(raw.decode("utf-8"))
    acc = doc.get("accessors", [])
    los, his = [], []
    for mesh in doc.get("meshes", []):
        for prim in mesh.get("primitives", []):
            a = acc[prim["attributes"]["POSITION"]]
            los.append(a["min"])
            his.append(a["max"])
    if not los:
        raise ValueError("glTF has no mesh with POSITION")
    return np.min(np.asarray(los, float), 0), np.max(np.asarray(his, float), 0)


# ---- facing (shared by head wear and the close-up camera) ----

# Every shipped body faces -Y at rest (the builders turn it about Z by the person's yaw).
REST_FACE = (0.0, -1.0, 0.0)


def face_azimuth(yaw_deg: float) -> float:
    """Azimuth (radians, from +X towards +Y) a body turned by `yaw_deg` about Z faces."""
    return math.atan2(REST_FACE[1], REST_FACE[0]) + math.radians(yaw_deg)


def face_direction(axis) -> np.ndarray:
    """Unit face direction of a head whose crown points along `axis`: bodies face REST_FACE at rest
    and the head bone's rotation away from Z (neck/spine flexion, lying: all about X) turns it along."""
    ax = np.asarray(axis, float)
    ax = ax / max(np.linalg.norm(ax), 1e-9)
    face = meshes.rotation_between(np.array([0.0, 0.0, 1.0]), ax) @ np.array(REST_FACE)
    face = face - ax * (face @ ax)
    return face / max(np.linalg.norm(face), 1e-9)


def head_frame(body: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(head centre, unit crown axis, unit face direction, head radius) of a body description, in
    the body frame: what head wear, hair, faces and the backpack are placed by."""
    ax = np.asarray(body["head_axis"], float)
    ax = ax / max(np.linalg.norm(ax), 1e-9)
    return np.asarray(body["head_center"], float), ax, face_direction(ax), float(body["head_radius"])


def head_coordinates(body: dict, points: np.ndarray) -> np.ndarray:
    """(N, 3) body-frame points in the head frame: (side, up the crown axis, towards the face) from
    `head_center`, in head radii."""
    c, ax, face, r = head_frame(body)
    rel = np.asarray(points, float) - c
    return np.stack([rel @ np.cross(face, ax), rel @ ax, rel @ face], axis=1) / r


def head_vertices(body: dict, verts: np.ndarray) -> np.ndarray:
    """Mask of a body mesh's head: within 1.6 head radii of `head_center`, at most 1.2 below it."""
    h = head_coordinates(body, verts)
    return (np.linalg.norm(h, axis=1) < 1.6) & (h[:, 1] > -1.2)


# poses whose head frame is rough (lying) or that raise a hand over the crown (reaching): left out
# of checks and fits of head wear against the skull
ROUGH_HEAD_POSES = ("lying", "reaching")


def upright_bodies(folder: Path):
    """(sidecar, body, vertices) of the bodies in `folder` (sidecar + OBJ) whose head frame is
    exact: what hat fits (`bench/hat_fit.py`) and their tests measure."""
    for sidecar in sorted(Path(folder).glob("body_*.json")):
        body = json.loads(sidecar.read_text())
        if body.get("pose") not in ROUGH_HEAD_POSES:
            yield sidecar, body, read_obj_vertices(sidecar.with_suffix(".obj"))


# ---- helmets ----

# The skull's crown is centred about half a head radius behind `head_center` (measured on the
# shipped bodies: their crown vertices fit a dome there), so head wear centred on `head_center`
# let the back of the scalp poke through the shell in close-ups.
CROWN_BACK = 0.5  # head radii behind head_center, against the face direction
WEAR_TILT_DEG = {"helmet": 20.0}  # tipped back: the front rim at the brow
HELMET_LIFT = 0.45  # head radii up the head axis: the brim's front at 0.53 r, just above the brows
# (at 0.3 and 15 degrees it sat at 0.28 r, on the eyes: the painted eyes are at 0.17-0.27 r)


def _head_frame(body: dict, lift: float, tilt_deg: float,
                back: float = CROWN_BACK) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(centre, shell axis, shell face direction, head radius) for head wear `lift` radii up the
    head axis and `back` radii behind head_center, tipped back by `tilt_deg`: worn helmets and
    hats ride up at the brow and down at the nape, so the face stays uncovered (level, their front
    rim fell over the eyes)."""
    c, head_axis, head_face, r = head_frame(body)
    t = math.radians(tilt_deg)
    axis = math.cos(t) * head_axis - math.sin(t) * head_face  # the crown leans to the back
    face = math.cos(t) * head_face + math.sin(t) * head_axis  # the front rim rises
    return c + head_axis * lift * r - head_face * back * r, axis, face, r


def helmet_geometry(body: dict) -> dict:
    """Helmet shell placed on the head (body frame): centre, axis (crown direction), face, radius."""
    centre, axis, face, r = _head_frame(body, HELMET_LIFT, WEAR_TILT_DEG["helmet"])
    return {"center": r5(centre), "axis": r5(axis), "face": r5(face), "radius": r5(1.18 * r)}


def _wear_frame(axis, face) -> np.ndarray:
    """Columns: local x, y (back), z (crown) of head wear, in the body frame."""
    face = np.asarray(face, float)
    return np.stack([np.cross(-face, axis), -face, np.asarray(axis, float)], axis=1)


def helmet_mesh(helmet: dict) -> meshes.Mesh:
    """A dome (crown to a little below the equator) with a short brim, turned onto the head axis
    with its long side front to back (frame JSONs from before `face` was recorded: axis only)."""
    r = helmet["radius"]
    prof = [(0.0, -0.25 * r)]
    prof += [(r * 1.12, -0.28 * r), (r * 1.05, -0.22 * r)]  # brim
    prof += [(r * math.cos(a), r * math.sin(a)) for a in np.radians([-10, 10, 30, 50, 70, 85])]
    prof.append((0.0, r))
    m = meshes.lathe(prof, 14)
    m.verts[:, 1] *= 1.1  # longer front to back
    if "face" in helmet:
        return meshes.Mesh(m.verts @ _wear_frame(helmet["axis"], helmet["face"]).T + np.asarray(helmet["center"], float),
                           m.tris).with_material(meshes.SLOT_HELMET)
    rot = meshes.rotation_between(np.array([0.0, 0.0, 1.0]), np.asarray(helmet["axis"], float))
    return m.transformed(rot, helmet["center"]).with_material(meshes.SLOT_HELMET)


# ---- hats (civilians' caps and beanies, rescuers' caps) ----

HAT_KINDS = ("cap", "beanie")

# Hat shells fitted to the skulls of the 52 upright shipped heads (`bench/hat_fit.py` derives and
# prints them; head radii, head frame): the least-volume tilted ellipsoid that holds every scalp
# point above the rim with 0.1 r to spare (hair pressed flat under a hat, at most 8 mm, plus knit), its front half
# longer than its back (the brow is flatter than the back of the skull). Rims run from above the brows
# (0.6 r up at the forehead) to the nape (beanie, -0.3 r) or the occiput (cap, -0.1 r). The round
# bowls before stood 0.4 r off the skin, 1.2 r wide, with the beanie's front rim over the eyes.
# lift/back: the centre up the head axis and behind head_center; size: side, front, back and
# crown semi-axes (x, -y, +y, z of the hat frame) over head radii; rim: the rim plane on the hat's z
# axis over the crown semi-axis; tilt: degrees the crown leans back (the rim plane's slope).
HAT_HAIR_MAX = 0.008  # m: the hair cap's thickness under a hat (pressed flat), inside the fit's spare
HAT_FIT = {
    "beanie": {"lift": 0.489, "back": 0.652, "tilt": 25.3, "size": (1.084, 1.241, 1.018, 0.964), "rim": -0.385},
    "cap": {"lift": 0.541, "back": 0.626, "tilt": 20.2, "size": (1.070, 1.206, 1.072, 0.928), "rim": -0.342},
}


def hat_geometry(body: dict, kind: str) -> dict:
    """A hat on the head (body frame): centre, crown axis and face direction (a cap's visor points
    along it) like a helmet's, the crown semi-axis as `radius` and the side, front and back
    semi-axes over it as `shape`, from `HAT_FIT`."""
    fit = HAT_FIT[kind]
    centre, axis, face, r = _head_frame(body, fit["lift"], fit["tilt"], fit["back"])
    *sides, sz = fit["size"]
    return {"kind": kind, "center": r5(centre), "axis": r5(axis), "face": r5(face),
            "radius": r5(sz * r), "shape": r5([s / sz for s in sides]), "rim": fit["rim"]}


def hat_mesh(hat: dict, visor: bool = True) -> meshes.Mesh:
    """The fitted dome (`hat_geometry`) from its rim plane to the crown. Beanie: a rolled cuff (a
    band a little proud of the dome) at the rim. Cap: a stiff visor (a curved half ring) from the
    front of the rim towards the face (`visor=False`: the dome alone, for fit checks). Built in the
    hat frame (z: crown, -y: face), turned onto the head (scene files recorded before `shape` get
    the fitted shape about their recorded centre)."""
    r = hat["radius"]
    fit = HAT_FIT[hat["kind"]]
    sx, sf, sb = hat.get("shape", [s / fit["size"][3] for s in fit["size"][:3]])
    rim = hat.get("rim", fit["rim"])
    lo = math.degrees(math.asin(max(-1.0, min(1.0, rim))))
    angles = np.radians(np.linspace(lo, 82.0, 8))
    prof = [(0.0, rim * r)]
    if hat["kind"] == "beanie":  # cuff: 0.2 r of rolled rib, 4 % proud of the dome
        cuff_top = math.asin(min(1.0, rim + 0.2))
        cuff = 1.04 * math.cos(cuff_top)
        prof += [(r * 1.04 * math.cos(angles[0]), rim * r), (r * cuff, (rim + 0.2) * r)]
        angles = angles[angles > cuff_top + 0.05]
    prof += [(r * math.cos(a), r * math.sin(a)) for a in angles]
    prof.append((0.0, r))
    m = meshes.lathe(prof, 16)
    m.verts[:, 0] *= sx
    m.verts[:, 1] *= np.where(m.verts[:, 1] < 0, sf, sb)  # -y: the face
    if hat["kind"] == "cap" and visor:
        ang = np.linspace(-0.5 * math.pi, 0.5 * math.pi, 9)  # visor: the front half ring, out to 0.75 r
        ring = math.cos(angles[0]) * r  # the dome's radius at the rim (before the frame's scales)
        z0 = rim * r
        inner = np.stack([np.sin(ang) * ring * sx, -np.cos(ang) * ring * sf, np.full(9, z0)], 1)
        outer = np.stack([np.sin(ang) * ring * sx * 1.05, -np.cos(ang) * ring * sf - 0.75 * r * np.cos(ang) ** 0.5,
                          np.full(9, z0 - 0.1 * r)], 1)
        top = np.concatenate([inner, outer])
        bottom = top - [0.0, 0.0, 0.012 * r / 0.1]
        v = np.concatenate([top, bottom])
        tris = []
        n = 9
        for k in range(n - 1):
            a, b, c, d = k, k + 1, n + k + 1, n + k  # inner k, inner k+1, outer k+1, outer k
            tris += [(a, c, b), (a, d, c)]  # top
            tris += [(a + 2 * n, b + 2 * n, c + 2 * n), (a + 2 * n, c + 2 * n, d + 2 * n)]  # bottom
            tris += [(d, c, c + 2 * n), (d, c + 2 * n, d + 2 * n)]  # front rim
        m = meshes.concat([m, meshes.Mesh(v, np.asarray(tris, np.int64))])
    frame = _wear_frame(hat["axis"], hat["face"])
    return meshes.Mesh(m.verts @ frame.T + np.asarray(hat["center"], float), m.tris).with_material(meshes.SLOT_HELMET)


# ---- hair volume (how far a cut stands off the scalp) ----

# head radii above the hairline over which a hair cap rises from the skin to its full thickness
HAIRLINE_RISE = 0.15


def above_hairline(points: np.ndarray, body: dict) -> tuple[np.ndarray, np.ndarray]:
    """Head radii each point lies above the hair's hairline (forehead ~0.8 r up from the skull's
    centre, the temples 0.2 r, the nape -0.4 r; > 0 is scalp), and each point's offset from that
    centre (a quarter radius above the head bone's): where the hair cap and its loft start."""
    c, ax, face, r = head_frame(body)
    d = np.asarray(points, float) - (c + 0.25 * r * ax)
    back = -(d @ face) / r
    return d @ ax / r - (0.2 - 0.6 * np.clip(back, -1.0, 1.0)), d


def hair_loft(points: np.ndarray, body: dict, loft: float, seed: int) -> np.ndarray:
    """How far (m, body frame) each scalp point's hair stands off the scalp beyond the cap's
    thickness: `loft` at the crown, tapering to 0 at the hairline (forehead, temples, nape) so the
    cap meets the skin without a step, in lumps (a random field from `seed`, 0.4-1.6x, 6-12 cm across) so the
    outline is not a smooth shell. Real heads are a rounded, lumpy mass of hair above the brow, and
    their outline is where the masks of a detector trained on capped heads stop."""
    r = float(body["head_radius"])
    above, d = above_hairline(points, body)
    t = np.clip(above / 0.6, 0.0, 1.0)
    rise = t * t * (3.0 - 2.0 * t)  # smoothstep over 0.6 head radii above the hairline
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(4, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    freq = rng.uniform(2.5, 5.0, 4) / r  # lumps (half a wave) 0.6-1.3 head radii across
    phase = rng.uniform(0.0, 2.0 * math.pi, 4)
    field = np.sin(d @ (dirs * freq[:, None]).T + phase).sum(axis=1) / 2  # -2..2, std ~0.7
    return float(loft) * rise * np.clip(1.0 + field, 0.4, 1.6)


# ---- long hair (hangs from the scalp's hair cap down the back and the sides) ----

HAIR_OPEN_DEG = 126.0  # the curtain spans this far either side of straight back: the face stays open
HAIR_TOP = 0.45  # head radii above head_center where the curtain starts, under the hair cap


def long_hair_mesh(body: dict, length: float, volume: float, thickness: float = 0.01) -> meshes.Mesh:
    """A curtain of hair in the body frame: round the back and the sides of the head (the skull's
    sphere, centred a third of a radius behind `head_center`, plus the hair's thickness and
    `volume`), then hanging straight along the head axis down to `length` head radii below
    `head_center` (about 0.8 is the chin, 2 the shoulders). One sheet of triangles: the renderer
    shows both sides."""
    c, ax, face, r = head_frame(body)
    side = np.cross(face, ax)
    skull = 1.12 * r + thickness
    centre = c - face * (r / 3)
    n = 19
    ts = np.linspace(HAIR_TOP, -length, max(int(round((HAIR_TOP + length) / 0.15)), 3)) * r
    verts = []
    for t in ts:
        rad = volume * (math.sqrt(max(skull ** 2 - t ** 2, (0.8 * skull) ** 2)) if t > 0 else skull)
        # below the jaw the hair falls behind the shoulders onto the upper back
        below = float(np.clip((-t / r - 0.9) / 1.2, 0.0, 1.0))
        rad += 0.45 * r * below
        open_deg = HAIR_OPEN_DEG - 40.0 * below
        for p in np.radians(np.linspace(-open_deg, open_deg, n)):
            verts.append(centre + ax * t + rad * (math.cos(p) * -face + math.sin(p) * side))
    tris = [t for i in range(len(ts) - 1) for j in range(n - 1)
            for t in ((i * n + j, (i + 1) * n + j, (i + 1) * n + j + 1), (i * n + j, (i + 1) * n + j + 1, i * n + j + 1))]
    return meshes.Mesh(np.asarray(verts, float), np.asarray(tris, np.int64))


# ---- the arm flag ----

# rounds of neighbour averaging of the arm flag (B): enough to straighten a border zigzagging
# one triangle either way (the teeth are 3-6 cm on the 2-3 cm edges of the shipped bodies)
ARM_FLAG_ROUNDS = 6


def smooth_arm_flag(b: np.ndarray, edges: np.ndarray, rounds: int = ARM_FLAG_ROUNDS) -> np.ndarray:
    """The stripe field's B is 1 on vertices whose dominant bone is an arm's and 0 elsewhere, so
    its interpolated 0.5 line (the shader's armhole: colour-blocked sleeves, a top's side seam,
    where arm bands stop) runs through the midpoints of the triangles across the border: a
    sawtooth as tall as a triangle round every shoulder. Averaging each vertex with its neighbours
    a few times turns the step into a ramp along the mesh whose 0.5 line is the border's smoothed
    course; vertices more than `rounds` edges from a border keep their value. The hands (the
    0-flag parts that touch an arm but are cut off from the body by it) become arm: a sleeve's colour then reaches
    its cuff instead of stopping in a sawtooth short of the wrist (sleeves end by height, G).
    `edges`: (E, 2) vertex indices."""
    b = np.asarray(b, float)
    n = len(b)
    i, j = np.asarray(edges, np.int64).T
    off = b <= 0.5
    label = np.arange(n)
    both = off[i] & off[j]
    bi, bj = i[both], j[both]
    while True:  # connected parts of the 0-flag vertices: the body, and each hand
        new = label.copy()
        np.minimum.at(new, bi, label[bj])
        np.minimum.at(new, bj, label[bi])
        new = new[new]
        if (new == label).all():
            break
        label = new
    if not off.any():
        return b
    main = np.bincount(label[off]).argmax()
    cross = off[i] != off[j]  # edges from an arm vertex to a 0-flag one
    touching = np.zeros(n, bool)
    touching[label[np.where(off[i], i, j)[cross]]] = True
    hand = off & (label != main) & touching[label]  # not loose parts (eyes, a separate head)
    out = np.where(hand, 1.0, b)
    deg = np.bincount(i, minlength=n) + np.bincount(j, minlength=n) + 1.0
    for _ in range(rounds):
        out = (np.bincount(i, out[j], n) + np.bincount(j, out[i], n) + out) / deg
    return out


# ---- straight garment borders ----

def straight_border(g: np.ndarray, arm: np.ndarray, face_verts: list[np.ndarray] | np.ndarray,
                    face_slot: np.ndarray, upper: int, lower: int, keep: int,
                    band: tuple[float, float], at: float | None = None) -> tuple[np.ndarray, float] | None:
    """Where two region slots meet across the body (a top and the neck, a top and the trousers),
    the border follows the skinning bones face by face; on a 4k-face body it is a sawtooth 4-20
    cm tall that every close-up showed. The cut is a rest height fraction (the stripe field's G):
    `at`, or the border's median; every face of the other slot that reaches across it, onto `keep`'s
    side, moves into `keep` (`upper` or `lower`), so only `keep`'s faces straddle the cut and
    `keep`'s shader draws the line there per pixel (the other slot's look on the other side).
    Returns (new face slots, the cut), or None where the body has no such border.
    `g`, `arm`: per vertex (G, and B > 0.5); `face_verts`: vertex indices per face; only faces
    off the arms with every vertex inside `band` (of G) change."""
    face_slot = np.asarray(face_slot)
    inside = ~arm & (g > band[0]) & (g < band[1])
    used = {upper: np.zeros(len(g), bool), lower: np.zeros(len(g), bool)}
    for verts, slot in zip(face_verts, face_slot):
        if slot in used:
            used[slot][verts] = True
    border = used[upper] & used[lower] & inside
    if border.sum() < 6:
        return None
    cut = float(np.median(g[border]) if at is None else at)
    other = lower if keep == upper else upper
    out = face_slot.copy()
    for i, verts in enumerate(face_verts):
        if out[i] == other and inside[verts].all():
            gv = g[verts]
            if (gv.max() > cut) if keep == upper else (gv.min() < cut):
                out[i] = keep
    return out, round(cut, 4)


def neckline_band(shoulder: float) -> tuple[float, float]:
    """G range of the neck's border with a top: from just under the shoulders up the neck."""
    return shoulder - 0.02, shoulder + 0.15


# a shirt's hem (T-shirt, sweater, shirt), rest height fraction above the hip joint: across the
# lower belly, where the mesh moves with the pelvis. The skinning border's median lies at the hip
# joint, on the tops of the thighs, and a hem there bent with the legs into a leotard's V between
# them in a wide stance. Coats and jackets keep the median (they reach the hip; rescuers' lower
# reflective band sits 0.05 above the hip joint and must stay on the coat).
HEM_ABOVE_HIP = 0.06


def waist_band(hip: float) -> tuple[float, float]:
    """G range of a top's border with the trousers (measured on the 60 shipped bodies: 0.07-0.08
    either side of the hip joint)."""
    return hip - 0.12, hip + 0.12


def straight_neckline(g: np.ndarray, arm: np.ndarray, face_verts: list[np.ndarray] | np.ndarray,
                      face_slot: np.ndarray, skin: int, top: int,
                      shoulder: float) -> tuple[np.ndarray, float] | None:
    """The top's neckline (`straight_border`): neck skin faces below the cut become the top's; its
    shader paints skin above the cut and the cloth volume stops there."""
    return straight_border(g, arm, face_verts, face_slot, skin, top, top, neckline_band(shoulder))


def straight_waist(g: np.ndarray, arm: np.ndarray, face_verts: list[np.ndarray] | np.ndarray,
                   face_slot: np.ndarray, top: int, bottom: int, hip: float,
                   at: float | None = None) -> tuple[np.ndarray, float] | None:
    """The top's hem over the trousers (`straight_border`): trouser faces above the cut become the
    top's; its shader paints the trousers' look below the cut. The cut at `at` (the garment's
    `waist_cut`; shirts: `HEM_ABOVE_HIP` over the hip), else (coats, jackets) at the border's median."""
    return straight_border(g, arm, face_verts, face_slot, top, bottom, top, waist_band(hip), at=at)
