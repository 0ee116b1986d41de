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
PROCEDURAL_POSE = {"walking": "standing", "bending": "reaching", "lying": "crouching", "carrying": "reaching",
                   "sitting": "crouching"}
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
# People standing together (cfg "group"): shoulder to shoulder in a row across the way they face,
# some half a step behind, turned about the same way, as people photographed together or walking
# together in a street are. Only upright poses join a group (a lying or sitting person needs room).
GROUP_POSES = ("standing", "walking", "carrying")
GROUP_GAP = (0.55, 0.8)  # m between neighbours' centres along the row (shoulders about 0.45 m wide)
GROUP_DEPTH = 0.25  # m a member stands in front of or behind the row, at most
GROUP_TURN_SD = 15.0  # degrees a member's facing differs from the first member's (normal spread)
GROUP_MIN_GAP = 0.5  # m between two members' centres, at the least


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


class _Group:
    """The row a frame's people of one section stand in when they stand together (cfg "group")."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.name: str | None = None  # the first member's name, recorded on every member
        self.members: list[tuple[float, float]] = []
        self.ends: list[np.ndarray] = []  # the row's two ends
        self.face = 0.0  # the first member's face azimuth (radians)
        self.yaw = 0.0

    def start(self, name: str, x: float, y: float, yaw_deg: float) -> None:
        self.name, self.members, self.ends = name, [(x, y)], [np.array([x, y]), np.array([x, y])]
        self.face, self.yaw = bodies.face_azimuth(yaw_deg), yaw_deg

    def slot(self, taken: Sequence[tuple[float, float]]) -> tuple[float, float, float] | None:
        """(x, y, yaw_deg) of the next member at one end of the row, MIN_GAP from everyone standing
        there but the members; None where neither end has room."""
        side = np.array([-math.sin(self.face), math.cos(self.face)])
        front = np.array([math.cos(self.face), math.sin(self.face)])
        first = int(self.rng.integers(2))
        gap, depth = uniform(self.rng, list(GROUP_GAP)), float(self.rng.uniform(-GROUP_DEPTH, GROUP_DEPTH))
        turn = GROUP_TURN_SD * float(self.rng.standard_normal())
        for end in (first, 1 - first):
            row = self.ends[end] + (1 if end == 0 else -1) * gap * side
            x, y = (float(v) for v in row + depth * front)
            if all(math.hypot(x - a, y - b) >= (GROUP_MIN_GAP if (a, b) in self.members else MIN_GAP)
                   for a, b in taken):
                self.ends[end] = row
                self.members.append((x, y))
                return x, y, self.yaw + turn
        return None


def sample(rng: np.random.Generator, cfg: dict, site: Site, category: str,
           body_files: Sequence[dict] = (), group_rng: np.random.Generator | None = None) -> tuple[list[dict], Site]:
    """People of one category, and the site with them standing there and their pass indices used.
    `body_files`: descriptions of the section's body meshes (assets.files.scan_assets).
    `group_rng`: the stream that decides whether they stand together and where (cfg "group" > 0); it
    is apart from `rng`, so with "group" 0 every draw is the one made before groups existed."""
    out = []
    group = (_Group(group_rng) if group_rng is not None and cfg["group"] > 0
             and group_rng.uniform() < cfg["group"] else None)
    for k in range(integer(rng, cfg["count"])):
        x, y = place(rng, site.spread, site.taken)
        pose = choice(rng, cfg["poses"])
        slot = group.slot(site.taken) if group is not None and group.members and pose in GROUP_POSES else None
        if slot is not None:
            x, y = slot[0], slot[1]
        site = site.stand(x, y)
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
            p["body"].update({k: body[k] for k in bodies.BODY_EXTRAS if body.get(k) is not None})
            if helmet:
                p["helmet_geometry"] = bodies.helmet_geometry(body)
        # a child stream (spawn does not advance `rng`): the draws above and later people stay
        # exactly what they were before these outfit details existed
        child = rng.spawn(1)[0]
        outfit = sample_outfit(child, category, helmet, p.get("body"), jacket_name)
        p["colors"].update(outfit.pop("colors", {}))
        p.update(outfit)
        if (p.get("body") or {}).get("regions"):  # a face on region bodies (with a skin slot and a known head)
            face_rng = child.spawn(1)[0]  # a stream of its own: the outfit is unchanged
            if cfg["faces"]:
                p["face"] = sample_face(face_rng, p)
            hang = sample_hair_length(child.spawn(1)[0], p, cfg["long_hair"]) if p.get("hair") else None
            if hang:  # the next stream: faces are unchanged
                p["hair"] = {**p["hair"], **hang}
            # short cuts only (long hair's curtain hangs from the cap as it is; a hat presses hair flat)
            if p.get("hair") and not hang and not p.get("hat") and cfg["hair_loft"][1] > 0:  # next stream
                p["hair"] = {**p["hair"], **sample_hair_loft(child.spawn(1)[0], cfg["hair_loft"])}
        if p.get("hat"):  # on the body's head (the procedural humanoid has no head description)
            if "body" in p:
                p["hat"]["geometry"] = bodies.hat_geometry(p["body"], p["hat"]["kind"])
                if p.get("hair"):  # pressed flat: the hat's shell is fitted with room for this much
                    p["hair"] = {**p["hair"], "thickness": min(p["hair"]["thickness"], bodies.HAT_HAIR_MAX)}
            else:
                p["hat"] = None
        if slot is not None:
            p["yaw_deg"], p["group"] = r5(slot[2]), group.name
        elif group is not None and not group.members and pose in GROUP_POSES:
            group.start(p["name"], x, y, p["yaw_deg"])
            p["group"] = group.name
        out.append(p)
    if group is not None and len(group.members) == 1:  # nobody joined the first member
        for p in out:
            p.pop("group", None)
    return out, site


def sample_outfit(rng: np.random.Generator, category: str, helmet: bool, body: dict | None = None,
                  scheme: str | None = None) -> dict:
    """Cloth thickness per region, fabric fold pattern, hair (helmetless people only), backpack
    (some rescuers), then (later draws of the same stream, so the earlier ones are unchanged) the
    look: skin tone, hair colour, garments with fabric patterns, hat, wear (`sample_look`). The
    builder applies them to region bodies (`trainer assets rescuers`)."""
    thick = {k: r5(rng.uniform(*lim)) for k, lim in THICKNESS[category].items()}
    folds = {"scale": r5(rng.uniform(6.0, 10.0)), "strength": r5(rng.uniform(0.2, 0.4)),
             "phase": r5(rng.uniform(0.0, 100.0)), "sheen": r5(rng.uniform(0.1, 0.4))}
    hair_color = jitter_color(rng, HAIR[rng.integers(len(HAIR))], 0.15)
    hair_thick = r5(rng.uniform(0.006, 0.014))
    pack = rng.uniform() < (0.35 if category == "rescuer" else 0.1)
    pack_size = r5([rng.uniform(0.26, 0.34), rng.uniform(0.1, 0.16), rng.uniform(0.35, 0.48)])
    pack_color = jitter_color(rng, MUTED[rng.integers(len(MUTED))], 0.2)
    out = {"cloth_thickness": thick, "folds": folds,
           "hair": None if helmet else {"color": hair_color, "thickness": hair_thick},
           "backpack": {"size": pack_size, "color": pack_color} if pack else None}
    out.update(sample_look(rng, category, helmet, body or {}, out, scheme))
    return out


# ---- the look: skin, hair, garments and their fabric patterns, hats, wear ----

# Default landmarks (rest height fraction f of Anny's joints, see assets.rescuers.landmarks).
LANDMARKS = {"shoulder": 0.79, "elbow": 0.68, "wrist": 0.61, "hip": 0.53, "knee": 0.29, "ankle": 0.045}
# Skin: individual typology angle ITA = atan((L* - 50) / b*) in degrees, the colorimetric skin
# classification of Chardon et al. (1991) used by Del Bino & Bernerd (2013): very light > 55,
# light 41-55, intermediate 28-41, tan 10-28, brown -30..10, dark < -30 (roughly Fitzpatrick
# I..VI). A tone is drawn as (ITA, b*, a*) and converted CIELAB (D65) -> linear sRGB albedo:
# L* 76 (Y 0.50) at the lightest to L* ~30 (Y 0.06) at the darkest.
SKIN_GROUPS = {"very_light": (55.0, 66.0), "light": (41.0, 55.0), "intermediate": (28.0, 41.0),
               "tan": (10.0, 28.0), "brown": (-30.0, 10.0), "dark": (-58.0, -30.0)}
# P(group | ancestry): a body's ancestry morph (Anny) sets the likely tones; 20% of draws ignore it
# (uniform over the groups) so every body is seen in every tone now and then.
SKIN_BY_ANCESTRY = {"african": (0.0, 0.0, 0.04, 0.12, 0.42, 0.42), "asian": (0.04, 0.26, 0.36, 0.26, 0.08, 0.0),
                    "caucasian": (0.26, 0.4, 0.2, 0.1, 0.04, 0.0)}
HAIR_COLORS = {"black": (0.012, 0.01, 0.009), "dark_brown": (0.035, 0.022, 0.014), "brown": (0.08, 0.05, 0.028),
               "light_brown": (0.16, 0.1, 0.055), "blond": (0.36, 0.26, 0.13), "red": (0.22, 0.07, 0.03),
               "grey": (0.25, 0.24, 0.23), "white": (0.55, 0.54, 0.52)}
HAIR_FAIR = {"black": 0.05, "dark_brown": 0.2, "brown": 0.3, "light_brown": 0.2, "blond": 0.18, "red": 0.07}
HAIR_DARK = {"black": 0.6, "dark_brown": 0.35, "brown": 0.05}
# Civilians' garments: kind -> weight, and the fabric patterns each kind comes in.
TOPS_KINDS = {"tshirt": 0.35, "sweater": 0.2, "shirt": 0.15, "jacket": 0.3}
TOP_PATTERNS = {"tshirt": {"solid": 0.3, "stripes": 0.15, "heather": 0.15, "logo": 0.2, "dots": 0.05, "blocks": 0.15},
                "sweater": {"solid": 0.25, "stripes": 0.2, "heather": 0.3, "checks": 0.1, "blocks": 0.15},
                "shirt": {"solid": 0.2, "checks": 0.25, "plaid": 0.3, "pinstripes": 0.15, "dots": 0.1},
                "jacket": {"solid": 0.45, "blocks": 0.3, "heather": 0.1, "plaid": 0.1, "logo": 0.05}}
BOTTOM_KINDS = {"jeans": 0.45, "trousers": 0.3, "shorts": 0.12, "joggers": 0.13}
BOTTOM_PATTERNS = {"jeans": {"denim": 1.0}, "trousers": {"solid": 0.7, "checks": 0.1, "heather": 0.2},
                   "shorts": {"denim": 0.4, "solid": 0.4, "plaid": 0.2}, "joggers": {"heather": 0.7, "solid": 0.3}}
# Thickness of each top relative to the sampled civilian jacket thickness (a T-shirt is thin).
TOP_THICKNESS = {"tshirt": 0.5, "sweater": 0.9, "shirt": 0.7, "jacket": 1.4}
DENIM = [(0.02, 0.04, 0.12), (0.035, 0.06, 0.16), (0.06, 0.1, 0.22), (0.1, 0.15, 0.28), (0.02, 0.02, 0.03),
         (0.12, 0.12, 0.13)]  # dark, mid and light indigo, black and grey denim (linear RGB)
PRINT_COLORS = [(0.8, 0.8, 0.78), (0.03, 0.03, 0.035), (0.7, 0.05, 0.04), (0.75, 0.55, 0.05), (0.04, 0.2, 0.5),
                (0.05, 0.35, 0.12), (0.55, 0.2, 0.4)]
LOGO_SHAPES = ("disc", "ring", "bar", "square", "star", "chevron")
# Rescuers: agency designs over the scheme's colours, and the reflective trim.
UNIFORM_DESIGNS = {"plain": 0.5, "yoke": 0.3, "lower": 0.2}  # one colour, dark shoulders/upper sleeves, dark hem
SECOND_COLORS = {"hivis_orange": [(0.03, 0.04, 0.09)], "hivis_yellow": [(0.03, 0.04, 0.09), (0.02, 0.12, 0.05)],
                 "red": [(0.03, 0.03, 0.035)], "navy": [(0.8, 0.95, 0.05), (0.95, 0.28, 0.02)],
                 "sand": [(0.03, 0.03, 0.035)]}
TRIMS = {"silver": 0.5, "yellow_silver": 0.35, "lime_silver": 0.15}  # plain silver, or silver between two coloured edges
TRIM_EDGE = {"yellow_silver": (0.85, 0.75, 0.02), "lime_silver": (0.55, 0.9, 0.03)}
RESCUER_CAPS = [(0.03, 0.04, 0.09), (0.03, 0.03, 0.035), (0.6, 0.04, 0.03)]


def lab_to_linear_rgb(L: float, a: float, b: float) -> list[float]:
    """CIELAB (D65) -> linear sRGB (clipped to 0..1)."""
    fy = (L + 16.0) / 116.0
    f = np.array([fy + a / 500.0, fy, fy - b / 200.0])
    d = 6.0 / 29.0
    xyz = np.where(f > d, f ** 3, 3 * d * d * (f - 4.0 / 29.0)) * np.array([0.95047, 1.0, 1.08883])
    m = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
    return r5(np.clip(m @ xyz, 0.0, 1.0))


def sample_skin(rng: np.random.Generator, ancestry: dict | None) -> dict:
    """A skin tone: ITA group (by the body's ancestry, or any), ITA, b*, a* -> L* and linear RGB."""
    names = list(SKIN_GROUPS)
    p = np.full(len(names), 1.0 / len(names))
    if ancestry:
        mix = sum(float(w) * np.asarray(SKIN_BY_ANCESTRY[k]) for k, w in ancestry.items() if k in SKIN_BY_ANCESTRY)
        if np.sum(mix) > 0:
            p = 0.8 * mix / np.sum(mix) + 0.2 * p
    group = names[int(rng.choice(len(names), p=p / p.sum()))]
    ita = float(rng.uniform(*SKIN_GROUPS[group]))
    b = float(rng.uniform(11.0, 19.0) if ita > -30 else rng.uniform(8.0, 14.0))
    a = float(rng.uniform(7.0, 13.0))
    L = float(np.clip(50.0 + b * math.tan(math.radians(ita)), 25.0, 78.0))
    return {"group": group, "ita": r5(ita), "lab": r5([L, a, b]), "color": lab_to_linear_rgb(L, a, b)}


# Faces (builders/faces.py paints them on the skin, in the head's frame): iris colours (linear
# albedo) and their odds for fair and dark skin groups.
IRIS = {"dark": (0.02, 0.012, 0.008), "brown": (0.06, 0.03, 0.012), "hazel": (0.09, 0.07, 0.03),
        "green": (0.06, 0.09, 0.05), "blue": (0.07, 0.1, 0.16), "grey": (0.1, 0.11, 0.12)}
IRIS_FAIR = {"brown": 0.4, "dark": 0.1, "hazel": 0.15, "green": 0.1, "blue": 0.2, "grey": 0.05}
IRIS_DARK = {"dark": 0.6, "brown": 0.4}


def sample_face(rng: np.random.Generator, person: dict) -> dict:
    """Eyes (iris colour, spacing, height), brows (colour from the hair, thickness), lip tint and,
    for some adult men, a beard; positions in head radii about the body's `head_center`."""
    fair = (person.get("skin") or {}).get("group") in ("very_light", "light", "intermediate")
    iris = choice(rng, IRIS_FAIR if fair else IRIS_DARK)
    hair = (person.get("hair") or {}).get("color") or HAIR_COLORS["dark_brown"]
    who = (person.get("body") or {}).get("person") or {}
    beard = rng.uniform(0.3, 1.0) if who.get("sex") == "male" and (who.get("age_years") or 30) >= 18 \
        and rng.uniform() < 0.3 else 0.0
    return {"iris": jitter_color(rng, IRIS[iris], 0.15), "brow": r5(np.asarray(hair, float) * rng.uniform(0.5, 1.0)),
            "brow_width": r5(rng.uniform(0.03, 0.055)), "lips": r5(rng.uniform(0.3, 0.8)),
            "eye_spacing": r5(rng.uniform(0.26, 0.32)), "eye_height": r5(rng.uniform(0.17, 0.27)),
            "beard": r5(beard)}


def sample_hair_length(rng: np.random.Generator, person: dict, share: float) -> dict | None:
    """Long hair for `share` of women with hair (a sixth of that for men): `length` in head radii
    below the head centre (0.8 ~ the chin, 2 ~ the shoulders, 3 ~ the shoulder blades) and
    `volume` (how far it stands off the skull); None for a short cut. Real photos are full of long
    hair, which a detector trained on capped heads leaves out of its masks."""
    if share <= 0:
        return None
    male = ((person.get("body") or {}).get("person") or {}).get("sex") == "male"
    if rng.uniform() >= (share / 6 if male else share):
        return None
    return {"length": r5(rng.uniform(0.9, 3.2)), "volume": r5(rng.uniform(1.0, 1.15))}


def sample_hair_loft(rng: np.random.Generator, loft: list[float]) -> dict:
    """How far the hair stands off the scalp at the crown (m) and the seed of its clumps."""
    return {"loft": r5(uniform(rng, loft)), "loft_seed": int(rng.integers(2**31))}


def sample_hair_color(rng: np.random.Generator, skin_group: str, age: float | None) -> str:
    fair = skin_group in ("very_light", "light", "intermediate")
    table = dict(HAIR_FAIR if fair else HAIR_DARK)
    grey = 0.0 if age is None else float(np.clip((age - 40.0) / 35.0, 0.0, 0.85))
    if rng.uniform() < grey:
        return "white" if rng.uniform() < grey * 0.5 else "grey"
    return choice(rng, table)


def sample_pattern(rng: np.random.Generator, kind: str, base: list[float]) -> dict:
    """One fabric pattern over a garment's base colour (all sizes in metres on the body)."""
    second = jitter_color(rng, PRINT_COLORS[rng.integers(len(PRINT_COLORS))], 0.15)
    third = jitter_color(rng, MUTED[rng.integers(len(MUTED))], 0.2)
    pat: dict = {"kind": kind, "colors": [base, second], "phase": r5(rng.uniform(0, 100))}
    if kind == "stripes":  # horizontal bands around the body (the height field: they follow the limbs)
        pat.update(period=r5(rng.uniform(0.015, 0.07)), duty=r5(rng.uniform(0.25, 0.55)))
    elif kind == "pinstripes":  # thin vertical lines (UV)
        pat.update(period=r5(rng.uniform(0.008, 0.02)), duty=r5(rng.uniform(0.12, 0.25)))
    elif kind == "checks":  # gingham: a band of each direction, darker where they cross
        pat.update(period=r5(rng.uniform(0.01, 0.035)))
    elif kind == "plaid":  # tartan/flannel: two band widths in two colours over the base
        pat["colors"] = [base, second, third]
        pat.update(period=r5(rng.uniform(0.06, 0.16)), duty=r5(rng.uniform(0.2, 0.4)))
    elif kind == "heather":  # knit: fine two-tone speckle and slow mottling
        lighter = [round(min(1.0, c * float(rng.uniform(1.3, 2.0)) + 0.02), 5) for c in base]
        pat["colors"] = [base, lighter]
        pat.update(period=r5(rng.uniform(0.002, 0.005)), contrast=r5(rng.uniform(0.3, 0.7)))
    elif kind == "dots":
        pat.update(period=r5(rng.uniform(0.012, 0.04)), duty=r5(rng.uniform(0.2, 0.35)))
    elif kind == "logo":  # a print on the chest
        pat.update(shape=LOGO_SHAPES[rng.integers(len(LOGO_SHAPES))], size=r5(rng.uniform(0.07, 0.2)))
    elif kind == "blocks":  # two-tone colour blocking
        pat.update(part=["sleeves", "yoke", "lower"][rng.integers(3)], cut=r5(rng.uniform(0.0, 1.0)))
    elif kind == "denim":  # indigo twill, faded on the thighs and knees, darker seams
        pat["colors"] = [base, [round(min(1.0, c * 2.2 + 0.05), 5) for c in base]]
        pat.update(fade=r5(rng.uniform(0.2, 0.8)), period=r5(rng.uniform(0.002, 0.004)))
    return pat


SHIRTS = ("tshirt", "sweater", "shirt")  # tops whose hem sits across the belly (`bodies.HEM_ABOVE_HIP`)


def top_hem(kind: str, lm: dict) -> float | None:
    """Where a civilian top ends over the trousers (rest height fraction): shirts across the belly,
    `HEM_ABOVE_HIP` over the hip joint; coats and jackets None, at the skinning border's median
    (`bodies.straight_waist`). Drawn from no random stream, so it changes no other draw."""
    return lm["hip"] + bodies.HEM_ABOVE_HIP if kind in SHIRTS else None


def landmarks(body: dict) -> dict[str, float]:
    """The body's joint heights (rest height fractions): its own, measured at import
    (`assets.rescuers.landmarks`), over `LANDMARKS`'s defaults for bodies that carry none. Samplers
    and builders both read them here, so a cut and the shader that follows it use one height."""
    return {k: float(v) for k, v in {**LANDMARKS, **(body.get("landmarks") or {})}.items()}


def _cut_between(lm: dict, lo: str, hi: str, t: float) -> float:
    return r5(lm[lo] + t * (lm[hi] - lm[lo]))


def sample_look(rng: np.random.Generator, category: str, helmet: bool, body: dict, outfit: dict,
                scheme: str | None = None) -> dict:
    """Skin tone, hair colour (by skin and age; some older men bald), garments with patterns
    (civilians) or agency design, trim and wear (rescuers), and a hat for some helmetless people.
    Sleeve, waist and hem cuts are rest height fractions (the stripe field's G) between the body's joints:
    the builder shows skin below them and keeps the cloth volume off the bare limbs."""
    person = body.get("person") or {}
    lm = landmarks(body)
    age = person.get("age_years")
    skin = sample_skin(rng, person.get("ancestry"))
    colors = {"skin": skin["color"]}
    if category == "civilian":
        colors["gloves"] = skin["color"]  # bare hands
    hair_name = sample_hair_color(rng, skin["group"], age)
    bald = person.get("sex") == "male" and age is not None and rng.uniform() < float(np.clip((age - 30) / 80, 0, 0.45))
    hair = outfit.get("hair")
    if hair is not None:
        hair = None if bald else {**hair, "color": jitter_color(rng, HAIR_COLORS[hair_name], 0.12), "shade": hair_name}
    hat = None
    if not helmet and rng.uniform() < (0.22 if category == "civilian" else 0.35):
        kind = "cap" if category == "rescuer" or rng.uniform() < 0.5 else "beanie"
        palette = RESCUER_CAPS if category == "rescuer" else TOPS
        hat = {"kind": kind, "color": jitter_color(rng, palette[rng.integers(len(palette))], 0.15)}
    wear = {"fade": r5(rng.uniform(0.0, 0.5 if category == "rescuer" else 0.2)),
            "grime": r5(rng.uniform(0.0, 0.7) if category == "rescuer" else rng.uniform(0.0, 0.15)),
            "wet": r5(rng.uniform(0.0, 0.6) if category == "rescuer" and rng.uniform() < 0.4 else 0.0),
            "seed": r5(rng.uniform(0, 100))}
    out: dict = {"colors": colors, "skin": {k: skin[k] for k in ("group", "ita", "lab")}, "hair": hair,
                 "hat": hat, "wear": wear}
    if category == "civilian":
        top = choice(rng, TOPS_KINDS)
        top_base = jitter_color(rng, TOPS[rng.integers(len(TOPS))], 0.15)
        sleeve = None
        if top == "tshirt":
            sleeve = _cut_between(lm, "elbow", "shoulder", float(rng.uniform(0.35, 0.65)))
        elif top == "shirt" and rng.uniform() < 0.4:  # sleeves rolled up to the forearm
            sleeve = _cut_between(lm, "wrist", "elbow", float(rng.uniform(0.4, 1.0)))
        bottom = choice(rng, BOTTOM_KINDS)
        if bottom in ("jeans",) or (bottom == "shorts" and rng.uniform() < 0.4):
            bottom_base = jitter_color(rng, DENIM[rng.integers(len(DENIM))], 0.12)
        else:
            bottom_base = jitter_color(rng, BOTTOMS[rng.integers(len(BOTTOMS))] if rng.uniform() < 0.7
                                       else MUTED[rng.integers(len(MUTED))], 0.15)
        hem = _cut_between(lm, "knee", "hip", float(rng.uniform(0.05, 0.3))) if bottom == "shorts" else None
        top_pat = sample_pattern(rng, choice(rng, TOP_PATTERNS[top]), top_base)
        bottom_pat = sample_pattern(rng, choice(rng, BOTTOM_PATTERNS[bottom]), bottom_base)
        if bottom_pat["kind"] == "denim":
            bottom_base = bottom_pat["colors"][0]
        colors.update(jacket=top_base, pants=bottom_base)
        thick = dict(outfit["cloth_thickness"])
        thick["jacket"] = r5(thick["jacket"] * TOP_THICKNESS[top])
        out["cloth_thickness"] = thick
        out["garments"] = {"top": {"kind": top, "sleeve_cut": sleeve, "waist_cut": top_hem(top, lm),
                                   "pattern": top_pat},
                           "bottom": {"kind": bottom, "hem_cut": hem, "pattern": bottom_pat}}
    else:
        design = choice(rng, UNIFORM_DESIGNS)
        seconds = SECOND_COLORS.get(scheme or "", [(0.03, 0.03, 0.035)])
        second = jitter_color(rng, seconds[rng.integers(len(seconds))], 0.1)
        out["uniform"] = {"design": design, "second": second if design != "plain" else None,
                          "cut": r5(rng.uniform(0.0, 1.0)), "trim": choice(rng, TRIMS)}
    return out


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
