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
from blender_addon.rounding import r5

POSES = ("standing", "walking", "crouching", "kneeling", "bending", "reaching", "carrying", "sitting", "lying")
# The default order bodies take their poses in (body i gets POSE_CYCLE[i % 15]): the poses the presets
# draw most (standing, walking; crouching and kneeling for rescuers) get the most bodies. Its length
# is odd, so the alternating sex of consecutive bodies gives every pose slot both sexes.
POSE_CYCLE = ("standing", "walking", "crouching", "kneeling", "walking", "bending", "carrying", "standing",
              "reaching", "walking", "sitting", "kneeling", "crouching", "standing", "lying")
REGION_COLORS = {"skin": (0.7, 0.5, 0.4), "jacket": (0.9, 0.3, 0.05), "pants": (0.1, 0.1, 0.15),
                 "boots": (0.05, 0.05, 0.05), "gloves": (0.1, 0.1, 0.1)}
# Phenotype ranges (Anny's 0..1 sliders). Anny's height slider spans ~1.3-2.4 m at its ends, so it
# is kept central (the renderer rescales to the preset); weight and muscle span thin to heavy.
# Gender and age are not drawn from these ranges (see sample_phenotype).
PHENOTYPE_RANGES = {"gender": (0.0, 1.0), "age": (0.43, 0.97), "muscle": (0.2, 0.85),
                    "weight": (0.1, 0.9), "height": (0.15, 0.6), "proportions": (0.2, 0.8)}
# Anny's age slider -> years: MakeHuman's anchors (newborn, baby 1, child 11, young 25, old 90 years)
# at Anny's age anchors -1/3, 0, 1/3, 2/3, 1 (anny 0.6.2: model.anchors.age); linear between them.
AGE_ANCHORS = ((-1 / 3, 0.0), (0.0, 1.0), (1 / 3, 11.0), (2 / 3, 25.0), (1.0, 90.0))
# Ages of the population, years: (share, low, high). Teenagers (15-17) are slim, short adults to
# the renderer (it rescales every body to the preset's height range); children are out of scope.
AGE_GROUPS = ((0.08, 15.0, 18.0), (0.37, 18.0, 36.0), (0.35, 36.0, 61.0), (0.20, 61.0, 82.0))
ANCESTRIES = ("african", "asian", "caucasian")  # MakeHuman's morph targets (Anny's race weights)


def years_to_anny_age(years: float) -> float:
    xs, ys = zip(*AGE_ANCHORS)
    return float(np.interp(years, ys, xs))


def anny_age_to_years(age: float) -> float:
    xs, ys = zip(*AGE_ANCHORS)
    return float(np.interp(age, xs, ys))


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


