"""Camera object from the sampled camera description."""

from __future__ import annotations

import bpy

from blender_addon.builders.objects import link
from blender_addon.geometry import SENSOR_WIDTH_MM


def build(desc: dict, width: int, height: int) -> bpy.types.Object:
    """The camera, and the frame's own image size (frames of one run may be landscape or upright)."""
    bpy.context.scene.render.resolution_x, bpy.context.scene.render.resolution_y = width, height
    cam = bpy.data.cameras.new("camera")
    cam.lens = desc["focal_length"]
    cam.sensor_width = SENSOR_WIDTH_MM
    cam.sensor_fit = "AUTO"
    cam.clip_start = 0.05
    cam.clip_end = 2000.0
    if desc.get("fstop"):
        cam.dof.use_dof = True
        cam.dof.aperture_fstop = desc["fstop"]
        cam.dof.focus_distance = desc["focus_distance"]
    obj = bpy.data.objects.new("camera", cam)
    obj.location = desc["location"]
    obj.rotation_mode = "QUATERNION"
    obj.rotation_quaternion = desc["rotation_quaternion"]
    link(obj)
    bpy.context.scene.camera = obj
    return obj
