"""Scene generators: each module samples pure data (`sample`) and builds it in Blender (`build`).

`sample(rng, cfg, ctx)` is pure Python over a numpy Generator (testable without bpy, replayable
from the frame seed); `build(desc, ...)` turns that data into bpy objects and imports bpy lazily,
so importing a generator never needs Blender. New content (HDRI, scanned debris, body models)
plugs in as another module with the same two functions.
"""
