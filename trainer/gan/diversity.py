"""How varied is a set of images? Learned metrics (LPIPS) need downloaded weights, so two plain ones:

- mean pairwise L1: mean |a - b| over all pixel values (0..1 scale) of every pair of images, after
  resizing to METRIC_SIZE (global appearance, not fine texture). 0 = all identical, 1 = black vs white.
- colour-histogram spread: mean pairwise total-variation distance between the images' joint RGB
  histograms (BINS per channel); 0 = same colours, 1 = no colour in common. Plus the std of the
  images' mean colours (0-255 scale, averaged over channels): "one skin colour" shows up as a small value.

Sets larger than MAX_IMAGES are subsampled evenly (deterministic), keeping the pair count bounded.
numpy + OpenCV only (usable without torch).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trainer.annotation.io import find_images, read_image
from trainer.errors import UserError

METRIC_SIZE = 64
BINS = 8
MAX_IMAGES = 200


def _pick(items: list, limit: int) -> list:
    if len(items) <= limit:
        return items
    return [items[i] for i in np.linspace(0, len(items) - 1, limit).round().astype(int)]


def diversity(images: list[np.ndarray]) -> dict:
    """Diversity figures for a list of HxWx3 uint8 images (any sizes); needs at least 2 images."""
    images = _pick(images, MAX_IMAGES)
    n = len(images)
    if n < 2:
        return {"images": n, "mean_pairwise_l1": 0.0, "hist_spread": 0.0, "mean_colour_std": 0.0}
    small = np.stack([cv2.resize(im, (METRIC_SIZE, METRIC_SIZE), interpolation=cv2.INTER_AREA)
                      for im in images]).reshape(n, -1).astype(np.float32) / 255.0
    hists = np.stack([np.histogramdd(im.reshape(-1, 3), bins=BINS, range=[(0, 256)] * 3)[0].ravel() / (
        im.shape[0] * im.shape[1]) for im in images])
    l1_total, tv_total = 0.0, 0.0
    for i in range(n - 1):  # row by row: n^2/2 pairs without an n x n x pixels array
        l1_total += np.abs(small[i + 1:] - small[i]).mean(axis=1).sum()
        tv_total += 0.5 * np.abs(hists[i + 1:] - hists[i]).sum(axis=1).sum()
    pairs = n * (n - 1) / 2
    means = np.stack([im.reshape(-1, 3).mean(0) for im in images])
    return {"images": n, "mean_pairwise_l1": round(float(l1_total / pairs), 5),
            "hist_spread": round(float(tv_total / pairs), 5),
            "mean_colour_std": round(float(means.std(axis=0).mean()), 3)}


def folder_diversity(folder: str | Path) -> dict:
    """Diversity of the images in a folder (or a dataset folder's images/)."""
    folder = Path(folder)
    if (folder / "images").is_dir():
        folder = folder / "images"
    if not folder.is_dir():
        raise UserError("folder not found", folder)
    paths = _pick(find_images(folder), MAX_IMAGES)
    if len(paths) < 2:
        raise UserError("need at least 2 images to measure diversity", folder)
    return diversity([read_image(p) for p in paths])
