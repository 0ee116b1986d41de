"""RescueSynth as a Blender add-on: a "RescueSynth" tab in the 3D View sidebar that makes datasets
with the same engine as `python -m blender_addon.render` (see docs/addon.md).

`register()` / `unregister()` are called by the extension (or legacy add-on) entry module that
`python -m blender_addon.package` writes at the root of the zip. Importing this package needs bpy;
the annotation dependencies (OpenCV, pycocotools, Pillow, tqdm) are only checked when the panel
draws, so enabling never fails for lack of them.
"""

from __future__ import annotations

bl_info = {
    "name": "RescueSynth",
    "author": "rescuesynth developers",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "View3D > Sidebar > RescueSynth",
    "description": "Synthetic rescue-scene datasets with exact instance masks (COCO + VIA)",
    "category": "Render",
}


def _classes():
    from blender_addon.addon import ops, ui

    return (*ops.CLASSES, *ui.CLASSES)


def register() -> None:
    import bpy

    from blender_addon.addon import props

    props.register()
    for cls in _classes():
        bpy.utils.register_class(cls)


def unregister() -> None:
    import bpy

    from blender_addon.addon import ops, props

    if ops.PROGRESS.running:
        ops.PROGRESS.cancel = True
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
    props.unregister()
