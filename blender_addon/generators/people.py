"""People: rescuers (agency uniforms, helmets) and civilians (everyday clothes, the distractor).

Bodies are meshes from `body_folders` (posed Anny bodies made by `trainer assets rescuers`, or the
user's .obj/.glb/.gltf/.fbx/.blend) when there are any, else procedural capsule humanoids. Both
classes share one generator; only the clothing palette, helmet and category differ. Each person
is a labelled object: one mesh (body + helmet joined), one unique pass index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from blender_addon import meshes
from blender_addon.assets import bodies
from blender_addon.generators._util import choice, disc_point, integer, jitter_color, r5, uniform
from blender_addon.generators.site import Site

JACKETS = {"hivis_orange": (0.95, 0.28, 0.02), "hivis_yellow": (0.8, 0.95, 0.05), "red": (0.7, 0.04, 0.03),
           "navy": (0.02, 0.035, 0.09), "sand": (0.5, 0.4, 0.24)}
# Agency schemes: trousers that go with each jacket (linear RGB).
PANTS = {"hivis_orange": (0.05, 0.06, 0.12), "hivis_yellow": (0.05, 0.06, 0.12), "red": (0.04, 0.04, 0.05),
         "navy": (0.02, 0.035, 0.09), "sand": (0.45, 0.36, 0.22)}
GLOVES = [(0.04, 0.04, 0.04), (0.35, 0.25, 0.12), (0.6, 0.5, 0.1)]
BOOTS = [(0.03, 0.03, 0.03), (0.12, 0.08, 0.05)]
# Procedural humanoids know four poses; the others map to the closest one.
PROCEDURAL_POSE = {"walking": "standing", "bending": "reaching", "lying": "crouching"}
SKIN = [(0.75, 0.5, 0.38), (0.55, 0.36, 0.25), (0.3, 0.18, 0.11), (0.85, 0.64, 0.52)]
MUTED = [(0.12, 0.14, 0.2), (0.25, 0.22, 0.18), (0.35, 0.35, 0.37), (0.2, 0.28, 0.2), (0.4, 0.12, 0.14),
         (0.06, 0.06, 0.07), (0.5, 0.45, 0.38)]
# Civilians' everyday clothes: tops in many colours, mostly jeans / dark trousers below.
TOPS = MUTED + [(0.6, 0.6, 0.62), (0.05, 0.15, 0.45), (0.45, 0.05, 0.05), (0.1, 0.3, 0.12), (0.5, 0.35, 0.05),
                (0.3, 0.1, 0.35)]
BOTTOMS = [(0.04, 0.07, 0.18), (0.06, 0.09, 0.22), (0.03, 0.03, 0.035), (0.2, 0.18, 0.14), (0.12, 0.12, 0.13)]
HELMETS = [(0.9, 0.9, 0.88), (0.95, 0.75, 0.05), (0.8, 0.1, 0.05)]
HAIR = [(0.02, 0.015, 0.01), (0.08, 0.04, 0.02), (0.2, 0.11, 0.05), (0.45, 0.32, 0.15), (0.35, 0.34, 0.33),
        (0.6, 0.58, 0.55)]  # black, dark brown, brown, blond, grey, light grey (linear RGB)
# Cloth volume (m, pushed out along the body's normals): rescuers wear padded turnout gear,
# civilians everyday clothes; gloves only on rescuers (civilians' "gloves" region is bare skin).
THICKNESS = {"rescuer": {"jacket": (0.025, 0.035), "pants": (0.015, 0.02), "boots": (0.012, 0.016),
                         "gloves": (0.004, 0.006)},
             "civilian": {"jacket": (0.01, 0.022), "pants": (0.008, 0.015), "boots": (0.008, 0.012),
                          "gloves": (0.0, 0.0)}}
MIN_GAP = 0.9  # m between people


def sample_pose(rng: np.random.Generator, pose: str) -> dict:
    """Joint angles (degrees) for a pose; left/right differ a little so nobody is a statue."""
    u = lambda a, b: round(float(rng.uniform(a, b)), 3)
    j: dict = {"lean": u(-4, 6)}
    for side in ("l", "r"):
        j[side] = {"thigh": u(-8, 10), "knee": u(0, 12), "leg_abduct": u(2, 7),
                   "shoulder": u(-15, 25), "arm_abduct": u(6, 18), "elbow": u(5, 35)}
    if pose == "crouching":
        j["lean"] = u(25, 40)
        for side in ("l", "r"):
            j[side].update(thigh=u(75, 95), knee=u(110, 135), shoulder=u(30, 60), elbow=u(20, 60))
    elif pose == "reaching":
        j["lean"] = u(8, 25)
        j[rng.choice(["l", "r"])].update(shoulder=u(70, 115), elbow=u(0, 20))
    elif pose == "kneeling":
        j["lean"] = u(0, 15)
        down, up = ("l", "r") if rng.uniform() < 0.5 else ("r", "l")
        j[down].update(thigh=u(-5, 10), knee=u(85, 95))
        j[up].update(thigh=u(80, 95), knee=u(80, 95))
        j["l"]["shoulder"] = u(10, 50)
    return j


def place(rng: np.random.Generator, spread: float, taken: list[tuple[float, float]]) -> tuple[float, float]:
    for _ in range(200):
        x, y = disc_point(rng, spread)
        if all(math.hypot(x - a, y - b) >= MIN_GAP for a, b in taken):
            return x, y
    raise ValueError(f"cannot place people {MIN_GAP} m apart within spread {spread} m")


def sample(rng: np.random.Generator, cfg: dict, site: Site, category: str,
           body_files: Sequence[dict] = ()) -> tuple[list[dict], Site]:
    """People of one category, and the site with them standing there and their pass indices used.
    `body_files`: descriptions of the section's body meshes (assets.files.scan_assets)."""
    out = []
    for k in range(integer(rng, cfg["count"])):
        x, y = place(rng, site.spread, site.taken)
        site = site.stand(x, y)
        pose = choice(rng, cfg["poses"])
        if category == "rescuer":
            jacket_name = choice(rng, cfg["jackets"])
            colors = {"jacket": jitter_color(rng, JACKETS[jacket_name], 0.05),
                      "pants": jitter_color(rng, PANTS.get(jacket_name, PANTS["red"]), 0.2)}
            helmet = bool(rng.uniform() < cfg["helmet_probability"])
            stripes = jacket_name != "red" or bool(rng.uniform() < 0.5)
        else:
            jacket_name = "casual"
            colors = {"jacket": jitter_color(rng, TOPS[rng.integers(len(TOPS))], 0.15),
                      "pants": jitter_color(rng, BOTTOMS[rng.integers(len(BOTTOMS))], 0.15)}
            helmet = False
            stripes = False
        colors["skin"] = jitter_color(rng, SKIN[rng.integers(len(SKIN))], 0.08)
        colors["helmet"] = jitter_color(rng, HELMETS[rng.integers(len(HELMETS))], 0.03)
        colors["boots"] = jitter_color(rng, BOOTS[rng.integers(len(BOOTS))], 0.2)
        colors["gloves"] = (jitter_color(rng, GLOVES[rng.integers(len(GLOVES))], 0.2) if category == "rescuer"
                            else colors["skin"])
        height = uniform(rng, cfg["height"])
        index, site = site.label()
        p = {"index": index, "category": category, "name": f"{category}_{k:02d}",
             "asset": "procedural:humanoid", "generator": "people",
             "location": r5([x, y, 0.0]), "yaw_deg": r5(rng.uniform(0, 360)),
             "height": r5(height), "pose": pose, "joints": sample_pose(rng, PROCEDURAL_POSE.get(pose, pose)),
             "clothing": jacket_name, "helmet": helmet, "stripes": stripes, "colors": colors,
             "dirt": r5(uniform(rng, cfg["dirt"])), "roughness": r5(rng.uniform(0.6, 0.9))}
        files = list(body_files) if cfg["body_probability"] > 0 else []
        if files and rng.uniform() < cfg["body_probability"]:
            same = [b for b in files if b["pose"] == pose]
            body = (same or files)[rng.integers(len(same or files))]
            p.update(asset=body["file"], pose=body["pose"] if body["pose"] != "unknown" else pose,
                     scale=r5(height / body["stature"]),
                     body={k: body[k] for k in ("bbox_min", "bbox_max", "head_center", "head_axis", "head_radius",
                                                "regions", "normalize", "stature", "stripe_field")})
            if helmet:
                p["helmet_geometry"] = bodies.helmet_geometry(body)
        # a child stream (spawn does not advance `rng`): the draws above and later people stay
        # exactly what they were before these outfit details existed
        p.update(sample_outfit(rng.spawn(1)[0], category, helmet))
        out.append(p)
    return out, site


