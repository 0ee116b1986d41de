"""`trainer preview DATASET --out sheet.png`: draw the labels over a grid of images."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preview", help="draw masks, outlines, boxes and classes over a grid of images",
                       description="Draw what the annotation file says (masks, polygons, boxes, class names) "
                       "over up to COUNT images spread over the dataset, as one PNG sheet.")
    p.add_argument("dataset", type=Path, help="dataset folder or COCO/VIA JSON file")
    p.add_argument("--out", type=Path, required=True, help="image file to write (.png or .jpg)")
    p.add_argument("--count", type=int, default=16, help="images on the sheet (16)")
    p.add_argument("--tile-width", type=int, default=320, help="width of each tile in px (320)")
    p.add_argument("--images", type=Path, help="images folder (default: DATASET/images)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.annotation import write_preview
    from trainer.annotation.check import load_inputs
    from trainer.annotation.preview import SHEET_SUFFIXES
    from trainer.errors import UserError

    if args.count < 1 or args.tile_width < 16:
        raise UserError("--count must be >= 1 and --tile-width >= 16")
    dataset, = load_inputs([args.dataset], out=args.out, folder=False, pixels=False, suffixes=SHEET_SUFFIXES,
                           images_dir=args.images)
    if not dataset.images:
        raise UserError("dataset has no images", args.dataset)
    print(write_preview(dataset, args.out, count=args.count, tile_width=args.tile_width))
    return 0