def sample_phenotype(rng: np.random.Generator, index: int | None = None) -> dict[str, float]:
    """Anny phenotype of one body. With `index` (the body's number) sex and age are stratified
    rather than left to chance, so a few dozen bodies cover the population evenly: sex alternates
    with the index (female = gender 1 in Anny, male = 0, each with a little androgyny), and the age
    quantile follows the golden-ratio sequence (index * 0.618 mod 1) through AGE_GROUPS. Ancestry
    (Anny's african/asian/caucasian morph weights, summing to 1) is mostly one, mixed with the rest."""
    out = {k: round(float(rng.uniform(lo, hi)), 4) for k, (lo, hi) in PHENOTYPE_RANGES.items()}
    if index is None:
        female = bool(rng.uniform() < 0.5)
        q = float(rng.uniform())
    else:
        female = index % 2 == 0
        q = (index * 0.6180339887 + 0.31) % 1.0
    out["gender"] = round(float(rng.uniform(0.85, 1.0) if female else rng.uniform(0.0, 0.15)), 4)
    shares = np.cumsum([g[0] for g in AGE_GROUPS])
    k = min(int(np.searchsorted(shares, q * shares[-1], side="right")), len(AGE_GROUPS) - 1)
    lo_q = shares[k - 1] if k else 0.0
    frac = (q * shares[-1] - lo_q) / (shares[k] - lo_q)
    _, lo, hi = AGE_GROUPS[k]
    years = lo + (hi - lo) * float(np.clip(frac + rng.uniform(-0.05, 0.05), 0.0, 1.0))
    out["age"] = round(years_to_anny_age(years), 4)
    main = int(rng.integers(len(ANCESTRIES))) if index is None else (index // 2 + index // 6) % len(ANCESTRIES)
    w = rng.dirichlet(np.ones(len(ANCESTRIES))) * float(rng.uniform(0.0, 0.4))
    w[main] += 1.0 - w.sum()
    out.update({name: round(float(x), 4) for name, x in zip(ANCESTRIES, w)})
    return out


def describe_phenotype(pheno: dict[str, float]) -> dict:
    """What the renderer's sampler needs of a phenotype: sex, age in years, ancestry weights."""
    anc = {k: float(pheno[k]) for k in ANCESTRIES if k in pheno}
    return {"sex": "female" if pheno["gender"] >= 0.5 else "male",
            "age_years": round(anny_age_to_years(pheno["age"]), 1),
            "ancestry": {k: round(v, 3) for k, v in anc.items()} or None}


# Normative sagittal joint angles over one gait cycle (degrees, flexion positive; heel strike at
# 0 %), after Winter's gait data (hip 30 -> -10 -> 33, knee loading hump ~18 and swing peak ~62,
# ankle plantarflexion ~17 at toe-off). Sampled at (phase, angle) and interpolated periodically.
GAIT = {"hip": ((0, 30), (10, 27), (20, 18), (30, 8), (40, -2), (50, -9), (55, -10), (60, -5), (70, 12),
                (80, 28), (87, 33), (100, 30)),
        "knee": ((0, 5), (8, 15), (15, 19), (25, 12), (35, 6), (42, 5), (50, 9), (60, 38), (67, 58), (72, 62),
                 (80, 50), (90, 20), (97, 5), (100, 5)),
        "ankle": ((0, 0), (7, -6), (15, 2), (30, 8), (45, 10), (55, 0), (62, -17), (70, -8), (80, 0), (100, 0))}


def gait_angle(joint: str, phase: float) -> float:
    """Angle of `joint` (hip, knee, ankle) at `phase` (0..1, periodic) of the gait cycle."""
    x, y = zip(*GAIT[joint])
    return float(np.interp((phase % 1.0) * 100.0, x, y, period=100.0))


def _gait(j: dict, u, phase: float, stride: float, arms: bool = True) -> None:
    """Legs (and arm swing) at one phase of the gait cycle; the right leg is half a cycle on.
    `stride` scales the excursions (slow strolling 0.7 .. brisk 1.15)."""
    for s, ph in (("l", phase), ("r", phase + 0.5)):
        hip = gait_angle("hip", ph)
        j[f"{s}_hip_flex"] = round(10 + (hip - 10) * stride + u(-2, 2), 2)
        j[f"{s}_knee_flex"] = round(max(0.0, 5 + (gait_angle("knee", ph) - 5) * stride + u(-2, 2)), 2)
        j[f"{s}_ankle_flex"] = round(gait_angle("ankle", ph) * stride, 2)
        if arms:  # the arm swings against its own leg: back when that leg is forward
            sh = -0.5 * (hip - 10) * stride + u(-3, 3)
            j[f"{s}_shoulder_flex"] = round(sh, 2)
            j[f"{s}_elbow_flex"] = round(18 + 0.8 * max(sh, 0.0) + u(0, 12), 2)


def sample_joints(rng: np.random.Generator, pose: str, phase: float | None = None) -> dict[str, float]:
    """Anatomical joint angles in degrees, within human limits (flexion positive), and the variant.

    keys: spine_flex, spine_twist, neck_flex, per side (l/r): hip_flex (thigh forward; negative =
    extension), hip_abduct, knee_flex (0..150), ankle_flex (dorsiflexion positive), shoulder_flex
    (arm forward/up, -40..170), shoulder_abduct (arm out from the side, 0..90), elbow_flex (0..145);
    plus 'lying' (0 upright, 1 supine, -1 prone), 'lie_roll' (degrees about the body's long axis:
    +-90 lies on a side), 'variant' (a number naming the pose's variant, see POSE_VARIANTS) and,
    for walking and carrying, 'gait_phase' (0..1 of the gait cycle; `phase` fixes it).
    """
    u = lambda a, b: round(float(rng.uniform(a, b)), 2)
    j: dict[str, float] = {"spine_flex": u(-3, 8), "spine_twist": u(-8, 8), "neck_flex": u(-10, 15), "lying": 0.0,
                           "lie_roll": 0.0, "variant": 0.0}
    for s in ("l", "r"):
        j.update({f"{s}_hip_flex": u(-4, 6), f"{s}_hip_abduct": u(1, 6), f"{s}_knee_flex": u(0, 10),
                  f"{s}_ankle_flex": 0.0, f"{s}_shoulder_flex": u(-8, 15), f"{s}_shoulder_abduct": u(6, 15),
                  f"{s}_elbow_flex": u(8, 35)})
    a, b = ("l", "r") if rng.uniform() < 0.5 else ("r", "l")
    variant = int(rng.integers(len(POSE_VARIANTS.get(pose, ("plain",)))))
    j["variant"] = float(variant)
    ph = float(rng.uniform()) if phase is None else float(phase) % 1.0
    if pose == "standing":
        if variant == 1:  # hands in front (a phone, a radio, a clipboard)
            for s in ("l", "r"):
                j.update({f"{s}_shoulder_flex": u(8, 25), f"{s}_shoulder_abduct": u(4, 10),
                          f"{s}_elbow_flex": u(70, 100)})
        elif variant == 2:  # one hand at the head (phone, radio, shading the eyes)
            j.update({f"{a}_shoulder_flex": u(25, 50), f"{a}_shoulder_abduct": u(15, 35), f"{a}_elbow_flex": u(125, 140),
                      "neck_flex": u(0, 12)})
        elif variant == 3:  # weight on one leg, the other knee relaxed
            j.update({f"{a}_knee_flex": u(12, 25), f"{a}_hip_flex": u(4, 12), f"{b}_hip_abduct": u(5, 9)})
    elif pose == "walking":
        j["gait_phase"] = round(ph, 4)
        _gait(j, u, ph, u(0.75, 1.15))
        j["spine_flex"] = u(0, 8)
    elif pose == "carrying":  # arms forward holding a load (a box, a stretcher handle), or a load at one side
        if variant != 2:  # walking with it (a shorter stride), else standing
            j["gait_phase"] = round(ph, 4)
            _gait(j, u, ph, u(0.5, 0.85), arms=False)
        if variant in (0, 2):  # both arms forward, elbows bent, leaning back against the load
            j["spine_flex"] = u(-8, 2)
            for s in ("l", "r"):
                j.update({f"{s}_shoulder_flex": u(25, 55), f"{s}_shoulder_abduct": u(8, 18),
                          f"{s}_elbow_flex": u(60, 95)})
        else:  # a load in one hand: that arm straight and out a little, leaning away from it
            j.update({f"{a}_shoulder_flex": u(-5, 8), f"{a}_shoulder_abduct": u(12, 22), f"{a}_elbow_flex": u(0, 10),
                      f"{b}_shoulder_abduct": u(15, 30), "spine_twist": u(-4, 4)})
    elif pose == "crouching":
        j["spine_flex"] = u(20, 40)
        for s in ("l", "r"):
            j.update({f"{s}_hip_flex": u(90, 115), f"{s}_knee_flex": u(115, 140), f"{s}_hip_abduct": u(8, 20),
                      f"{s}_ankle_flex": u(15, 30), f"{s}_shoulder_flex": u(25, 70), f"{s}_elbow_flex": u(30, 80)})
    elif pose == "kneeling":
        j["spine_flex"] = u(0, 20)
        if variant == 0:  # one knee on the ground, the other foot planted in front
            j.update({f"{a}_hip_flex": u(-5, 8), f"{a}_knee_flex": u(85, 100),
                      f"{b}_hip_flex": u(80, 95), f"{b}_knee_flex": u(80, 95), f"{b}_ankle_flex": u(0, 12),
                      f"{a}_shoulder_flex": u(20, 70), f"{b}_shoulder_flex": u(10, 50), f"{a}_elbow_flex": u(20, 70)})
        else:  # both knees down, upright or leaning over someone, hands forward
            j["spine_flex"] = u(5, 45)
            for s in ("l", "r"):
                j.update({f"{s}_hip_flex": u(-5, 15), f"{s}_knee_flex": u(85, 100), f"{s}_hip_abduct": u(4, 12),
                          f"{s}_shoulder_flex": u(30, 75), f"{s}_elbow_flex": u(15, 60)})
    elif pose == "bending":
        j["spine_flex"] = u(45, 80)
        for s in ("l", "r"):
            j.update({f"{s}_knee_flex": u(5, 30), f"{s}_shoulder_flex": u(40, 90), f"{s}_elbow_flex": u(5, 40)})
    elif pose == "reaching":
        j["spine_flex"] = u(5, 25)
        j.update({f"{a}_shoulder_flex": u(80, 160), f"{a}_elbow_flex": u(0, 20), f"{a}_shoulder_abduct": u(5, 30)})
        if variant == 1:  # both arms up (lifting, holding a beam)
            j.update({f"{b}_shoulder_flex": u(80, 150), f"{b}_elbow_flex": u(5, 35)})
    elif pose == "sitting":  # on the ground
        if variant == 0:  # legs out in front, leaning back on the hands
            j["spine_flex"] = u(-5, 10)
            for s in ("l", "r"):
                j.update({f"{s}_hip_flex": u(78, 92), f"{s}_knee_flex": u(0, 25), f"{s}_hip_abduct": u(5, 15),
                          f"{s}_shoulder_flex": u(-35, -20), f"{s}_shoulder_abduct": u(12, 25),
                          f"{s}_elbow_flex": u(0, 12)})
        else:  # knees up, forearms on the knees: knee flexion puts the heels level with the seat
            j["spine_flex"] = u(10, 30)
            for s in ("l", "r"):
                h = u(110, 125)
                knee = h - math.degrees(math.acos(float(np.clip(0.05 - math.cos(math.radians(h)), -1, 1))))
                j.update({f"{s}_hip_flex": h, f"{s}_knee_flex": round(knee + u(-4, 4), 2), f"{s}_hip_abduct": u(8, 18),
                          f"{s}_shoulder_flex": u(35, 65), f"{s}_elbow_flex": u(30, 70)})
    elif pose == "lying":
        j["lying"] = 1.0 if variant != 1 else -1.0
        j["spine_flex"] = u(-5, 5)
        for s in ("l", "r"):
            j.update({f"{s}_hip_flex": u(-5, 20), f"{s}_knee_flex": u(0, 40), f"{s}_shoulder_abduct": u(5, 60)})
        if variant == 2:  # on one side (recovery position: upper knee and arm bent forward)
            j["lie_roll"] = 90.0 if a == "l" else -90.0
            j.update({f"{b}_hip_flex": u(50, 80), f"{b}_knee_flex": u(60, 90), f"{b}_shoulder_flex": u(60, 90),
                      f"{b}_elbow_flex": u(40, 90), f"{a}_shoulder_flex": u(70, 100)})
    return j


# Variants of each pose (sample_joints draws one; the body's JSON names it as `pose_variant`).
POSE_VARIANTS = {"standing": ("relaxed", "hands_in_front", "hand_at_head", "weight_on_one_leg"),
                 "walking": ("gait",), "carrying": ("load_in_front", "load_at_side", "standing_load_in_front"),
                 "crouching": ("squat",), "kneeling": ("one_knee", "both_knees"), "bending": ("forward",),
                 "reaching": ("one_arm", "both_arms"), "sitting": ("legs_out", "knees_up"),
                 "lying": ("supine", "prone", "side")}


def _rot(axis: str, deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


# Anny's rest A-pose, measured on its bone heads (anny 0.6.2): the upper arms hang 41.7 degrees out
# from vertical, the elbows are already flexed ~40 degrees (forearms forward) and the legs stand
# 5.4 degrees apart. Joint angles are anatomical (0 = arm at the side, arm straight, leg vertical),
# so these are taken off before they apply.
ARM_REST_DOWN = 41.7
ELBOW_REST = 40.0
LEG_REST_ABDUCT = 5.4


def bone_rotations(j: dict[str, float]) -> dict[str, np.ndarray]:
    """Joint angles -> 3x3 rotations per Anny bone (local-ref: world axes at the bone head).
    Facing -Y: flexing a downward limb forward is a negative rotation about X."""
    r: dict[str, np.ndarray] = {}
    for bone in ("spine03", "spine02", "spine01"):
        r[bone] = _rot("x", j["spine_flex"] / 3) @ _rot("z", j["spine_twist"] / 3)
    r["neck01"] = _rot("x", j["neck_flex"])
    for s, sign in (("l", 1.0), ("r", -1.0)):
        S = s.upper()
        r[f"upperleg01.{S}"] = (_rot("x", -j[f"{s}_hip_flex"])
                                @ _rot("y", -sign * (j[f"{s}_hip_abduct"] - LEG_REST_ABDUCT)))
        r[f"lowerleg01.{S}"] = _rot("x", j[f"{s}_knee_flex"])
        if j.get(f"{s}_ankle_flex"):  # dorsiflexion lifts the toes (the foot points along -Y)
            r[f"foot.{S}"] = _rot("x", -j[f"{s}_ankle_flex"])
        down = ARM_REST_DOWN - j[f"{s}_shoulder_abduct"]
        r[f"upperarm01.{S}"] = _rot("x", -j[f"{s}_shoulder_flex"]) @ _rot("y", sign * down)
        r[f"lowerarm01.{S}"] = _rot("x", -(j[f"{s}_elbow_flex"] - ELBOW_REST))
    if j["lying"]:  # supine: face up (+Z); prone: face down; lie_roll turns onto a side
        r["root"] = _rot("y", j.get("lie_roll", 0.0)) @ _rot("x", -90.0 * j["lying"])
    return r


def load_anny_model():
    """Anny's full-body model with all phenotype parameters, ancestry morphs included (the first
    call builds Anny's cache: a minute or more)."""
    import anny
    import torch

    return anny.Anny(phenotypes="all").to(dtype=torch.float32)


def pose_body(model, phenotype: dict[str, float], joints: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rest and posed vertices (N, 3), Anny frame, the head's up axis and the rest bone heads
    (B, 3), for one phenotype and joint set."""
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
    heads = out["rest_bone_poses"][0, :, :3, 3].numpy().astype(float)
    return out["rest_vertices"][0].numpy().astype(float), out["vertices"][0].numpy().astype(float), axis, heads


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
    return {"head_center": r5(center), "head_axis": r5(axis), "head_radius": r5(radius), "head_top": r5(top)}


LANDMARK_BONES = {"shoulder": "upperarm01", "elbow": "lowerarm01", "wrist": "wrist", "hip": "upperleg01",
                  "knee": "lowerleg01", "ankle": "foot"}


def landmarks(rest: np.ndarray, labels: list[str], heads: np.ndarray) -> dict[str, float]:
    """Rest height fraction f (the stripe field's G) of the joints garments end at (mean of both
    sides): the renderer cuts sleeves and trouser legs at fractions between them."""
    z0, z1 = rest[:, 2].min(), rest[:, 2].max()
    out = {}
    for name, bone in LANDMARK_BONES.items():
        z = np.mean([heads[labels.index(f"{bone}.{side}"), 2] for side in ("L", "R")])
        out[name] = round(float((z - z0) / max(z1 - z0, 1e-6)), 4)
    return out


def uv_metres(rest: np.ndarray, tris: np.ndarray, uvs: np.ndarray, tri_uv: np.ndarray,
              tri_region: np.ndarray) -> dict[str, float]:
    """Metres of body surface per UV unit, per cloth region (median over edges): the renderer sizes
    UV-space fabric patterns (checks, dots, knit) in metres with it."""
    e3 = np.linalg.norm(rest[tris[:, 0]] - rest[tris[:, 1]], axis=1)
    e2 = np.linalg.norm(uvs[tri_uv[:, 0]] - uvs[tri_uv[:, 1]], axis=1)
    ok = e2 > 1e-7
    return {r: round(float(np.median(e3[ok & (tri_region == r)] / e2[ok & (tri_region == r)])), 4)
            for r in ("jacket", "pants") if (ok & (tri_region == r)).any()}


def chest_uv(rest: np.ndarray, tris: np.ndarray, uvs: np.ndarray, tri_uv: np.ndarray, region: np.ndarray,
             parts: np.ndarray) -> list[float]:
    """UV of the chest's front centre (the torso vertex nearest the midline at ~72% of the rest
    height, frontmost: the body faces -Y): where a print or logo on a top goes."""
    f = height_fraction(rest)
    cand = np.flatnonzero((region == "jacket") & (parts == "torso") & (np.abs(f - 0.72) < 0.02)
                          & (np.abs(rest[:, 0] - np.median(rest[:, 0])) < 0.03))
    if not len(cand):
        return [0.5, 0.5]
    v = cand[np.argmin(rest[cand, 1])]
    face, corner = np.argwhere(tris == v)[0]
    return r5(uvs[tri_uv[face, corner]])


def _num(x: float, digits: int) -> str:
    t = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if t in ("", "-0") else t


def compact_obj_lines(lines: list[str]) -> list[str]:
    """Fewer digits where they carry nothing (decimated bodies): positions and UVs to 0.1 mm /
    1e-4, the stripe mask R and arm flag B to 0.01, the height fraction G kept at 1e-4 (a band edge
    to 0.2 mm); trailing zeros dropped. About a third smaller, the same body."""
    out = []
    for ln in lines:
        if ln.startswith("v "):
            p = ln.split()
            vals = [_num(float(x), 4) for x in p[1:4]]
            if len(p) >= 7:
                vals += [_num(float(p[4]), 2), _num(float(p[5]), 4), _num(float(p[6]), 2)]
            out.append("v " + " ".join(vals) + "\n")
        elif ln.startswith("vt "):
            out.append("vt " + " ".join(_num(float(x), 4) for x in ln.split()[1:3]) + "\n")
        else:
            out.append(ln)
    return out


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


def generate_bodies(out: Path, count: int, seed: int = 0, poses: tuple[str, ...] = POSE_CYCLE,
                    overwrite: bool = False, log=print, decimate: float | None = None) -> list[Path]:
    """Write `count` bodies body_000.obj... (skipping finished ones unless overwrite). Body i takes
    pose poses[i % len(poses)]; its phenotype and joints come from default_rng([seed, i]), with sex,
    age and gait phase stratified by i (`sample_phenotype`), so a body depends only on (seed, i)."""
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
        pheno = sample_phenotype(rng, index=i)
        joints = sample_joints(rng, pose, phase=(i * 0.6180339887 + 0.05) % 1.0)
        rest, posed, head_axis, heads = pose_body(model, pheno, joints)
        texture = {"uv_metres": uv_metres(rest, tris, uvs, tri_uv, tri_region),
                   "chest_uv": chest_uv(rest, tris, uvs, tri_uv, region, parts)}
        stature = float(rest[:, 2].max() - rest[:, 2].min())
        posed = posed - np.array([posed[:, 0].mean(), posed[:, 1].mean(), posed[:, 2].min()])  # feet (or body) on z=0
        colors = stripe_field(rest, region, parts)
        stem = f"body_{i:03d}"
        write_mtl(out / f"{stem}.mtl")
        write_obj(out / f"{stem}.obj", posed, tris, uvs, tri_uv, colors, tri_region, f"{stem}.mtl")
        variants = POSE_VARIANTS.get(pose, ("plain",))
        meta = {"format": 1, "generator": "anny", "anny_version": _anny_version(), "seed": [seed, i], "pose": pose,
                "pose_variant": variants[int(joints.get("variant", 0)) % len(variants)],
                "phenotype": pheno, "person": describe_phenotype(pheno), "joints": joints,
                "stature": round(stature, 5), "frame": "z_up_faces_-y",
                "bbox_min": r5(posed.min(0)), "bbox_max": r5(posed.max(0)),
                "regions": list(REGIONS), "stripes": "vertex colour R mask, G rest height fraction, B arm",
                "stripe_field": STRIPE_FIELD, "landmarks": landmarks(rest, labels, heads), **texture,
                **head_info(posed, head_mask, head_axis)}
        if decimate:
            meta = decimate_body(out / f"{stem}.obj", decimate, meta)
        tmp = out / f".{stem}.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(out / f"{stem}.json")  # last: its presence means the body is complete
        written.append(out / f"{stem}.obj")
        person = meta["person"]
        log(f"[assets] {stem}: {pose} ({meta['pose_variant']}), {person['sex']} {person['age_years']:.0f} y, "
            f"stature {stature:.2f} m, {meta.get('vertices', len(posed))} vertices")
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
    lines = compact_obj_lines(text.splitlines(keepends=True))  # collapsing can lift the lowest vertex: back onto z = 0
    ys = [float(ln.split()[2]) for ln in lines if ln.startswith("v ")]
    lift = min(ys)
    for i, ln in enumerate(lines):
        if ln.startswith("v "):
            p = ln.split()
            p[2] = _num(float(p[2]) - lift, 4)
            lines[i] = " ".join(p) + "\n"
    obj.write_text("".join(lines), encoding="utf-8")
    v = read_obj_vertices(obj)
    return {**meta, "bbox_min": [round(float(x), 5) for x in v.min(0)], "bbox_max": [round(float(x), 5) for x in v.max(0)],
            "decimate_ratio": ratio, "vertices": len(v)}
