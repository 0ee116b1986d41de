"""Distractors: dogs (search-and-rescue dogs in vests, strays) and rescue vehicles (fire engines,
ambulances, police vans): things at a real rescue site that a rescuer detector must not fire on.
(The seed paper's model mistook a dog's paw for a rescuer.)

A distractor is labelled with its own class when that class is in `output.categories` ("dog",
"vehicle"): it then gets a pass index and an instance in COCO/VIA like a person. Otherwise it is
unlabelled scenery (pass index 0), a hard negative. Dogs stand among the people; vehicles park at
the edge of the site, facing along it, and are kept out of the camera's line of sight to its target.
"""

from __future__ import annotations

import math

import numpy as np

from blender_addon import meshes
from blender_addon.generators._util import choice, integer, jitter_color, r5, uniform
from blender_addon.generators.people import place
from blender_addon.generators.site import Site
from blender_addon.geometry import OrientedBox

COATS = [(0.35, 0.2, 0.08), (0.03, 0.025, 0.02), (0.55, 0.38, 0.18), (0.75, 0.6, 0.35), (0.6, 0.58, 0.55),
         (0.2, 0.12, 0.06)]
VESTS = [(0.95, 0.28, 0.02), (0.7, 0.04, 0.03), (0.8, 0.95, 0.05)]
DOG_POSES = ("standing", "sniffing", "sitting", "lying")
# paint, band (linear RGB), height range (m), length range (m)
VEHICLES = {"fire_engine": ((0.6, 0.02, 0.015), (0.85, 0.85, 0.8), (2.9, 3.3), (7.0, 9.0)),
            "ambulance": ((0.85, 0.85, 0.8), (0.05, 0.35, 0.08), (2.6, 2.9), (5.5, 6.8)),
            "ambulance_yellow": ((0.8, 0.85, 0.05), (0.05, 0.1, 0.6), (2.6, 2.9), (5.5, 6.8)),
            "police": ((0.85, 0.85, 0.85), (0.02, 0.05, 0.45), (2.2, 2.6), (5.0, 6.0))}


def sample(rng: np.random.Generator, cfg: dict, site: Site,
           categories: list[str]) -> tuple[list[dict], list[dict], Site]:
    """(labelled, unlabelled) distractors, and the site with the dogs standing among the people,
    pass indices used by the labelled ones and a keep-out disc around each vehicle (debris avoids)."""
    labelled, scenery = [], []

    def add(d: dict, site: Site) -> Site:
        if d["category"] in categories:
            d["index"], site = site.label()
            labelled.append(d)
        else:
            scenery.append(d)
        return site

    for k in range(integer(rng, cfg["dogs"])):
        x, y = place(rng, site.spread, site.taken)
        site = site.stand(x, y)
        vest = bool(rng.uniform() < cfg["dog_vest_probability"])
        site = add({"name": f"dog_{k:02d}", "kind": "dog", "category": "dog", "generator": "distractors",
             "asset": "procedural:dog", "location": r5([x, y, 0.0]), "yaw_deg": r5(rng.uniform(0, 360)),
             "shoulder": r5(rng.uniform(0.45, 0.7)), "pose": DOG_POSES[rng.integers(len(DOG_POSES))],
             "vest": vest, "colors": {"coat": jitter_color(rng, COATS[rng.integers(len(COATS))], 0.15),
                                      "vest": jitter_color(rng, VESTS[rng.integers(len(VESTS))], 0.05)},
             "seed": int(rng.integers(2**31))}, site)
    for k in range(integer(rng, cfg["vehicles"])):
        kind = choice(rng, cfg["vehicle_kinds"])
        paint, band, hr, lr = VEHICLES[kind]
        length, height = uniform(rng, list(lr)), uniform(rng, list(hr))
        r, a = site.spread + rng.uniform(4.0, 9.0), rng.uniform(0, 2 * math.pi)
        x, y = r * math.cos(a), r * math.sin(a)
        site = site.keep_clear(x, y, length / 2 + 0.5)
        site = add({"name": f"vehicle_{k:02d}", "kind": "vehicle", "category": "vehicle", "generator": "distractors",
             "asset": f"procedural:{kind}", "vehicle": kind, "location": r5([x, y, 0.0]),
             "yaw_deg": r5(math.degrees(a) + 90 + rng.normal(0, 15)), "length": r5(length), "height": r5(height),
             "colors": {"paint": jitter_color(rng, paint, 0.05), "band": list(band)},
             "lights": bool(rng.uniform() < 0.7), "seed": int(rng.integers(2**31))}, site)
    return labelled, scenery, site


def mesh(d: dict) -> meshes.Mesh:
    """World-space geometry (the camera check and the builder share it)."""
    if d["kind"] == "dog":
        m = meshes.dog(d["shoulder"], d["pose"], d["seed"], d["vest"])
    else:
        m = meshes.rescue_vehicle(d["length"], d["height"], d["seed"])
    return m.transformed(meshes.euler_xyz(0.0, 0.0, math.radians(d["yaw_deg"])), d["location"])


def obstacle(d: dict) -> OrientedBox:
    """A vehicle's box, which the camera keeps out of and must see past."""
    half = (d["length"] / 2, 1.25, 0.0)
    return OrientedBox.about_z(d["location"], math.radians(d["yaw_deg"]), (-half[0], -half[1], 0.0),
                               (half[0], half[1], d["height"]))
