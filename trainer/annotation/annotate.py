"""Frames (image + mask + metadata) -> a dataset with COCO + VIA, in parallel over processes.

Each frame is independent, so frames are annotated in worker processes (both cores) and the
results joined in file-name order: the output does not depend on the number of workers.
A frame that cannot be annotated (unreadable, wrong size, index without metadata) is skipped and
counted, never half-annotated; instances removed by filters are counted by reason.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from trainer.annotation.dataset import annotation_paths, write_dataset
from trainer.annotation.instances import annotation_from_crop, annotation_from_mask
from trainer.annotation.io import image_size, link_or_copy, read_json, read_mask
from trainer.annotation.model import Annotation, Dataset, ImageRecord
from trainer.annotation.parallel import process_map
from trainer.annotation.sources import FrameSource, class_from_mask_name, discover_frames
from trainer.annotation.trace import EXACT_SIMPLIFY, SEGMENTATION_MODES, index_mask_crops
from trainer.errors import DatasetError, UserError


@dataclass
class AnnotateOptions:
    segmentation: str = "auto"  # auto: polygons, plus exact RLE for objects with holes
    min_pixels: int = 16  # drop instances with fewer visible pixels
    min_visible_fraction: float = 0.0  # drop instances less visible than this (needs unoccluded_px)
    min_extent: int = 2  # drop slivers: visible box narrower or shorter than this (pixels)
    simplify: float = EXACT_SIMPLIFY  # polygon tolerance, px; above EXACT_SIMPLIFY trades pixels for size
    categories: list[str] | None = None  # fixes category order (ids); others are appended
    default_category: str = "object"  # for masks without metadata
    # Category renames applied as frames are read ({"rescuer": "person", "civilian": "person"}): one
    # set of renders can be labelled for several tasks, e.g. one "person" class to score on real photos.
    class_map: dict[str, str] = field(default_factory=dict)
    ignore_value: int | None = None  # mask value that is not an object (e.g. 255 borders in VOC)
    overwrite: bool = False
    workers: int | None = None  # None: all cores for big jobs; 1: in this process (always inside Blender)
    info: dict[str, Any] = field(default_factory=dict)  # merged into COCO info (seed, preset, ...)
    images_dir: Path | None = None
    masks_dir: Path | None = None
    preview: bool = True
    progress: bool = True
    formats: tuple[str, ...] = ("coco", "via")  # label files to write (see files.FORMAT_FILES)


@dataclass
class AnnotateSummary:
    out_dir: Path
    frames: int = 0
    empty_frames: int = 0
    instances: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> instances removed
    skipped: Counter = field(default_factory=Counter)  # reason -> frames not annotated
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.frames} frames, {self.instances} instances -> {self.out_dir / 'annotations'}"]
        if self.empty_frames:
            out.append(f"  {self.empty_frames} frames have no instances (kept as negatives)")
        out += [f"  dropped {n} instance(s): {reason}" for reason, n in sorted(self.dropped.items())]
        out += [f"  skipped {n} frame(s): {reason}" for reason, n in sorted(self.skipped.items())]
        return out


@dataclass
class _FrameResult:
    record: ImageRecord | None
    dropped: Counter
    skip_reason: str | None = None
    warning: str | None = None


def _load_objects(path: Path) -> dict[int, dict]:
    meta = read_json(path)
    objects = meta.get("objects") if isinstance(meta, dict) else None
    if not isinstance(objects, list):
        raise DatasetError("frame description has no 'objects' list", path)
    table: dict[int, dict] = {}
    for i, obj in enumerate(objects):
        if not (isinstance(obj, dict) and isinstance(obj.get("index"), int) and obj["index"] > 0
                and isinstance(obj.get("category"), str) and obj["category"]):
            raise DatasetError(f"objects[{i}] needs an 'index' > 0 and a 'category' name", path)
        table[obj["index"]] = obj
    return table


def _to_index_mask(mask: np.ndarray, path: Path) -> np.ndarray:
    """Colour masks (distinct colour = object) -> index mask; grey or single-channel pass through."""
    if mask.ndim == 2:
        return mask
    if (mask[:, :, 0] == mask[:, :, 1]).all() and (mask[:, :, 0] == mask[:, :, 2]).all():
        return mask[:, :, 0]
    packed = (mask[:, :, 0].astype(np.uint32) << 16) | (mask[:, :, 1].astype(np.uint32) << 8) | mask[:, :, 2]
    colours, inverse = np.unique(packed, return_inverse=True)
    if len(colours) > 65535:
        raise DatasetError("colour mask has more than 65535 colours", path)
    index = inverse.reshape(packed.shape).astype(np.uint16)
    if colours[0] != 0:  # no black background: every colour is an object
        index += 1
    return index


def _renamed(category: str, opts: AnnotateOptions) -> str:
    return opts.class_map.get(category, category)


def parse_class_map(text: str) -> dict[str, str]:
    """'rescuer=person,civilian=person' -> {'rescuer': 'person', 'civilian': 'person'}."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        src, sep, dst = (x.strip() for x in item.partition("="))
        if not (sep and src and dst):
            raise UserError(f"--class-map expects SRC=DST pairs separated by commas, got {item!r}")
        out[src] = dst
    return out


