"""The 3D View sidebar tab "RescueSynth": one parent panel and sub-panels.

Draw code reads settings and progress only; every button is an operator in ops.py.
"""

from __future__ import annotations

import bpy

from blender_addon.addon import deps, mapping, ops
from blender_addon.scene_objects import CLASS_PROPERTY

CATEGORY = "RescueSynth"


class _Base:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY


class RESCUESYNTH_PT_main(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_main"
    bl_label = "Synthetic dataset"

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        missing = deps.missing_modules()
        if missing:
            box = layout.box()
            box.label(text="Annotations unavailable", icon="ERROR")
            box.label(text="missing: " + ", ".join(missing))
            box.label(text="frames still render; see docs/addon.md")
        p = ops.PROGRESS
        if p.running:
            layout.progress(factor=p.done / max(1, p.total), text=f"{p.done}/{p.total} frames")
            layout.label(text=f"{p.seconds_per_frame:.1f} s/frame, ETA {ops.fmt_seconds(p.eta)}")
            layout.operator("rescuesynth.cancel", icon="CANCEL")
        else:
            layout.operator("rescuesynth.generate", icon="RENDER_ANIMATION")
        row = layout.row(align=True)
        row.operator("rescuesynth.randomize", icon="FILE_REFRESH")
        row.operator("rescuesynth.preview", icon="RENDER_STILL")
        if context.scene.get("rescuesynth_engine"):
            row = layout.row(align=True)
            row.operator("rescuesynth.back", icon="BACK")
            row.operator("rescuesynth.clear", icon="TRASH")
        if p.message:
            layout.label(text=p.message, icon="INFO")
        if s.status:
            layout.label(text=s.status, icon="ERROR" if s.status.startswith("error") else "PRESET")


class RESCUESYNTH_PT_preset(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_preset"
    bl_label = "Preset"
    bl_parent_id = "RESCUESYNTH_PT_main"

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        layout.prop(s, "presets_dir")
        row = layout.row(align=True)
        row.prop(s, "preset")
        row.operator("rescuesynth.preset_load", text="", icon="FILE_REFRESH")
        row = layout.row(align=True)
        row.prop(s, "save_name")
        row.operator("rescuesynth.preset_save", text="", icon="FILE_TICK")


class RESCUESYNTH_PT_output(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_output"
    bl_label = "Output"
    bl_parent_id = "RESCUESYNTH_PT_main"

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        layout.prop(s, "output_dir")
        row = layout.row(align=True)
        row.prop(s, "count")
        row.prop(s, "seed")
        row = layout.row(align=True)
        row.prop(s, "resolution_x")
        row.prop(s, "resolution_y")
        row = layout.row(align=True)
        row.prop(s, "quality", text="")
        row.prop(s, "samples")
        row.prop(s, "device", text="")
        layout.prop(s, "preview_frame")


class RESCUESYNTH_PT_randomizers(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_randomizers"
    bl_label = "Randomizers"
    bl_parent_id = "RESCUESYNTH_PT_main"

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        grid = layout.grid_flow(columns=2, even_columns=True)
        for name in mapping.TOGGLES:
            grid.prop(s, f"rand_{name}")
        layout.prop(s, "camera_mode")


class RESCUESYNTH_PT_annotations(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_annotations"
    bl_label = "Annotations"
    bl_parent_id = "RESCUESYNTH_PT_main"

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        row = layout.row(align=True)
        row.prop(s, "fmt_coco", toggle=True)
        row.prop(s, "fmt_via", toggle=True)
        layout.prop(s, "segmentation")
        col = layout.column(align=True)
        col.prop(s, "min_pixels")
        col.prop(s, "min_visible_fraction")
        col.prop(s, "min_extent")


class RESCUESYNTH_PT_objects(_Base, bpy.types.Panel):
    bl_idname = "RESCUESYNTH_PT_objects"
    bl_label = "Your objects"
    bl_parent_id = "RESCUESYNTH_PT_main"
    bl_options = {"DEFAULT_CLOSED"}  # noqa: RUF012 (Blender reads a set)

    def draw(self, context):
        layout = self.layout
        s = ops.settings_of(context)
        layout.prop(s, "include_scene_objects")
        row = layout.row(align=True)
        row.prop(s, "label_class", text="")
        row.operator("rescuesynth.label_set", icon="BOOKMARKS")
        row.operator("rescuesynth.label_clear", text="", icon="X")
        labelled = [o for o in ops.artist_scene(context).objects if CLASS_PROPERTY in o]
        if not labelled:
            layout.label(text="no labelled objects in this scene")
        for o in labelled[:8]:
            layout.label(text=f"{o.name}: {o[CLASS_PROPERTY]}", icon="OBJECT_DATA")
        if len(labelled) > 8:
            layout.label(text=f"... and {len(labelled) - 8} more")


CLASSES = (RESCUESYNTH_PT_main, RESCUESYNTH_PT_preset, RESCUESYNTH_PT_output, RESCUESYNTH_PT_randomizers,
           RESCUESYNTH_PT_annotations, RESCUESYNTH_PT_objects)
