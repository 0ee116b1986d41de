"""Light: sun + sky (physical sky texture or a flat world colour) and optional work lights."""

from __future__ import annotations

import math

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
    return {
        "sky": sky,
        "sun": {"elevation": r5(elevation), "azimuth": r5(uniform(rng, cfg["sun_azimuth"])),
                "strength": r5(uniform(rng, cfg["sun_strength"])), "color": kelvin_to_rgb(warm),
                "angle_deg": r5(rng.uniform(0.5, 3.0))},
        "sky_strength": r5(uniform(rng, cfg["sky_strength"])),
        "world_color": r5(np.array([0.45, 0.55, 0.75]) * rng.uniform(0.7, 1.1)),
        "work_lights": lights,
    }


def exposure(desc: dict, weather: dict) -> float:
    """Film exposure (stops) so frames are neither black nor blown out: brighter for a low sun,
    overcast skies and night scenes lit only by work lights. Pure, so it is testable."""
    sun = desc["sun"]["strength"] * (1.0 - 0.85 * weather["overcast"]) * max(math.sin(math.radians(max(desc["sun"]["elevation"], 0.0))), 0.05)
    if sun < 0.2:  # night: work lights and a dim sky
        return 1.5 if desc["work_lights"] else 2.5
    return float(np.clip(0.9 - math.log2(sun / 2.0) * 0.6, 0.2, 2.0))


def build(desc: dict, weather: dict) -> None:
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
    if desc["sky"] == "sky" and overcast < 0.5:
        tex = nt.nodes.new("ShaderNodeTexSky")
        tex.sky_type = "PREETHAM"  # analytic: no precomputation per frame
        tex.turbidity = 3.0
        az, el = math.radians(sun_desc["azimuth"]), math.radians(max(sun_desc["elevation"], 1.0))
        tex.sun_direction = (math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), math.sin(el))
        nt.links.new(tex.outputs["Color"], bg.inputs["Color"])
        bg.inputs["Strength"].default_value *= 0.3
    else:
        grey = np.array(desc["world_color"]) * (1 - overcast) + np.array([0.5, 0.52, 0.55]) * overcast
        bg.inputs["Color"].default_value = (*grey, 1.0)