def sample_outfit(rng: np.random.Generator, category: str, helmet: bool) -> dict:
    """Cloth thickness per region, fabric fold pattern, hair (helmetless people only), backpack
    (some rescuers). The builder applies them to region bodies (`trainer assets rescuers`)."""
    thick = {k: r5(rng.uniform(*lim)) for k, lim in THICKNESS[category].items()}
    folds = {"scale": r5(rng.uniform(6.0, 10.0)), "strength": r5(rng.uniform(0.2, 0.4)),
             "phase": r5(rng.uniform(0.0, 100.0)), "sheen": r5(rng.uniform(0.1, 0.4))}
    hair_color = jitter_color(rng, HAIR[rng.integers(len(HAIR))], 0.15)
    hair_thick = r5(rng.uniform(0.006, 0.014))
    pack = rng.uniform() < (0.35 if category == "rescuer" else 0.1)
    pack_size = r5([rng.uniform(0.26, 0.34), rng.uniform(0.1, 0.16), rng.uniform(0.35, 0.48)])
    pack_color = jitter_color(rng, MUTED[rng.integers(len(MUTED))], 0.2)
    return {"cloth_thickness": thick, "folds": folds,
            "hair": None if helmet else {"color": hair_color, "thickness": hair_thick},
            "backpack": {"size": pack_size, "color": pack_color} if pack else None}


def body_mesh(person: dict) -> meshes.Mesh:
    """World-space geometry of one person (shared by the camera check and the builder). For a
    body mesh file this is its bounding box plus the helmet (the sampler never reads the mesh)."""
    rot = meshes.euler_xyz(0.0, 0.0, math.radians(person["yaw_deg"]))
    if person["asset"] == "procedural:humanoid":
        m = meshes.humanoid(person["height"], person["joints"], person["helmet"])
        return m.transformed(rot, person["location"])
    b = person["body"]
    lo, hi = np.asarray(b["bbox_min"], float), np.asarray(b["bbox_max"], float)
    parts = [meshes.box(hi - lo).transformed(None, (lo + hi) / 2)]
    if person.get("helmet_geometry"):
        parts.append(bodies.helmet_mesh(person["helmet_geometry"]))
    s = person["scale"]
    return meshes.concat(parts).transformed(None, (0, 0, 0), (s, s, s)).transformed(rot, person["location"])


def bbox_corners(person: dict) -> np.ndarray:
    v = body_mesh(person).verts
    lo, hi = v.min(0), v.max(0)
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
