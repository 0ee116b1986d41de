"""The compositing job: N images, each from its own seed (seed, index), written as they finish.

Resumable: an image counts as done when its image, index mask and scene JSON (written last, each
atomically) all exist; a rerun rebuilds those labels from the files and makes only the missing ones.
A rerun with other options into the same folder is refused, so one dataset never mixes two recipes.
Parallel through the core's process_map (spawn workers, results in order) for large jobs; the
output does not depend on the number of workers.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from trainer import __version__
from trainer.annotation import Dataset, ImageRecord, annotation_from_mask, load_dataset, write_dataset
from trainer.annotation.check import load_inputs
from trainer.annotation.dataset import dataset_root
from trainer.annotation.files import check_output
from trainer.annotation.io import read_json, read_mask, write_image_atomic, write_json_atomic
from trainer.annotation.parallel import process_map
from trainer.composite.backgrounds import BackgroundSource, fit_background
from trainer.composite.cutout import Foreground, cutouts_from_dataset
from trainer.composite.paste import BLENDS, PasteOptions, paste_one
from trainer.errors import UserError
from trainer.runs import RunRecord

# Below this many images one process is faster: each spawned worker re-imports, reloads the cut-outs
# and re-inpaints the backgrounds. Measured (bench/composite.py, 256 px, 2 shared cores): 120 images
# 0.59x with 2 workers, 600 images 1.32x.
PARALLEL_FROM = 256


@dataclass(frozen=True)
class CompositeOptions:
    count: int
    seed: int = 0
    size: tuple[int, int] | None = None  # (width, height); None keeps each background's size
    min_objects: int = 1
    max_objects: int = 3
    paste: PasteOptions = field(default_factory=PasteOptions)
    min_pixels: int = 16  # objects left with fewer visible pixels (after occlusion) are not labelled
    prefix: str = "composite"
    segmentation: str = "auto"
    workers: int | None = None  # None: 1 below PARALLEL_FROM images, else all cores
    progress: bool = True

    def recipe(self) -> dict:
        """What decides the pixels (not workers/progress): must match to resume into a folder."""
        d = asdict(self)
        for key in ("count", "workers", "progress"):
            d.pop(key)
        d["size"] = list(self.size) if self.size else None
        d["paste"] = {k: list(v) if isinstance(v, tuple) else v for k, v in d["paste"].items()}
        return d

    def validate(self) -> None:
        p = self.paste
        if self.count < 1 or self.seed < 0:
            raise UserError("--count must be at least 1 and --seed >= 0")
        if not 1 <= self.min_objects <= self.max_objects:
            raise UserError("need 1 <= --min-objects <= --max-objects")
        if self.size is not None and min(self.size) < 16:
            raise UserError("--size must be at least 16x16")
        if not 0 < p.scale[0] <= p.scale[1]:
            raise UserError("--scale needs 0 < MIN <= MAX")
        if not p.blends or any(b not in BLENDS for b in p.blends):
            raise UserError(f"--blend must be a comma list of {', '.join(BLENDS)}")
        if not 0 <= p.max_overlap <= 1 or not 0 <= p.brightness < 1:
            raise UserError("--max-overlap must be in [0, 1] and --brightness in [0, 1)")


@dataclass
class CompositeSummary:
    out_dir: Path
    images: int = 0
    made: int = 0
    resumed: int = 0
    objects: int = 0
    not_placed: int = 0  # draws that found no free place (redrawn up to 2x per object)
    empty_images: int = 0  # images that ended with no labelled object
    too_small: int = 0  # placed but left with < min_pixels visible
    background_kind: str = ""
    seconds: float = 0.0


@dataclass
class _Context:
    out: Path
    opts: CompositeOptions
    categories: list[str]
    foregrounds: list[Foreground]
    backgrounds: BackgroundSource


_CTX: _Context | None = None


def _build_context(real: Path, backgrounds: Path | None, out: Path, opts: CompositeOptions) -> _Context:
    dataset = load_dataset(real)
    if not dataset.images:
        raise UserError("real dataset has no images", real)
    fgs = cutouts_from_dataset(dataset)
    bgs = BackgroundSource(folder=backgrounds) if backgrounds is not None else BackgroundSource(dataset=dataset)
    return _Context(out=out, opts=opts, categories=list(dataset.categories), foregrounds=fgs, backgrounds=bgs)


def _use_context(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def _worker_init(real: Path, backgrounds: Path | None, out: Path, opts: CompositeOptions) -> None:
    _use_context(_build_context(real, backgrounds, out, opts))


def _paths(out: Path, name: str) -> tuple[Path, Path, Path]:
    return out / "images" / f"{name}.png", out / "masks" / f"{name}.png", out / "scenes" / f"{name}.json"


def _record(name: str, labels: np.ndarray, scene: dict, opts: CompositeOptions) -> tuple[ImageRecord, int]:
    """Labels from the final index mask (visible pixels only) via the annotation core."""
    h, w = labels.shape
    record = ImageRecord(file_name=f"{name}.png", width=w, height=h,
                         attributes={"seed": scene["seed"], "background": scene["background"]})
    too_small = 0
    for obj in scene["objects"]:
        ann = annotation_from_mask(labels == obj["index"], obj["category"], segmentation=opts.segmentation,
                                   attributes={"name": obj["name"], "source": obj["source"], "blend": obj["blend"]})
        if ann is None or ann.area < opts.min_pixels:
            too_small += 1
            continue
        ann.attributes["visible_fraction"] = round(min(1.0, ann.area / obj["unoccluded_px"]), 4)
        record.annotations.append(ann)
    return record, too_small


def make_image(i: int) -> tuple[int, ImageRecord, bool, int, int]:
    """Image number i (made, or reloaded if already complete) -> (i, record, resumed, not_placed, too_small)."""
    ctx = _CTX
    assert ctx is not None, "worker not initialised"
    opts = ctx.opts
    name = f"{opts.prefix}_{i:06d}"
    image_path, mask_path, scene_path = _paths(ctx.out, name)
    if image_path.is_file() and mask_path.is_file() and scene_path.is_file():
        scene = read_json(scene_path)
        record, too_small = _record(name, read_mask(mask_path).astype(np.int64), scene, opts)
        return i, record, True, scene.get("not_placed", 0), too_small

    rng = np.random.default_rng([opts.seed, i])
    b = int(rng.integers(len(ctx.backgrounds)))
    image = fit_background(ctx.backgrounds.get(b), opts.size, rng)
    labels = np.zeros(image.shape[:2], np.uint16)
    objects, not_placed = [], 0
    wanted = int(rng.integers(opts.min_objects, opts.max_objects + 1))
    # an object that finds no free place is replaced by another draw (up to 2 extra draws per object),
    # so images rarely end up with fewer objects than drawn - or none
    for _ in range(3 * wanted):
        if len(objects) == wanted:
            break
        fg = ctx.foregrounds[int(rng.integers(len(ctx.foregrounds)))]
        pasted = paste_one(image, labels, len(objects) + 1, fg, rng, opts.paste)
        if pasted is None:
            not_placed += 1
            continue
        image, params = pasted
        objects.append({**params, "name": f"object_{params['index']:03d}", "unoccluded_px": params["pasted_px"]})
    h, w = labels.shape
    scene = {"image": image_path.name, "width": w, "height": h, "seed": [opts.seed, i],
             "background": ctx.backgrounds.name(b), "objects": objects, "not_placed": not_placed}
    write_image_atomic(image_path, image)
    write_image_atomic(mask_path, labels)
    write_json_atomic(scene_path, scene, indent=1)  # last: its presence marks the image complete
    record, too_small = _record(name, labels.astype(np.int64), scene, opts)
    return i, record, False, not_placed, too_small


def run_composite(real: str | Path, backgrounds: str | Path | None, out: str | Path,
                  opts: CompositeOptions) -> CompositeSummary:
    """Make `opts.count` composites from the real dataset and write the dataset under `out`."""
    opts.validate()
    real, out = Path(real), Path(out)
    backgrounds = Path(backgrounds) if backgrounds is not None else None
    # check's rules on the real dataset; OUT writable and neither inside nor holding an input
    load_inputs([real], out=out, folder=True, pixels=False, may_hold_inputs=False)
    check_output(out, folder=True, inputs=[backgrounds, dataset_root(real)], may_hold_inputs=False)
    start = time.perf_counter()
    ctx = _build_context(real, backgrounds, out, opts)  # also validates everything before any write
    run = RunRecord(out, {"command": "composite", "version": __version__, "real": str(real.resolve()),
                          "backgrounds": str(backgrounds.resolve()) if backgrounds else None,
                          "background_kind": ctx.backgrounds.kind, "options": opts.recipe(), "count": opts.count})
    run.refuse_other_run(("options", "real", "backgrounds"),
                         "was made from other inputs, options or seed; use a new --out folder")
    run.write(status="running")

    summary = CompositeSummary(out_dir=out, background_kind=ctx.backgrounds.kind)
    workers = min(opts.count, opts.workers or (1 if opts.count < PARALLEL_FROM else os.cpu_count() or 1))
    if workers == 1:  # in-process: reuse the context built above instead of building it again
        init, initargs = _use_context, (ctx,)
    else:
        init, initargs = _worker_init, (real, backgrounds, out, opts)
    results = process_map(make_image, range(opts.count), workers=workers, initializer=init, initargs=initargs,
                          desc="composite", unit="img", progress=opts.progress)

    records = []
    for _, record, resumed, not_placed, too_small in results:
        records.append(record)
        summary.resumed += resumed
        summary.not_placed += not_placed
        summary.too_small += too_small
        summary.objects += len(record.annotations)
        summary.empty_images += not record.annotations
    summary.images = len(records)
    summary.made = summary.images - summary.resumed
    names = {a.category for r in records for a in r.annotations}
    categories = ctx.categories + sorted(names - set(ctx.categories))
    info = {"description": "copy-paste composites", "seed": opts.seed, "real": str(real),
            "backgrounds": ctx.backgrounds.kind}
    dataset = Dataset(images=records, categories=categories, images_dir=out / "images", info=info)
    write_dataset(dataset, out, segmentation=opts.segmentation)
    summary.seconds = time.perf_counter() - start
    run.write(status="complete", seconds=round(summary.seconds, 2), workers=workers, made=summary.made,
              resumed=summary.resumed, objects=summary.objects)
    return summary
