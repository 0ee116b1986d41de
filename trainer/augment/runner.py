"""The offline job: a dataset -> originals + augmented variants with exact labels, in parallel, resumable.

Why it is shaped like this:
- Every variant is seeded from (seed, image index, variant index[, redraw]), so the output does not
  depend on the number of workers or on interruptions, and one variant can be reproduced alone.
- Work is per source image (its masks are rasterised once and reused by all its variants) and spread
  over processes; when all variants of a source image are written, one record JSON in
  OUT/.augment/records/ marks them finished (one file per source, not per variant: on this disk
  each extra file costs ~5 ms to fsync and delete), so a rerun with the same options skips finished
  work (resume), and the COCO/VIA files are written once at the end by the core, atomically.
- Polygons are never moved point by point: each transformed mask is traced again by the core.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import numpy as np

from trainer import __version__
from trainer.annotation import Annotation, Dataset, ImageRecord, write_dataset
from trainer.annotation.check import load_inputs
from trainer.annotation.io import link_or_copy, read_image, read_json, write_bytes_atomic, write_json_atomic
from trainer.annotation import annotation_from_crop
from trainer.annotation.trace import POLYGON_CONVENTIONS, SEGMENTATION_MODES
from trainer.annotation.parallel import default_workers, process_map
from trainer.augment.albu import import_albumentations
from trainer.augment.copy_paste import Donor, find_donors, paste_beside
from trainer.augment.masks import instance_crops, pack_masks, unpack_masks
from trainer.augment.pipeline import Pipeline, build_pipeline
from trainer.augment.preset import Preset, load_preset
from trainer.errors import DatasetError, UserError
from trainer.runs import RunRecord

STATE_DIR = ".augment"  # inside OUT while a run is unfinished; removed when it completes
OUTPUT_NAMES = ("images", "annotations", "preview.png", "run.json", STATE_DIR)
IMAGE_FORMATS = ("same", "png", "jpg")
# Attributes the transforms make stale; the core recomputes truncated/has_holes when tracing.
STALE_ATTRIBUTES = ("visible_fraction", "unoccluded_px", "truncated", "has_holes")
# A pasted object's attributes that name it in its own frame (its mask index and object name there)
DONOR_FRAME_ATTRIBUTES = ("index", "name")
PASTE_STREAM = 1  # copy-paste draws from (variant seed, this): the transforms' own draws stay as they were


@dataclass
class AugmentOptions:
    preset: Preset | str | Path = "default"
    factor: float | None = None  # output images = round(factor x inputs), originals included
    total: int | None = None  # or: output images in all, originals included
    seed: int = 0
    workers: int | None = None  # None: all cores unless the job is tiny; 1: in this process
    overwrite: bool = False  # replace an existing dataset (or unfinished run) in OUT
    segmentation: str = "auto"
    # Variants as JPEG q95 by default: PNG encoding costs ~15 ms per 640x480 frame (2-3x the rest of a
    # variant) and q95 artefacts are far below the blur/noise/JPEG transforms themselves; "png" is lossless.
    image_format: str = "jpg"  # "jpg", "png", or "same" as each source image
    jpeg_quality: int = 95
    png_compression: int = 1  # zlib level 1 + RLE strategy: fastest lossless setting measured
    preview: bool = True
    progress: bool = True
    polygons: str = "coco"  # polygon convention of coco.json (trace.POLYGON_CONVENTIONS); not in the resume key


@dataclass
class AugmentSummary:
    out_dir: Path
    originals: int = 0
    variants: int = 0
    instances: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> instances removed from variants
    skipped: Counter = field(default_factory=Counter)  # reason -> source images not used
    skipped_names: list[str] = field(default_factory=list)
    empty_variants: int = 0
    redraws: int = 0
    resumed: int = 0  # images already finished by an interrupted run and reused
    seconds: float = 0.0

    def lines(self) -> list[str]:
        images = self.originals + self.variants
        out = [f"wrote {images} images ({self.originals} originals + {self.variants} variants), "
               f"{self.instances} instances -> {self.out_dir}"]
        if self.dropped:
            out.append("dropped instances: " + ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items())))
        if self.redraws or self.empty_variants:
            out.append(f"variants without objects: {self.empty_variants} kept, {self.redraws} redrawn")
        if self.skipped:
            names = ", ".join(self.skipped_names[:5]) + (" ..." if len(self.skipped_names) > 5 else "")
            out.append("skipped source images: " + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()))
                       + f" ({names})")
        if self.resumed:
            out.append(f"resumed: {self.resumed} images were already done")
        rate = images / self.seconds if self.seconds > 0 else 0.0
        out.append(f"time: {self.seconds:.1f} s ({rate:.0f} images/s)")
        return out


# ---------------------------------------------------------------- planning

def plan_variants(n_images: int, *, factor: float | None = None, total: int | None = None) -> list[int]:
    """Variants per source image so that originals + variants = round(factor * n) or `total`.

    The remainder goes to the first images, so the plan is a pure function of (n, factor/total).
    """
    if (factor is None) == (total is None):
        raise UserError("give exactly one of --factor or --total")
    if factor is not None:
        if not factor >= 1:
            raise UserError(f"--factor must be >= 1 (output images per input image), got {factor}")
        total = round(factor * n_images)
    assert total is not None
    if total < n_images:
        raise UserError(f"--total {total} is smaller than the {n_images} input images (originals are kept)")
    base, extra = divmod(total - n_images, n_images) if n_images else (0, 0)
    return [base + (1 if i < extra else 0) for i in range(n_images)]


def variant_seed(seed: int, index: int, variant: int, redraw: int = 0) -> int:
    """A seed from (seed, image index, variant index, redraw attempt), independent per variant.

    53 bits, so it survives JSON readers that hold numbers as doubles (JavaScript, VIA).
    """
    state = np.random.SeedSequence([seed, index, variant, redraw]).generate_state(1, np.uint64)[0]
    return int(state) >> 11


def variant_name(file_name: str, variant: int, suffix: str) -> str:
    """`dir/a.png`, 3 -> `dir/a_aug003<suffix>` (variant 0 is the original, name unchanged)."""
    if variant == 0:
        return file_name
    pure = PurePosixPath(file_name)
    return str(pure.with_name(f"{pure.stem}_aug{variant:03d}{suffix}"))


def _variant_suffix(file_name: str, image_format: str) -> str:
    if image_format == "png":
        return ".png"
    if image_format == "jpg":
        return ".jpg"
    suffix = PurePosixPath(file_name).suffix.lower()
    return suffix if suffix in (".png", ".jpg", ".jpeg", ".webp") else ".png"


# ---------------------------------------------------------------- records on disk (resume)

def _record_path(out: Path, index: int) -> Path:
    return out / STATE_DIR / "records" / f"{index:06d}.json"


def _record_to_json(record: ImageRecord, extra: dict[str, Any]) -> dict[str, Any]:
    """Shallow field copy (dataclasses.asdict deep-copies every polygon: 6 ms per record)."""
    anns = [{f.name: getattr(a, f.name) for f in dataclasses.fields(a)} for a in record.annotations]
    return {"file_name": record.file_name, "width": record.width, "height": record.height,
            "annotations": anns, "attributes": record.attributes, **extra}


def _record_from_json(obj: dict[str, Any]) -> ImageRecord:
    """Inverse of _record_to_json (extra keys ignored)."""
    anns = [Annotation(**{**a, "bbox": tuple(a["bbox"])}) for a in obj["annotations"]]
    return ImageRecord(file_name=obj["file_name"], width=obj["width"], height=obj["height"],
                       annotations=anns, attributes=obj["attributes"])


# ---------------------------------------------------------------- work in a worker

@dataclass
class _Task:
    index: int
    record: ImageRecord
    path: Path
    variants: list[int]  # 0 = copy the original, 1.. = variants


@dataclass
class _Done:
    index: int
    variant: int
    record: ImageRecord | None
    dropped: Counter = field(default_factory=Counter)
    redraws: int = 0
    skip_reason: str | None = None


@dataclass
class _Job:
    """Everything a worker needs, sent once per process."""

    pipeline: Pipeline
    out: Path
    seed: int
    options: AugmentOptions
    donors: list[Donor] = field(default_factory=list)  # objects copy-paste may take (preset [copy_paste])


_JOB: _Job | None = None


def _init_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def _encode(image_rgb: np.ndarray, suffix: str, opts: AugmentOptions) -> bytes:
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality]
    elif suffix == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, opts.png_compression,
                  cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    else:
        params = []
    ok, buf = cv2.imencode(suffix, cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise DatasetError(f"could not encode image as {suffix}")
    return buf.tobytes()


def _trace(packed: np.ndarray, sources: list[Annotation], preset: Preset, segmentation: str,
           dropped: Counter) -> list[Annotation]:
    """Transformed bit planes -> annotations traced by the core; cut-away and too-small instances counted."""
    height, width = packed.shape[:2]
    anns = []
    for found, src in zip(instance_crops(packed, len(sources)), sources):
        if found is None:
            dropped["cut away"] += 1
            continue
        crop, offset = found
        area = int(np.count_nonzero(crop))
        if area < preset.min_area:
            dropped["below min_area"] += 1
            continue
        attrs = {k: v for k, v in src.attributes.items() if k not in STALE_ATTRIBUTES}
        anns.append(annotation_from_crop(crop, offset, (height, width), src.category,
                                         segmentation=segmentation, attributes=attrs, area=area))
    return anns


def _copy_paste(job: _Job, task: _Task, image: np.ndarray, packed: np.ndarray, seed: int
                ) -> tuple[np.ndarray, np.ndarray, list[Annotation], list[dict[str, Any]]]:
    """The preset's [copy_paste] on one variant's input (or the input as it is, when its draw says no)."""
    sources = task.record.annotations
    spec = job.pipeline.preset.copy_paste
    rng = np.random.default_rng([seed, PASTE_STREAM])
    if spec is None or not job.donors or rng.random() >= spec.p:
        return image, packed, sources, []
    height, width = image.shape[:2]
    image, masks, pasted = paste_beside(image, list(unpack_masks(packed, len(sources))), job.donors, task.index,
                                        rng, spec, job.pipeline.preset.min_area)
    if not pasted:
        return image, packed, sources, []
    sources = sources + [dataclasses.replace(d.annotation, attributes={
        **{k: v for k, v in d.annotation.attributes.items() if k not in DONOR_FRAME_ATTRIBUTES},
        "pasted_from": params["source"]}) for d, params in pasted]
    return image, pack_masks(masks, height, width), sources, [params for _, params in pasted]


def _make_variant(job: _Job, task: _Task, variant: int, image: np.ndarray, packed: np.ndarray
                  ) -> _Done:
    preset = job.pipeline.preset
    dropped: Counter = Counter()
    redraw = 0
    while True:
        seed = variant_seed(job.seed, task.index, variant, redraw)
        pasted_image, pasted_packed, sources, pasted = _copy_paste(job, task, image, packed, seed)
        out_image, out_packed, applied = job.pipeline.apply_packed(pasted_image, pasted_packed, seed)
        attempt_dropped: Counter = Counter()
        anns = _trace(out_packed, sources, preset, job.options.segmentation, attempt_dropped)
        retry = (not anns and sources and preset.empty == "redraw" and redraw < preset.max_redraws)
        if not retry:
            dropped.update(attempt_dropped)
            break
        redraw += 1
    suffix = _variant_suffix(task.record.file_name, job.options.image_format)
    name = variant_name(task.record.file_name, variant, suffix)
    height, width = out_image.shape[:2]
    attributes = {**task.record.attributes,
                  "augment": {"source": task.record.file_name, "variant": variant, "seed": seed,
                              "redraws": redraw, "transforms": (["copy_paste"] if pasted else []) + applied,
                              **({"copy_paste": pasted} if pasted else {})}}
    record = ImageRecord(name, width, height, anns, attributes)
    write_bytes_atomic(job.out / "images" / name, _encode(out_image, suffix, job.options))
    return _Done(task.index, variant, record, dropped, redraw)


def _load_source(task: _Task) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, bit-planed instance masks) of one source image, or DatasetError with the reason."""
    bgr = read_image(task.path)
    height, width = bgr.shape[:2]
    rec = task.record
    if (width, height) != (rec.width, rec.height):
        raise DatasetError(f"image is {width}x{height} but annotations say {rec.width}x{rec.height}", task.path)
    try:
        masks = [ann.to_mask(height, width) for ann in rec.annotations]
    except (ValueError, TypeError) as exc:
        raise DatasetError(f"annotation cannot be rasterised ({exc})", task.path) from None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), pack_masks(masks, height, width)


