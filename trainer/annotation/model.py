"""The in-memory dataset: what every reader returns and every writer takes.

Coordinates follow COCO: pixel (column i, row j) covers [i, i+1) x [j, j+1); polygons are flat
[x1, y1, x2, y2, ...] lists on that continuous grid; bbox is [x, y, w, h]. Category identity is the
name; numeric ids are assigned by the writers (1..K in `Dataset.categories` order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from trainer.annotation.io import safe_join


def polygons_to_rle(polygons: list[list[float]], height: int, width: int) -> dict:
    """Rasterise polygons (union) the way pycocotools/COCOeval does; polygons under 3 points are ignored.

    pycocotools reads a list whose first entry has 4 numbers as a box, so short polygons must go.
    """
    valid = [list(map(float, p)) for p in polygons if len(p) >= 6 and len(p) % 2 == 0]
    if not valid:
        return mask_utils.encode(np.zeros((height, width), dtype=np.uint8, order="F"))
    return mask_utils.merge(mask_utils.frPyObjects(valid, height, width))


def compress_rle(rle: dict) -> dict:
    """Any COCO RLE (compressed or uncompressed counts) -> compressed, with str counts (JSON-ready)."""
    height, width = (int(v) for v in rle["size"])
    if isinstance(rle.get("counts"), list):
        rle = mask_utils.frPyObjects(rle, height, width)
    counts = rle["counts"]
    return {"size": [height, width], "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}


def api_rle(rle: dict) -> dict:
    """A JSON-ready RLE (str counts) as pycocotools' C functions take it (bytes counts)."""
    counts = rle["counts"]
    return {"size": list(rle["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


@dataclass
class Annotation:
    """One object instance in one image, from its visible pixels."""

    category: str
    bbox: tuple[float, float, float, float]
    area: int
    polygons: list[list[float]] = field(default_factory=list)
    rle: dict | None = None  # compressed COCO RLE; set when polygons cannot carry the shape (holes)
    attributes: dict[str, Any] = field(default_factory=dict)
    iscrowd: int = 0

    def to_rle(self, height: int, width: int) -> dict:
        """Compressed RLE of this instance (exact: from `rle` when present, else rasterised polygons)."""
        if self.rle is not None:
            return compress_rle(self.rle)
        return compress_rle(polygons_to_rle(self.polygons, height, width))

    def to_mask(self, height: int, width: int) -> np.ndarray:
        """Boolean HxW mask, rasterised exactly as pycocotools' annToMask would."""
        rle = api_rle(self.rle) if self.rle is not None else polygons_to_rle(self.polygons, height, width)
        if list(rle["size"]) != [height, width]:
            raise ValueError(f"RLE size {rle['size']} does not match image size {[height, width]}")
        return mask_utils.decode(rle).astype(bool)

    def outline_polygons(self, height: int, width: int) -> list[list[float]]:
        """Polygons for formats that need them (VIA): stored ones, or traced from the RLE."""
        if self.polygons:
            return self.polygons
        from trainer.annotation.trace import trace_polygons  # local: only VIA needs outlines of RLE objects

        return trace_polygons(self.to_mask(height, width))[0]


@dataclass
class ImageRecord:
    """One image and its instances; `file_name` is a posix path relative to the images folder."""

    file_name: str
    width: int
    height: int
    annotations: list[Annotation] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Dataset:
    """Images + categories + provenance; the unit every stage reads and writes."""

    images: list[ImageRecord]
    categories: list[str]
    images_dir: Path
    info: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None  # the annotation file it was read from, for error messages

    def image_path(self, record: ImageRecord) -> Path:
        """Where the image lies; names from JSON are refused if they escape the images folder."""
        return safe_join(self.images_dir, record.file_name, source=self.source or self.images_dir)

    def category_id(self, name: str) -> int:
        return self.categories.index(name) + 1

    @property
    def num_annotations(self) -> int:
        return sum(len(r.annotations) for r in self.images)
