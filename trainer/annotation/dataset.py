"""Reading and writing whole datasets in the shared layout (the contract between stages).

    DIR/images/...                 the pictures (COCO file_name is relative to this folder)
    DIR/masks/<stem>.png           16-bit index masks, when the dataset was made from them
    DIR/annotations/coco.json      COCO instance segmentation
    DIR/annotations/via_project.json   VIA 2.x project (Project > Load)
    DIR/annotations/via_regions.json   VIA 2.x annotation export (Annotation > Import)
    DIR/preview.png                a sheet to check the labels at a glance
"""

from __future__ import annotations

from pathlib import Path

from trainer.annotation.coco import from_coco, to_coco
from trainer.annotation.files import FORMAT_FILES, check_formats
from trainer.annotation.io import read_json, write_json_atomic
from trainer.annotation.model import Dataset
from trainer.annotation.via import from_via, to_via_project, to_via_regions
from trainer.errors import DatasetError

ANNOTATION_FILES = tuple(name for names in FORMAT_FILES.values() for name in names)  # reading order


def annotation_paths(out_dir: Path, formats: tuple[str, ...] = tuple(FORMAT_FILES)) -> list[Path]:
    """Files `write_dataset` produces, so callers can check for them before overwriting."""
    names = [name for fmt in check_formats(formats) for name in FORMAT_FILES[fmt]]
    return [out_dir / "annotations" / name for name in names] + [out_dir / "preview.png"]


def find_annotation_file(directory: Path) -> Path:
    for name in ANNOTATION_FILES:
        candidate = directory / "annotations" / name
        if candidate.is_file():
            return candidate
    raise DatasetError("no annotations/coco.json, via_project.json or via_regions.json here "
                       "(for another JSON file, pass its path)", directory)


def dataset_root(path: str | Path) -> Path:
    """The dataset folder a command was given: the folder itself, or the one above annotations/."""
    path = Path(path)
    if path.is_dir():
        return path
    return path.parent.parent if path.parent.name == "annotations" else path.parent


def input_paths(dataset: Dataset) -> list[Path]:
    """What a command reading `dataset` must never write to (see files.check_output).

    The annotation file, and in the standard layout the images/, masks/, scenes/ and annotations/
    folders; when the images lie loose beside the JSON file, each image file instead (so a sheet
    or a plot may still go next to them).
    """
    paths: list[Path] = []
    source = Path(dataset.source) if dataset.source else None
    images = Path(dataset.images_dir)
    if source is not None:
        paths.append(source)
        if source.parent.name == "annotations":
            paths.append(source.parent)
    if source is not None and images.resolve() == source.parent.resolve():
        paths += [dataset.image_path(r) for r in dataset.images]
        return paths
    paths.append(images)
    if images.name == "images":
        paths += [images.parent / "masks", images.parent / "scenes"]
    return paths


def default_images_dir(json_path: Path) -> Path:
    parent = json_path.parent
    root = parent.parent if parent.name == "annotations" else parent
    return root / "images" if (root / "images").is_dir() else root


def load_dataset(path: str | Path, images_dir: str | Path | None = None) -> Dataset:
    """A dataset folder or a COCO/VIA JSON file -> Dataset (format detected from the content)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError("no such file or folder", path)
    json_path = find_annotation_file(path) if path.is_dir() else path
    root = Path(images_dir) if images_dir is not None else default_images_dir(json_path)
    obj = read_json(json_path)
    if json_format(obj, json_path) == "coco":
        return from_coco(obj, json_path, root)
    return from_via(obj, json_path, root)


def json_format(obj: object, json_path: Path) -> str:
    """"coco" or "via" from the content; anything else is a one-line error."""
    if isinstance(obj, dict) and "images" in obj and "categories" in obj:
        return "coco"
    if isinstance(obj, dict) and ("_via_img_metadata" in obj or all(
            isinstance(v, dict) and "filename" in v for v in obj.values())):
        return "via"
    raise DatasetError("neither COCO (images/annotations/categories) nor VIA 2.x JSON", json_path)


def write_dataset(dataset: Dataset, out_dir: str | Path, *, segmentation: str = "auto",
                  preview: bool = True, formats: tuple[str, ...] = tuple(FORMAT_FILES),
                  polygons: str = "coco") -> list[Path]:
    """Write the asked label formats (COCO, VIA project + export) and a preview sheet for a dataset
    whose images are in out_dir/images.

    Each file is written to a temp name and renamed, so a crash leaves the previous complete file.
    Files of formats not asked for are removed from annotations/, so the folder never holds stale
    labels that disagree with the images.
    """
    out_dir = Path(out_dir)
    formats = check_formats(formats)
    if dataset.images_dir.resolve() != (out_dir / "images").resolve():
        raise ValueError(f"images must be in {out_dir / 'images'} before writing (are in {dataset.images_dir})")
    ann_dir = out_dir / "annotations"
    written = []
    if "coco" in formats:
        write_json_atomic(ann_dir / "coco.json", to_coco(dataset, segmentation=segmentation, polygons=polygons))
        written.append(ann_dir / "coco.json")
    if "via" in formats:
        regions = to_via_regions(dataset)
        project = to_via_project(dataset, regions, name=out_dir.resolve().name,
                                 default_filepath=str(dataset.images_dir.resolve()) + "/")
        write_json_atomic(ann_dir / "via_regions.json", regions)
        write_json_atomic(ann_dir / "via_project.json", project)
        written += [ann_dir / "via_regions.json", ann_dir / "via_project.json"]
    for fmt, names in FORMAT_FILES.items():
        if fmt not in formats:
            for name in names:
                (ann_dir / name).unlink(missing_ok=True)
    if preview and dataset.images:
        from trainer.annotation.preview import write_preview

        write_preview(dataset, out_dir / "preview.png")
        written.append(out_dir / "preview.png")
    return written
