"""VGG Image Annotator 2.x: project file and annotation export <-> Dataset.

Facts (shared FORMATS.md, from via.js 2.0.11): images are keyed by file name + file size in bytes;
points are integers; polygons are not closed; a region is one simple polygon, so an object split by
occlusion becomes several regions sharing `region_attributes.instance`, and holes are lost (VIA
cannot draw them: the outer boundaries are kept). Width and height are not stored: the reader takes
them from the image files.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from trainer.annotation.instances import annotation_from_mask
from trainer.annotation.io import image_size, safe_join
from trainer.annotation.model import Annotation, Dataset, ImageRecord
from trainer.errors import DatasetError

VIA_FORMAT_VERSION = "2.0.10"  # what VIA 2.0.11 writes into project files


def _region_points(polygon: list[float], width: int, height: int) -> tuple[list[int], list[int]] | None:
    """Round to VIA's integer points inside [0, W] x [0, H], dropping repeats; None if no area remains."""
    pts = np.rint(np.asarray(polygon, dtype=np.float64).reshape(-1, 2)).astype(np.int64)
    pts[:, 0] = np.clip(pts[:, 0], 0, width)
    pts[:, 1] = np.clip(pts[:, 1], 0, height)
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
    pts = pts[keep]
    if len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]
    if len(pts) < 3:
        return None
    x, y = pts[:, 0], pts[:, 1]
    if np.dot(x, np.roll(y, 1)) == np.dot(y, np.roll(x, 1)):  # zero shoelace area: a line, not a region
        return None
    return pts[:, 0].tolist(), pts[:, 1].tolist()


def via_key(dataset: Dataset, record: ImageRecord) -> tuple[str, int]:
    size = os.path.getsize(dataset.image_path(record))
    return f"{record.file_name}{size}", size


def to_via_regions(dataset: Dataset) -> dict[str, Any]:
    """The annotation export (Annotation > Import annotations): {filename+size: {filename, size, regions}}."""
    out: dict[str, Any] = {}
    ann_id = 0  # same numbering as the COCO writer, so `instance` lines up with coco.json ids
    for record in dataset.images:
        key, size = via_key(dataset, record)
        regions = []
        for ann in record.annotations:
            ann_id += 1
            for polygon in ann.outline_polygons(record.height, record.width):
                points = _region_points(polygon, record.width, record.height)
                if points is None:
                    continue
                regions.append({
                    "shape_attributes": {"name": "polygon", "all_points_x": points[0], "all_points_y": points[1]},
                    "region_attributes": {"class": ann.category, "instance": str(ann_id)},
                })
        out[key] = {"filename": record.file_name, "size": size, "regions": regions, "file_attributes": {}}
    return out


def to_via_project(dataset: Dataset, regions: dict[str, Any], *, name: str, default_filepath: str) -> dict[str, Any]:
    """The project file (Project > Load), wrapping an export made by `to_via_regions`."""
    return {
        "_via_settings": {
            "ui": {
                "annotation_editor_height": 25, "annotation_editor_fontsize": 0.8, "leftsidebar_width": 18,
                "image_grid": {"img_height": 80, "rshape_fill": "none", "rshape_fill_opacity": 0.3,
                               "rshape_stroke": "yellow", "rshape_stroke_width": 2,
                               "show_region_shape": True, "show_image_policy": "all"},
                "image": {"region_label": "class", "region_color": "class",
                          "region_label_font": "10px Sans", "on_image_annotation_editor_placement": "NEAR_REGION"},
            },
            "core": {"buffer_size": 18, "filepath": {}, "default_filepath": default_filepath},
            "project": {"name": name},
        },
        "_via_img_metadata": regions,
        "_via_attributes": {
            "region": {
                # option id -> description; VIA's own "Export as COCO" names each category by its
                # description, so an empty one gives categories without a name
                "class": {"type": "dropdown", "description": "object class",
                          "options": {c: c for c in dataset.categories}, "default_options": {}},
                "instance": {"type": "text", "description": "instance id (regions of one object share it)",
                             "default_value": ""},
            },
            "file": {},
        },
        "_via_data_format_version": VIA_FORMAT_VERSION,
        "_via_image_id_list": list(regions),
    }


