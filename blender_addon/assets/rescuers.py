"""Posed human bodies from the Anny body model (NAVER, Apache-2.0) -> OBJ + MTL + sidecar JSON.

The body-asset tool: `python -m blender_addon.assets rescuers` (and `trainer assets rescuers`, which
runs it) calls `generate_bodies`. Everything here except `load_anny_model` and `pose_body` is pure
numpy, so the pose library, the part labels and the OBJ writer are testable without torch. Anny
conventions (measured on anny 0.6.2): Z up, the body faces -Y, `.L` bones are at +X, pose
parameters ("local-ref") are per-bone rotations about world-aligned axes at the bone head,
composed down the chain.

Each body is written as
    body_NNN.obj  triangles, UVs (Anny's texture coordinates), vertex colours (computed at rest, so
                  bands follow the limbs in any pose): R = reflective-stripe 0/1 mask, G = rest
                  height fraction f (smooth: the shader thresholds it into crisp bands however
                  coarse the triangles), B = 1 on arm vertices; one `usemtl` group per clothing
                  region (skin, jacket, pants, boots, gloves)
    body_NNN.mtl  plain colours for those regions (the renderer replaces them by name)
    body_NNN.json phenotype, pose, joint angles, stature, bounding box, head centre/axis/radius
                  (the renderer's pure sampler reads this instead of the mesh)
OBJ axes are the usual Y-up / -Z-forward, so any importer with default settings gets it upright.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from blender_addon.assets.bodies import REGIONS, STRIPE_BANDS, STRIPE_FIELD, read_obj_vertices

POSES = ("standing", "walking", "crouching", "kneeling", "bending", "reaching", "lying")
REGION_COLORS = {"skin": (0.7, 0.5, 0.4), "jacket": (0.9, 0.3, 0.05), "pants": (0.1, 0.1, 0.15),
                 "boots": (0.05, 0.05, 0.05), "gloves": (0.1, 0.1, 0.1)}
# Phenotype ranges (Anny's 0..1 sliders): adults from young (age 0.62) to old (0.95); Anny's height
# slider spans ~1.3-2.4 m at its ends, so it is kept central (the renderer rescales to the preset).
PHENOTYPE_RANGES = {"gender": (0.0, 1.0), "age": (0.62, 0.95), "muscle": (0.25, 0.85),
                    "weight": (0.2, 0.75), "height": (0.15, 0.55), "proportions": (0.2, 0.8)}


def bone_region(label: str) -> str:
    """Clothing region of a bone (by Anny/MakeHuman bone name)."""
    if label.startswith(("neck", "head", "eye", "jaw", "tongue")):
        return "skin"
    if label.startswith(("wrist", "finger", "metacarpal")):
        return "gloves"
    if label.startswith(("foot", "toe")):
        return "boots"
    if label.startswith(("upperleg", "lowerleg", "pelvis", "root")):
        return "pants"
    return "jacket"  # spine, clavicle, shoulder, upper/lower arm


def sample_phenotype(rng: np.random.Generator) -> dict[str, float]:
    return {k: round(float(rng.uniform(lo, hi)), 4) for k, (lo, hi) in PHENOTYPE_RANGES.items()}


def sample_joints(rng: np.random.Generator, pose: str) -> dict[str, float]:
    """Anatomical joint angles in degrees, within human limits (flexion positive).

    keys: spine_flex, spine_twist, neck_flex, per side (l/r): hip_flex (thigh forward; negative =
    extension), hip_abduct, knee_flex (0..150), shoulder_flex (arm forward/up, -40..170),
    shoulder_abduct (arm out from the side, 0..90), elbow_flex (0..145); plus 'lying' (0 upright,
    1 supine, -1 prone) and 'lie_yaw'.
    """
    u = lambda a, b: round(float(rng.uniform(a, b)), 2)
    j: dict[str, float] = {"spine_flex": u(-3, 8), "spine_twist": u(-8, 8), "neck_flex": u(-10, 15), "lying": 0.0}
    for s in ("l", "r"):
        j.update({f"{s}_hip_flex": u(-4, 6), f"{s}_hip_abduct": u(2, 7), f"{s}_knee_flex": u(0, 10),
                  f"{s}_shoulder_flex": u(-10, 20), f"{s}_shoulder_abduct": u(5, 18), f"{s}_elbow_flex": u(5, 35)})
    a, b = ("l", "r") if rng.uniform() < 0.5 else ("r", "l")
    if pose == "walking":
        j.update({f"{a}_hip_flex": u(15, 28), f"{a}_knee_flex": u(5, 20), f"{b}_hip_flex": u(-18, -8),
                  f"{b}_knee_flex": u(15, 40), f"{a}_shoulder_flex": u(-25, -10), f"{b}_shoulder_flex": u(10, 30)})
    elif pose == "crouching":
        j["spine_flex"] = u(20, 40)
        for s in ("l", "r"):
            j.update({f"{s}_hip_flex": u(90, 115), f"{s}_knee_flex": u(115, 140), f"{s}_hip_abduct": u(8, 20),
                      f"{s}_shoulder_flex": u(25, 70), f"{s}_elbow_flex": u(30, 80)})
    elif pose == "kneeling":
        j["spine_flex"] = u(0, 20)
        j.update({f"{a}_hip_flex": u(-5, 8), f"{a}_knee_flex": u(85, 100),  # knee on the ground
                  f"{b}_hip_flex": u(80, 95), f"{b}_knee_flex": u(80, 95),  # foot planted in front
                  f"{a}_shoulder_flex": u(20, 70), f"{b}_shoulder_flex": u(10, 50), f"{a}_elbow_flex": u(20, 70)})
    elif pose == "bending":
        j["spine_flex"] = u(45, 80)
        for s in ("l", "r"):
            j.update({f"{s}_knee_flex": u(5, 30), f"{s}_shoulder_flex": u(40, 90), f"{s}_elbow_flex": u(5, 40)})
    elif pose == "reaching":
        j["spine_flex"] = u(5, 25)
        j.update({f"{a}_shoulder_flex": u(80, 160), f"{a}_elbow_flex": u(0, 20), f"{a}_shoulder_abduct": u(5, 30)})
    elif pose == "lying":
        j["lying"] = 1.0 if rng.uniform() < 0.6 else -1.0
        j["spine_flex"] = u(-5, 5)
        for s in ("l", "r"):
            j.update({f"{s}_hip_flex": u(-5, 20), f"{s}_knee_flex": u(0, 40), f"{s}_shoulder_abduct": u(5, 60)})
    return j


def _rot(axis: str, deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


# A-pose rest: the arms hang ~45 degrees out; this brings them to the sides before other angles apply.
ARM_REST_DOWN = 38.0


def bone_rotations(j: dict[str, float]) -> dict[str, np.ndarray]:
    """Joint angles -> 3x3 rotations per Anny bone (local-ref: world axes at the bone head).
    Facing -Y: flexing a downward limb forward is a negative rotation about X."""
    r: dict[str, np.ndarray] = {}
    for bone in ("spine03", "spine02", "spine01"):
        r[bone] = _rot("x", j["spine_flex"] / 3) @ _rot("z", j["spine_twist"] / 3)
    r["neck01"] = _rot("x", j["neck_flex"])
    for s, sign in (("l", 1.0), ("r", -1.0)):
        S = s.upper()
        r[f"upperleg01.{S}"] = _rot("x", -j[f"{s}_hip_flex"]) @ _rot("y", -sign * j[f"{s}_hip_abduct"])
        r[f"lowerleg01.{S}"] = _rot("x", j[f"{s}_knee_flex"])
        down = ARM_REST_DOWN - j[f"{s}_shoulder_abduct"]
        r[f"upperarm01.{S}"] = _rot("x", -j[f"{s}_shoulder_flex"]) @ _rot("y", sign * down)
        r[f"lowerarm01.{S}"] = _rot("x", -j[f"{s}_elbow_flex"])
    if j["lying"]:
        r["root"] = _rot("x", -90.0 * j["lying"])  # supine: face up (+Z); prone: face down
    return r


def load_anny_model():
    """Anny's default full-body model (first call builds Anny's cache: about a minute)."""
    import anny
    import torch

    return anny.Anny().to(dtype=torch.float32)


def pose_body(model, phenotype: dict[str, float], joints: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest and posed vertices (N, 3), Anny frame, and the head's up axis, for one phenotype and joint set."""
    import torch

    labels = model.bone_labels
    pose = torch.eye(4, dtype=torch.float32)[None, None].repeat(1, len(labels), 1, 1)
    for bone, rot in bone_rotations(joints).items():
        pose[0, labels.index(bone), :3, :3] = torch.as_tensor(rot, dtype=torch.float32)
    with torch.no_grad():
        out = model(pose_parameters=pose, phenotype_kwargs=phenotype)
    h = labels.index("head")
    delta = out["bone_poses"][0, h].numpy() @ np.linalg.inv(out["rest_bone_poses"][0, h].numpy())
    axis = delta[:3, :3] @ np.array([0.0, 0.0, 1.0])  # rest head is upright (+Z)
    return out["rest_vertices"][0].numpy().astype(float), out["vertices"][0].numpy().astype(float), axis


