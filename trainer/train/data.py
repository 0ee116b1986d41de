"""Dataset -> torchvision detection targets, augmentation hook, aspect-ratio grouped batches.

Randomness in augmentation comes from a generator seeded by (seed, epoch, image index), not from
global or per-worker state, so a resumed run sees exactly the same augmented batches as an
uninterrupted one, whatever the number of loader workers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Sampler

from trainer.annotation import Dataset
from trainer.annotation.io import read_image
from trainer.errors import DatasetError, UserError
from trainer.train.config import TrainConfig

# (image HxWx3 uint8 RGB, target with numpy "boxes" (N,4 xyxy float32), "masks" (N,H,W uint8), "labels" (N,),
#  rng) -> (image, target). Geometric transforms must keep boxes and masks in step.
Transform = Callable[[np.ndarray, dict, np.random.Generator], tuple[np.ndarray, dict]]


@dataclass
class Skipped:
    """Annotations left out before training, by reason (reported in run.json and on the console)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, reason: str) -> None:
        self.counts[reason] += 1

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def usable_annotations(dataset: Dataset, skipped: Skipped) -> list[list[int]]:
    """Per image, the indices of annotations fit to train on; degenerate ones are counted, not fatal.

    Zero-area boxes make the box regression loss infinite and empty masks teach nothing; crowd
    regions are ignored in training as in torchvision's references.
    """
    keep: list[list[int]] = []
    for record in dataset.images:
        idx = []
        for i, ann in enumerate(record.annotations):
            x, y, w, h = ann.bbox
            if ann.iscrowd:
                skipped.add("crowd")
            elif ann.category not in dataset.categories:
                skipped.add("unknown category")
            elif not (w > 0 and h > 0) or not all(math.isfinite(v) for v in ann.bbox):
                skipped.add("zero-area box")
            elif (not ann.polygons and ann.rle is None) or (
                    ann.area <= 0 and not ann.to_mask(record.height, record.width).any()):
                skipped.add("empty mask")  # area 0 may just be missing from a foreign COCO file: rasterise to know
            elif x >= record.width or y >= record.height or x + w <= 0 or y + h <= 0:
                skipped.add("box outside image")
            else:
                idx.append(i)
        keep.append(idx)
    return keep


class DetectionDataset(torch.utils.data.Dataset):
    """Images as float CHW tensors in [0, 1] and targets in torchvision's Mask R-CNN format."""

    def __init__(self, dataset: Dataset, categories: list[str], transform: Transform | None = None,
                 seed: int = 0):
        missing = sorted(set(dataset.categories) - set(categories))
        if missing:
            raise DatasetError(f"categories {missing} are not among the model's {categories}",
                               dataset.source or dataset.images_dir)
        self.dataset = dataset
        self.categories = categories
        self.transform = transform
        self.seed = seed
        self.epoch = 0
        self.skipped = Skipped()
        self.keep = usable_annotations(dataset, self.skipped)

    def __len__(self) -> int:
        return len(self.dataset.images)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def aspect_groups(self) -> list[int]:
        """0 for landscape/square, 1 for portrait (the references' two-bin grouping)."""
        return [int(r.height > r.width) for r in self.dataset.images]

    def file_name(self, index: int) -> str:
        return self.dataset.images[index].file_name

    def load(self, index: int) -> tuple[np.ndarray, dict]:
        """Image (RGB uint8) and numpy target, before augmentation."""
        record = self.dataset.images[index]
        path = self.dataset.image_path(record)
        image = read_image(path)[:, :, ::-1]
        h, w = image.shape[:2]
        if (w, h) != (record.width, record.height):
            raise DatasetError(f"image is {w}x{h} but the annotations say {record.width}x{record.height}", path)
        masks, boxes, labels = [], [], []
        for i in self.keep[index]:
            ann = record.annotations[i]
            mask = ann.to_mask(h, w)
            if not mask.any():
                continue  # polygons that rasterise to nothing (sub-pixel slivers)
            x, y, bw, bh = ann.bbox
            box = [max(0.0, x), max(0.0, y), min(float(w), x + bw), min(float(h), y + bh)]
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            masks.append(mask)
            boxes.append(box)
            labels.append(self.categories.index(ann.category) + 1)
        target = {
            "boxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
            "labels": np.asarray(labels, dtype=np.int64),
            "masks": np.stack(masks).astype(np.uint8) if masks else np.zeros((0, h, w), np.uint8),
        }
        return np.ascontiguousarray(image), target

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict]:
        image, target = self.load(index)
        if self.transform is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            image, target = self.transform(image, target, rng)
        return to_tensors(image, target, index)