def _shape_to_polygon(shape: dict, where: str, source: Path) -> list[float] | None:
    """VIA shapes with an area -> flat polygon; point/polyline have none (None)."""
    kind = shape.get("name")
    try:
        if kind == "polygon":
            xs, ys = shape["all_points_x"], shape["all_points_y"]
            if len(xs) != len(ys):
                raise DatasetError(f"{where}: all_points_x and all_points_y differ in length", source)
            return [float(v) for xy in zip(xs, ys) for v in xy]
        if kind == "rect":
            x, y, w, h = (float(shape[k]) for k in ("x", "y", "width", "height"))
            return [x, y, x + w, y, x + w, y + h, x, y + h]
        if kind in ("circle", "ellipse"):
            cx, cy = float(shape["cx"]), float(shape["cy"])
            rx = float(shape["r"] if kind == "circle" else shape["rx"])
            ry = float(shape["r"] if kind == "circle" else shape["ry"])
            theta = float(shape.get("theta", 0.0))
            t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
            x = cx + rx * np.cos(t) * math.cos(theta) - ry * np.sin(t) * math.sin(theta)
            y = cy + rx * np.cos(t) * math.sin(theta) + ry * np.sin(t) * math.cos(theta)
            return np.stack([x, y], axis=1).reshape(-1).tolist()
    except (KeyError, TypeError, ValueError):
        raise DatasetError(f"{where}: {kind} region is missing or has bad coordinates", source) from None
    return None


def _region_class(attrs: dict) -> str:
    """The class from region_attributes: 'class' if present, else the one string/dropdown value."""
    def value(v: Any) -> str | None:
        if isinstance(v, str) and v:
            return v
        if isinstance(v, dict):  # checkbox: {"option": true}
            chosen = [k for k, on in v.items() if on]
            return chosen[0] if chosen else None
        return None

    if "class" in attrs and value(attrs["class"]):
        return value(attrs["class"])
    values = [value(v) for k, v in attrs.items() if k != "instance"]
    values = [v for v in values if v]
    return values[0] if len(values) == 1 else "object"


def from_via(obj: Any, source: Path, images_dir: Path) -> Dataset:
    """Parse a VIA project file or annotation export; regions sharing `instance` form one object."""
    if not isinstance(obj, dict):
        raise DatasetError("not a VIA file (top level is not an object)", source)
    metadata = obj.get("_via_img_metadata", obj)
    order = obj.get("_via_image_id_list") or list(metadata)
    missing: list[str] = []
    records: list[ImageRecord] = []
    categories: dict[str, None] = {}
    attr_opts = obj.get("_via_attributes", {}).get("region", {}).get("class", {}).get("options", {})
    categories.update({c: None for c in attr_opts if isinstance(c, str)})
    for key in order:
        entry = metadata.get(key)
        if not isinstance(entry, dict) or "filename" not in entry:
            raise DatasetError(f"entry {key!r} is not a VIA image record (no 'filename')", source)
        path = safe_join(images_dir, entry["filename"], source=source)
        if not path.is_file():
            missing.append(entry["filename"])
            continue
        width, height = image_size(path)
        groups: dict[str, list[list[float]]] = {}
        group_class: dict[str, str] = {}
        for r, region in enumerate(entry.get("regions", []) or []):
            where = f"{entry['filename']} region {r}"
            polygon = _shape_to_polygon(region.get("shape_attributes", {}), where, source)
            if polygon is None or len(polygon) < 6:
                continue
            attrs = region.get("region_attributes", {}) or {}
            gid = str(attrs.get("instance") or f"region{r}")
            groups.setdefault(gid, []).append(polygon)
            group_class[gid] = _region_class(attrs)
        record = ImageRecord(file_name=entry["filename"], width=width, height=height)
        for gid, polygons in groups.items():
            probe = Annotation(category=group_class[gid], bbox=(0, 0, 0, 0), area=0, polygons=polygons)
            mask = probe.to_mask(height, width)
            ann = annotation_from_mask(mask, group_class[gid], segmentation="polygon")
            if ann is None:
                continue
            ann.polygons = polygons  # keep the user's own outline; bbox/area come from its pixels
            ann.attributes.pop("truncated", None)
            record.annotations.append(ann)
            categories.setdefault(group_class[gid], None)
        records.append(record)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise DatasetError(f"{len(missing)} image(s) named in the file are missing under {images_dir}: {shown}", source)
    return Dataset(images=records, categories=list(categories), images_dir=images_dir, info={}, source=source)
