"""Masks -> instances: an `Annotation` from one object's pixels (the one place that makes them).

The outline comes from `trace` (polygons that rasterise back to the same pixels), plus an exact RLE
when the object has holes ("auto") or always ("rle"); bbox, area and truncation are measured here.
"""

from __future__ import annotations

import numpy as np

from trainer.annotation.model import Annotation
from trainer.annotation.trace import EXACT_SIMPLIFY, SEGMENTATION_MODES, SegmentationMode, encode_rle, trace_polygons


def annotation_from_crop(
    crop: np.ndarray,
    offset: tuple[int, int],
    image_size: tuple[int, int],
    category: str,
    *,
    segmentation: SegmentationMode = "auto",
    simplify: float = EXACT_SIMPLIFY,
    attributes: dict | None = None,
    area: int | None = None,
) -> Annotation:
    """Build an Annotation from a tight crop of its visible pixels (the one place that does this)."""
    if segmentation not in SEGMENTATION_MODES:
        raise ValueError(f"segmentation must be one of {SEGMENTATION_MODES}, not {segmentation!r}")
    height, width = image_size
    x0, y0 = offset
    polygons, has_holes = trace_polygons(crop, offset, simplify)
    rle = None
    if segmentation == "rle" or (segmentation == "auto" and has_holes):
        rle = encode_rle(crop, offset, height, width)
    attrs = dict(attributes or {})
    attrs["truncated"] = bool(x0 == 0 or y0 == 0 or x0 + crop.shape[1] == width or y0 + crop.shape[0] == height)
    if has_holes:
        attrs["has_holes"] = True
    return Annotation(
        category=category,
        bbox=(float(x0), float(y0), float(crop.shape[1]), float(crop.shape[0])),
        area=int(np.count_nonzero(crop)) if area is None else int(area),
        polygons=polygons,
        rle=rle,
        attributes=attrs,
    )


def annotation_from_mask(
    mask: np.ndarray,
    category: str,
    *,
    segmentation: SegmentationMode = "auto",
    simplify: float = EXACT_SIMPLIFY,
    attributes: dict | None = None,
) -> Annotation | None:
    """One full-frame binary mask (bool/uint8, HxW) -> Annotation, or None when the mask is empty."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return annotation_from_crop(
        mask[y0:y1, x0:x1], (int(x0), int(y0)), mask.shape, category,
        segmentation=segmentation, simplify=simplify, attributes=attributes,
    )

