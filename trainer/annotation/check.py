"""Validate a dataset the way a trainer and pycocotools will read it, and report every problem.

COCO structure is checked on the raw JSON (duplicate ids, dangling references, 4-number polygons
that pycocotools would read as boxes, missing iscrowd, ...), because the strict reader refuses
such files outright and a user needs the whole list. Then every image is opened and every
annotation rasterised: missing or truncated images, wrong sizes, empty masks, area and bbox that
disagree with the pixels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.annotation.dataset import default_images_dir, find_annotation_file, input_paths, json_format
from trainer.annotation.files import check_output
from trainer.annotation.coco import from_coco
from trainer.annotation.io import image_size, read_json, safe_join
from trainer.annotation.model import Dataset
from trainer.annotation.via import from_via
from trainer.errors import DatasetError

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Finding:
    level: str
    check: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    path: Path
    images: int = 0
    annotations: int = 0
    categories: int = 0
    findings: dict[str, Finding] = field(default_factory=dict)

    def add(self, level: str, check: str, example: str) -> None:
        finding = self.findings.setdefault(check, Finding(level, check))
        finding.count += 1
        if len(finding.examples) < 3:
            finding.examples.append(example)

    @property
    def errors(self) -> int:
        return sum(f.count for f in self.findings.values() if f.level == ERROR)

    def table(self) -> str:
        head = f"{self.path}: {self.images} images, {self.annotations} annotations, {self.categories} categories"
        if not self.findings:
            return head + "\nno problems found"
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        rows = sorted(self.findings.values(), key=lambda f: (order[f.level], f.check))
        w_check = max(len(f.check) for f in rows)
        lines = [head, f"{'LEVEL':<8} {'CHECK':<{w_check}} {'COUNT':>6}  EXAMPLES"]
        for f in rows:
            lines.append(f"{f.level:<8} {f.check:<{w_check}} {f.count:>6}  {'; '.join(f.examples)}")
        return "\n".join(lines)


def _check_coco_structure(obj: dict, report: CheckReport) -> bool:
    """Checks on the raw COCO dict; returns False when it is too broken to load."""
    images, anns, cats = obj.get("images"), obj.get("annotations"), obj.get("categories")
    if not all(isinstance(v, list) for v in (images, anns, cats)):
        report.add(ERROR, "COCO file lacks images/annotations/categories lists", str(report.path))
        return False
    for key, items in (("images", images), ("annotations", anns), ("categories", cats)):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                report.add(ERROR, f"{key} entry is not an object", f"{key}[{i}] = {str(item)[:40]}")
    if report.errors:
        return False
    for img in images:
        w, h = img.get("width"), img.get("height")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (w, h)):
            report.add(ERROR, "image width/height not positive integers",
                       f"image id {img.get('id')}: {w!r} x {h!r}")
        if not isinstance(img.get("file_name"), str) or not img.get("file_name"):
            report.add(ERROR, "image file_name missing or not a string", f"image id {img.get('id')}")
    for cat in cats:
        if not isinstance(cat.get("name"), str) or not cat.get("name"):
            report.add(ERROR, "category name missing or not a string", f"category id {cat.get('id')}")
    sizes: dict = {}
    for img in images:
        sizes.setdefault(img.get("id"), (img.get("width"), img.get("height")))
    for key, items, label in (("id", images, "image"), ("id", anns, "annotation"), ("id", cats, "category")):
        counts = Counter(item.get(key) for item in items)
        for value, n in counts.items():
            if n > 1:
                report.add(ERROR, f"duplicate {label} id", f"{label} id {value} x{n}")
            if not isinstance(value, int) or isinstance(value, bool):
                report.add(ERROR, f"{label} id is not an integer", repr(value))
            elif label != "image" and value < 1:
                report.add(ERROR, f"{label} id < 1 (COCOeval treats 0 as unmatched)", f"{label} id {value}")
    for name, n in Counter(img.get("file_name") for img in images).items():
        if n > 1:
            report.add(ERROR, "duplicate file_name", f"{name} x{n}")
    cat_ids = {c.get("id") for c in cats}
    for ann in anns:
        aid = ann.get("id")
        if ann.get("image_id") not in sizes:
            report.add(ERROR, "annotation refers to a missing image", f"ann {aid} -> image {ann.get('image_id')}")
        if ann.get("category_id") not in cat_ids:
            report.add(ERROR, "annotation refers to a missing category", f"ann {aid} -> category {ann.get('category_id')}")
        if "iscrowd" not in ann:
            report.add(ERROR, "annotation lacks iscrowd", f"ann {aid}")
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4) or min(bbox[2:], default=0) <= 0:
            report.add(ERROR, "bbox missing or with zero width/height", f"ann {aid}: {bbox}")
        seg = ann.get("segmentation")
        width, height = sizes.get(ann.get("image_id"), (None, None))
        if isinstance(seg, list):
            if not seg:
                report.add(ERROR, "empty segmentation", f"ann {aid}")
            for poly in seg:
                if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
                    n = len(poly) if isinstance(poly, list) else poly
                    report.add(ERROR, "polygon with < 3 points or odd length", f"ann {aid}: {n} numbers")
                    continue
                xy = np.asarray(poly, dtype=float).reshape(-1, 2)
                if isinstance(width, int) and isinstance(height, int) and (
                        (xy < 0).any() or (xy[:, 0] > width).any() or (xy[:, 1] > height).any()):
                    report.add(ERROR, "polygon point outside the image", f"ann {aid}")
        elif isinstance(seg, dict):
            if list(seg.get("size", [])) != [height, width]:
                report.add(ERROR, "RLE size differs from image size", f"ann {aid}: {seg.get('size')}")
        else:
            report.add(ERROR, "segmentation missing", f"ann {aid}")
    used = Counter(a.get("category_id") for a in anns)
    for cat in cats:
        if used[cat.get("id")] == 0:
            report.add(WARNING, "category with no annotations", str(cat.get("name")))
    return report.errors == 0


def _check_pixels(dataset: Dataset, report: CheckReport) -> None:
    """Open every image and rasterise every annotation against it."""
    for record in dataset.images:
        try:
            path = dataset.image_path(record)
            width, height = image_size(path)
        except DatasetError as exc:
            report.add(ERROR, "missing, unreadable or truncated image", str(exc))
            continue
        if (width, height) != (record.width, record.height):
            report.add(ERROR, "image size differs from the annotation file",
                       f"{record.file_name}: file {width}x{height}, json {record.width}x{record.height}")
            continue
        if not record.annotations:
            report.add(INFO, "image without annotations (negative)", record.file_name)
        for ann in record.annotations:
            try:
                mask = ann.to_mask(height, width)
            except Exception as exc:  # noqa: BLE001 - a malformed segmentation is a finding, not a crash
                report.add(ERROR, "segmentation cannot be rasterised", f"{record.file_name}: {exc}")
                continue
            area = int(mask.sum())
            if area == 0:
                report.add(ERROR, "annotation with an empty mask", f"{record.file_name}: {ann.category}")
                continue
            if abs(area - ann.area) > max(1, 0.01 * area):
                report.add(WARNING, "area differs from the mask's pixel count",
                           f"{record.file_name}: area {ann.area}, pixels {area}")
            rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
            box = (cols[0], rows[0], cols[-1] + 1 - cols[0], rows[-1] + 1 - rows[0])
            if max(abs(a - b) for a, b in zip(box, ann.bbox)) > 1.0:
                report.add(WARNING, "bbox differs from the mask's extent",
                           f"{record.file_name}: bbox {list(ann.bbox)}, mask {list(map(int, box))}")


def _inspect(path: str | Path, images_dir: str | Path | None) -> tuple[CheckReport, Dataset | None]:
    """The structural checks (raw JSON, safe paths, a strict load); the Dataset when they pass."""
    path = Path(path)
    if not path.exists():
        raise DatasetError("no such file or folder", path)
    json_path = find_annotation_file(path) if path.is_dir() else path
    root = Path(images_dir) if images_dir else default_images_dir(json_path)
    report = CheckReport(json_path)
    obj = read_json(json_path)
    is_coco = json_format(obj, json_path) == "coco"
    if is_coco:
        raw = [obj.get(k) if isinstance(obj.get(k), list) else [] for k in ("images", "annotations", "categories")]
        report.images, report.annotations, report.categories = (len(v) for v in raw)
        if not _check_coco_structure(obj, report):
            return report, None
        for img in obj["images"]:
            try:
                safe_join(root, img.get("file_name"), source=json_path)
            except DatasetError as exc:
                report.add(ERROR, "unsafe image path", str(exc))
        if report.errors:
            return report, None
    try:
        dataset = from_coco(obj, json_path, root) if is_coco else from_via(obj, json_path, root)
    except DatasetError as exc:
        report.add(ERROR, "file cannot be read", str(exc))
        return report, None
    report.images, report.annotations, report.categories = (
        len(dataset.images), dataset.num_annotations, len(dataset.categories))
    return report, dataset


def check_dataset(path: str | Path, images_dir: str | Path | None = None) -> CheckReport:
    report, dataset = _inspect(path, images_dir)
    if dataset is not None:
        _check_pixels(dataset, report)
    return report


def _refuse(report: CheckReport, given: str | Path) -> None:
    """One line for a dataset that `trainer check` would fail: the count, the first problem, the way on."""
    if not report.errors:
        return
    first = next(f for f in report.findings.values() if f.level == ERROR)  # the first one met
    example = first.examples[0] if first.examples else ""
    if example.startswith(f"{report.path}: "):
        example = example[len(str(report.path)) + 2:]
    n = report.errors
    raise DatasetError(f"{first.check}" + (f": {example}" if example and example != str(report.path) else "")
                       + f" ({n} error{'s' if n > 1 else ''} in all; `trainer check {given}` lists them)",
                       report.path)


def validate_dataset(path: str | Path, images_dir: str | Path | None = None, *, pixels: bool = False) -> Dataset:
    """Load a dataset for a command that builds on it, refusing what `trainer check` calls an error.

    The same rules as `check` (one place): category/annotation ids, references, polygons, RLE sizes,
    bbox, iscrowd, file names and links that escape the dataset; with `pixels` also every image
    (present, complete, the size the annotations say) and every annotation rasterised against it.
    Warnings (area or bbox off by a little, unused categories) do not stop anything.
    """
    report, dataset = _inspect(path, images_dir)
    _refuse(report, path)
    assert dataset is not None
    if pixels:
        _check_pixels(dataset, report)
        _refuse(report, path)
    return dataset


def load_inputs(paths: list[str | Path], *, out: str | Path, folder: bool, pixels: bool,
                suffixes: tuple[str, ...] | None = None, may_hold_inputs: bool = True,
                images_dir: str | Path | None = None) -> list[Dataset]:
    """Every command's preflight, before it does any work or writes anything.

    The output is checked first (writable, of the right kind and type: `files.check_output`), then
    every input dataset is validated with check's rules, then the output is checked against the
    inputs (never inside or over them), and only then, if asked, are all images opened and all
    annotations rasterised. Each failure is one `UserError` line naming the file.
    """
    check_output(out, folder=folder, suffixes=suffixes)
    datasets = [validate_dataset(p, images_dir) for p in paths]
    check_output(out, folder=folder, suffixes=suffixes, may_hold_inputs=may_hold_inputs,
                 inputs=[p for d in datasets for p in input_paths(d)])
    if pixels:
        for given, dataset in zip(paths, datasets):
            report = CheckReport(Path(dataset.source or given))
            _check_pixels(dataset, report)
            _refuse(report, given)
    return datasets
