"""Fragments merged into their objects: hand-made masks with known answers, and the metrics they move.

No torch needed: the predictions are built by hand (a person, a head piece inside it, a neighbour)."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from trainer.annotation import load_dataset
from trainer.evaluate.fragments import merge_all, merge_fragments
from trainer.evaluate.metrics import ImagePrediction, encode_masks, evaluate_predictions


def _box(mask: np.ndarray) -> list[float]:
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def _pred(masks: list[np.ndarray], scores: list[float], labels: list[int] | None = None,
          image_index: int = 0) -> ImagePrediction:
    if not masks:
        return ImagePrediction(image_index, np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, int), [])
    return ImagePrediction(image_index=image_index, boxes=np.array([_box(m) for m in masks], np.float32),
                           scores=np.array(scores, np.float32),
                           labels=np.array(labels or [1] * len(masks)), rles=encode_masks(np.stack(masks)))


def _decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({**rle, "counts": rle["counts"].encode()}).astype(bool)


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    person = np.zeros((40, 60), bool)
    person[5:35, 10:20] = True
    head = np.zeros_like(person)
    head[2:9, 11:19] = True  # 8 x 7 = 56 px, 32 of them inside the person: a piece sticking out above
    neighbour = np.zeros_like(person)
    neighbour[5:35, 40:50] = True
    return person, head, neighbour


def test_a_piece_inside_a_person_is_merged_into_it_and_no_pixel_is_lost():
    person, head, neighbour = _scene()
    pred = _pred([person, neighbour, head], [0.9, 0.8, 0.7])
    out, merged = merge_fragments(pred, 0.5)
    assert merged == 1
    assert len(out.scores) == 2 and list(out.scores) == pytest.approx([0.9, 0.8])
    assert (_decode(out.rles[0]) == (person | head)).all()  # grown by the 24 pixels above the person
    assert (_decode(out.rles[1]) == neighbour).all()
    assert out.rles[1] == pred.rles[1]  # untouched detections keep their RLE as it was
    assert list(out.boxes[0]) == [10, 5, 20, 35]  # the box regressed for the whole person stays
    assert list(pred.scores) == pytest.approx([0.9, 0.8, 0.7]), "the input prediction is not changed"


def test_what_is_not_a_piece_stays():
    person, head, neighbour = _scene()
    # under the score threshold: left for AP, not merged
    assert merge_fragments(_pred([person, head], [0.9, 0.3]), 0.5)[1] == 0
    # another class on the same pixels (a dog on a lap, a helmet as its own class)
    assert merge_fragments(_pred([person, head], [0.9, 0.7], [1, 2]), 0.5)[1] == 0
    # half or less inside: a person partly in front of another is a person
    half = np.zeros_like(person)
    half[10:20, 15:25] = True  # 50 of 100 px inside
    assert merge_fragments(_pred([person, half], [0.9, 0.7]), 0.5)[1] == 0
    # the larger one scored lower: the piece is kept first and the person is not inside it
    out, merged = merge_fragments(_pred([head, person], [0.9, 0.7]), 0.5)
    assert merged == 0 and len(out.scores) == 2
    # a larger, lower-scored detection around a kept one (a whole person around an upper body, a group
    # around one person) is not a piece of it
    around = np.zeros_like(person)
    around[5:35, 10:30] = True  # the person's 300 px and 300 more: mask IoU 0.5
    assert merge_fragments(_pred([person, around], [0.9, 0.7]), 0.5)[1] == 0
    # two people side by side
    assert merge_fragments(_pred([person, neighbour], [0.9, 0.8]), 0.5)[1] == 0
    # nothing or one detection
    one = _pred([person], [0.9])
    assert merge_fragments(one, 0.5) == (one, 0)


def test_a_piece_over_two_kept_people_joins_the_one_it_overlaps_most():
    person, _head, _ = _scene()
    right = np.zeros_like(person)
    right[5:35, 20:30] = True  # touching the person on the right
    piece = np.zeros_like(person)
    piece[10:20, 17:30] = True  # 30 px on the person, 100 on the right one
    out, merged = merge_fragments(_pred([person, right, piece], [0.9, 0.85, 0.6]), 0.5)
    assert merged == 1
    assert (_decode(out.rles[1]) == (right | piece)).all() and (_decode(out.rles[0]) == person).all()


def test_merging_mends_precision_and_leaves_the_pixel_scores_as_they_were(shapes_dataset):
    """Every object of a real shapes dataset predicted whole and once more as its lower part."""
    dataset = load_dataset(shapes_dataset)
    preds = []
    for i, rec in enumerate(dataset.images):
        masks = [ann.to_mask(rec.height, rec.width) for ann in rec.annotations]
        labels = [dataset.categories.index(ann.category) + 1 for ann in rec.annotations]
        pieces = [m & np.roll(m, 2, axis=0) for m in masks]  # inside the object but a few rows
        preds.append(_pred(masks + pieces, [0.9] * len(masks) + [0.6] * len(masks), labels + labels, i))
    objects = sum(len(rec.annotations) for rec in dataset.images)
    raw = evaluate_predictions(dataset, preds, dataset.categories).metrics
    merged, n = merge_all(preds, 0.5)
    m = evaluate_predictions(dataset, merged, dataset.categories).metrics
    assert n == objects > 0
    assert sum(raw["false_detections"].values()) == objects and sum(m["false_detections"].values()) == 0
    assert m["f1"]["mean"] == pytest.approx(1.0) and raw["f1"]["mean"] < 0.9
    assert m["segm"]["AP"] >= raw["segm"]["AP"]
    for key in ("pixel_iou", "pixel_f1", "es", "recall"):
        assert m[key]["mean"] == pytest.approx(raw[key]["mean"], abs=1e-12)
    assert merge_all(preds, None) == (preds, 0)


def test_a_person_beside_another_inside_a_detection_of_the_group_stays():
    """The group case (docs/sim2real.md E20): a detection of two people scored above each of them."""
    person, head, neighbour = _scene()
    right = np.zeros_like(person)
    right[6:35, 20:31] = True  # touching the person: the group is one 21 px wide blob
    group = person | right
    out, merged = merge_fragments(_pred([group, person, right], [0.95, 0.9, 0.8]), 0.5)
    assert merged == 0 and len(out.scores) == 3, "a whole person is not a piece of the group"
    # a piece as short as a head still joins the group it lies in; a wide near-duplicate joins too
    wide = np.zeros_like(person)
    wide[8:35, 10:29] = True  # 0.9 of the group's height and width
    out, merged = merge_fragments(_pred([group, head, wide], [0.95, 0.9, 0.8]), 0.5)
    assert merged == 2 and len(out.scores) == 1


def test_a_second_detection_of_the_same_person_is_merged_whatever_its_size():
    """Duplicates (docs/sim2real.md E21): box NMS let both through; their masks overlap at IoU >= 0.6."""
    person, head, neighbour = _scene()
    larger = np.zeros_like(person)
    larger[4:36, 10:21] = True  # 352 px around the person's 300: IoU 0.85, but larger, so not a piece
    narrower = np.zeros_like(person)
    narrower[5:35, 11:19] = True  # as tall and 0.8 as wide: "beside" for the piece rule, IoU 0.8
    for dup in (larger, narrower):
        out, merged = merge_fragments(_pred([person, neighbour, dup], [0.9, 0.8, 0.7]), 0.5)
        assert merged == 1 and len(out.scores) == 2
        assert (_decode(out.rles[0]) == (person | dup)).all(), "merged, not dropped: no pixel is lost"
        assert list(out.boxes[0]) == [10, 5, 20, 35], "the higher-scored detection's box stays"
    # another class on the same pixels stays; so does a detection overlapping at less than 0.6
    assert merge_fragments(_pred([person, larger], [0.9, 0.7], [1, 2]), 0.5)[1] == 0
    shifted = np.zeros_like(person)
    shifted[5:35, 14:24] = True  # 180 of 300 px shared: IoU 0.43
    assert merge_fragments(_pred([person, shifted], [0.9, 0.7]), 0.5)[1] == 0
