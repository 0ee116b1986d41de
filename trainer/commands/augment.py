"""`trainer augment DATASET --out DIR --factor 10`: originals + augmented variants with exact labels."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "augment", help="grow a dataset with augmented copies (labels re-traced from transformed masks)",
        description="Write the originals of DATASET (COCO or VIA) plus augmented variants to OUT, with COCO "
        "and VIA files, a preview sheet and run.json. Masks follow every geometric transform pixel-exactly "
        "and polygons are traced again from them; instances cut below the preset's min_area are dropped "
        "and counted. Deterministic for a seed; an interrupted run resumes when rerun with the same options.")
    p.add_argument("dataset", type=Path, help="dataset folder (annotations/coco.json or via_*.json) or a COCO/VIA file")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder (must be empty or new)")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--factor", type=float, help="output images per input image, originals included (e.g. 10)")
    size.add_argument("--total", type=int, help="output images in all, originals included (e.g. 1000)")
    p.add_argument("--preset", default="default",
                   help="shipped preset (default, drone, ground, seed_paper) or a .toml file (default: default)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--format", dest="image_format", choices=("jpg", "png", "same"), default="jpg",
                   help="file format of the variants: jpg (default, quality --jpeg-quality; ~3x faster to write "
                   "than PNG), png (lossless) or same as each source image; originals are copied as they are")
    p.add_argument("--jpeg-quality", type=int, default=95, help="quality for .jpg variants (95)")
    p.add_argument("--segmentation", choices=("auto", "polygon", "rle"), default="auto",
                   help="auto: polygons, plus exact RLE for objects with holes (default)")
    p.add_argument("--polygons", choices=("coco", "pixel-centres"), default="coco",
                   help="polygon convention of coco.json: coco (default, pycocotools) or pixel-centres "
                   "(cv2.fillPoly readers such as supervision); see README")
    p.add_argument("--overwrite", action="store_true", help="replace the dataset (or unfinished run) in OUT")
    p.add_argument("--no-preview", action="store_true", help="skip preview.png")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.augment.runner import AugmentOptions, augment_dataset

    opts = AugmentOptions(
        preset=args.preset, factor=args.factor, total=args.total, seed=args.seed, workers=args.workers,
        overwrite=args.overwrite, segmentation=args.segmentation, image_format=args.image_format,
        jpeg_quality=args.jpeg_quality, preview=not args.no_preview, polygons=args.polygons,
    )
    summary = augment_dataset(args.dataset, args.out, opts)
    print("\n".join(summary.lines()))
    return 0
