"""Sun, world (physical sky, HDRI/photo backplate or flat colour), work lights and fire glow, from
generators.light's description. Exposure (pure, generators.light.exposure) is applied as a gain."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np

from blender_addon.builders.objects import link
from blender_addon.generators.light import exposure
from blender_addon.geometry import look_at_matrix, matrix_to_quaternion

# Width of the world's importance map (how Cycles samples light from the sky). AUTOMATIC makes it
# 4096 for a sky texture: about 1.3 CPU s (0.7 s on two quiet cores) per frame at any image size,
# the largest fixed cost of a frame. 1024 gave the same PSNR/SSIM against 256-spp references
# (bench/render_quality.py, docs/benchmarks.md): the sky is smooth, and the map only steers where
# sky samples go, it does not change what they see. Masks are unaffected (sample-0 camera rays).
SKY_MAP_RESOLUTION = 1024


HORIZON_LEVEL = 0.3  # mean linear luminance a background shows within 30 degrees of its horizon


def background_path(file: str, base_dir) -> Path:
    """A pool entry as a path: "builtin:<name>" is one of Blender's own HDRIs, else relative to the preset."""
    if file.startswith("builtin:"):
        return Path(bpy.utils.system_resource("DATAFILES", path="studiolights/world")) / f"{file[8:]}.exr"
    return Path(base_dir) / file


def horizon_luminance(image: bpy.types.Image) -> float:
    """Mean luminance of an equirectangular image's band within 30 degrees of the horizon, where a
    ground camera looks; computed once per image and kept on it (the image stays loaded)."""
    if "rescuesynth_horizon" not in image:
        w, h = image.size
        px = np.empty(w * h * image.channels, np.float32)
        image.pixels.foreach_get(px)
        rgb = px.reshape(h, w, image.channels)[h // 3: h - h // 3, :, :3]
        lum = float((rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)).mean())
        image["rescuesynth_horizon"] = max(lum, 1e-6)
    return float(image["rescuesynth_horizon"])


def build(desc: dict, weather: dict, base_dir=None) -> None:
    """Sun lamp, world shader, spot lights aimed at the scene centre. Overcast weather dims the
    sun and greys the sky."""
    sun_desc = desc["sun"]
    overcast = weather["overcast"]
    # exposure is applied as a light gain: the File Output node writing the RGB pass does not
    # apply the scene's view exposure, and a gain keeps the pass physical
    gain = 2.0 ** exposure(desc, weather)
    if not desc.get("backplate"):  # a backplate's own sky and sun light the people
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
    world.cycles.sampling_method = "AUTOMATIC"  # HDRIs: the image's own size; set below for the sky
    out = nt.nodes.new("ShaderNodeOutputWorld")
    bg = nt.nodes.new("ShaderNodeBackground")
    bg.inputs["Strength"].default_value = desc["sky_strength"] * (1.0 - 0.5 * overcast) * gain
    nt.links.new(bg.outputs["Background"], out.inputs["Surface"])
    background = desc.get("background")
    if background and base_dir is not None:
        tex = nt.nodes.new("ShaderNodeTexEnvironment")
        tex.image = bpy.data.images.load(str(background_path(background["file"], base_dir)), check_existing=True)
        tex.image.use_fake_user = True  # cached across frames
        coord = nt.nodes.new("ShaderNodeTexCoord")
        mapping = nt.nodes.new("ShaderNodeMapping")
        mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(background["rotation_deg"]))
        nt.links.new(coord.outputs["Generated"], mapping.inputs["Vector"])
        nt.links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
        nt.links.new(tex.outputs["Color"], bg.inputs["Color"])
        # Backgrounds differ in level by 100x (a studio vs a sunny plaza): normalise each to the
        # same horizon brightness, then the sampled exposure error (and, on a site, the sky gain)
        level = HORIZON_LEVEL / horizon_luminance(tex.image) * 2.0 ** background.get("exposure", 0.0)
        bg.inputs["Strength"].default_value = level * (1.0 if desc.get("backplate") else desc["sky_strength"] * gain)
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
        world.cycles.sampling_method = "MANUAL"
        world.cycles.sample_map_resolution = SKY_MAP_RESOLUTION
    else:
        grey = np.array(desc["world_color"]) * (1 - overcast) + np.array([0.5, 0.52, 0.55]) * overcast
        bg.inputs["Color"].default_value = (*grey, 1.0)
