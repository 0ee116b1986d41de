"""Mask -> annotation -> mask round trips, rasterised back by pycocotools exactly as COCOeval does."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from trainer.annotation import annotation_from_mask
from trainer.annotation.synthetic import make_frame
from trainer.annotation.trace import index_mask_crops, trace_polygons


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _cases() -> dict[str, np.ndarray]:
    h, w = 100, 140
    cases = {}
    m = np.zeros((h, w), bool); m[10:40, 10:60] = True; m[20:30, :] = False  # split by an occluder
    cases["occlusion_split"] = m
    m = np.zeros((h, w), np.uint8); cv2.circle(m, (70, 50), 30, 1, -1); cv2.circle(m, (70, 50), 12, 0, -1)
    cases["hole"] = m.astype(bool)
    m = np.zeros((h, w), bool); m[0:50, 100:140] = True  # touches top and right border
    cases["border"] = m
    m = np.zeros((h, w), np.uint8); cv2.line(m, (5, 5), (130, 90), 1, 1)
    cases["thin_diagonal_line"] = m.astype(bool)
    m = np.zeros((h, w), bool); m[50, 70] = True
    cases["single_pixel"] = m
    m = np.zeros((h, w), bool); m[3, 3] = m[4, 4] = m[5, 5] = True  # corner-touching pixels
    cases["diagonal_pixels"] = m
    m = np.zeros((h, w), bool); m[:, :] = True
    cases["whole_image"] = m
    return cases


@pytest.mark.parametrize("name", list(_cases()))
@pytest.mark.parametrize("mode", ["auto", "rle", "polygon"])
def test_round_trip_hard_cases(name: str, mode: str) -> None:
    mask = _cases()[name]
    ann = annotation_from_mask(mask, "rescuer", segmentation=mode)
    assert ann is not None
    assert ann.area == mask.sum()
    back = ann.to_mask(*mask.shape)
    if mode == "polygon" and name == "hole":
        # polygons cannot carry holes (pycocotools unions them): the outer boundary is kept
        assert (back == ndimage.binary_fill_holes(mask)).all()
    else:
        assert (back == mask).all(), f"{name}/{mode}: {(back != mask).sum()} pixels differ"
    assert all(len(p) >= 6 and len(p) % 2 == 0 for p in ann.polygons)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    assert ann.bbox == (cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)


def test_occlusion_split_gives_one_polygon_per_visible_part() -> None:
    ann = annotation_from_mask(_cases()["occlusion_split"], "rescuer")
    assert len(ann.polygons) == 2 and ann.rle is None


def test_auto_mode_uses_rle_only_for_holes() -> None:
    assert annotation_from_mask(_cases()["hole"], "x").rle is not None
    assert annotation_from_mask(_cases()["border"], "x").rle is None
    assert annotation_from_mask(_cases()["border"], "x").attributes["truncated"] is True


def test_empty_mask_gives_none() -> None:
    assert annotation_from_mask(np.zeros((5, 5), bool), "x") is None


def test_random_frames_mean_iou_and_rle_exact() -> None:
    """Hundreds of instances with occlusion: polygons IoU >= 0.98 (>= 1024 px), RLE exact."""
    ious, rng = [], np.random.default_rng(3)
    for _ in range(15):
        _, index, _ = make_frame(rng, 320, 240, 12)
        for k, (crop, (x0, y0)) in index_mask_crops(index).items():
            full = index == k
            poly = annotation_from_mask(full, "x", segmentation="polygon")
            rle = annotation_from_mask(full, "x", segmentation="rle")
            assert (rle.to_mask(240, 320) == full).all()
            if full.sum() >= 1024:
                ious.append(_iou(poly.to_mask(240, 320), full) if not poly.attributes.get("has_holes") else 1.0)
    assert len(ious) > 50
    assert np.mean(ious) >= 0.98
    assert min(ious) == 1.0  # exact tracing, not just good enough


def test_simplify_reduces_points_and_keeps_valid_polygons() -> None:
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 80, 1, -1)
    exact, _ = trace_polygons(mask)
    simple, _ = trace_polygons(mask, simplify=1.0)
    assert len(simple[0]) < len(exact[0]) and len(simple[0]) >= 6
    ann = annotation_from_mask(mask.astype(bool), "x", simplify=1.0)
    assert ann.to_mask(200, 200).sum() == pytest.approx(mask.sum(), rel=0.02)


def test_index_mask_crops_finds_every_id_with_tight_boxes() -> None:
    index = np.zeros((50, 60), np.uint16)
    index[5:10, 7:20] = 3
    index[40:50, 0:2] = 65535
    crops = index_mask_crops(index)
    assert sorted(crops) == [3, 65535]
    crop, (x0, y0) = crops[3]
    assert (x0, y0) == (7, 5) and crop.shape == (5, 13) and crop.all()
