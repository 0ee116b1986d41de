"""Predictions drawn over images, for predict and the report, by the annotation core's own drawer.

Predictions become an ImageRecord (RLE masks, boxes, score in the attributes), so masks, outlines
(traced by the core) and labels look exactly like a dataset preview.
"""

from __future__ import annotations

import numpy as np

from trainer.annotation.model import Annotation, ImageRecord
from trainer.annotation.preview import draw_annotations, tile_sheet
from trainer.evaluate.metrics import ImagePrediction


def prediction_record(pred: ImagePrediction, categories: list[str], score_threshold: float,
                      width: int, height: int) -> ImageRecord:
    """The detections at or above the threshold as annotations (bbox converted to x, y, w, h)."""
    anns = []
    for i in pred.above(score_threshold):
        x1, y1, x2, y2 = (float(v) for v in pred.boxes[i])
        anns.append(Annotation(category=categories[int(pred.labels[i]) - 1], bbox=(x1, y1, x2 - x1, y2 - y1),
                               area=0, rle=pred.rles[i], attributes={"score": float(pred.scores[i])}))
    return ImageRecord(file_name="", width=width, height=height, annotations=anns)


def draw_prediction(image: np.ndarray, pred: ImagePrediction, categories: list[str],
                    score_threshold: float, *, min_side: int = 0) -> np.ndarray:
    """The image with each instance above the threshold tinted, outlined and labelled with its score."""
    record = prediction_record(pred, categories, score_threshold, image.shape[1], image.shape[0])
    return draw_annotations(image, record, min_side=min_side,
                            label=lambda ann: f"{ann.category} {ann.attributes['score']:.2f}")


def grid(images: list[np.ndarray], cell: int = 320) -> np.ndarray:
    """Drawn predictions on one sheet (the same layout as dataset previews)."""
    return tile_sheet(images, cell)
