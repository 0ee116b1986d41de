"""`trainer composite --real DATASET --count N --out DIR`: copy-paste composites from a few real images."""

from __future__ import annotations

import argparse
from pathlib import Path


def _pair(text: str, sep: str, kind=float) -> tuple:
    try:
        a, b = (kind(v) for v in text.lower().split(sep))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers as A{sep}B, got {text!r}") from None
    return a, b


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "composite", help="paste objects cut from real images onto backgrounds (copy-paste augmentation)",
        description="Cut every annotated object (e.g. skin lesion) out of the real dataset by its mask, paste "
        "1..k of them per image onto backgrounds with random flip, rotation, scale, colour/brightness shift "
        "and hard, feathered or Poisson blending, and write images, index masks, COCO + VIA and a preview. "
        "Deterministic per --seed; rerun to resume.")
    p.add_argument("--real", type=Path, required=True, help="real dataset (folder or COCO/VIA JSON)")
    p.add_argument("--backgrounds", type=Path,
                   help="folder of object-free images (default: the real images with objects inpainted out)")
    p.add_argument("--count", type=int, required=True, help="number of images to make")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder (rerun to resume)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=lambda t: _pair(t, "x", int), help="output WxH (default: each background's size)")
    p.add_argument("--min-objects", type=int, default=1)
    p.add_argument("--max-objects", type=int, default=3)
    p.add_argument("--scale", type=lambda t: _pair(t, ","), default=(0.6, 1.4), help="scale range MIN,MAX (0.6,1.4), relative to the object's size in proportion to its image")
    p.add_argument("--rotation", type=float, default=180.0, help="max |rotation| in degrees (180)")
    p.add_argument("--no-flip", action="store_true")
    p.add_argument("--brightness", type=float, default=0.15, help="gain range 1 +- B (0.15)")
    p.add_argument("--colour-shift", type=float, default=10.0, help="per-channel offset range +-C (10)")
    p.add_argument("--blend", default="hard,feathered,poisson", help="blend modes drawn from (all three)")
    p.add_argument("--feather", type=float, default=1.5, help="feathered edge sigma in px (1.5)")
    p.add_argument("--max-overlap", type=float, default=0.0, help="allowed overlap fraction with earlier objects (0)")
    p.add_argument("--min-pixels", type=int, default=16, help="label objects with at least this many visible px")
    p.add_argument("--prefix", default="composite", help="file name prefix")
    p.add_argument("--workers", type=int, help="processes (default: 1 below 256 images, else all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.composite import CompositeOptions, run_composite
    from trainer.composite.paste import PasteOptions

    paste = PasteOptions(scale=args.scale, rotation=args.rotation, flip=not args.no_flip,
                         brightness=args.brightness, colour_shift=args.colour_shift,
                         blends=tuple(b.strip() for b in args.blend.split(",") if b.strip()),
                         feather=args.feather, max_overlap=args.max_overlap)
    opts = CompositeOptions(count=args.count, seed=args.seed, size=args.size, min_objects=args.min_objects,
                            max_objects=args.max_objects, paste=paste, min_pixels=args.min_pixels,
                            prefix=args.prefix, workers=args.workers, progress=not args.quiet)
    s = run_composite(args.real, args.backgrounds, args.out, opts)
    print(f"{s.images} images ({s.made} made, {s.resumed} already done), {s.objects} objects, "
          f"backgrounds: {s.background_kind}, {s.seconds:.1f} s -> {s.out_dir}")
    if s.not_placed or s.too_small or s.empty_images:
        print(f"  {s.not_placed} draw(s) found no free place (redrawn), {s.too_small} object(s) left with "
              f"< min pixels visible (not labelled); {s.empty_images} image(s) without objects")
    return 0
