"""Ground: a large plane with a procedural (noise-driven) material (built by builders/ground.py)."""

from __future__ import annotations

import numpy as np

from blender_addon.generators._util import choice, jitter_color, r5, uniform

# Base albedo of each ground material (linear RGB).
BASE_COLORS = {"concrete": (0.35, 0.34, 0.32), "dirt": (0.26, 0.19, 0.12), "asphalt": (0.09, 0.09, 0.1)}


def sample(rng: np.random.Generator, cfg: dict, shadow_catcher: bool = False) -> dict:
    material = choice(rng, cfg["materials"])
    base = np.asarray(BASE_COLORS[material]) * uniform(rng, cfg["brightness"])
    return {
        "material": material,
        "size": float(cfg["size"]),
        "color": jitter_color(rng, tuple(base), 0.1),
        "roughness": r5(uniform(rng, cfg["roughness"])),
        "bump": r5(uniform(rng, cfg["bump"])),
        "noise_offset": r5(rng.uniform(-1000, 1000, 3)),
        # backplate frames: the plane only catches shadows; the background shows its own ground
        **({"shadow_catcher": True} if shadow_catcher else {}),
    }
