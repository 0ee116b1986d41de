"""Preview sheet: masks, outlines, boxes and class names over a grid of images.

It draws what the annotation files say (rasterised the way pycocotools does), not the source masks,
so a person looking at it checks the labels a trainer will actually read.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from trainer.annotation.io import read_image, write_image_atomic
from trainer.annotation.model import Annotation, Dataset, ImageRecord


SHEET_SUFFIXES = (".png", ".jpg", ".jpeg")  # what write_preview can encode (by the file's suffix)


def instance_colour(i: int) -> tuple[int, int, int]:
    """Well-separated BGR colours (golden-ratio hues) so neighbouring instances differ."""
    r, g, b = colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_annotations(image: np.ndarray, record: ImageRecord, *, alpha: float = 0.45,
                     label: Callable[[Annotation], str] | None = None, min_side: int = 0) -> np.ndarray:
    """Overlay one image's instances (fill, outline, box, label) on a copy of the image.

    Used for dataset previews and for model predictions alike (`label` adds e.g. the score);
    `min_side` enlarges small images first (masks by nearest neighbour) so labels stay readable.
    """
    h, w = image.shape[:2]
    s = max(1.0, min_side / min(h, w)) if min_side else 1.0
    out = cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_LINEAR) if s > 1 else image.copy()
    big_h, big_w = out.shape[:2]
    thickness = max(1, round(max(big_h, big_w) / 400))
    for i, ann in enumerate(record.annotations):
        colour = instance_colour(i)
        mask = ann.to_mask(h, w)
        if s > 1:
            mask = cv2.resize(mask.astype(np.uint8), (big_w, big_h), interpolation=cv2.INTER_NEAREST).astype(bool)
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        if rows.size:  # blend within the mask's own extent (not the stated bbox, which may be wrong)
            y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            inside, region = mask[y0:y1, x0:x1], out[y0:y1, x0:x1]
            region[inside] = (region[inside] * (1 - alpha) + np.array(colour) * alpha).astype(np.uint8)
        for polygon in ann.outline_polygons(h, w):
            pts = np.round(np.asarray(polygon).reshape(-1, 1, 2) * s * 4).astype(np.int32)  # 2 bits subpixel
            cv2.polylines(out, [pts], True, colour, thickness, cv2.LINE_AA, shift=2)
        x, y, bw, bh = (int(round(v * s)) for v in ann.bbox)
        cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), colour, thickness)
        text = label(ann) if label else ann.category
        scale = 0.4 * thickness
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(th + 2, y - 2)
        cv2.rectangle(out, (x, ty - th - 2), (x + tw + 2, ty + base - 1), colour, -1)
        cv2.putText(out, text, (x + 1, ty - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def fit_longer_side(image: np.ndarray, size: int) -> np.ndarray:
    """The image scaled so its longer side is `size`: landscape and upright frames come out at the
    same scale (scaling by width blew upright frames up by a third)."""
    scale = size / max(image.shape[:2])
    if scale == 1:
        return image
    return cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def tile_sheet(tiles: list[np.ndarray], tile_width: int = 320, gap: int = 4) -> np.ndarray:
    """Images with their longer side `tile_width` (`fit_longer_side`), centred in equal cells of a
    near-square grid on a dark sheet; a cell is as wide and as tall as the widest and tallest tile,
    so sheets of landscape frames waste nothing and mixed sheets keep every frame's shape."""
    if not tiles:
        raise ValueError("no images for a sheet")
    tiles = [fit_longer_side(t, tile_width) for t in tiles]
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    cell_w, cell_h = max(t.shape[1] for t in tiles), max(t.shape[0] for t in tiles)
    sheet = np.full((rows * (cell_h + gap) + gap, cols * (cell_w + gap) + gap, 3), 32, np.uint8)
    for n, tile in enumerate(tiles):
        r, c = divmod(n, cols)
        y = gap + r * (cell_h + gap) + (cell_h - tile.shape[0]) // 2
        x = gap + c * (cell_w + gap) + (cell_w - tile.shape[1]) // 2
        sheet[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
    return sheet


def _tile(dataset: Dataset, record: ImageRecord, tile_w: int) -> np.ndarray:
    image = read_image(dataset.image_path(record))
    tile = fit_longer_side(draw_annotations(image, record), tile_w)
    caption = f"{record.file_name}  ({len(record.annotations)})"
    cv2.putText(tile, caption, (4, tile.shape[0] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(tile, caption, (4, tile.shape[0] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def render_preview(dataset: Dataset, *, count: int = 16, tile_width: int = 320) -> np.ndarray:
    """A grid of up to `count` images spread evenly over the dataset (BGR uint8)."""
    if not dataset.images:
        raise ValueError("dataset has no images to preview")
    picks = np.unique(np.linspace(0, len(dataset.images) - 1, min(count, len(dataset.images))).round().astype(int))
    return tile_sheet([_tile(dataset, dataset.images[i], tile_width) for i in picks], tile_width)


def write_preview(dataset: Dataset, out_path: str | Path, *, count: int = 16, tile_width: int = 320) -> Path:
    out_path = Path(out_path)
    write_image_atomic(out_path, render_preview(dataset, count=count, tile_width=tile_width))
    return out_path
