"""Tiny datasets drawn by the tests themselves (no downloads): coloured ellipses ("disc") and
rectangles ("box") on noise, labelled through the annotation core like any other dataset."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from trainer.annotation import Dataset, ImageRecord, annotation_from_mask, write_dataset
from trainer.annotation.io import write_image_atomic

HAVE_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch/torchvision not installed (pip install '.[train]')")

CATEGORIES = ["disc", "box"]


def make_shapes_dataset(root: Path, n_images: int = 4, size: tuple[int, int] = (96, 64), seed: int = 0,
                        empty_images: int = 0, portrait: int = 0) -> Path:
    """`n_images` frames with 1-3 objects each (+ `empty_images` without objects, + `portrait` tall ones)."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    records = []
    total = n_images + empty_images + portrait
    for i in range(total):
        w, h = size if i < n_images + empty_images else size[::-1]
        image = rng.integers(60, 120, (h, w, 3)).astype(np.uint8)
        anns = []
        n_obj = 0 if n_images <= i < n_images + empty_images else int(rng.integers(1, 4))
        taken = np.zeros((h, w), bool)
        for k in range(n_obj):
            mask = np.zeros((h, w), np.uint8)
            cx, cy = int(rng.integers(14, w - 14)), int(rng.integers(14, h - 14))
            if k % 2 == 0:
                cv2.ellipse(mask, (cx, cy), (int(rng.integers(7, 13)), int(rng.integers(7, 13))), 0, 0, 360, 1, -1)
                cat, colour = "disc", (230, 40, 40)
            else:
                a, b = int(rng.integers(7, 12)), int(rng.integers(7, 12))
                cv2.rectangle(mask, (cx - a, cy - b), (cx + a, cy + b), 1, -1)
                cat, colour = "box", (40, 60, 230)
            m = mask.astype(bool) & ~taken
            taken |= m
            image[m] = colour
            ann = annotation_from_mask(m, cat)
            if ann is not None:
                anns.append(ann)
        name = f"img_{i:03d}.png"
        write_image_atomic(root / "images" / name, image[:, :, ::-1])
        records.append(ImageRecord(file_name=name, width=w, height=h, annotations=anns))
    write_dataset(Dataset(images=records, categories=list(CATEGORIES), images_dir=root / "images"), root,
                  preview=False)
    return root


@pytest.fixture(scope="session")
def shapes_dataset(tmp_path_factory) -> Path:
    return make_shapes_dataset(tmp_path_factory.mktemp("shapes"), n_images=4, empty_images=1, portrait=1)


@pytest.fixture(scope="session")
def make_dataset():
    """The dataset maker itself, for tests that need their own variant."""
    return make_shapes_dataset
