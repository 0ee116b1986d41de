"""Find annotatable frames in a folder, in any of the input forms the core accepts.

Forms (per image `images/<stem>.<ext>`):
- renderer: `masks/<stem>.png` uint16 index mask (k = object pass index) + `scenes/<stem>.json`
  whose "objects" list maps each index to its category;
- index/colour mask without metadata (Penn-Fudan `PedMasks/<stem>_mask.png`: value k = object k;
  colour masks: each distinct colour = one object; palette PNGs read as their indices);
- one black/white mask per object: `masks/<stem>/<name>.png` (class from `<class>_<n>.png` names).
Folders: images/ or PNGImages/ (else SRC itself); masks/ or PedMasks/; scenes/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trainer.annotation.files import link_escape
from trainer.annotation.io import IMAGE_SUFFIXES, check_utf8_name, find_images
from trainer.errors import DatasetError, UserError

MASK_NAME_SUFFIXES = ("", "_mask", "-mask", "_masks", "_label")
MASK_SUFFIXES = (".png", ".tif", ".tiff", ".bmp")
_CLASS_FROM_NAME = re.compile(r"^(?P<cls>.+?)[_-](?P<n>\d+)$")


@dataclass
class FrameSource:
    """Where one frame's pieces are; `file_name` is the image path relative to the images folder."""

    image: Path
    file_name: str
    mask: Path | None = None
    object_masks: list[Path] = field(default_factory=list)
    metadata: Path | None = None


@dataclass
class Discovery:
    frames: list[FrameSource]
    images_dir: Path
    masks_dir: Path | None
    skipped: dict[str, list[str]]  # reason -> file names


def class_from_mask_name(path: Path, default: str) -> str:
    """`rescuer_3.png` -> "rescuer"; `3.png` or `mask.png` -> the default class."""
    match = _CLASS_FROM_NAME.match(path.stem)
    return match.group("cls") if match else default


def _first_dir(src: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (src / name).is_dir():
            return src / name
    return None


def discover_frames(src: Path, *, images_dir: Path | None = None, masks_dir: Path | None = None) -> Discovery:
    if not src.is_dir():
        raise UserError("not a folder", src)
    images_dir = images_dir or _first_dir(src, ("images", "PNGImages")) or src
    masks_dir = masks_dir or _first_dir(src, ("masks", "PedMasks"))
    if masks_dir is None:
        raise DatasetError("no masks folder (expected masks/ or PedMasks/, or pass --masks)", src)
    scenes_dir = src / "scenes"
    frames: list[FrameSource] = []
    skipped: dict[str, list[str]] = {}
    for image in find_images(images_dir):
        if masks_dir in image.parents:
            continue  # SRC itself holds images: don't take masks for images
        rel = image.relative_to(images_dir)
        try:
            check_utf8_name(image)
        except DatasetError:
            skipped.setdefault("file name not UTF-8", []).append(repr(str(rel)))
            continue
        if link_escape(images_dir, image):  # the same confinement as a file_name read from JSON
            skipped.setdefault("image is a link leading outside the images folder", []).append(rel.as_posix())
            continue
        stem_rel = rel.with_suffix("")
        frame = FrameSource(image=image, file_name=rel.as_posix())
        per_object = masks_dir / stem_rel
        if per_object.is_dir():
            frame.object_masks = sorted(p for p in per_object.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            for suffix in MASK_NAME_SUFFIXES:
                for ext in MASK_SUFFIXES:
                    candidate = masks_dir / stem_rel.parent / f"{stem_rel.name}{suffix}{ext}"
                    if candidate.is_file():
                        frame.mask = candidate
                        break
                if frame.mask:
                    break
        if frame.mask is None and not frame.object_masks:
            skipped.setdefault("no mask", []).append(frame.file_name)
            continue
        meta = scenes_dir / stem_rel.parent / f"{stem_rel.name}.json"
        frame.metadata = meta if meta.is_file() else None
        frames.append(frame)
    return Discovery(frames=frames, images_dir=images_dir, masks_dir=masks_dir, skipped=skipped)
