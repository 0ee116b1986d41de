"""rescuesynth trainer: dataset tools (annotate, check, preview, merge) and, later, training.

Importing this package must stay cheap and must not import torch or bpy: the annotation core
(`trainer.annotation`) runs inside Blender's Python as well.
"""

__version__ = "0.1.0"
