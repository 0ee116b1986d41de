"""Benchmark: index masks -> COCO + VIA, the annotation core vs the usual per-id script.

Job (issue 2): 1000 index masks of 640x480 with ~10 objects each, traced and written to COCO and
VIA. Baseline: what most dataset scripts do, in one process: for every id a full-frame `mask == k`,
pixel-centre contours (which are also inexact: IoU ~0.95), boxes and areas per id, then json.dump.
Both runs read the same files in the same run; figures and the ratio are printed.

    python bench/annotate.py [--count 1000] [--data /tmp/bench-annotate]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import cv2
import numpy as np

from trainer.annotation import AnnotateOptions, annotate_directory
from trainer.annotation.synthetic import make_frames


def baseline(src: Path, out: Path) -> None:
    """Single-process, full-frame-per-id tracing with pixel-centre contours (the common recipe)."""
    coco = {"images": [], "annotations": [], "categories": []}
    via = {}
    cats: dict[str, int] = {}
    for i, image_path in enumerate(sorted((src / "images").glob("*.png")), start=1):
        mask = cv2.imread(str(src / "masks" / image_path.name), cv2.IMREAD_UNCHANGED)
        meta = json.loads((src / "scenes" / f"{image_path.stem}.json").read_text())
        classes = {o["index"]: o["category"] for o in meta["objects"]}
        h, w = mask.shape
        coco["images"].append({"id": i, "file_name": image_path.name, "width": w, "height": h})
        regions = []
        for k in np.unique(mask):
            if k == 0:
                continue
            m = (mask == k).astype(np.uint8)
            contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            polys = [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]
            x, y, bw, bh = cv2.boundingRect(m)
            cid = cats.setdefault(classes[int(k)], len(cats) + 1)
            coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": i, "category_id": cid,
                                        "segmentation": polys, "area": int(m.sum()),
                                        "bbox": [x, y, bw, bh], "iscrowd": 0})
            for c in contours:
                regions.append({"shape_attributes": {"name": "polygon", "all_points_x": c[:, 0, 0].tolist(),
                                                     "all_points_y": c[:, 0, 1].tolist()},
                                "region_attributes": {"class": classes[int(k)]}})
        size = os.path.getsize(image_path)
        via[f"{image_path.name}{size}"] = {"filename": image_path.name, "size": size, "regions": regions,
                                          "file_attributes": {}}
    coco["categories"] = [{"id": v, "name": k} for k, v in cats.items()]
    out.mkdir(parents=True, exist_ok=True)
    (out / "coco.json").write_text(json.dumps(coco))
    (out / "via.json").write_text(json.dumps(via))


def timed(label: str, count: int, fn) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:7.2f} s  {count / seconds:8.1f} images/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-annotate"))
    args = parser.parse_args()
    src = args.data / f"frames-{args.count}-{args.objects}"
    if not (src / "scenes" / f"{args.count - 1:06d}.json").is_file():
        print(f"making {args.count} frames of 640x480 with {args.objects} objects in {src} (once) ...")
        make_frames(src, args.count, width=640, height=480, objects=args.objects, seed=0)
    outs = [args.data / name for name in ("core-1", "core-2", "baseline")]
    for out in outs:
        shutil.rmtree(out, ignore_errors=True)
    print(f"{args.count} index masks, 640x480, ~{args.objects} objects each, COCO + VIA written; "
          f"{os.cpu_count()} cores")
    quiet = dict(preview=False, progress=False, min_pixels=1, min_extent=1)
    base = timed("baseline: per-id full frame, 1 process", args.count, lambda: baseline(src, outs[2]))
    one = timed("core: exact tracing, 1 process", args.count,
                lambda: annotate_directory(src, outs[0], AnnotateOptions(workers=1, **quiet)))
    two = timed("core: exact tracing, 2 processes", args.count,
                lambda: annotate_directory(src, outs[1], AnnotateOptions(workers=2, **quiet)))
    print(f"speed-up vs baseline: {base / one:.2f}x (1 process), {base / two:.2f}x (2 processes)")
    print(f"seed paper: 44.2 s for 1000 images incl. augmentation; core here: {two * 1000 / args.count:.1f} s "
          f"per 1000 = {100 * two * 1000 / args.count / 44.2:.0f}% of that")


if __name__ == "__main__":
    main()
