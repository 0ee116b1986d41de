"""Metrics from predictions (numpy + pycocotools only; no torch, so they are testable by hand).

COCO AP comes from pycocotools' COCOeval run on `to_coco(dataset)`, the same ground truth every
other stage writes. Per-image numbers use the predictions above a score threshold:
- pixel IoU and F1 between the union of predicted masks and the union of ground-truth masks
  (an image where both are empty scores 1), ES = (IoU + F1) / 2;
- instance precision/recall/F1 at mask IoU >= 0.5, matched greedily by score within a category
  (COCO's rule); an empty side counts as vacuously perfect (no predictions: precision 1;
  no objects: recall 1), so F1 is 0 whenever exactly one side is empty;
- "accuracy": the share of images where every ground-truth object was found.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from trainer.annotation import Dataset
from trainer.annotation.coco import to_coco
from trainer.annotation.model import api_rle

STAT_NAMES = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


@dataclass
class ImagePrediction:
    """One image's detections, masks already binarised and RLE-encoded (compact, JSON-ready)."""

    image_index: int  # position in Dataset.images (or in the list of predicted files)
    boxes: np.ndarray  # (N, 4) x1, y1, x2, y2
    scores: np.ndarray  # (N,)
    labels: np.ndarray  # (N,) 1-based indices into the model's categories
    rles: list[dict]  # N compressed RLEs with str counts

    def above(self, threshold: float) -> np.ndarray:
        return np.flatnonzero(self.scores >= threshold)


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    per_image: list[dict[str, Any]]
    pr_curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # iou type -> IoU thr -> precision


def encode_masks(masks: np.ndarray) -> list[dict]:
    """(N, H, W) bool -> compressed RLEs with str counts."""
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    return [{"size": [int(s) for s in r["size"]], "counts": r["counts"].decode("ascii")} for r in rles]