def _keep(ann: Annotation, opts: AnnotateOptions, dropped: Counter) -> bool:
    if ann.area < opts.min_pixels:
        dropped["fewer than min_pixels visible"] += 1
        return False
    if min(ann.bbox[2], ann.bbox[3]) < opts.min_extent:
        dropped["sliver (narrower than min_extent)"] += 1
        return False
    vis = ann.attributes.get("visible_fraction")
    if vis is not None and vis < opts.min_visible_fraction:
        dropped["visible fraction under min_visible_fraction"] += 1
        return False
    return True


def _annotate_frame(frame: FrameSource, opts: AnnotateOptions) -> _FrameResult:
    dropped: Counter = Counter()
    try:
        width, height = image_size(frame.image)
        record = ImageRecord(file_name=frame.file_name, width=width, height=height)
        candidates: list[Annotation] = []
        if frame.object_masks:
            for path in frame.object_masks:
                mask = read_mask(path)
                if mask.shape[:2] != (height, width):
                    raise DatasetError(f"mask is {mask.shape[1]}x{mask.shape[0]}, image is {width}x{height}", path)
                binary = mask.any(axis=2) if mask.ndim == 3 else mask > 0
                ann = annotation_from_mask(binary, _renamed(class_from_mask_name(path, opts.default_category), opts),
                                           segmentation=opts.segmentation, simplify=opts.simplify,
                                           attributes={"name": path.stem})
                if ann is not None:
                    candidates.append(ann)
        else:
            assert frame.mask is not None
            mask = _to_index_mask(read_mask(frame.mask), frame.mask)
            if mask.shape != (height, width):
                raise DatasetError(f"mask is {mask.shape[1]}x{mask.shape[0]}, image is {width}x{height}", frame.mask)
            if opts.ignore_value is not None:
                mask = np.where(mask == opts.ignore_value, 0, mask)
            objects = _load_objects(frame.metadata) if frame.metadata else None
            crops = index_mask_crops(mask)
            if objects is not None:
                unknown = sorted(set(crops) - set(objects))
                if unknown:
                    raise DatasetError(f"mask value(s) {unknown[:5]} have no entry in {frame.metadata.name}", frame.mask)
                dropped["not visible (listed in metadata, 0 pixels)"] += len(set(objects) - set(crops))
            for k, (crop, offset) in crops.items():
                obj = objects[k] if objects is not None else {}
                attrs: dict[str, Any] = {"index": k, "name": str(obj.get("name", k))}
                if obj.get("asset"):
                    attrs["asset"] = obj["asset"]
                area = int(np.count_nonzero(crop))
                unoccluded = obj.get("unoccluded_px")
                if isinstance(unoccluded, (int, float)) and unoccluded > 0:
                    attrs["unoccluded_px"] = int(unoccluded)
                    attrs["visible_fraction"] = round(min(1.0, area / unoccluded), 4)
                ann = annotation_from_crop(
                    crop, offset, (height, width), _renamed(obj.get("category", opts.default_category), opts),
                    segmentation=opts.segmentation, simplify=opts.simplify, attributes=attrs, area=area)
                if isinstance(obj.get("truncated"), bool):  # the renderer knows truncation by the frame
                    ann.attributes["truncated"] = obj["truncated"] or ann.attributes["truncated"]
                candidates.append(ann)
        record.annotations = [a for a in candidates if _keep(a, opts, dropped)]
        return _FrameResult(record, dropped)
    except DatasetError as exc:
        reason = "unreadable, mismatched or unlabelled mask/image"
        return _FrameResult(None, dropped, skip_reason=reason, warning=str(exc))


