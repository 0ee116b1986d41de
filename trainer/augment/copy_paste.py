"""Copy-paste: an object cut from another image of the dataset pasted beside one already there.

Why: people who stand together, touch and hide each other are where render-trained detectors
miss most on real photos (docs/sim2real.md, group photos), and renders hold few such scenes. Pasting
whole objects between images (Dwibedi et al. 2017 "Cut, Paste and Learn"; Ghiasi et al. 2021
"Simple Copy-Paste") makes them without a render: the pasted object stands beside an object of
the target image (the anchor) at its size, in front of or behind it, so the two touch (or, with a
smaller `offset`, overlap) as people in a group do. Labels stay exact: a pasted object in front
takes its pixels from every mask under it; one behind keeps only the pixels nobody else covers.
Measured on real photos (docs/sim2real.md, E28/E29): more people found in the group photos for
more false detections, so the shipped presets leave it off; overlapping pastes split people.

A donor is an object seen whole (not cut by its image's sides or top, not mostly occluded) or cut
off only by the bottom edge, as the people of close-ups are; a bottom-cut donor is pasted beside a
bottom-cut anchor and reaches the bottom edge as it did in its own image, a whole one beside a
whole one standing on the same line. Offline only (`trainer augment`): it needs other images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from trainer.annotation import Annotation, Dataset
from trainer.annotation.io import read_image
from trainer.augment.preset import CopyPasteSpec
from trainer.composite.cutout import cut_out
from trainer.composite.paste import Warped, blend, warp_foreground
from trainer.errors import DatasetError

EDGE = 1  # px: a box this close to an image side counts as cut off by it
MIN_VISIBLE = 0.8  # a donor whose render says it is less visible than this is mostly hidden: not used
ROOMIER_SIDE = 0.75  # share of pastes on the anchor's side with more of the image
MIN_INSIDE = 0.5  # share of a pasted object that must land inside the frame (no slivers at the sides)


@dataclass(frozen=True)
class Donor:
    """One object of the dataset that may be pasted elsewhere."""

    index: int  # its image's index in the dataset
    path: Path
    width: int
    height: int
    annotation: Annotation
    source: str  # "<file_name>#<annotation number>", recorded with every paste
    bottom_cut: bool
    upright: bool  # its box is higher than wide (standing, walking); else lying, crouching wide, a dog

    @property
    def kind(self) -> tuple[bool, bool]:
        """Donors are pasted beside anchors of their kind: heights (widths, when cut off) compare only there."""
        return self.bottom_cut, self.upright


def _cuts(bbox: tuple[float, float, float, float], width: int, height: int) -> tuple[bool, bool]:
    """(cut by the left, right or top side; cut by the bottom)."""
    x, y, w, h = bbox
    sides = x <= EDGE or y <= EDGE or x + w >= width - EDGE
    return sides, y + h >= height - EDGE


def find_donors(dataset: Dataset, paths: list[Path], min_height: int) -> list[Donor]:
    """Every object of the dataset that can be pasted: seen whole or cut only by the bottom edge,
    at least `min_height` px high, and (where the annotation records it) mostly unoccluded."""
    out = []
    for i, (rec, path) in enumerate(zip(dataset.images, paths)):
        for j, ann in enumerate(rec.annotations):
            sides, bottom = _cuts(ann.bbox, rec.width, rec.height)
            visible = ann.attributes.get("visible_fraction")
            if sides or ann.bbox[3] < min_height or (isinstance(visible, (int, float)) and visible < MIN_VISIBLE):
                continue
            out.append(Donor(i, path, rec.width, rec.height, ann, f"{rec.file_name}#{j}", bottom,
                             ann.bbox[3] >= ann.bbox[2]))
    return out


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def paste_beside(image: np.ndarray, masks: list[np.ndarray], donors: list[Donor], own_index: int,
                 rng: np.random.Generator, spec: CopyPasteSpec, min_area: int
                 ) -> tuple[np.ndarray, list[np.ndarray], list[tuple[Donor, dict[str, Any]]]]:
    """Paste 1..n donors (not from image `own_index`) beside objects of an RGB image.

    Returns the new image, the masks of the objects already there (what pasted objects in front
    now hide taken away) followed by those of the pasted ones, and each pasted donor with the
    parameters drawn. Draws from `rng` only.
    """
    height, width = image.shape[:2]
    masks = [m.copy() for m in masks]
    pasted: list[tuple[Donor, dict[str, Any]]] = []
    for _ in range(int(rng.integers(spec.objects[0], spec.objects[1] + 1))):
        anchors = [k for k, m in enumerate(masks) if m.sum() >= min_area]
        if not anchors:
            break
        k = anchors[int(rng.integers(len(anchors)))]
        ax0, ay0, ax1, ay1 = _box(masks[k])
        anchor_bottom = ay1 >= height - EDGE
        kind = (anchor_bottom, ay1 - ay0 >= ax1 - ax0)
        pool = [d for d in donors if d.index != own_index and d.kind == kind]
        if not pool:
            continue
        donor = pool[int(rng.integers(len(pool)))]
        try:
            bgr = read_image(donor.path)
        except DatasetError:
            continue  # the worker skips and counts a bad source image; a bad donor is just not used
        if bgr.shape[:2] != (donor.height, donor.width):
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        fg = cut_out(rgb, donor.annotation.to_mask(donor.height, donor.width), donor.annotation.category, donor.source)
        dw, dh = donor.annotation.bbox[2:]
        # whole pairs match heights; cut-off pairs (only their tops show) match widths
        ratio = (ax1 - ax0) / dw if anchor_bottom else (ay1 - ay0) / dh
        scale = float(np.clip(ratio * rng.uniform(*spec.scale), 0.25, 2.5))
        flip = bool(rng.random() < 0.5)
        warped = warp_foreground(fg, scale, 0.0, flip)
        wx0, wy0, wx1, wy1 = _box(warped.mask)
        # mostly on the side with more room (a close-up's subject leaves little on the other)
        roomier = 1 if width - ax1 > ax0 else -1
        side = roomier if rng.random() < ROOMIER_SIDE else -roomier
        half = ((ax1 - ax0) + (wx1 - wx0)) / 2
        cx = (ax0 + ax1) / 2 + side * rng.uniform(*spec.offset) * half
        x = int(round(cx - (wx0 + wx1) / 2))
        if anchor_bottom:  # reaches the bottom edge as it did in its own image
            y = height - wy1
        else:  # on the anchor's ground line, give or take a few per cent of its height
            y = int(round(ay1 + rng.uniform(-0.04, 0.04) * (ay1 - ay0))) - wy1
        front = bool(rng.random() < spec.front)
        out, new, inside = _composite(image, masks, warped, x, y, front, spec.feather)
        if inside < MIN_INSIDE * warped.mask.sum() or new.sum() < min_area:  # mostly outside, or hidden
            continue
        image = out
        if front:
            for m in masks:
                m &= ~new
        masks.append(new)
        pasted.append((donor, {"source": donor.source, "anchor": k, "scale": round(scale, 4), "flip": flip,
                               "x": x, "y": y, "front": front}))
    return image, masks, pasted


def _composite(image: np.ndarray, masks: list[np.ndarray], warped: Warped, x: int, y: int, front: bool,
               feather: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Blend the warped object at (x, y), clipped to the image; behind = under every existing mask.
    Returns the image, the object's visible mask (full size) and its pixels inside the frame."""
    height, width = image.shape[:2]
    h, w = warped.mask.shape
    py, px = max(0, -y), max(0, -x)
    qy, qx = max(0, y + h - height), max(0, x + w - width)
    padded = np.pad(image, ((py, qy), (px, qx), (0, 0)), mode="edge")
    out = blend(padded, warped, x + px, y + py, "feathered", feather)[py:py + height, px:px + width]
    canvas = np.zeros(padded.shape[:2], bool)
    canvas[y + py:y + py + h, x + px:x + px + w] = warped.mask
    new = canvas[py:py + height, px:px + width]
    inside = int(new.sum())
    if not front and masks:
        occupied = np.logical_or.reduce(masks)
        new &= ~occupied
        out[occupied] = image[occupied]  # the feathered edge does not spill over whoever stands in front
    return out, new, inside
