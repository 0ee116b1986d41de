"""Backgrounds to paste onto: a folder of object-free images, or the real images with their objects
inpainted out (cv2.inpaint, Telea) when no folder is given.

Inpainting keeps the whole real image (its tone, lighting, hair, vignetting) at the cost of a smooth
patch where each object was; the folder option avoids that patch when clean images exist.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trainer.annotation import Dataset
from trainer.annotation.io import find_images, read_image
from trainer.composite.cutout import load_image_checked, object_masks
from trainer.errors import UserError

INPAINT_DILATE = 5  # px grown around each object so its dark rim does not leak into the fill
INPAINT_RADIUS = 7


def inpaint_objects(image: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """The image with every object region filled from its surroundings."""
    if not masks:
        return image.copy()
    union = np.any(np.stack(masks), axis=0).astype(np.uint8) * 255
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * INPAINT_DILATE + 1,) * 2)
    return cv2.inpaint(image, cv2.dilate(union, kernel), INPAINT_RADIUS, cv2.INPAINT_TELEA)


class BackgroundSource:
    """Picks background image number i; images from a folder are read when picked (not all in memory)."""

    def __init__(self, folder: Path | None = None, dataset: Dataset | None = None):
        self._paths: list[Path] = []
        self._images: list[np.ndarray] = []
        if folder is not None:
            if not folder.is_dir():
                raise UserError("backgrounds folder not found", folder)
            self._paths = find_images(folder)
            if not self._paths:
                raise UserError("backgrounds folder has no images (.png/.jpg/...)", folder)
        elif dataset is not None:
            self._images = [inpaint_objects(load_image_checked(dataset, i), object_masks(dataset, i))
                            for i in range(len(dataset.images))]
        else:
            raise ValueError("need a backgrounds folder or a dataset to inpaint")
        self.kind = "folder" if folder is not None else "inpainted real images"

    def __len__(self) -> int:
        return len(self._paths) or len(self._images)

    def name(self, i: int) -> str:
        return self._paths[i].name if self._paths else f"real[{i}] (inpainted)"

    def get(self, i: int) -> np.ndarray:
        return read_image(self._paths[i]) if self._paths else self._images[i]


def fit_background(image: np.ndarray, size: tuple[int, int] | None, rng: np.random.Generator) -> np.ndarray:
    """Random flips, then (if `size` = (w, h) is given) a random crop of the right aspect resized to size."""
    if rng.random() < 0.5:
        image = image[:, ::-1]
    if rng.random() < 0.5:
        image = image[::-1]
    if size is None:
        return np.ascontiguousarray(image)
    w, h = size
    ih, iw = image.shape[:2]
    # the largest crop of the target aspect, shrunk by up to 25% for variety
    scale = min(iw / w, ih / h) * rng.uniform(0.75, 1.0)
    cw, ch = max(1, min(iw, round(w * scale))), max(1, min(ih, round(h * scale)))
    x0, y0 = int(rng.integers(0, iw - cw + 1)), int(rng.integers(0, ih - ch + 1))
    crop = image[y0:y0 + ch, x0:x0 + cw]
    interp = cv2.INTER_AREA if cw > w else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=interp)
