"""Training pairs and generator inputs: (object mask, coarse tone map) -> image, all size x size.

The tone map is the image with its objects inpainted out (the same inpainting compositing uses for
backgrounds), shrunk to TONE_CELLS x TONE_CELLS colours and blown up again: it carries background
colour and lighting but no texture or objects, so the generator still has to draw those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from trainer.annotation import Dataset
from trainer.annotation.io import find_images, read_mask
from trainer.composite.backgrounds import inpaint_objects
from trainer.composite.cutout import load_image_checked, object_masks
from trainer.errors import DatasetError, UserError

TONE_CELLS = 8
# "mask" is the published pix2pix input (the thesis baseline); "mask+tone" adds the tone map.
CONDITIONINGS = {"mask": 1, "mask+tone": 4}  # -> input channels


def tone_cells(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """TONE_CELLS x TONE_CELLS x 3 uint8 background colours of a BGR image whose objects are `mask`."""
    clean = inpaint_objects(image, [mask] if mask.any() else [])
    return cv2.resize(clean, (TONE_CELLS, TONE_CELLS), interpolation=cv2.INTER_AREA)


def tone_map(cells: np.ndarray, size: int) -> np.ndarray:
    return cv2.resize(cells, (size, size), interpolation=cv2.INTER_CUBIC)


def jitter_tone(cells: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """A new background tone: brightness gain and a per-channel shift of up to `amount` (0-1 scale)."""
    if amount <= 0:
        return cells
    gain = rng.uniform(1 - amount, 1 + amount)
    shift = rng.uniform(-amount, amount, 3) * 128
    return np.clip(cells.astype(np.float32) * gain + shift, 0, 255).astype(np.uint8)


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    return cv2.resize(mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST).astype(bool)


@dataclass
class Pairs:
    """The real training set at the GAN's size: uint8 arrays, N first."""

    images: np.ndarray  # N x S x S x 3 BGR
    masks: np.ndarray  # N x S x S bool (union of the image's objects)
    tones: np.ndarray  # N x TONE_CELLS x TONE_CELLS x 3 BGR
    names: list[str]


def load_pairs(dataset: Dataset, size: int) -> Pairs:
    """Every image of the dataset with its object union mask; sizes are checked against the labels."""
    if not dataset.images:
        raise UserError("dataset has no images", dataset.source or dataset.images_dir)
    if not any(r.annotations for r in dataset.images):
        raise DatasetError("dataset has no annotated objects (every mask is empty): nothing to learn",
                           dataset.source or dataset.images_dir)
    images, masks, tones = [], [], []
    for i, record in enumerate(dataset.images):
        image = load_image_checked(dataset, i)
        parts = object_masks(dataset, i)
        mask = np.any(np.stack(parts), 0) if parts else np.zeros(image.shape[:2], bool)
        tones.append(tone_cells(image, mask))
        images.append(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA))
        masks.append(resize_mask(mask, size))
    return Pairs(np.stack(images), np.stack(masks), np.stack(tones), [r.file_name for r in dataset.images])


def to_unit(a: np.ndarray) -> np.ndarray:
    """uint8 / bool -> float32 in [-1, 1] (the tanh range pix2pix uses)."""
    if a.dtype == bool:
        return a.astype(np.float32) * 2.0 - 1.0
    return a.astype(np.float32) / 127.5 - 1.0


def condition(mask: np.ndarray, tone: np.ndarray, conditioning: str = "mask+tone") -> np.ndarray:
    """C x S x S float32 generator input: the mask channel, then (mask+tone) the tone map's 3 channels."""
    if conditioning == "mask":
        return to_unit(mask)[None]
    return np.concatenate([to_unit(mask)[None], to_unit(tone).transpose(2, 0, 1)], 0)


def from_unit(t: np.ndarray) -> np.ndarray:
    """3 x S x S in [-1, 1] -> S x S x 3 uint8 BGR."""
    return np.clip(np.round((t.transpose(1, 2, 0) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def read_index_masks(folder: Path) -> tuple[list[tuple[Path, np.ndarray]], list[str]]:
    """The masks to generate for, and the names of empty ones (skipped: nothing to label).

    Single-channel index masks (0 = background, k = object k); three equal channels (a grey/binary
    mask saved as RGB) are accepted too. A folder with no non-empty mask is an error.
    """
    if not folder.is_dir():
        raise UserError("masks folder not found", folder)
    paths = find_images(folder)
    if not paths:
        raise UserError("masks folder has no images (.png/...)", folder)
    stems: dict[str, Path] = {}
    for path in paths:  # outputs are named by stem: two masks must not share one
        if path.stem in stems:
            raise UserError(f"two masks named {path.stem!r} ({stems[path.stem].name}); outputs would collide", path)
        stems[path.stem] = path
    out, empty = [], []
    for path in paths:
        mask = read_mask(path)
        if mask.ndim == 3:
            if not (np.array_equal(mask[..., 0], mask[..., 1]) and np.array_equal(mask[..., 0], mask[..., 2])):
                raise DatasetError("colour mask: use a single-channel index mask (0 = background)", path)
            mask = mask[..., 0]
        if mask.any():
            out.append((path, mask))
        else:
            empty.append(path.name)
    if not out:
        raise DatasetError("mask is empty (no object pixels): nothing to label" if len(paths) == 1 else
                           f"all {len(paths)} masks are empty (no object pixels): nothing to label",
                           paths[0] if len(paths) == 1 else folder)
    return out, empty
