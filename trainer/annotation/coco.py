"""COCO instance-segmentation JSON <-> Dataset (see shared FORMATS.md for the rules followed here).

Writing: image ids 1..N, annotation ids 1..M, category ids 1..K (COCOeval treats id 0 as unmatched;
torchvision then uses K + 1 classes), bbox floats, area = pixel count, iscrowd on every annotation,
polygons of >= 3 points, compressed RLE for shapes polygons cannot carry.
Reading: polygons, compressed and uncompressed RLE; category names are the identity, so ids are
renumbered 1..K in the source's id order on the next write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trainer import __version__
from trainer.annotation.model import Annotation, Dataset, ImageRecord, compress_rle
from trainer.annotation.trace import (POLYGON_CONVENTIONS, fill_pixel_centre_polygons, pixel_centre_polygons,
                                      trace_polygons)
from trainer.errors import DatasetError

GENERATOR = f"rescuesynth {__version__}"
POLYGONS_KEY = "polygons"  # info key naming the polygon convention; absent means "coco" (everyone else's files)


def _segmentation(ann: Annotation, record: ImageRecord, mode: str, polygons: str = "coco") -> list | dict:
    """"auto": RLE when the annotation has one (holes), else its polygons; or force one form.

    The in-memory polygons are always the "coco" convention; "pixel-centres" ones are traced from the
    annotation's pixels here, at the last moment, so every other stage keeps one representation.
    """
    if mode == "rle" or (mode == "auto" and (ann.rle is not None or not ann.polygons)):
        return ann.to_rle(record.height, record.width)
    if polygons == "pixel-centres":
        return pixel_centre_polygons(ann.to_mask(record.height, record.width))
    if mode == "polygon":
        return ann.outline_polygons(record.height, record.width)
    return ann.polygons


def to_coco(dataset: Dataset, *, segmentation: str = "auto", polygons: str = "coco") -> dict[str, Any]:
    """The COCO dict for `dataset`; `segmentation` "auto" keeps each annotation's own form, and
    `polygons` picks the polygon convention (trace.POLYGON_CONVENTIONS), recorded in info."""
    if polygons not in POLYGON_CONVENTIONS:
        raise DatasetError(f"polygon convention must be one of {', '.join(POLYGON_CONVENTIONS)}, not {polygons!r}")
    info = {"description": "rescuesynth dataset", "version": __version__, "generator": GENERATOR}
    info.update(dataset.info)
    info[POLYGONS_KEY] = polygons
    images, annotations = [], []
    ann_id = 0
    for image_id, record in enumerate(dataset.images, start=1):
        entry: dict[str, Any] = {"id": image_id, "file_name": record.file_name,
                                 "width": record.width, "height": record.height}
        if record.attributes:
            entry["attributes"] = record.attributes
        images.append(entry)
        for ann in record.annotations:
            ann_id += 1
            out: dict[str, Any] = {
                "id": ann_id, "image_id": image_id, "category_id": dataset.category_id(ann.category),
                "segmentation": _segmentation(ann, record, segmentation, polygons), "area": int(ann.area),
                "bbox": [float(v) for v in ann.bbox], "iscrowd": int(ann.iscrowd),
            }
            if ann.attributes:
                out["attributes"] = ann.attributes
            annotations.append(out)
    categories = [{"id": i, "name": name, "supercategory": name} for i, name in enumerate(dataset.categories, 1)]
    return {"info": info, "licenses": [], "images": images, "annotations": annotations, "categories": categories}


def _require(obj: dict, key: str, kind: type | tuple, where: str, source: Path) -> Any:
    if key not in obj:
        raise DatasetError(f"{where} has no '{key}'", source)
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DatasetError(f"{where}: '{key}' has the wrong type ({type(value).__name__})", source)
    return value


def _read_segmentation(seg: Any, where: str, source: Path) -> tuple[list[list[float]], dict | None]:
    if isinstance(seg, dict):
        if "counts" not in seg or "size" not in seg:
            raise DatasetError(f"{where}: RLE segmentation needs 'size' and 'counts'", source)
        try:
            return [], compress_rle(seg)
        except Exception as exc:  # pycocotools raises bare Exceptions on malformed counts
            raise DatasetError(f"{where}: invalid RLE ({exc})", source) from None
    if isinstance(seg, list) and all(isinstance(p, list) for p in seg):
        try:
            return [[float(v) for v in p] for p in seg], None
        except (TypeError, ValueError):
            raise DatasetError(f"{where}: polygon coordinates must be numbers", source) from None
    raise DatasetError(f"{where}: segmentation must be a list of polygons or an RLE dict", source)


def _from_pixel_centres(polygons: list[list[float]], record: ImageRecord) -> list[list[float]]:
    """Pixel-centre polygons -> the pixels a fillPoly reader fills -> the in-memory (coco) outlines."""
    mask = fill_pixel_centre_polygons(polygons, record.height, record.width)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return trace_polygons(mask[y0:y1, x0:x1], (int(x0), int(y0)))[0]


def from_coco(obj: Any, source: Path, images_dir: Path) -> Dataset:
    """Parse a COCO dict; structural problems raise a one-line DatasetError naming `source`."""
    if not isinstance(obj, dict):
        raise DatasetError("not a COCO file (top level is not an object)", source)
    raw_images = _require(obj, "images", list, "COCO file", source)
    raw_anns = obj.get("annotations", [])
    raw_cats = _require(obj, "categories", list, "COCO file", source)
    if not isinstance(raw_anns, list):
        raise DatasetError("COCO file: 'annotations' is not a list", source)

    cat_names: dict[int, str] = {}
    for i, cat in enumerate(raw_cats):
        where = f"categories[{i}]"
        cid = _require(cat, "id", int, where, source)
        name = _require(cat, "name", str, where, source)
        if cid in cat_names:
            raise DatasetError(f"{where}: duplicate category id {cid}", source)
        cat_names[cid] = name
    categories = list(dict.fromkeys(cat_names[c] for c in sorted(cat_names)))

    records: dict[int, ImageRecord] = {}
    for i, img in enumerate(raw_images):
        where = f"images[{i}]"
        iid = _require(img, "id", int, where, source)
        if iid in records:
            raise DatasetError(f"{where}: duplicate image id {iid}", source)
        extra = {k: v for k, v in img.items() if k not in ("id", "file_name", "width", "height")}
        attributes = extra.pop("attributes", {}) if isinstance(extra.get("attributes"), dict) else {}
        records[iid] = ImageRecord(
            file_name=_require(img, "file_name", str, where, source),
            width=_require(img, "width", int, where, source),
            height=_require(img, "height", int, where, source),
            attributes={**extra, **attributes},
        )

    info = obj.get("info") if isinstance(obj.get("info"), dict) else {}
    convention = info.get(POLYGONS_KEY, "coco")
    if convention not in POLYGON_CONVENTIONS:
        raise DatasetError(f"info.{POLYGONS_KEY}: unknown polygon convention {convention!r} "
                           f"(expected {' or '.join(POLYGON_CONVENTIONS)})", source)
    for i, ann in enumerate(raw_anns):
        where = f"annotations[{i}]"
        iid = _require(ann, "image_id", int, where, source)
        cid = _require(ann, "category_id", int, where, source)
        if iid not in records:
            raise DatasetError(f"{where}: image_id {iid} is not in 'images'", source)
        if cid not in cat_names:
            raise DatasetError(f"{where}: category_id {cid} is not in 'categories'", source)
        polygons, rle = _read_segmentation(ann.get("segmentation", []), where, source)
        if convention == "pixel-centres" and polygons:
            polygons = _from_pixel_centres(polygons, records[iid])
        bbox = ann.get("bbox", [0, 0, 0, 0])
        if not (isinstance(bbox, list) and len(bbox) == 4):
            raise DatasetError(f"{where}: bbox must be [x, y, w, h]", source)
        attributes = ann.get("attributes") if isinstance(ann.get("attributes"), dict) else {}
        records[iid].annotations.append(Annotation(
            category=cat_names[cid], bbox=tuple(float(v) for v in bbox), area=int(round(float(ann.get("area", 0)))),
            polygons=polygons, rle=rle, attributes=dict(attributes), iscrowd=int(ann.get("iscrowd", 0)),
        ))
    info = {k: v for k, v in info.items() if k != POLYGONS_KEY}  # the next write records its own
    return Dataset(images=list(records.values()), categories=categories, images_dir=images_dir,
                   info=dict(info), source=source)
