"""Scene generators: pure data, no bpy.

Each module samples one part of a frame description (`sample(rng, cfg, ...)`, pure Python over a
numpy Generator: testable without Blender, replayable from the frame seed) and holds the pure
geometry that the camera check and the builder share (`mesh`, `body_mesh`, `procedural_mesh`,
`particles`, `obstacle`). Building a description into bpy objects is `builders/<name>.py`:
generators never import bpy or the builders (tests/render/test_layers.py checks it).
"""