def _run_task(task: _Task) -> list[_Done]:
    """All variants of one source image: images first, then one record file (the commit mark)."""
    job = _JOB
    assert job is not None, "worker not initialised"
    try:
        image, packed = _load_source(task)
    except DatasetError as exc:
        reason = "size differs from annotations" if "annotations say" in str(exc) else "unreadable image"
        return [_Done(task.index, v, None, skip_reason=reason) for v in task.variants]
    done = []
    for variant in task.variants:
        if variant == 0:
            link_or_copy(task.path, job.out / "images" / task.record.file_name)
            done.append(_Done(task.index, 0, task.record))
        else:
            done.append(_make_variant(job, task, variant, image, packed))
    entries = [_record_to_json(r.record, {"variant": r.variant, "dropped": dict(r.dropped), "redraws": r.redraws})
               for r in done if r.record is not None]
    write_json_atomic(_record_path(job.out, task.index), entries)
    return done


# ---------------------------------------------------------------- the job

def _fingerprint(annotation_file: Path, preset: Preset, plan: list[int], opts: AugmentOptions) -> dict[str, Any]:
    """What must match for a rerun to reuse finished variants."""
    return {
        "source": str(annotation_file.resolve()),
        "source_sha256": hashlib.sha256(annotation_file.read_bytes()).hexdigest(),
        "preset": preset.to_dict(), "seed": opts.seed, "plan_sha256": hashlib.sha256(
            json.dumps(plan).encode()).hexdigest(), "segmentation": opts.segmentation,
        "image_format": opts.image_format, "jpeg_quality": opts.jpeg_quality,
        "png_compression": opts.png_compression, "version": __version__,
    }