def height_fraction(rest: np.ndarray) -> np.ndarray:
    """Rest-pose height fraction per vertex: 0 at the lowest vertex, 1 at the highest."""
    z = rest[:, 2]
    return (z - z.min()) / max(z.max() - z.min(), 1e-6)


def stripe_mask(rest: np.ndarray, region: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Reflective bands (hi-vis), chosen on the REST body by height fraction: two around the
    torso, one on each forearm and upper arm, two below the knees (`STRIPE_BANDS`)."""
    f = height_fraction(rest)
    torso = (region == "jacket") & (parts == "torso")
    arms = (region == "jacket") & (parts == "arm")
    legs = region == "pants"

    def bands(key):
        return np.logical_or.reduce([(f >= lo) & (f <= hi) for lo, hi in STRIPE_BANDS[key]])

    return (torso & bands("torso")) | (arms & bands("arm")) | (legs & bands("pants"))


def stripe_field(rest: np.ndarray, region: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(N, 3) vertex colours: R = `stripe_mask` (0/1, what old renderers read), G = rest height
    fraction f, B = 1 on arm vertices. f is linear in height, so it interpolates linearly across
    a triangle and a threshold on it is a straight line: the shader cuts crisp bands from G and B
    even on decimated bodies whose triangles are as large as a band, where the interpolated 0/1
    mask would give ragged blotches."""
    return np.stack([stripe_mask(rest, region, parts).astype(float), height_fraction(rest),
                     (parts == "arm").astype(float)], axis=1)


def vertex_regions(labels: list[str], bone_weights: np.ndarray, bone_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per vertex: clothing region and coarse part ('torso', 'arm', other) of its dominant bone."""
    dom = bone_indices[np.arange(len(bone_indices)), bone_weights.argmax(1)]
    names = [labels[i] for i in dom]
    region = np.array([bone_region(n) for n in names])
    parts = np.array(["arm" if n.startswith(("upperarm", "lowerarm")) else
                      "torso" if n.startswith(("spine", "clavicle", "shoulder")) else "other" for n in names])
    return region, parts


def head_info(posed: np.ndarray, head_mask: np.ndarray, axis: np.ndarray) -> dict:
    """Head centre, unit axis (chin -> crown, from the head bone) and radius, output frame (Z up)."""
    head = posed[head_mask]
    center = head.mean(0)
    axis = np.asarray(axis, float) / max(np.linalg.norm(axis), 1e-9)
    radius = float(np.percentile(np.linalg.norm(head - center, axis=1), 90))
    top = head[np.argmax((head - center) @ axis)]
    return {"head_center": [round(float(x), 5) for x in center], "head_axis": [round(float(x), 5) for x in axis],
            "head_radius": round(radius, 5), "head_top": [round(float(x), 5) for x in top]}


def write_obj(path: Path, verts: np.ndarray, tris: np.ndarray, uvs: np.ndarray, tri_uv: np.ndarray,
              colors: np.ndarray, tri_region: np.ndarray, mtl_name: str) -> None:
    """OBJ (Y up, -Z forward) with UVs, per-vertex colours and one usemtl group per region.
    `verts` are Z-up (Blender frame) and are converted here. `colors` is (N,) (grey: R = G = B)
    or (N, 3) RGB."""
    obj_v = np.stack([verts[:, 0], verts[:, 2], -verts[:, 1]], axis=1)
    colors = np.asarray(colors, float)
    if colors.ndim == 1:
        colors = np.repeat(colors[:, None], 3, axis=1)
    lines = [f"# rescuesynth body (Anny model, Apache-2.0)\nmtllib {mtl_name}\no body\n"]
    lines.append("".join(f"v {x:.5f} {y:.5f} {z:.5f} {r:.3f} {g:.4f} {b:.3f}\n"
                         for (x, y, z), (r, g, b) in zip(obj_v, colors)))
    lines.append("".join(f"vt {u:.5f} {v:.5f}\n" for u, v in uvs))
    for reg in REGIONS:
        sel = np.flatnonzero(tri_region == reg)
        if not len(sel):
            continue
        lines.append(f"usemtl {reg}\n")
        lines.append("".join(f"f {a + 1}/{ta + 1} {b + 1}/{tb + 1} {c + 1}/{tc + 1}\n"
                             for (a, b, c), (ta, tb, tc) in zip(tris[sel], tri_uv[sel])))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(lines), encoding="ascii")
    tmp.replace(path)


def write_mtl(path: Path) -> None:
    text = "".join(f"newmtl {r}\nKd {c[0]} {c[1]} {c[2]}\nNs 50\nd 1\nillum 2\n\n" for r, c in REGION_COLORS.items())
    path.write_text(text, encoding="ascii")


def generate_bodies(out: Path, count: int, seed: int = 0, poses: tuple[str, ...] = POSES,
                    overwrite: bool = False, log=print, decimate: float | None = None) -> list[Path]:
    """Write `count` bodies body_000.obj... (skipping finished ones unless overwrite)."""
    out.mkdir(parents=True, exist_ok=True)
    todo = [i for i in range(count) if overwrite or not (out / f"body_{i:03d}.json").is_file()]
    if not todo:
        log(f"[assets] {count} bodies already in {out}")
        return []
    log("[assets] loading Anny (the first run builds its cache, about a minute)")
    model = load_anny_model()
    labels = list(model.bone_labels)
    region, parts = vertex_regions(labels, model.vertex_bone_weights.numpy(), model.vertex_bone_indices.numpy())
    dom = model.vertex_bone_indices.numpy()[np.arange(len(region)), model.vertex_bone_weights.numpy().argmax(1)]
    head_mask = np.array([labels[i].startswith(("head", "eye")) for i in dom])
    tris = model.faces.numpy().astype(np.int64)
    uvs = model.texture_coordinates.numpy().astype(float)
    tri_uv = model.face_texture_coordinate_indices.numpy().astype(np.int64)
    # a triangle takes the region most of its corners have (ties: the first corner's)
    corner = region[tris]
    tri_region = np.where(corner[:, 1] == corner[:, 2], corner[:, 1], corner[:, 0])
    written = []
    for i in todo:
        rng = np.random.default_rng([seed, i])
        pose = poses[i % len(poses)] if len(poses) > 1 else poses[0]
        pheno = sample_phenotype(rng)
        joints = sample_joints(rng, pose)
        rest, posed, head_axis = pose_body(model, pheno, joints)
        stature = float(rest[:, 2].max() - rest[:, 2].min())
        posed = posed - np.array([posed[:, 0].mean(), posed[:, 1].mean(), posed[:, 2].min()])  # feet (or body) on z=0
        colors = stripe_field(rest, region, parts)
        stem = f"body_{i:03d}"
        write_mtl(out / f"{stem}.mtl")
        write_obj(out / f"{stem}.obj", posed, tris, uvs, tri_uv, colors, tri_region, f"{stem}.mtl")
        meta = {"format": 1, "generator": "anny", "anny_version": _anny_version(), "seed": [seed, i], "pose": pose,
                "phenotype": pheno, "joints": joints, "stature": round(stature, 5), "frame": "z_up_faces_-y",
                "bbox_min": [round(float(x), 5) for x in posed.min(0)],
                "bbox_max": [round(float(x), 5) for x in posed.max(0)],
                "regions": list(REGIONS), "stripes": "vertex colour R mask, G rest height fraction, B arm",
                "stripe_field": STRIPE_FIELD, **head_info(posed, head_mask, head_axis)}
        if decimate:
            meta = decimate_body(out / f"{stem}.obj", decimate, meta)
        tmp = out / f".{stem}.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(out / f"{stem}.json")  # last: its presence means the body is complete
        written.append(out / f"{stem}.obj")
        log(f"[assets] {stem}: {pose}, stature {stature:.2f} m, {len(posed)} vertices")
    return written


def _anny_version() -> str:
    try:
        import anny

        return anny.__version__
    except ImportError:
        return "unknown"


DECIMATE_SCRIPT = """
import sys
import bpy
src, dst, ratio = sys.argv[-3], sys.argv[-2], float(sys.argv[-1])
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.obj_import(filepath=src)
o = [o for o in bpy.data.objects if o.type == "MESH"][0]
bpy.context.view_layer.objects.active = o
o.select_set(True)
import numpy as np
def recode(enc):  # the importer decodes vertex colours from sRGB and the exporter encodes them
    for a in o.data.color_attributes:  # back: collapse must interpolate the file's values (f is
        c = np.empty(len(a.data) * 4, np.float32)  # linear in height), so undo it around decimation
        a.data.foreach_get("color", c)
        c = np.clip(c.reshape(-1, 4), 0.0, 1.0)
        x = c[:, :3]
        c[:, :3] = (np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055) if enc else
                    np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4))
        a.data.foreach_set("color", c.ravel())
