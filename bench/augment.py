"""Benchmark: the seed paper's augmentation job, ours vs. a plain one-transform-at-a-time baseline.

Job: 100 images of 640x480 with ~5 objects -> 1000 images (100 originals + 900 variants), labels
for every variant, COCO + VIA written. The seed paper took 44.2 s for 1000 images (its own machine).
Transforms: the seed's list (crop, flip, brightness, contrast, zoom, Gaussian blur), preset seed_paper.

Both sides, in the same run, on the same input:
- baseline: one process; each transform is its own OpenCV call on the image and then on every
  instance's full-frame mask; masks traced by the core; COCO + VIA by the core (write_dataset).
- ours: `augment_dataset` (albumentations pipeline, bit-planed masks, worker processes), run with
  1 worker and with all cores, so the per-core gain and the parallel gain show separately.
Variants are written as JPEG quality 95 by both sides (the encoder is not what is compared; PNG
encoding alone costs ~15 ms per noisy 640x480 frame here, more than everything else together), and
ours once more with lossless PNG for reference. The input is made (untimed) from the core's
synthetic frames.

    PYTHONPATH=. python bench/augment.py [--images 100] [--total 1000] [--objects 6] [--workdir DIR]
                                         [--skip-baseline] [--skip-png]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from trainer.annotation import (  # noqa: E402
    AnnotateOptions, Dataset, ImageRecord, annotate_directory, annotation_from_mask, load_dataset, write_dataset,
)
from trainer.annotation.io import read_image, write_bytes_atomic  # noqa: E402
from trainer.annotation.synthetic import make_frames  # noqa: E402
from trainer.augment.preset import load_preset  # noqa: E402
from trainer.augment.runner import AugmentOptions, augment_dataset, plan_variants, variant_seed  # noqa: E402

SEED_PAPER_SECONDS = 44.2


def make_input(root: Path, images: int, objects: int) -> Path:
    make_frames(root / "frames", images, width=640, height=480, objects=objects, seed=1)
    annotate_directory(root / "frames", root / "ds", AnnotateOptions(progress=False, preview=False))
    return root / "ds"


def baseline(src: Path, out: Path, total: int, seed: int = 0, quality: int = 95) -> int:
    """One process, one OpenCV call per transform, applied to the image and each mask separately."""
    preset = {t.name: t for t in load_preset("seed_paper").transforms}
    dataset = load_dataset(src)
    plan = plan_variants(len(dataset.images), total=total)
    (out / "images").mkdir(parents=True)
    records = []
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    for i, (rec, n) in enumerate(zip(dataset.images, plan)):
        path = dataset.image_path(rec)
        image = read_image(path)
        h, w = image.shape[:2]
        masks = [a.to_mask(h, w).astype(np.uint8) for a in rec.annotations]
        shutil.copyfile(path, out / "images" / rec.file_name)
        records.append(rec)
        for v in range(1, n + 1):
            rng = np.random.default_rng(variant_seed(seed, i, v))
            img, ms = image, list(masks)
            if "crop" in preset and rng.random() < preset["crop"].p:
                lo, hi = preset["crop"].params["scale"]
                area = rng.uniform(lo, hi) * w * h
                ratio = np.exp(rng.uniform(*np.log(preset["crop"].params["ratio"])))
                cw = int(min(w, round(np.sqrt(area * ratio))))
                ch = int(min(h, round(np.sqrt(area / ratio))))
                x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
                img = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
                ms = [cv2.resize(m[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_NEAREST) for m in ms]
            if "zoom" in preset and rng.random() < preset["zoom"].p:
                s = rng.uniform(*preset["zoom"].params["scale"])
                M = cv2.getRotationMatrix2D((w / 2, h / 2), 0, s)
                img = cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR)
                ms = [cv2.warpAffine(m, M, (w, h), flags=cv2.INTER_NEAREST) for m in ms]
            if "hflip" in preset and rng.random() < preset["hflip"].p:
                img = cv2.flip(img, 1)
                ms = [cv2.flip(m, 1) for m in ms]
            if "brightness" in preset and rng.random() < preset["brightness"].p:
                img = cv2.convertScaleAbs(img, alpha=1.0, beta=255 * rng.uniform(*preset["brightness"].params["limit"]))
            if "contrast" in preset and rng.random() < preset["contrast"].p:
                img = cv2.convertScaleAbs(img, alpha=1 + rng.uniform(*preset["contrast"].params["limit"]), beta=0)
            if "gaussian_blur" in preset and rng.random() < preset["gaussian_blur"].p:
                img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*preset["gaussian_blur"].params["sigma"]))
            anns = []
            for m, a in zip(ms, rec.annotations):
                if int(m.sum()) >= 16:
                    ann = annotation_from_mask(m, a.category)
                    if ann is not None:
                        anns.append(ann)
            name = f"{Path(rec.file_name).stem}_aug{v:03d}.jpg"
            ok, buf = cv2.imencode(".jpg", img, params)
            write_bytes_atomic(out / "images" / name, buf.tobytes())
            records.append(ImageRecord(name, w, h, anns))
    write_dataset(Dataset(records, list(dataset.categories), out / "images"), out, preview=True)
    return len(records)


def _cpu_seconds() -> float:
    """User + system time of this process and its finished children (workers are joined by then)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(label: str, fn) -> tuple[str, float, float, int]:
    """(label, wall s, CPU s, images): CPU time is the fairer figure on a machine shared with others."""
    t0, c0 = time.perf_counter(), _cpu_seconds()
    count = fn()
    return label, time.perf_counter() - t0, _cpu_seconds() - c0, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--total", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=6, help="objects drawn per frame (some end up hidden)")
    parser.add_argument("--workdir", type=Path, help="keep inputs and outputs here (default: a temp dir)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-png", action="store_true", help="skip the lossless-PNG reference row")
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench-augment-"))
    try:
        src = make_input(root, args.images, args.objects)
        cores = os.cpu_count() or 1
        rows = []
        load = os.getloadavg()
        if not args.skip_baseline:
            rows.append(timed("baseline: cv2 op by op, per-instance masks, 1 process",
                              lambda: baseline(src, root / "baseline", args.total)))

        def ours(workers: int, name: str, image_format: str = "jpg") -> int:
            s = augment_dataset(src, root / name, AugmentOptions(
                preset="seed_paper", total=args.total, workers=workers, progress=False,
                image_format=image_format, jpeg_quality=95))
            return s.originals + s.variants
        if not args.skip_png:
            rows.append(timed(f"(ours, {cores} processes, variants as PNG level 1)",
                              lambda: ours(cores, "ours_png", "png")))
        rows.append(timed("ours: albumentations + bit planes, 1 process", lambda: ours(1, "ours1")))
        rows.append(timed(f"ours: albumentations + bit planes, {cores} processes", lambda: ours(cores, "ours")))

        instances = load_dataset(src).num_annotations / args.images
        print(f"job: {args.images} images 640x480, {instances:.1f} instances each -> {args.total} images, "
              "labels traced, COCO + VIA + preview written")
        print(f"machine: {platform.processor() or platform.machine()}, {cores} cores (shared: timings vary), "
              f"python {platform.python_version()}")
        print(f"load average before: {load[0]:.1f} (1 min) - other users' work slows the wall times")
        for label, seconds, cpu, count in rows:
            print(f"{label:58s} {seconds:7.2f} s wall {count / seconds:7.1f} images/s   {cpu:6.2f} s CPU "
                  f"({count} images)")
        base = rows[0][1] if not args.skip_baseline else None
        best, one = rows[-1][1], rows[-2][1]
        if base:
            print(f"speed-up vs baseline (wall): {base / best:.1f}x with {cores} processes, "
                  f"{base / one:.1f}x in 1 process; CPU time ratio {rows[0][2] / rows[-1][2]:.2f}")
        print(f"seed paper: {SEED_PAPER_SECONDS} s for 1000 images (their machine) -> ours "
              f"{best * 1000 / args.total:.1f} s per 1000 here; goal < 10 s on 2 cores")
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
