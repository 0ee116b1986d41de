"""`trainer check DATASET`: validate a dataset; non-zero exit when it has errors."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="validate a dataset (images, sizes, polygons, ids, categories)",
        description="Validate a COCO or VIA dataset: missing/unreadable images, size mismatches, bad polygons, "
        "id collisions, empty categories, area/bbox that disagree with the pixels. Prints a table; exit 1 on errors.")
    p.add_argument("dataset", type=Path, help="dataset folder or COCO/VIA JSON file")
    p.add_argument("--images", type=Path, help="images folder (default: DATASET/images)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from trainer.annotation.check import check_dataset

    report = check_dataset(args.dataset, args.images)
    print(report.table())
    return 1 if report.errors else 0
