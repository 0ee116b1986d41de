"""`trainer evaluate RUN_DIR/best.pt --data DATASET`: COCO AP, pixel and per-image metrics, report."""

from __future__ import annotations

import argparse
from pathlib import Path

from trainer.commands import add_fragment_flag


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="COCO box/mask AP, pixel IoU/F1/ES, per-image P/R/F1; report",
                       description="Run a `trainer fit` checkpoint on a dataset and write metrics.json, "
                       "per_image.csv, report.md and report.html (tables, PR curves, loss curves, predictions).")
    p.add_argument("weights", type=Path, help="checkpoint from trainer fit (best.pt or last.pt)")
    p.add_argument("--data", required=True, type=Path, help="dataset folder or COCO/VIA JSON")
    p.add_argument("--out", type=Path, help="report folder (default: next to the checkpoint, eval_<dataset>)")
    p.add_argument("--score-threshold", type=float, default=0.5,
                   help="score above which instances count for pixel/per-image metrics (0.5); AP uses all")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--grid", type=int, default=12, help="images drawn in the report (12)")
    add_fragment_flag(p)
    p.add_argument("--trust-checkpoint", action="store_true", help="allow full unpickling (trusted files only)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.errors import UserError
    from trainer.train import require_torch

    require_torch()
    if not 0 <= args.score_threshold <= 1:
        raise UserError("--score-threshold must be within 0..1")
    from trainer.evaluate.pipeline import evaluate_checkpoint
    from trainer.evaluate.report import band_recall_text

    data_name = args.data.stem if args.data.is_file() else args.data.resolve().name
    out = args.out or args.weights.parent / f"eval_{data_name}"
    ev = evaluate_checkpoint(args.weights, args.data, out, score_threshold=args.score_threshold, device=args.device,
                             batch_size=args.batch_size, workers=args.workers, grid_images=args.grid,
                             trust=args.trust_checkpoint, keep_fragments=args.keep_fragments)
    m = ev.metrics

    def f(v):
        return "n/a" if v is None else f"{v:.3f}"

    print(f"mask AP {f(m['segm']['AP'])} AP50 {f(m['segm']['AP50'])} AP75 {f(m['segm']['AP75'])} | "
          f"box AP {f(m['bbox']['AP'])} AP50 {f(m['bbox']['AP50'])} | pixel IoU {f(m['pixel_iou']['mean'])} "
          f"F1 {f(m['pixel_f1']['mean'])} ES {f(m['es']['mean'])} | F1@0.5 {f(m['f1']['mean'])} "
          f"accuracy {f(m['accuracy'])}")
    if isinstance(m["fragments"], dict):
        print(f"fragments merged into the detection they lie in: {m['fragments']['merged']} (--keep-fragments: raw)")
    fd = m["false_detections"]
    print(f"false detections: {fd['duplicate']} duplicates, {fd['on_objects']} on labelled objects, "
          f"{fd['background']} on background")
    pe = m["pixel_errors"]
    if pe["missed_px_found"] is not None:
        print(f"pixel errors (share of labelled pixels): missed on found objects {pe['missed_px_found']:.3f}, "
              f"on missed objects {pe['missed_px_lost']:.3f}; false {pe['false_px']:.3f}")
    if any(r is not None for r in m["found_recall_by_height"]):
        print(f"pixel recall in found objects by fifth of height, top first: "
              f"{band_recall_text(m['found_recall_by_height'])}")
    print(f"report: {out / 'report.html'}")
    return 0
