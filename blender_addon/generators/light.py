"""Light: sun + sky (physical sky, a background from the pool, or a flat world colour), optional
work lights and fire glow (warm flickering point lights in the rubble).

The background pool is the user's HDRIs / photo panoramas (`background_folders`) plus Blender's own
CC0 HDRIs named in `hdris` ("builtin:<name>", real captured places that every Blender ships, so
they work offline). A site frame shows a background as its sky; a *backplate* frame
(`sample_setting`) is set inside one: the background's own ground, horizon and light replace the
site's ruins and sun, and the ground plane only catches shadows.

Exposure is chosen per frame from the light that is actually there (sun height and strength,
overcast, snow, night) and applied as a gain on every light, so frames are neither black nor
blown out (checked by a mean-luminance test on real renders)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from blender_addon.generators._util import choice, disc_point, integer, r5, uniform
from blender_addon.generators.site import Setting


def kelvin_to_rgb(k: float) -> list[float]:
    """Approximate blackbody colour (Tanner Helland's fit), normalised to max 1."""
    t = k / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    c = np.clip(np.array([r, g, b]) / 255.0, 0, 1)
    return r5(c / c.max())


def sample(rng: np.random.Generator, cfg: dict, spread: float, backgrounds: Sequence[str] = (),
           setting: Setting = Setting()) -> dict:
    """Sun, sky, work lights and fires around the people's area (radius `spread`); a sky from
    `backgrounds` (assets.files.scan_assets) with background_probability, or the backplate of a
    backplate `setting` (sample_setting)."""
    elevation = uniform(rng, cfg["sun_elevation"])
    sky = choice(rng, cfg["sky"])
    warm = 3500 + 3000 * min(max(elevation, 0), 40) / 40  # low sun is warmer
    lights = []
    for k in range(integer(rng, cfg["work_lights"])):
        x, y = disc_point(rng, spread + 3.0)
        lights.append({"name": f"work_light_{k}", "location": r5([x, y, rng.uniform(2.5, 5.0)]),
                       "power": r5(uniform(rng, cfg["work_light_power"])),
                       "color": kelvin_to_rgb(rng.uniform(3200, 5600)), "spot_size_deg": r5(rng.uniform(70, 110))})
    fires = []
    for k in range(integer(rng, cfg["fires"])):
        x, y = disc_point(rng, spread + 4.0)
        fires.append({"name": f"fire_{k}", "location": r5([x, y, rng.uniform(0.2, 0.8)]),
                      "power": r5(uniform(rng, cfg["fire_power"])), "color": kelvin_to_rgb(rng.uniform(1700, 2300)),
                      "radius": r5(rng.uniform(0.3, 0.8))})
    if setting.backplate:
        background = setting.background
    else:
        backgrounds = list(backgrounds)
        background = None
        if backgrounds and rng.uniform() < cfg["background_probability"]:
            background = {"file": backgrounds[rng.integers(len(backgrounds))], "rotation_deg": r5(rng.uniform(0, 360))}
    if background is not None and "exposure" not in background:
        background = {**background, "exposure": setting.exposure}
    return {
        "backplate": setting.backplate,
        "sky": sky,
        "turbidity": r5(uniform(rng, cfg["turbidity"])),
        "fires": fires,
        "background": background,
        "sun": {"elevation": r5(elevation), "azimuth": r5(uniform(rng, cfg["sun_azimuth"])),
                "strength": r5(uniform(rng, cfg["sun_strength"])), "color": kelvin_to_rgb(warm),
                "angle_deg": r5(rng.uniform(0.5, 3.0))},
        "sky_strength": r5(uniform(rng, cfg["sky_strength"])),
        "world_color": r5(np.array([0.45, 0.55, 0.75]) * rng.uniform(0.7, 1.1)),
        "work_lights": lights,
    }


def sample_setting(rng: np.random.Generator, cfg: dict, backgrounds: Sequence[str] = ()) -> Setting:
    """Site or backplate, drawn first (its own stream) because it decides what else the frame has:
    a backplate frame takes its background from the pool (`backgrounds`: the user's files and the
    built-in HDRIs, assets.files.scan_assets), keeps `backplate_debris` of the debris and has no
    buildings or heaps. The exposure error applies to any background."""
    backplate = bool(backgrounds) and rng.uniform() < cfg["backplate_probability"]
    exposure = r5(uniform(rng, cfg["background_exposure"]))
    if not backplate:
        return Setting(exposure=exposure)
    background = {"file": backgrounds[rng.integers(len(backgrounds))], "rotation_deg": r5(rng.uniform(0, 360)),
                  "exposure": exposure}
    return Setting(backplate=True, exposure=exposure, background=background,
                   debris_keep=r5(uniform(rng, cfg["backplate_debris"])))


def exposure(desc: dict, weather: dict) -> float:
    """Film exposure (stops) so frames are neither black nor blown out: brighter for a low sun,
    overcast skies and night scenes lit only by work lights. Pure, so it is testable."""
    sun = desc["sun"]["strength"] * (1.0 - 0.85 * weather["overcast"]) * max(math.sin(math.radians(max(desc["sun"]["elevation"], 0.0))), 0.05)
    if sun < 0.2:  # night: work lights, fires and a dim sky
        return 1.5 if desc["work_lights"] or desc.get("fires") else 2.5
    ev = float(np.clip(0.55 - math.log2(sun / 2.0) * 0.6, 0.0, 1.8))
    ev -= 0.9 * weather.get("ground_cover", 0.0)  # snow-covered ground reflects much more
    return ev
