"""Join several datasets (render shards, exports from other tools) into one, ids renumbered.

Categories are matched by name (first dataset's order, new names appended). Images keep their
names; a name already taken by different bytes is placed under `<source folder>/`, and the
very same file seen twice (overlapping shards) is kept once and reported. Masks and frame
descriptions travel with their images, so merged shards equal one run of the same frames.
"""

from __future__ import annotations

import filecmp
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from trainer.annotation.check import load_inputs
from trainer.annotation.dataset import annotation_paths, write_dataset
from trainer.annotation.files import link_escape
from trainer.annotation.io import link_or_copy, write_json_atomic
from trainer.annotation.model import Dataset, ImageRecord
from trainer.annotation.trace import POLYGON_CONVENTIONS
from trainer.errors import DatasetError, UserError


@dataclass
class MergeResult:
    dataset: Dataset
    duplicates: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)


def _common_info(datasets: list[Dataset]) -> dict:
    """Info keys every source agrees on (seed, preset, ...); per-shard values are left out."""
    first = datasets[0].info
    return {k: v for k, v in first.items() if all(d.info.get(k) == v for d in datasets[1:])}


def _companions(dataset: Dataset, file_name: str) -> list[tuple[Path, str]]:
    """Mask and frame description that belong to an image, as (source path, path under the dataset root)."""
    root = dataset.images_dir.parent
    stem = PurePosixPath(file_name).with_suffix("")
    found = []
    for folder, ext in (("masks", ".png"), ("scenes", ".json")):
        rel = f"{folder}/{stem}{ext}"
        if (root / rel).is_file():
            if link_escape(root / folder, root / rel):
                raise DatasetError(f"is a link leading outside {root / folder}; copy the file in instead", root / rel)
            found.append((root / rel, rel))
    return found


def merge_datasets(sources: list[str | Path], out: str | Path, *, overwrite: bool = False,
                   segmentation: str = "auto", preview: bool = True, polygons: str = "coco") -> MergeResult:
    out = Path(out)
    if len(sources) < 1:
        raise UserError("merge needs at least one dataset")
    if polygons not in POLYGON_CONVENTIONS:
        raise UserError(f"polygons must be one of {', '.join(POLYGON_CONVENTIONS)}")
    existing = [p for p in annotation_paths(out) if p.exists()]
    if existing and not overwrite:
        raise UserError("already exists (pass --overwrite to replace it)", existing[0])
    # Every input is validated (check's rules, every image opened) before the first file is written,
    # so a refused input never leaves a half-merged OUT behind.
    datasets = load_inputs(list(sources), out=out, folder=True, pixels=True, may_hold_inputs=False)

    categories: list[str] = []
    for ds in datasets:
        categories += [c for c in ds.categories if c not in categories]
    result = MergeResult(Dataset(images=[], categories=categories, images_dir=out / "images",
                                 info=_common_info(datasets)))
    taken: dict[str, Path] = {}
    plan: list[tuple[Path, str, list[tuple[Path, str]]]] = []  # (image, new name, companions): all known before writing
    for ds in datasets:
        label = (ds.images_dir.parent.name or "dataset")
        for record in ds.images:
            src = ds.image_path(record)
            name = record.file_name
            if name in taken:
                if filecmp.cmp(taken[name], src, shallow=False):
                    result.duplicates.append(name)
                    continue
                base = f"{label}/{name}"
                name, n = base, 1
                while name in taken:
                    n += 1
                    name = f"{label}_{n}/{record.file_name}"
                result.renamed.append(f"{record.file_name} -> {name}")
            taken[name] = src
            plan.append((src, name, _companions(ds, record.file_name)))
            result.dataset.images.append(ImageRecord(name, record.width, record.height,
                                                     record.annotations, record.attributes))
    for src, name, companions in plan:
        link_or_copy(src, out / "images" / name)
        for companion, rel in companions:
            folder, _, rest = rel.partition("/")
            new_rel = PurePosixPath(folder) / PurePosixPath(name).with_suffix(PurePosixPath(rest).suffix)
            link_or_copy(companion, out / new_rel)
    write_dataset(result.dataset, out, segmentation=segmentation, preview=preview, polygons=polygons)
    write_json_atomic(out / "merge.json", {"sources": [str(Path(s)) for s in sources], "polygons": polygons,
                                           "duplicates": result.duplicates, "renamed": result.renamed}, indent=2)
    return result
