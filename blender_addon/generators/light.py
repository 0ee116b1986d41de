"""Light: sun + sky (physical sky, an HDRI/photo backplate from background_folders, or a flat
world colour), optional work lights and fire glow (warm flickering point lights in the rubble).

Exposure is chosen per frame from the light that is actually there (sun height and strength,
overcast, snow, night) and applied as a gain on every light, so frames are neither black nor
blown out (checked by a mean-luminance test on real renders)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from blender_addon.generators._util import choice, disc_point, integer, r5, uniform


def kelvin_to_rgb(k: float) -> list[float]:
    """Approximate blackbody colour (Tanner Helland's fit), normalised to max 1."""
    t = k / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    c = np.clip(np.array([r, g, b]) / 255.0, 0, 1)
    return r5(c / c.max())


def sample(rng: np.random.Generator, cfg: dict, ctx: dict) -> dict:
    elevation = uniform(rng, cfg["sun_elevation"])
    sky = choice(rng, cfg["sky"])
    warm = 3500 + 3000 * min(max(elevation, 0), 40) / 40  # low sun is warmer
    lights = []
    for k in range(integer(rng, cfg["work_lights"])):
        x, y = disc_point(rng, ctx["spread"] + 3.0)
        lights.append({"name": f"work_light_{k}", "location": r5([x, y, rng.uniform(2.5, 5.0)]),
                       "power": r5(uniform(rng, cfg["work_light_power"])),
                       "color": kelvin_to_rgb(rng.uniform(3200, 5600)), "spot_size_deg": r5(rng.uniform(70, 110))})
    fires = []
    for k in range(integer(rng, cfg["fires"])):
        x, y = disc_point(rng, ctx["spread"] + 4.0)
        fires.append({"name": f"fire_{k}", "location": r5([x, y, rng.uniform(0.2, 0.8)]),
                      "power": r5(uniform(rng, cfg["fire_power"])), "color": kelvin_to_rgb(rng.uniform(1700, 2300)),
                      "radius": r5(rng.uniform(0.3, 0.8))})
    backgrounds = background_files(cfg["background_folders"], ctx["base_dir"])
    background = None
    if backgrounds and rng.uniform() < cfg["background_probability"]:
        background = {"file": backgrounds[rng.integers(len(backgrounds))], "rotation_deg": r5(rng.uniform(0, 360))}
    return {
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


BACKGROUND_EXTS = (".hdr", ".exr", ".jpg", ".jpeg", ".png")


def background_files(folders: list[str], base_dir) -> list[str]:
    """HDRIs / photo backplates (posix paths relative to the preset dir), sorted for determinism."""
    out: list[str] = []
    for folder in folders:
        d = base_dir / folder
        if d.is_dir():
            out += sorted(p.relative_to(base_dir).as_posix() for p in d.rglob("*")
                          if p.suffix.lower() in BACKGROUND_EXTS and p.is_file())
    return out


def exposure(desc: dict, weather: dict) -> float:
    """Film exposure (stops) so frames are neither black nor blown out: brighter for a low sun,
    overcast skies and night scenes lit only by work lights. Pure, so it is testable."""
    sun = desc["sun"]["strength"] * (1.0 - 0.85 * weather["overcast"]) * max(math.sin(math.radians(max(desc["sun"]["elevation"], 0.0))), 0.05)
    if sun < 0.2:  # night: work lights, fires and a dim sky
        return 1.5 if desc["work_lights"] or desc.get("fires") else 2.5
    ev = float(np.clip(0.55 - math.log2(sun / 2.0) * 0.6, 0.0, 1.8))
    ev -= 0.9 * weather.get("ground_cover", 0.0)  # snow-covered ground reflects much more
    return ev


def build(desc: dict, weather: dict, base_dir=None) -> None:
    """Sun lamp, world shader, spot lights aimed at the scene centre. Overcast weather dims the
    sun and greys the sky."""
    import bpy

    from blender_addon.builders.objects import link
    from blender_addon.geometry import look_at_matrix, matrix_to_quaternion

    sun_desc = desc["sun"]
    overcast = weather["overcast"]
    # exposure is applied as a light gain: the File Output node writing the RGB pass does not
    # apply the scene's view exposure, and a gain keeps the pass physical
    gain = 2.0 ** exposure(desc, weather)
    sun = bpy.data.lights.new("sun", "SUN")
    sun.energy = sun_desc["strength"] * (1.0 - 0.85 * overcast) * gain
    sun.color = sun_desc["color"]
    sun.angle = math.radians(sun_desc["angle_deg"] + 20 * overcast)
    obj = bpy.data.objects.new("sun", sun)
    obj.rotation_euler = (math.radians(90 - sun_desc["elevation"]), 0.0, math.radians(sun_desc["azimuth"] + 90))
    link(obj)
    for wl in desc["work_lights"]:
        spot = bpy.data.lights.new(wl["name"], "SPOT")
        spot.energy = wl["power"] * gain
        spot.color = wl["color"]
        spot.spot_size = math.radians(wl["spot_size_deg"])
        spot.spot_blend = 0.4
        o = bpy.data.objects.new(wl["name"], spot)
        o.location = wl["location"]
        o.rotation_mode = "QUATERNION"
        o.rotation_quaternion = matrix_to_quaternion(look_at_matrix(np.array(wl["location"]), np.zeros(3)))
        link(o)

    for f in desc.get("fires", []):  # fire glow: warm point lights low in the rubble
        pl = bpy.data.lights.new(f["name"], "POINT")
        pl.energy = f["power"] * gain
        pl.color = f["color"]
        pl.shadow_soft_size = f["radius"]
        o = bpy.data.objects.new(f["name"], pl)
        o.location = f["location"]
        link(o)

    world = bpy.context.scene.world or bpy.data.worlds.new("world")
    bpy.context.scene.world = world
    if not world.use_nodes:  # 4.x; always True in 5.x
        world.use_nodes = True
    nt = world.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputWorld")
    bg = nt.nodes.new("ShaderNodeBackground")
    bg.inputs["Strength"].default_value = desc["sky_strength"] * (1.0 - 0.5 * overcast) * gain
    nt.links.new(bg.outputs["Background"], out.inputs["Surface"])
    background = desc.get("background")
    if background and base_dir is not None:
        tex = nt.nodes.new("ShaderNodeTexEnvironment")
        tex.image = bpy.data.images.load(str(Path(base_dir) / background["file"]), check_existing=True)
        tex.image.use_fake_user = True  # cached across frames
        coord = nt.nodes.new("ShaderNodeTexCoord")
        mapping = nt.nodes.new("ShaderNodeMapping")
        mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(background["rotation_deg"]))
        nt.links.new(coord.outputs["Generated"], mapping.inputs["Vector"])
        nt.links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
        nt.links.new(tex.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value = desc["sky_strength"] * gain
    elif desc["sky"] == "sky" and overcast < 0.5:
        tex = nt.nodes.new("ShaderNodeTexSky")
        # physical sky (Nishita single scattering: Rayleigh + Mie by aerosol density); the sun
        # disc is off because the sun lamp lights the scene
        tex.sky_type = "SINGLE_SCATTERING"
        tex.sun_disc = False
        tex.sun_elevation = math.radians(max(sun_desc["elevation"], -2.0))
        tex.sun_rotation = math.radians(sun_desc["azimuth"] + 90)
        tex.air_density = 1.0
        tex.aerosol_density = 0.5 + 0.5 * desc.get("turbidity", 3.0)
        nt.links.new(tex.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value *= 0.12
    else:
        grey = np.array(desc["world_color"]) * (1 - overcast) + np.array([0.5, 0.52, 0.55]) * overcast
        bg.inputs["Color"].default_value = (*grey, 1.0)
