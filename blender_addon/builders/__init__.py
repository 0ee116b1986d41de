"""Everything that touches bpy: one module per generator (`builders/<name>.py`: description ->
objects and materials), plus materials (surfaces), bodies, render settings, passes and cleanup.

Builders only look down: they read the generators' pure data and geometry, never the other way,
so the sampling side stays importable (and testable) without Blender. Only the engine (and the
add-on through it) imports this package.
"""
