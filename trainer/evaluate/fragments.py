"""Fragments of one object, merged into it: the cleaning step between the model and every output.

Mask R-CNN's box NMS (IoU 0.5 between boxes) keeps a detection of a head, a leg or a jacket inside
a detection of the whole person, because a small box inside a large one has a small box IoU. Models
trained on renders do this often on real photos: on the sim-to-real dev split most false detections
were such pieces lying on people (docs/sim2real.md). A detection whose mask lies mostly
(> `overlap`) inside one detection already kept for its class, higher scored and larger, is a piece
of it and is merged into it: its mask joins the kept mask; the kept box and score stay (the box
regressor's estimate of the whole object; a union of boxes measured worse, box AP50 0.752 -> 0.684
on one of two models). A larger detection around a kept one is not a piece of it (a whole person
around an upper body, or a group around one person) and stays. Merging rather than dropping keeps
every predicted pixel, so the union of masks (pixel IoU, F1, ES) is unchanged and only the instance
count is mended. Only detections at or above the score threshold take part: those are the ones
drawn and counted; lower ones stay as they are for AP's tail. The share test is Detectron2's
panoptic fusion's (0.5 of a new mask already covered), against one kept detection instead of all
kept pixels, so that a lower-scored detection of two people is not folded into one of them.
A detection nearly as tall as the one it lies in (>= `BESIDE_HEIGHT` of its box height) but clearly
narrower (<= `BESIDE_WIDTH` of its width) is an object standing beside others inside a detection of
the whole group, not a piece, and stays: on the dev photos with people split one by one (34 group
photos, 100 people; docs/sim2real.md E20) merging those lost half the people found in groups
(45 -> 23 and 20 of 100, two models); heads, legs and torsos are shorter than their person.
A detection whose mask overlaps a kept one's at mask IoU >= `DUPLICATE_IOU` is a second detection
of the same object, whatever their sizes, and is merged into it (mask NMS, as SOLO and YOLACT
suppress by mask, where torchvision's box NMS let both through): after the rules above, a quarter of
the remaining false detections on the per-person dev photos were such duplicates of a person already
found (docs/sim2real.md E21). Two people side by side, or one of two inside a detection of both,
overlap far less.
Masks are RLE throughout (pycocotools), nothing is decoded.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from trainer.annotation.model import api_rle, compress_rle
from trainer.evaluate.metrics import ImagePrediction

FRAGMENT_OVERLAP = 0.5  # share of a detection's mask inside a larger, higher-scored one that makes it a piece
BESIDE_HEIGHT = 0.7  # box height, as a share of the container's, from which a narrow detection is a whole object
BESIDE_WIDTH = 0.8  # box width, as a share of the container's, up to which such a detection stands beside others
DUPLICATE_IOU = 0.6  # mask IoU with a kept detection from which a detection is a second one of the same object


def merge_fragments(pred: ImagePrediction, score_threshold: float,
                    overlap: float = FRAGMENT_OVERLAP) -> tuple[ImagePrediction, int]:
    """`pred` with its fragments merged into their objects, and how many were merged."""
    candidates = [int(i) for i in np.argsort(-pred.scores, kind="stable") if pred.scores[i] >= score_threshold]
    if len(candidates) < 2:
        return pred, 0
    masks = {i: api_rle(pred.rles[i]) for i in candidates}
    kept: list[int] = []
    merged: set[int] = set()
    grown: set[int] = set()
    for i in candidates:
        same = [k for k in kept if pred.labels[k] == pred.labels[i]]
        area = float(mask_utils.area(masks[i]))
        if same and area > 0:
            inter = [float(mask_utils.area(mask_utils.merge([masks[i], masks[k]], intersect=True))) for k in same]
            iou = [x / (area + float(mask_utils.area(masks[k])) - x) for x, k in zip(inter, same)]
            k = same[int(np.argmax(inter))]
            joins = (max(inter) > overlap * area and area < float(mask_utils.area(masks[k]))
                     and not _beside(pred.boxes[i], pred.boxes[k]))  # a piece of k
            if not joins and max(iou) >= DUPLICATE_IOU:  # a second detection of the object it overlaps most
                k, joins = same[int(np.argmax(iou))], True
            if joins:
                masks[k] = mask_utils.merge([masks[k], masks[i]])
                merged.add(i)
                grown.add(k)
                continue
        kept.append(i)
    if not merged:
        return pred, 0
    keep = [i for i in range(len(pred.scores)) if i not in merged]
    rles = [compress_rle(masks[i]) if i in grown else pred.rles[i] for i in keep]
    return ImagePrediction(image_index=pred.image_index, boxes=pred.boxes[keep], scores=pred.scores[keep],
                           labels=pred.labels[keep], rles=rles), len(merged)


def _beside(box: np.ndarray, container: np.ndarray) -> bool:
    """Whether a box inside `container` is a whole object beside others: nearly as tall, clearly narrower."""
    height = float(container[3] - container[1])
    width = float(container[2] - container[0])
    return (height > 0 and width > 0 and float(box[3] - box[1]) >= BESIDE_HEIGHT * height
            and float(box[2] - box[0]) <= BESIDE_WIDTH * width)


def merge_all(preds: list[ImagePrediction], score_threshold: float | None) -> tuple[list[ImagePrediction], int]:
    """`merge_fragments` over images (score_threshold None: the model's raw output, unchanged)."""
    if score_threshold is None:
        return preds, 0
    done = [merge_fragments(p, score_threshold) for p in preds]
    return [p for p, _ in done], sum(n for _, n in done)
