"""The annotation core: masks -> instances -> COCO + VIA, and back.

Imports numpy, OpenCV, pycocotools, SciPy and Pillow only (never bpy or torch): the Blender add-on,
the renderer, augmentation, compositing and training all call it, and nothing else traces contours
or writes COCO/VIA.
"""

from trainer.annotation.annotate import AnnotateOptions, AnnotateSummary, annotate_directory
from trainer.annotation.dataset import load_dataset, write_dataset
from trainer.annotation.model import Annotation, Dataset, ImageRecord
from trainer.annotation.preview import write_preview
from trainer.annotation.trace import annotation_from_mask

__all__ = [
    "AnnotateOptions", "AnnotateSummary", "Annotation", "Dataset", "ImageRecord",
    "annotate_directory", "annotation_from_mask", "load_dataset", "write_dataset", "write_preview",
]
