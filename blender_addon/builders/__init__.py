"""Everything that touches bpy: object/material creation, render settings, passes, cleanup.

Only the engine and the generators' `build` functions import this package, so the pure sampling
side stays importable (and testable) without Blender.
"""
