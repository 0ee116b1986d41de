"""Small synthetic "lesion" datasets for tests and benchmarks (no real data ships with the project):
skin-coloured noise backgrounds with darker elliptical blobs, labelled by the annotation core.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trainer.annotation import Dataset, ImageRecord, annotation_from_mask, write_dataset
from trainer.annotation.io import write_image_atomic

SKIN_BGR = ((150, 175, 225), (120, 150, 205), (90, 120, 170), (70, 95, 140))  # light to dark tones


def make_lesion_image(rng: np.random.Generator, width: int, height: int, n_lesions: int = 1,
                      skin: tuple[int, int, int] | None = None, lesion_bgr: tuple[int, int, int] = (30, 35, 70),
                      noise: float = 4.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """(BGR image, list of boolean lesion masks): noisy skin tone, non-overlapping dark ellipses."""
    tone = np.array(skin if skin is not None else SKIN_BGR[int(rng.integers(len(SKIN_BGR)))], np.float32)
    image = tone + rng.normal(0, noise, (height, width, 3)).astype(np.float32)
    masks: list[np.ndarray] = []
    taken = np.zeros((height, width), bool)
    for _ in range(n_lesions * 10):
        if len(masks) == n_lesions:
            break
        ax = int(rng.integers(max(3, width // 12), max(4, width // 5)))
        ay = int(rng.integers(max(3, height // 12), max(4, height // 5)))
        cx = int(rng.integers(ax + 2, width - ax - 2))
        cy = int(rng.integers(ay + 2, height - ay - 2))
        canvas = np.zeros((height, width), np.uint8)
        cv2.ellipse(canvas, (cx, cy), (ax, ay), float(rng.uniform(0, 180)), 0, 360, 1, -1)
        mask = canvas.astype(bool)
        if (mask & taken).any():
            continue
        taken |= mask
        masks.append(mask)
        image[mask] = np.array(lesion_bgr, np.float32) + rng.normal(0, noise, (int(mask.sum()), 3))
    return np.clip(np.round(image), 0, 255).astype(np.uint8), masks


def make_lesion_dataset(root: str | Path, count: int, *, width: int = 64, height: int = 64, lesions: int = 1,
                        seed: int = 0, category: str = "lesion") -> Path:
    """A dataset folder (images/ + COCO/VIA) of `count` synthetic lesion images; returns `root`."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    records = []
    for i in range(count):
        image, masks = make_lesion_image(rng, width, height, lesions)
        name = f"real_{i:03d}.png"
        write_image_atomic(root / "images" / name, image)
        anns = [annotation_from_mask(m, category) for m in masks]
        records.append(ImageRecord(name, width, height, [a for a in anns if a is not None]))
    write_dataset(Dataset(records, [category], root / "images", info={"synthetic": True}), root)
    return root
