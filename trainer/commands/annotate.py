"""`trainer annotate SRC`: index masks (+ frame descriptions) or per-object masks -> COCO + VIA."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "annotate", help="trace masks into COCO + VIA annotations",
        description="Trace the masks of a folder of frames into COCO and VIA 2.x files, plus a preview sheet. "
        "SRC holds images/ (or PNGImages/) and masks/ (or PedMasks/): a 16-bit index mask per image "
        "(value k = object k; scenes/<stem>.json maps k to a category), a colour mask per image, or a "
        "folder masks/<stem>/ with one black/white mask per object (<class>_<n>.png).")
    p.add_argument("src", type=Path, help="folder of frames")
    p.add_argument("--out", type=Path, help="dataset folder to write (default: SRC); images are linked into OUT/images")
    p.add_argument("--segmentation", choices=("auto", "polygon", "rle"), default="auto",
                   help="auto: polygons, plus exact RLE for objects with holes (default)")
    p.add_argument("--min-pixels", type=int, default=16, help="drop instances with fewer visible pixels (16)")
    p.add_argument("--min-visible-fraction", type=float, default=0.0,
                   help="drop instances less visible than this, when frames record unoccluded_px (0)")
    p.add_argument("--min-extent", type=int, default=2, help="drop slivers narrower/shorter than this in px (2)")
    p.add_argument("--simplify", type=float, default=0.24,
                   help="polygon simplification in px (0.24, the most that keeps every pixel; more = smaller files)")
    p.add_argument("--categories", help="comma-separated category order (fixes COCO ids)")
    p.add_argument("--class-map", default="", metavar="SRC=DST,...",
                   help="rename categories as frames are read, e.g. rescuer=person,civilian=person")
    p.add_argument("--class", dest="default_class", default="object", help="class for masks without metadata")
    p.add_argument("--ignore-value", type=int, help="mask value that is not an object (e.g. 255 in VOC)")
    p.add_argument("--images", type=Path, help="images folder (default: SRC/images or SRC/PNGImages)")
    p.add_argument("--masks", type=Path, help="masks folder (default: SRC/masks or SRC/PedMasks)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="replace existing annotation files")
    p.add_argument("--formats", default="coco,via", help="label files to write: coco, via or coco,via (default)")
    p.add_argument("--no-preview", action="store_true", help="skip preview.png")
    p.add_argument("--strict", action="store_true", help="exit 1 if any frame was skipped")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.annotation import AnnotateOptions, annotate_directory
    from trainer.annotation.annotate import parse_class_map

    opts = AnnotateOptions(
        segmentation=args.segmentation, min_pixels=args.min_pixels,
        min_visible_fraction=args.min_visible_fraction, min_extent=args.min_extent, simplify=args.simplify,
        categories=[c.strip() for c in args.categories.split(",") if c.strip()] if args.categories else None,
        default_category=args.default_class, class_map=parse_class_map(args.class_map), ignore_value=args.ignore_value, overwrite=args.overwrite,
        workers=args.workers, images_dir=args.images, masks_dir=args.masks, preview=not args.no_preview,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
    )
    summary = annotate_directory(args.src, args.out, opts)
    print("\n".join(summary.lines()))
    for warning in summary.warnings[:20]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(summary.warnings) > 20:
        print(f"warning: ... and {len(summary.warnings) - 20} more", file=sys.stderr)
    return 1 if args.strict and summary.skipped else 0