def _run_frames(frames: list[FrameSource], opts: AnnotateOptions) -> list[_FrameResult]:
    return process_map(partial(_annotate_frame, opts=opts), frames, workers=opts.workers,
                       desc="annotate", unit="frame", progress=opts.progress)


def _materialise(frames: list[FrameSource], src: Path, out: Path, images_dir: Path) -> None:
    """Give `out` the standard layout: images/ (hard links when possible), plus masks/ and scenes/."""
    if images_dir.resolve() == (out / "images").resolve():
        return
    for frame in frames:
        link_or_copy(frame.image, out / "images" / frame.file_name)
        stem = Path(frame.file_name).with_suffix("")
        if frame.mask is not None and frame.mask.suffix.lower() == ".png":
            link_or_copy(frame.mask, out / "masks" / stem.parent / f"{stem.name}.png")
        if frame.metadata is not None:
            link_or_copy(frame.metadata, out / "scenes" / stem.parent / f"{stem.name}.json")


def annotate_directory(src: str | Path, out: str | Path | None = None,
                       options: AnnotateOptions | None = None) -> AnnotateSummary:
    """Annotate every frame under `src` and write the dataset (COCO + VIA + preview) under `out`."""
    opts = options or AnnotateOptions()
    if opts.segmentation not in SEGMENTATION_MODES:
        raise UserError(f"--segmentation must be one of {', '.join(SEGMENTATION_MODES)}")
    src = Path(src)
    if not src.is_dir():
        raise UserError("no such folder", src)
    out = Path(out) if out is not None else src
    existing = [p for p in annotation_paths(out, opts.formats) if p.exists()]
    if existing and not opts.overwrite:
        raise UserError("already exists (pass --overwrite to replace the annotations)", existing[0])
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):  # a unique name: shards may annotate one folder at once
            pass
    except OSError as exc:
        raise UserError(f"output folder is not writable ({exc.strerror})", out) from None

    found = discover_frames(src, images_dir=opts.images_dir, masks_dir=opts.masks_dir)
    summary = AnnotateSummary(out_dir=out)
    for reason, names in found.skipped.items():
        summary.skipped[reason] += len(names)
        summary.warnings.append(f"{reason}: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")

    results = _run_frames(found.frames, opts)
    kept_frames, records = [], []
    for frame, result in zip(found.frames, results):
        summary.dropped.update(result.dropped)
        if result.record is None:
            summary.skipped[result.skip_reason or "error"] += 1
            summary.warnings.append(result.warning or frame.file_name)
            continue
        kept_frames.append(frame)
        records.append(result.record)
        summary.frames += 1
        summary.instances += len(result.record.annotations)
        summary.empty_frames += not result.record.annotations
    if not records:
        raise DatasetError("no frame could be annotated" + (f" ({summary.warnings[0]})" if summary.warnings else ""), src)

    names = {a.category for r in records for a in r.annotations}
    categories = list(dict.fromkeys(_renamed(c, opts) for c in opts.categories or []))
    categories += sorted(names - set(categories))
    _materialise(kept_frames, src, out, found.images_dir)
    info = dict(opts.info)
    if opts.class_map:
        info["class_map"] = dict(opts.class_map)
    info["filters"] = {"min_pixels": opts.min_pixels, "min_visible_fraction": opts.min_visible_fraction,
                       "min_extent": opts.min_extent, "segmentation": opts.segmentation}
    dataset = Dataset(images=records, categories=categories, images_dir=out / "images", info=info)
    write_dataset(dataset, out, segmentation=opts.segmentation, preview=opts.preview, formats=opts.formats)
    return summary
