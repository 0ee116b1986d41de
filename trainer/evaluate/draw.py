"""Predictions drawn over images (masks tinted, outlines, label + score), for predict and the report.

Outlines here are only pixels on a picture; labels are never traced outside the annotation core.
"""

from __future__ import annotations

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from trainer.evaluate.metrics import ImagePrediction


def colour(i: int) -> tuple[int, int, int]:
    """Distinct, stable RGB colours (golden-angle hues)."""
    hsv = np.uint8([[[int(i * 137.508) % 180, 200, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def draw_prediction(image: np.ndarray, pred: ImagePrediction, categories: list[str],
                    score_threshold: float, *, min_side: int = 0) -> np.ndarray:
    """RGB uint8 image with each instance above the threshold tinted, outlined and labelled.

    `min_side` enlarges small images first (masks by nearest neighbour) so labels stay readable.
    """
    h, w = image.shape[:2]
    s = max(1.0, min_side / min(h, w)) if min_side else 1.0
    size = (round(w * s), round(h * s))
    out = (cv2.resize(image, size, interpolation=cv2.INTER_LINEAR) if s > 1 else image).astype(np.float32)
    keep = pred.above(score_threshold)
    labels = []
    for n, i in enumerate(keep):
        rle = pred.rles[i]
        mask = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})
        if s > 1:
            mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        mask = mask.astype(bool)
        c = np.array(colour(n), np.float32)
        out[mask] = out[mask] * 0.55 + c * 0.45
        labels.append((mask, colour(n), f"{categories[int(pred.labels[i]) - 1]} {pred.scores[i]:.2f}",
                       pred.boxes[i] * s))
    out = out.clip(0, 255).astype(np.uint8)
    scale = max(0.45, min(out.shape[:2]) / 700)
    for mask, c, text, box in labels:
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, c, 1)
        x, y = int(box[0]), max(int(box[1]) - 3, 10)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, c, 1, cv2.LINE_AA)
    return out


def grid(images: list[np.ndarray], columns: int = 4, cell: int = 320) -> np.ndarray:
    """Images letterboxed into cell x cell tiles, row-major."""
    rows = max(1, -(-len(images) // columns))
    sheet = np.full((rows * cell, min(columns, max(len(images), 1)) * cell, 3), 255, np.uint8)
    for k, img in enumerate(images):
        h, w = img.shape[:2]
        s = cell / max(h, w)
        small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        r, c = divmod(k, columns)
        sheet[r * cell:r * cell + small.shape[0], c * cell:c * cell + small.shape[1]] = small
    return sheet
