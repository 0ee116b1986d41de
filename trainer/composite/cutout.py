"""Foregrounds: each annotated object of the real dataset cut out with its mask as alpha.

Why a separate step: the cut-outs are the only thing taken from the real objects, so checking them
once (sizes match, masks not empty) keeps every later step free of those checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.annotation import Dataset
from trainer.annotation.io import read_image
from trainer.errors import DatasetError

# px of the object's real surroundings kept around it (edge-replicated at the image border):
# Poisson blending transfers the object *relative to* this context onto the new background.
PAD = 8


@dataclass
class Foreground:
    """One object: BGR pixels and a boolean mask of the same (padded) crop."""

    bgr: np.ndarray  # h x w x 3 uint8: the object and PAD px of its original surroundings
    mask: np.ndarray  # h x w bool
    category: str
    source: str  # "<file_name>#<annotation index>", for provenance in the outputs
    source_side: int = 0  # shorter side of the image it came from (keeps object/image proportions)

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def load_image_checked(dataset: Dataset, index: int) -> np.ndarray:
    """Read one image and refuse it when its size differs from what the annotations say."""
    record = dataset.images[index]
    path = dataset.image_path(record)
    image = read_image(path)
    h, w = image.shape[:2]
    if (w, h) != (record.width, record.height):
        raise DatasetError(f"image is {w}x{h} but the annotations say {record.width}x{record.height} "
                           "(masks do not match the image)", path)
    return image


def object_masks(dataset: Dataset, index: int) -> list[np.ndarray]:
    """Boolean full-size masks of one image's annotations; an empty one is an error (nothing to cut)."""
    record = dataset.images[index]
    masks = []
    for k, ann in enumerate(record.annotations):
        mask = ann.to_mask(record.height, record.width)
        if not mask.any():
            raise DatasetError(f"annotation {k} ({ann.category}) has an empty mask", dataset.image_path(record))
        masks.append(mask)
    return masks


def cut_out(image: np.ndarray, mask: np.ndarray, category: str, source: str) -> Foreground:
    """The object's bounding box (plus PAD transparent pixels) as a Foreground."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min() - PAD, ys.max() + 1 + PAD, xs.min() - PAD, xs.max() + 1 + PAD
    h, w = mask.shape
    pads = ((max(0, -y0), max(0, y1 - h)), (max(0, -x0), max(0, x1 - w)))
    y0, x0 = max(0, y0), max(0, x0)
    bgr = np.pad(image[y0:y1, x0:x1], pads + ((0, 0),), mode="edge")
    crop = np.pad(mask[y0:y1, x0:x1], pads)
    return Foreground(bgr=bgr, mask=crop, category=category, source=source, source_side=min(h, w))


def cutouts_from_dataset(dataset: Dataset) -> list[Foreground]:
    """Every annotated object of every image, in dataset order (deterministic)."""
    out: list[Foreground] = []
    for i, record in enumerate(dataset.images):
        if not record.annotations:
            continue
        image = load_image_checked(dataset, i)
        for k, (ann, mask) in enumerate(zip(record.annotations, object_masks(dataset, i))):
            out.append(cut_out(image, mask, ann.category, f"{record.file_name}#{k}"))
    if not out:
        raise DatasetError("no annotated objects to cut out (every image has an empty label set)",
                           dataset.source or dataset.images_dir)
    return out