recode(True)
m = o.modifiers.new("decimate", "DECIMATE")
m.ratio = ratio
bpy.ops.object.modifier_apply(modifier="decimate")
recode(False)
bpy.ops.wm.obj_export(filepath=dst, export_selected_objects=True, export_colors=True, export_materials=True,
                      export_normals=False, export_uv=True, path_mode="STRIP")
"""


def decimate_body(obj: Path, ratio: float, meta: dict) -> dict:
    """Shrink one body in place with Blender's collapse decimation (a bpy subprocess: torch and
    bpy are kept out of one process). Regions, UVs and stripe colours survive; the sidecar's
    bounding box is updated from the new vertices."""
    import subprocess
    import sys

    tmp = obj.with_name(f".{obj.stem}.decimated.obj")
    r = subprocess.run([sys.executable, "-c", DECIMATE_SCRIPT, str(obj), str(tmp), str(ratio)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{obj}: decimation failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    text = tmp.read_text(encoding="utf-8").replace(f"mtllib {tmp.with_suffix('.mtl').name}", f"mtllib {obj.stem}.mtl")
    tmp.with_suffix(".mtl").unlink(missing_ok=True)
    tmp.unlink()
    lines = text.splitlines(keepends=True)  # collapsing can lift the lowest vertex: back onto z = 0
    ys = [float(ln.split()[2]) for ln in lines if ln.startswith("v ")]
    lift = min(ys)
    for i, ln in enumerate(lines):
        if ln.startswith("v "):
            p = ln.split()
            p[2] = f"{float(p[2]) - lift:.6f}"
            lines[i] = " ".join(p) + "\n"
    obj.write_text("".join(lines), encoding="utf-8")
    v = read_obj_vertices(obj)
    return {**meta, "bbox_min": [round(float(x), 5) for x in v.min(0)], "bbox_max": [round(float(x), 5) for x in v.max(0)],
            "decimate_ratio": ratio, "vertices": len(v)}
