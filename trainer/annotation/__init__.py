"""The annotation core: masks -> instances -> COCO + VIA, and back.

Imports numpy, OpenCV, pycocotools, SciPy and Pillow only (never bpy or torch): the Blender add-on,
the renderer, augmentation, compositing and training all call it, and nothing else traces contours
or writes COCO/VIA. Names below load on first use (PEP 562), so `trainer.annotation.files`
(standard library only) also imports inside a stock Blender that lacks OpenCV.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AnnotateOptions": "annotate", "AnnotateSummary": "annotate", "annotate_directory": "annotate",
    "load_dataset": "dataset", "write_dataset": "dataset",
    "Annotation": "model", "Dataset": "model", "ImageRecord": "model",
    "write_preview": "preview",
    "annotation_from_mask": "instances", "annotation_from_crop": "instances",
    "process_map": "parallel",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'trainer.annotation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"trainer.annotation.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
