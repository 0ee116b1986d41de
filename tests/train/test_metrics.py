"""Evaluation numbers: pycocotools run by hand on the same predictions, and hand-computed pixel cases.

No torch needed: predictions are made from the ground truth (shifted, dropped, extra)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from trainer.annotation import load_dataset
from trainer.evaluate.metrics import (ImagePrediction, band_pixels, coco_results, encode_masks, evaluate_predictions,
                                      instance_scores, pixel_errors, pixel_scores)


def test_pixel_scores_hand_computed():
    pred = np.zeros((10, 10), bool)
    gt = np.zeros((10, 10), bool)
    pred[0:4, 0:4] = True  # 16 px
    gt[2:6, 0:4] = True  # 16 px, 8 shared
    iou, f1 = pixel_scores(pred, gt)
    assert iou == pytest.approx(8 / 24)
    assert f1 == pytest.approx(16 / 32)
    assert pixel_scores(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == (1.0, 1.0)
    assert pixel_scores(pred, np.zeros((10, 10), bool)) == (0.0, 0.0)


def _rle(mask: np.ndarray) -> dict:
    return encode_masks(mask[None])[0]


def test_instance_scores_matching_rules():
    a = np.zeros((20, 20), bool)
    a[2:10, 2:10] = True
    b = np.zeros((20, 20), bool)
    b[12:18, 12:18] = True
    shifted = np.roll(a, 3, axis=1)  # IoU 40/88 < 0.5 with a
    r = instance_scores([_rle(a), _rle(b)], ["disc", "box"], [0.9, 0.8], [_rle(a), _rle(b)], ["disc", "box"])
    assert (r["tp"], r["precision"], r["recall"], r["f1"], r["all_found"]) == (2, 1.0, 1.0, 1.0, True)
    # right place, wrong class: no match
    r = instance_scores([_rle(a)], ["box"], [0.9], [_rle(a)], ["disc"])
    assert (r["tp"], r["precision"], r["recall"], r["f1"]) == (0, 0.0, 0.0, 0.0)
    r = instance_scores([_rle(shifted)], ["disc"], [0.9], [_rle(a)], ["disc"])
    assert r["tp"] == 0
    # a duplicate of an already matched object is a false positive
    r = instance_scores([_rle(a), _rle(a)], ["disc", "disc"], [0.9, 0.7], [_rle(a)], ["disc"])
    assert (r["tp"], r["precision"], r["recall"]) == (1, 0.5, 1.0)
    # nothing predicted, objects present: vacuous precision, zero recall and F1
    r = instance_scores([], [], [], [_rle(a)], ["disc"])
    assert (r["precision"], r["recall"], r["f1"], r["all_found"]) == (1.0, 0.0, 0.0, False)
    r = instance_scores([], [], [], [], [])
    assert (r["f1"], r["all_found"]) == (1.0, True)


def test_false_detections_are_sorted_by_what_they_lie_on():
    """Duplicate of a found object, a fragment of one (or the wrong class on one), or background."""
    a = np.zeros((40, 40), bool)
    a[2:22, 2:22] = True
    top = np.zeros_like(a)
    top[2:8, 2:22] = True  # a fifth of the object: IoU 0.3, all of it on the object
    wall = np.zeros_like(a)
    wall[30:38, 25:38] = True  # nothing labelled there
    half = np.zeros_like(a)
    half[14:30, 14:30] = True  # a quarter of it on the object, IoU < 0.5
    r = instance_scores([_rle(a), _rle(a), _rle(top), _rle(wall), _rle(half)], ["p"] * 5,
                        [0.9, 0.8, 0.7, 0.6, 0.5], [_rle(a)], ["p"])
    assert r["tp"] == 1
    assert (r["false_duplicate"], r["false_on_objects"], r["false_background"]) == (1, 1, 2)
    r = instance_scores([_rle(a)], ["q"], [0.9], [_rle(a)], ["p"])  # right place, wrong class
    assert (r["false_duplicate"], r["false_on_objects"], r["false_background"]) == (0, 1, 0)
    r = instance_scores([_rle(wall)], ["p"], [0.9], [], [])
    assert r["false_background"] == 1


def _predictions_from_truth(dataset) -> list[ImagePrediction]:
    """Image 0: perfect; image 1: first object shifted; image 2: objects + a low-score false positive;
    others: first object only, with decreasing scores."""
    preds = []
    for i, rec in enumerate(dataset.images):
        masks, labels, scores = [], [], []
        for k, ann in enumerate(rec.annotations):
            m = ann.to_mask(rec.height, rec.width)
            if i == 1 and k == 0:
                m = np.roll(m, 4, axis=1)
            if i >= 3 and k > 0:
                continue
            masks.append(m)
            labels.append(dataset.categories.index(ann.category) + 1)
            scores.append(0.95 - 0.1 * k - 0.01 * i)
        if i == 2:
            fp = np.zeros((rec.height, rec.width), bool)
            fp[0:6, 0:6] = True
            masks.append(fp)
            labels.append(1)
            scores.append(0.3)
        arr = np.stack(masks) if masks else np.zeros((0, rec.height, rec.width), bool)
        boxes = []
        for m in arr:
            ys, xs = np.nonzero(m)
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        preds.append(ImagePrediction(i, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32),
                                     np.asarray(labels, np.int64), encode_masks(arr)))
    return preds


def test_coco_ap_matches_pycocotools_by_hand(shapes_dataset, tmp_path):
    dataset = load_dataset(shapes_dataset)
    preds = _predictions_from_truth(dataset)
    ev = evaluate_predictions(dataset, preds, dataset.categories, score_threshold=0.5)

    # By hand: the dataset's own coco.json as ground truth, results written to JSON files, plain COCOeval.
    gt = COCO(str(shapes_dataset / "annotations" / "coco.json"))
    bbox, segm = coco_results(preds, dataset.categories, list(range(1, len(dataset.images) + 1)), dataset.categories)
    for iou_type, results in (("bbox", bbox), ("segm", segm)):
        path = tmp_path / f"{iou_type}.json"
        path.write_text(json.dumps(results))
        e = COCOeval(gt, gt.loadRes(str(path)), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
        mine = ev.metrics[iou_type]
        for name, value in zip(["AP", "AP50", "AP75"], e.stats[:3]):
            assert mine[name] == pytest.approx(value, abs=1e-12), (iou_type, name)
    # imperfect predictions must not score perfect
    assert 0.0 < ev.metrics["segm"]["AP"] < 1.0

    # per-image pixel metrics, recomputed here from the masks
    per = ev.per_image
    assert per[0]["pixel_iou"] == 1.0 and per[0]["f1"] == 1.0
    rec = dataset.images[1]
    gt_union = np.any([a.to_mask(rec.height, rec.width) for a in rec.annotations], axis=0)
    pred_union = np.any([mask_utils.decode({"size": r["size"], "counts": r["counts"].encode()}) for r in preds[1].rles],
                        axis=0)
    inter, union = (gt_union & pred_union).sum(), (gt_union | pred_union).sum()
    assert per[1]["pixel_iou"] == pytest.approx(inter / union)
    assert per[1]["pixel_f1"] == pytest.approx(2 * inter / (gt_union.sum() + pred_union.sum()))
    assert per[1]["es"] == pytest.approx((per[1]["pixel_iou"] + per[1]["pixel_f1"]) / 2)
    # the 0.3-score false positive is below the threshold: image 2 stays perfect at 0.5
    assert per[2]["precision"] == 1.0
    values = [p["es"] for p in per]
    assert ev.metrics["es"]["mean"] == pytest.approx(np.mean(values))
    assert ev.metrics["es"]["std"] == pytest.approx(np.std(values))
    found = [p["tp"] == p["objects"] for p in per]
    assert ev.metrics["accuracy"] == pytest.approx(np.mean(found))
    assert ev.metrics["accuracy"] < 1.0


def test_no_predictions_scores_zero_not_crash(shapes_dataset):
    dataset = load_dataset(shapes_dataset)
    empty = [ImagePrediction(i, np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), []) for i in range(len(dataset.images))]
    ev = evaluate_predictions(dataset, empty, dataset.categories)
    assert ev.metrics["segm"]["AP"] == 0.0
    assert ev.metrics["recall"]["mean"] < 1.0


def test_pixel_errors_split_missed_pixels_by_found_and_lost_objects():
    a = np.zeros((40, 40), bool)
    a[2:22, 2:22] = True  # 400 px, found by a prediction 20 px short of it
    b = np.zeros((40, 40), bool)
    b[30:35, 30:40] = True  # 50 px, lost
    pred = a.copy()
    pred[2, 2:22] = False
    pred[25:28, 0:10] = True  # 30 px on nothing
    out = pixel_errors(pred, [a, b], np.array([True, False]))
    assert out == {"labelled_px": 450, "missed_px_found": 20, "missed_px_lost": 50, "false_px": 30}


def test_band_pixels_count_each_fifth_of_the_found_objects_height_top_first():
    person = np.zeros((60, 40), bool)
    person[10:60, 10:30] = True  # 50 rows: fifths of 10 rows, 200 px each
    pred = person.copy()
    pred[10:20, 10:30] = False  # the head left out
    pred[20:30, 10:20] = False  # half of the shoulders
    lost = np.zeros((60, 40), bool)
    lost[0:5, 35:40] = True  # not found: not counted
    out = band_pixels(pred, [person, lost], np.array([True, False]))
    assert out == {"band_px": [200] * 5, "band_hit_px": [0, 100, 200, 200, 200]}
