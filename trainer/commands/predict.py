"""`trainer predict WEIGHTS IMAGES... --out DIR`: overlays and COCO results (RLE) for any images; CPU is fine."""

from __future__ import annotations

import argparse
from pathlib import Path

from trainer.commands import add_fragment_flag


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="segment images with a trained checkpoint",
                       description="Writes DIR/overlays/*.png (masks, outlines, class and score above "
                       "--score-threshold), DIR/predictions.json (COCO results, every detection, RLE masks) "
                       "and DIR/images.json (the image ids used there).")
    p.add_argument("weights", type=Path, help="checkpoint from trainer fit")
    p.add_argument("images", nargs="+", type=Path, help="image files or folders")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--score-threshold", type=float, default=0.5, help="for the overlays (0.5)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    add_fragment_flag(p)
    p.add_argument("--trust-checkpoint", action="store_true", help="allow full unpickling (trusted files only)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.train import require_torch

    require_torch()
    from trainer.evaluate.pipeline import predict_files

    done = predict_files(args.weights, args.images, args.out, score_threshold=args.score_threshold,
                         device=args.device, trust=args.trust_checkpoint, keep_fragments=args.keep_fragments)
    print(f"{done['images']} images, {done['instances']} instances above {args.score_threshold}: {args.out}")
    return 0