def coco_results(predictions: list[ImagePrediction], model_categories: list[str],
                 image_ids: list[int], target_categories: list[str]) -> tuple[list[dict], list[dict]]:
    """COCO results lists (bbox, segm) as torchvision's references write them; every score is kept.

    Labels are matched to the target's category ids by name, so a model and a dataset may order
    categories differently; predicted categories the target does not have are dropped.
    """
    cat_id = {name: i for i, name in enumerate(target_categories, start=1)}
    bbox, segm = [], []
    for pred in predictions:
        for box, score, label, rle in zip(pred.boxes, pred.scores, pred.labels, pred.rles):
            name = model_categories[int(label) - 1]
            if name not in cat_id:
                continue
            x1, y1, x2, y2 = (float(v) for v in box)
            common = {"image_id": image_ids[pred.image_index], "category_id": cat_id[name],
                      "score": round(float(score), 5)}
            bbox.append({**common, "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)]})
            segm.append({**common, "segmentation": {"size": rle["size"], "counts": rle["counts"]}})
    return bbox, segm


def coco_from_dict(obj: dict) -> COCO:
    coco = COCO()
    coco.dataset = obj
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def run_cocoeval(gt: COCO, results: list[dict], iou_type: str) -> tuple[dict[str, float | None], COCOeval | None]:
    """COCOeval's 12 summary numbers (None where COCO gives -1: nothing to measure)."""
    if not gt.getAnnIds():
        return {k: None for k in STAT_NAMES}, None
    if not results:  # loadRes cannot take an empty list; with objects present every AP is 0
        return {k: 0.0 for k in STAT_NAMES}, None
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes([dict(r) for r in results])
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {k: (None if v < 0 else float(v)) for k, v in zip(STAT_NAMES, ev.stats)}, ev


def pr_curves(ev: COCOeval | None) -> dict[str, list[float]]:
    """Precision at 101 recall points for IoU 0.50 and 0.75, all areas, 100 detections, mean over classes."""
    if ev is None:
        return {}
    out = {}
    for thr in (0.5, 0.75):
        t = int(np.argmin(np.abs(ev.params.iouThrs - thr)))
        p = ev.eval["precision"][t, :, :, 0, -1]  # [recall, class]
        curve = [float(np.mean(row[row > -1])) if (row > -1).any() else 0.0 for row in p]
        out[f"{thr:.2f}"] = curve
    return out


def pixel_scores(pred: np.ndarray, gt: np.ndarray) -> tuple[float, float]:
    """(IoU, F1) of two boolean masks; both empty -> (1, 1)."""
    inter = int(np.logical_and(pred, gt).sum())
    p, g = int(pred.sum()), int(gt.sum())
    if p + g == 0:
        return 1.0, 1.0
    return inter / (p + g - inter), 2 * inter / (p + g)


def match(pred_rles: list[dict], pred_labels: list, pred_scores: list[float], gt_rles: list[dict], gt_labels: list,
          iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy by score: each prediction takes the best still-free object of its category with
    IoU >= thr. Returns (matched predictions, found objects, the prediction x object IoUs)."""
    order = np.argsort(-np.asarray(pred_scores, dtype=float), kind="stable")
    taken = np.zeros(len(gt_rles), dtype=bool)
    matched = np.zeros(len(pred_rles), dtype=bool)
    ious = np.zeros((len(pred_rles), len(gt_rles)))
    if pred_rles and gt_rles:
        ious = np.asarray(mask_utils.iou([api_rle(r) for r in pred_rles], [api_rle(r) for r in gt_rles],
                                         [0] * len(gt_rles)))
        for i in order:
            candidates = [(ious[i, j], j) for j in range(len(gt_rles))
                          if not taken[j] and gt_labels[j] == pred_labels[i] and ious[i, j] >= iou_threshold]
            if candidates:
                taken[max(candidates)[1]] = True
                matched[i] = True
    return matched, taken, ious


def instance_scores(pred_rles: list[dict], pred_labels: list[int], pred_scores: list[float],
                    gt_rles: list[dict], gt_labels: list[int], iou_threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall, F1 of `match` at the threshold.

    Every false detection is also sorted by what it lies on, to say which lever would remove it
    (the error kinds of TIDE, Bolya et al. 2020, at the mask level): `false_duplicate`, a second
    detection of an object already found (same class, IoU >= thr with it); `false_on_objects`, most
    of its area on labelled objects (a fragment of one, several merged, the wrong class); `false_background`,
    most of its area on nothing labelled (clutter taken for an object)."""
    return scores_of_match(match(pred_rles, pred_labels, pred_scores, gt_rles, gt_labels, iou_threshold),
                           pred_rles, pred_labels, gt_rles, gt_labels, iou_threshold)


def scores_of_match(matching: tuple[np.ndarray, np.ndarray, np.ndarray], pred_rles: list[dict], pred_labels: list,
                    gt_rles: list[dict], gt_labels: list, iou_threshold: float = 0.5) -> dict[str, float]:
    """`instance_scores` of a `match` result (evaluate_predictions matches once and uses it twice)."""
    matched, taken, ious = matching
    tp = int(matched.sum())
    kinds = {"false_duplicate": 0, "false_on_objects": 0, "false_background": 0}
    false = [i for i in range(len(pred_rles)) if not matched[i]]
    if false:
        on_objects = _share_on(pred_rles, false, gt_rles)
        for i, share in zip(false, on_objects):
            if any(taken[j] and gt_labels[j] == pred_labels[i] and ious[i, j] >= iou_threshold
                   for j in range(len(gt_rles))):
                kinds["false_duplicate"] += 1
            elif share >= 0.5:
                kinds["false_on_objects"] += 1
            else:
                kinds["false_background"] += 1
    n_pred, n_gt = len(pred_rles), len(gt_rles)
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_gt if n_gt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"tp": tp, "predictions": n_pred, "objects": n_gt, "precision": precision, "recall": recall,
            "f1": f1, "all_found": tp == n_gt, **kinds}


def pixel_errors(pred_union: np.ndarray, gt_masks: list[np.ndarray], found: np.ndarray) -> dict[str, int]:
    """Where the pixel errors of one image are, in pixels: labelled pixels missed on objects that
    were found (`missed_px_found`: masks too small, e.g. heads or loose clothes left out), on
    objects that were not (`missed_px_lost`), and predicted pixels on nothing labelled (`false_px`)."""
    labelled = np.zeros(pred_union.shape, bool)
    out = {"labelled_px": 0, "missed_px_found": 0, "missed_px_lost": 0, "false_px": 0}
    for mask, was_found in zip(gt_masks, found):
        m = mask & ~labelled  # touching objects: each pixel once
        labelled |= m
        out["missed_px_found" if was_found else "missed_px_lost"] += int((m & ~pred_union).sum())
    out["labelled_px"] = int(labelled.sum())
    out["false_px"] = int((pred_union & ~labelled).sum())
    return out


BANDS = 5  # fifths of an object's height: for people the top one is the head


def band_pixels(pred_union: np.ndarray, gt_masks: list[np.ndarray], found: np.ndarray) -> dict[str, list[int]]:
    """Labelled and covered pixels of the found objects of one image in each fifth of the object's
    height (top first): where inside the objects it finds the masks fall short. On people the top
    fifth is the head and hair, which masks learned from capped, helmeted renders leave out."""
    out = {"band_px": [0] * BANDS, "band_hit_px": [0] * BANDS}
    for m, was_found in zip(gt_masks, found):
        if not was_found:
            continue
        rows = np.flatnonzero(m.any(axis=1))
        edges = np.linspace(rows[0], rows[-1] + 1, BANDS + 1).round().astype(int)
        for b in range(BANDS):
            band = m[edges[b]:edges[b + 1]]
            out["band_px"][b] += int(band.sum())
            out["band_hit_px"][b] += int((band & pred_union[edges[b]:edges[b + 1]]).sum())
    return out


def _band_recall(per_image: list[dict]) -> list[float | None]:
    """Pixel recall in each fifth of the found objects' height, over all images (top first)."""
    hit = np.sum([r["band_hit_px"] for r in per_image], axis=0) if per_image else np.zeros(BANDS)
    total = np.sum([r["band_px"] for r in per_image], axis=0) if per_image else np.zeros(BANDS)
    return [float(h / t) if t else None for h, t in zip(hit, total)]


def _share_on(pred_rles: list[dict], which: list[int], gt_rles: list[dict]) -> list[float]:
    """For the predictions `which`: the share of each one's area that lies on any labelled object."""
    if not gt_rles:
        return [0.0] * len(which)
    union = mask_utils.merge([api_rle(r) for r in gt_rles])
    preds = [api_rle(pred_rles[i]) for i in which]
    inter = [float(mask_utils.area(mask_utils.merge([p, union], intersect=True))) for p in preds]
    return [x / max(float(mask_utils.area(p)), 1.0) for x, p in zip(inter, preds)]


def _pixel_error_shares(per_image: list[dict]) -> dict[str, float | None]:
    """The pixel errors summed over the images, as shares of all labelled pixels."""
    total = sum(r["labelled_px"] for r in per_image)
    return {k: (sum(r[k] for r in per_image) / total if total else None)
            for k in ("missed_px_found", "missed_px_lost", "false_px")}


def _mean_std(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "std": None}
    return {"mean": float(np.mean(values)), "std": float(np.std(values))}


def evaluate_predictions(dataset: Dataset, predictions: list[ImagePrediction], model_categories: list[str],
                         score_threshold: float = 0.5) -> Evaluation:
    """All metrics of `trainer evaluate` for predictions on `dataset` (one ImagePrediction per image)."""
    gt_dict = to_coco(dataset)
    gt = coco_from_dict(gt_dict)
    image_ids = [img["id"] for img in gt_dict["images"]]
    bbox_res, segm_res = coco_results(predictions, model_categories, image_ids, dataset.categories)
    box_stats, box_ev = run_cocoeval(gt, bbox_res, "bbox")
    mask_stats, mask_ev = run_cocoeval(gt, segm_res, "segm")

    by_index = {p.image_index: p for p in predictions}
    per_image = []
    for index, (record, image_id) in enumerate(zip(dataset.images, image_ids)):
        anns = [a for a in gt.loadAnns(gt.getAnnIds(imgIds=[image_id])) if not a.get("iscrowd", 0)]
        gt_rles = [gt.annToRLE(a) for a in anns]
        gt_labels = [dataset.categories[a["category_id"] - 1] for a in anns]
        pred = by_index.get(index)
        keep = pred.above(score_threshold) if pred is not None else np.zeros(0, int)
        pred_rles = [pred.rles[i] for i in keep] if pred is not None else []
        pred_labels = [model_categories[int(pred.labels[i]) - 1] for i in keep] if pred is not None else []
        pred_scores = [float(pred.scores[i]) for i in keep] if pred is not None else []
        h, w = record.height, record.width
        gt_masks = [mask_utils.decode(r).astype(bool) for r in gt_rles]  # decoded once for every pixel figure
        gt_union = np.logical_or.reduce(gt_masks) if gt_masks else np.zeros((h, w), bool)
        pred_union = (mask_utils.decode(mask_utils.merge([api_rle(r) for r in pred_rles])).astype(bool)
                      if pred_rles else np.zeros((h, w), bool))
        iou, f1 = pixel_scores(pred_union, gt_union)
        matching = match(pred_rles, pred_labels, pred_scores, gt_rles, gt_labels)
        inst = scores_of_match(matching, pred_rles, pred_labels, gt_rles, gt_labels)
        per_image.append({"file_name": record.file_name, "pixel_iou": iou, "pixel_f1": f1, "es": (iou + f1) / 2,
                          **inst, **pixel_errors(pred_union, gt_masks, matching[1]),
                          **band_pixels(pred_union, gt_masks, matching[1])})

    metrics: dict[str, Any] = {
        "images": len(dataset.images),
        "objects": sum(r["objects"] for r in per_image),
        "score_threshold": score_threshold,
        "bbox": box_stats,
        "segm": mask_stats,
        "pixel_iou": _mean_std([r["pixel_iou"] for r in per_image]),
        "pixel_f1": _mean_std([r["pixel_f1"] for r in per_image]),
        "es": _mean_std([r["es"] for r in per_image]),
        "precision": _mean_std([r["precision"] for r in per_image]),
        "recall": _mean_std([r["recall"] for r in per_image]),
        "f1": _mean_std([r["f1"] for r in per_image]),
        "accuracy": float(np.mean([r["all_found"] for r in per_image])) if per_image else None,
        "false_detections": {k.removeprefix("false_"): sum(r[k] for r in per_image)
                             for k in ("false_duplicate", "false_on_objects", "false_background")},
        "pixel_errors": _pixel_error_shares(per_image),
        "found_recall_by_height": _band_recall(per_image),
    }
    return Evaluation(metrics, per_image, {"bbox": pr_curves(box_ev), "segm": pr_curves(mask_ev)})
