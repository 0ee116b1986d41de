"""The panel's settings (stored on the scene, so they are saved with the .blend)."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import (
    BoolProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from blender_addon.addon import mapping
from blender_addon.preset import QUALITY, SCHEMA


def default_presets_dir() -> str:
    """scenes/ beside the blender_addon package: the repo's, or the copy inside the extension zip."""
    return str(Path(__file__).resolve().parents[2] / "scenes")


_PRESET_ITEMS: list[tuple[str, str, str]] = []  # Blender needs the strings kept alive


def preset_items(self, context):
    items = [(p.stem, p.stem, str(p)) for p in mapping.list_presets(bpy.path.abspath(self.presets_dir))]
    _PRESET_ITEMS[:] = items or [("NONE", "(no presets)", "no *.toml files in the presets folder")]
    return _PRESET_ITEMS


def _preset_changed(self, context):
    from blender_addon.addon import ops

    ops.load_into(self)


def _quality_changed(self, context):
    self.samples = QUALITY[self.quality]["samples"]  # the field shows what the quality renders with


_R = SCHEMA["render"]
_O = SCHEMA["output"]


class RescueSynthSettings(bpy.types.PropertyGroup):
    presets_dir: StringProperty(name="Presets folder", subtype="DIR_PATH", default=default_presets_dir(),
                                description="Folder with scene presets (*.toml), shared with the render CLI")
    preset: EnumProperty(name="Preset", items=preset_items, update=_preset_changed,
                         description="Scene preset; choosing one loads its values below")
    loaded: StringProperty(name="Loaded preset", default="", description="Path of the preset the values came from")
    save_name: StringProperty(name="Save as", default="my_scene",
                              description="Name of the preset file to write into the presets folder")
    status: StringProperty(name="Status", default="")

    output_dir: StringProperty(name="Output", subtype="DIR_PATH", default="//rescuesynth_dataset",
                               description="Dataset folder (// = next to the .blend); rerunning resumes")
    count: IntProperty(name="Frames", default=10, min=1, max=1_000_000)
    seed: IntProperty(name="Seed", default=0, min=0, description="Run seed: same preset + seed = same frames")
    preview_frame: IntProperty(name="Frame", default=0, min=0,
                               description="Frame index shown by Randomize scene and Render preview")
    resolution_x: IntProperty(name="Width", default=_R["resolution"].default[0], min=8, max=16384, subtype="PIXEL")
    resolution_y: IntProperty(name="Height", default=_R["resolution"].default[1], min=8, max=16384, subtype="PIXEL")
    quality: EnumProperty(name="Quality", items=[(q, q.capitalize(), f"{v['samples']} spp, adaptive "
                                                  f"{v['adaptive_threshold']}, denoise prefilter {v['denoise_prefilter']}")
                                                 for q, v in QUALITY.items()],
                          default=_R["quality"].default, update=_quality_changed,
                          description="Sampling preset (samples, adaptive threshold, denoiser): draft, default, final")
    samples: IntProperty(name="Samples", default=_R["samples"].default, min=1, max=65536,
                         description="Cycles samples (choosing a quality sets them; change them to override)")
    device: EnumProperty(name="Device", items=[("cpu", "CPU", ""), ("gpu", "GPU", "CUDA/OptiX/HIP/oneAPI/Metal")],
                         default=_R["device"].default)

    rand_rescuers: BoolProperty(name="Rescuers", default=True, description="Off: no rescuers (rescuers.count = 0)")
    rand_civilians: BoolProperty(name="Civilians", default=True,
                                 description="Off: no civilians (civilians.count = 0)")
    rand_debris: BoolProperty(name="Debris", default=True, description="Off: no debris (debris.count = 0)")
    rand_buildings: BoolProperty(name="Ruins", default=True,
                                 description="Off: no ruined buildings or rubble heaps (buildings counts = 0)")
    rand_weather: BoolProperty(name="Weather", default=True, description="Off: always clear")
    rand_light: BoolProperty(name="Light", default=True,
                             description="Off: sun and sky fixed at the middle of the preset's ranges")
    rand_backgrounds: BoolProperty(name="Backgrounds", default=True,
                                   description="Off: the preset's most likely ground material, mid values")
    camera_mode: EnumProperty(name="Camera", default="preset", items=[
        ("preset", "As preset", "camera.modes from the preset"),
        ("ground", "Ground", "Ground-level views only"),
        ("close", "Close-up", "Close-ups only: a person filling much of the frame, as in ground photos"),
        ("drone", "Drone", "Drone (UAV) views only")])

    fmt_coco: BoolProperty(name="COCO", default=True, description="annotations/coco.json")
    fmt_via: BoolProperty(name="VIA", default=True, description="annotations/via_project.json + via_regions.json")
    segmentation: EnumProperty(name="Segmentation", default=_O["segmentation"].default,
                               items=[(c, c, "") for c in _O["segmentation"].choices])
    min_pixels: IntProperty(name="Min pixels", default=_O["min_pixels"].default, min=0,
                            description="Drop instances with fewer visible pixels")
    min_visible_fraction: FloatProperty(name="Min visible", default=_O["min_visible_fraction"].default,
                                        min=0.0, max=1.0, description="Drop instances less visible than this")
    min_extent: IntProperty(name="Min extent", default=_O["min_extent"].default, min=0,
                            description="Drop slivers thinner than this (px)")

    include_scene_objects: BoolProperty(
        name="Include this scene's objects", default=False,
        description="Render copies of this scene's visible objects in every frame; labelled ones are annotated")
    label_class: EnumProperty(name="Class", items=[(c, c, "") for c in _O["categories"].choices])


def register() -> None:
    bpy.utils.register_class(RescueSynthSettings)
    bpy.types.Scene.rescuesynth = PointerProperty(type=RescueSynthSettings)


def unregister() -> None:
    del bpy.types.Scene.rescuesynth
    bpy.utils.unregister_class(RescueSynthSettings)
