"""`trainer experiment --real DATASET --test DATASET --plan plan.toml --out DIR`: real/synthetic ratio runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment", help="train + evaluate at set ratios of real/composite/GAN images",
                       description="For every [[experiment]] of the plan (see trainer/experiment/plan.py) and every "
                       "repeat: draw a training set, train Mask R-CNN, evaluate on --test; write results_table.md/csv "
                       "(mean/std IoU, F1, ES), es_vs_f.png (ES vs f = D_syn/D_orig with a logistic fit) and "
                       "results.json. Rerun to resume. Needs the `train` extra.")
    p.add_argument("--real", type=Path, required=True, help="real training images (dataset)")
    p.add_argument("--test", type=Path, required=True, help="real test set (dataset), never trained on")
    p.add_argument("--plan", type=Path, required=True, help="plan TOML")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--score-threshold", type=float, default=0.5)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.experiment.runner import run_experiments

    s = run_experiments(args.real, args.test, args.plan, args.out, score_threshold=args.score_threshold)
    print(f"{s.runs} runs ({s.reused} reused) -> {s.out_dir / 'results_table.md'}, {s.out_dir / 'es_vs_f.png'}")
    for r in s.rows:
        print(f"  {r['name']:16s} f={r['f']:.2f}  IoU {r['iou_mean']:.3f}±{r['iou_std']:.3f}  "
              f"F1 {r['f1_mean']:.3f}±{r['f1_std']:.3f}  ES {r['es_mean']:.3f}±{r['es_std']:.3f}")
    if s.logistic:
        print(f"  logistic fit: ES(f) = {s.logistic['lo']:.3f} + ({s.logistic['hi']:.3f} - lo) / "
              f"(1 + exp(-{s.logistic['k']:.3f} (f - {s.logistic['f0']:.3f})))")
    else:
        print("  no logistic fit (needs >= 4 distinct f values and an ES that varies)")
    return 0