def to_tensors(image: np.ndarray, target: dict, index: int) -> tuple[torch.Tensor, dict]:
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255)
    out = {
        "boxes": torch.from_numpy(np.ascontiguousarray(target["boxes"], dtype=np.float32)).reshape(-1, 4),
        "labels": torch.from_numpy(np.ascontiguousarray(target["labels"], dtype=np.int64)),
        "masks": torch.from_numpy(np.ascontiguousarray(target["masks"], dtype=np.uint8)),
        "image_index": torch.tensor(index),
    }
    return tensor, out


class HorizontalFlip:
    def __init__(self, prob: float):
        self.prob = prob

    def __call__(self, image: np.ndarray, target: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        if rng.random() >= self.prob:
            return image, target
        w = image.shape[1]
        boxes = target["boxes"].copy()
        boxes[:, [0, 2]] = w - target["boxes"][:, [2, 0]]
        return image[:, ::-1], {**target, "boxes": boxes, "masks": target["masks"][:, :, ::-1]}


class PhotometricJitter:
    """Brightness, contrast and saturation each scaled by a factor in [1-s, 1+s]."""

    def __init__(self, strength: float):
        self.strength = strength

    def __call__(self, image: np.ndarray, target: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        b, c, s = rng.uniform(1 - self.strength, 1 + self.strength, size=3)
        img = image.astype(np.float32) * b
        gray = img.mean(axis=2, keepdims=True)
        img = (img - gray.mean()) * c + gray.mean()
        gray = img.mean(axis=2, keepdims=True)
        img = (img - gray) * s + gray
        return np.clip(img, 0, 255).astype(np.uint8), target


class PresetAugment:
    """A `trainer augment` preset (albumentations, masks moved exactly) applied online.

    Boxes are recomputed from the augmented masks; objects left with fewer visible pixels than the
    preset's min_area are dropped, as offline augmentation does. (The preset's "redraw" of variants
    that lost every object does not apply online: such a sample simply trains as background.)
    """

    def __init__(self, preset: str):
        from trainer.augment import build_pipeline

        self.pipeline = build_pipeline(preset)
        if self.pipeline.preset.copy_paste is not None:
            raise UserError("[copy_paste] pastes objects from the dataset's other images, which online augmentation "
                            "does not see: run `trainer augment` with this preset first", preset)
        self.min_area = max(1, self.pipeline.preset.min_area)

    def __call__(self, image: np.ndarray, target: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        image, masks = self.pipeline(image, target["masks"].astype(bool), seed=int(rng.integers(2**53)))
        keep = masks.reshape(len(masks), -1).sum(axis=1) >= self.min_area if len(masks) else np.zeros(0, bool)
        masks = masks[keep]
        boxes = np.zeros((len(masks), 4), np.float32)
        for i, m in enumerate(masks):
            ys, xs = np.nonzero(m)
            boxes[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        return image, {**target, "boxes": boxes, "labels": target["labels"][keep],
                       "masks": masks.astype(np.uint8).reshape(-1, *image.shape[:2])}


class Compose:
    def __init__(self, transforms: list[Transform]):
        self.transforms = transforms

    def __call__(self, image: np.ndarray, target: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        for t in self.transforms:
            image, target = t(image, target, rng)
        return image, target


def build_train_transforms(config: TrainConfig) -> Transform | None:
    """The online augmentation used by `trainer fit`: the single place to change it.

    `augment = "PRESET"` (a `trainer augment` preset name or TOML path) uses the shared augmentation
    definition; otherwise a horizontal flip and colour jitter. Classes, not closures, so DataLoader
    workers can be spawned (macOS/Windows) as well as forked.
    """
    if config.augment:
        return PresetAugment(config.augment)
    transforms: list[Transform] = []
    if config.hflip_prob > 0:
        transforms.append(HorizontalFlip(config.hflip_prob))
    if config.jitter > 0:
        transforms.append(PhotometricJitter(config.jitter))
    return Compose(transforms) if transforms else None


class GroupedBatchSampler(Sampler[list[int]]):
    """Batches drawn from one aspect-ratio group at a time (less padding), in the sampler's order.

    The groups' leftovers are chunked together at the end, so there are always ceil(n / batch)
    batches and every image is seen once per epoch. Equal counts on every rank matter under DDP:
    a rank with one batch more would wait forever for the others' gradients.
    """

    def __init__(self, sampler: Sampler[int], group_ids: list[int], batch_size: int):
        self.sampler = sampler
        self.group_ids = group_ids
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        buckets: dict[int, list[int]] = defaultdict(list)
        for idx in self.sampler:
            bucket = buckets[self.group_ids[idx]]
            bucket.append(idx)
            if len(bucket) == self.batch_size:
                yield list(bucket)
                bucket.clear()
        rest = [idx for group in sorted(buckets) for idx in buckets[group]]
        for i in range(0, len(rest), self.batch_size):
            yield rest[i:i + self.batch_size]

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)


def collate(batch: list) -> tuple:
    return tuple(zip(*batch))