def _prepare_out(out: Path, fingerprint: dict[str, Any], overwrite: bool) -> bool:
    """Make OUT ready; True when it holds an unfinished run with the same options (resume).

    Refuses a non-empty OUT unless it is our own unfinished run or --overwrite is given; even then,
    only a folder that looks like a dataset is cleared (never a folder of unrelated files).
    """
    state = RunRecord(out / STATE_DIR, fingerprint, name="state.json")  # removed when the run completes
    if out.exists() and not out.is_dir():
        raise UserError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        if state.path.is_file() and state.previous() == fingerprint and not overwrite:
            return True
        if not overwrite:
            why = ("holds an unfinished augment run with different options" if state.path.is_file()
                   else "is not empty")
            raise UserError(f"{why} (pass --overwrite to replace it)", out)
        strangers = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_NAMES)
        if strangers:
            raise UserError(f"refusing to clear a folder that is not a dataset (it holds {strangers[0]!r})", out)
        for name in OUTPUT_NAMES:
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    try:
        (out / STATE_DIR / "records").mkdir(parents=True, exist_ok=True)
        state.write()
    except OSError as exc:
        raise UserError(f"output folder is not writable ({exc.strerror})", out) from None
    return False


def _check_inputs(dataset: Dataset) -> list[Path]:
    """Image paths of all records; lists missing files (unreadable ones are skipped and counted later)."""
    paths = [dataset.image_path(rec) for rec in dataset.images]
    missing = [rec.file_name for rec, p in zip(dataset.images, paths) if not p.is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise DatasetError(f"{len(missing)} of {len(paths)} images named in the annotations are missing "
                           f"under {dataset.images_dir}: {shown}", dataset.source)
    return paths


def _check_names(dataset: Dataset, plan: list[int], opts: AugmentOptions) -> None:
    seen: dict[str, str] = {}
    for rec, n in zip(dataset.images, plan):
        suffix = _variant_suffix(rec.file_name, opts.image_format)
        for v in range(n + 1):
            name = variant_name(rec.file_name, v, suffix)
            if name in seen:
                raise DatasetError(f"output name {name!r} would be written twice (from {seen[name]!r} and "
                                   f"{rec.file_name!r}); rename one of them", dataset.source)
            seen[name] = rec.file_name


def _run(tasks: list[_Task], job: _Job, workers: int | None, progress: bool) -> list[_Done]:
    done = process_map(_run_task, tasks, workers=workers, initializer=_init_worker, initargs=(job,),
                       desc="augment", unit="img", progress=progress, size=len,
                       total=sum(len(t.variants) for t in tasks))
    return [d for batch in done for d in batch]


def _versions() -> dict[str, str]:
    A = import_albumentations()
    return {"rescuesynth": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "opencv": cv2.__version__, "albumentations": A.__version__}


def augment_dataset(src: str | Path, out: str | Path, options: AugmentOptions | None = None) -> AugmentSummary:
    """Write OUT with the originals of `src` plus augmented variants, COCO + VIA + preview + run.json."""
    opts = options or AugmentOptions()
    started = time.perf_counter()
    if opts.segmentation not in SEGMENTATION_MODES:
        raise UserError(f"segmentation must be one of {', '.join(SEGMENTATION_MODES)}")
    if opts.image_format not in IMAGE_FORMATS:
        raise UserError(f"image format must be one of {', '.join(IMAGE_FORMATS)}")
    if not isinstance(opts.seed, int) or opts.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {opts.seed!r}")
    if opts.polygons not in POLYGON_CONVENTIONS:
        raise UserError(f"--polygons must be one of {', '.join(POLYGON_CONVENTIONS)}")
    if not 1 <= opts.jpeg_quality <= 100:
        raise UserError(f"JPEG quality must be in 1..100, got {opts.jpeg_quality}")
    preset = opts.preset if isinstance(opts.preset, Preset) else load_preset(opts.preset)
    pipeline = build_pipeline(preset)
    out = Path(out)

    # check's rules on the annotations, and OUT neither inside nor holding the input (shared preflight);
    # images are opened by the workers, which skip and count unreadable ones
    dataset, = load_inputs([src], out=out, folder=True, pixels=False, may_hold_inputs=False)
    if not dataset.images:
        raise DatasetError("the dataset has no images", dataset.source or src)
    paths = _check_inputs(dataset)
    plan = plan_variants(len(dataset.images), factor=opts.factor, total=opts.total)
    _check_names(dataset, plan, opts)
    annotation_file = Path(dataset.source) if dataset.source else Path(src)
    fingerprint = _fingerprint(annotation_file, preset, plan, opts)
    resuming = _prepare_out(out, fingerprint, opts.overwrite)

    finished: dict[tuple[int, int], ImageRecord] = {}
    summary = AugmentSummary(out_dir=out)
    if resuming:
        for path in sorted((out / STATE_DIR / "records").glob("*.json")):
            for obj in read_json(path):
                finished[(int(path.stem), obj["variant"])] = _record_from_json(obj)
                summary.dropped.update(obj["dropped"])
                summary.redraws += obj["redraws"]
        summary.resumed = len(finished)
    tasks = []
    for i, (rec, path, n) in enumerate(zip(dataset.images, paths, plan)):
        if (i, 0) not in finished:
            tasks.append(_Task(i, rec, path, list(range(n + 1))))

    donors = find_donors(dataset, paths, preset.copy_paste.min_height) if preset.copy_paste else []
    job = _Job(pipeline=pipeline, out=out, seed=opts.seed, options=opts, donors=donors)
    workers = opts.workers or default_workers(len(tasks), min_items_per_worker=4)
    results = _run(tasks, job, workers, opts.progress)

    skipped_sources: dict[int, str] = {}
    for r in results:
        if r.record is None:
            skipped_sources[r.index] = r.skip_reason or "error"
        else:
            finished[(r.index, r.variant)] = r.record
            summary.dropped.update(r.dropped)
            summary.redraws += r.redraws
    for i, reason in sorted(skipped_sources.items()):
        summary.skipped[reason] += 1
        summary.skipped_names.append(dataset.images[i].file_name)

    records = [finished[key] for key in sorted(finished)]
    if not records:
        raise DatasetError("no image could be augmented (" + ", ".join(summary.skipped_names[:5]) + ")",
                           dataset.source or src)
    for (i, v), rec in sorted(finished.items()):
        if v == 0:
            summary.originals += 1
        else:
            summary.variants += 1
            summary.empty_variants += not rec.annotations
        summary.instances += len(rec.annotations)
    info = {"augment": {"source": str(annotation_file), "preset": preset.name, "seed": opts.seed}}
    result = Dataset(images=records, categories=list(dataset.categories), images_dir=out / "images",
                     info={**dataset.info, **info})
    write_dataset(result, out, segmentation=opts.segmentation, preview=opts.preview, polygons=opts.polygons)
    summary.seconds = time.perf_counter() - started
    RunRecord(out, {
        "command": "augment", "complete": True, "source": str(annotation_file), "options": {
            "factor": opts.factor, "total": opts.total, "seed": opts.seed, "workers": workers,
            "segmentation": opts.segmentation, "polygons": opts.polygons, "image_format": opts.image_format,
            "jpeg_quality": opts.jpeg_quality, "png_compression": opts.png_compression},
        "preset": preset.to_dict(), "versions": _versions(),
        "counts": {"originals": summary.originals, "variants": summary.variants,
                   "instances": summary.instances, "dropped": dict(summary.dropped),
                   "skipped": dict(summary.skipped), "skipped_names": summary.skipped_names,
                   "empty_variants": summary.empty_variants, "redraws": summary.redraws,
                   "resumed": summary.resumed},
        "timings": {"seconds": round(summary.seconds, 3)},
    }).write()
    shutil.rmtree(out / STATE_DIR)  # complete: the annotation files now hold everything
    return summary
