"""One module per `trainer` subcommand; each exposes `register(subparsers)` (see trainer/cli.py)."""

from __future__ import annotations

import argparse


def add_fragment_flag(p: argparse.ArgumentParser) -> None:
    """`--keep-fragments`, the same for every command that runs a model on images."""
    p.add_argument("--keep-fragments", action="store_true",
                   help="the model's raw detections: do not merge a detection lying mostly inside a larger, "
                   "higher-scored one of its class into it (merged by default unless it is nearly as tall but "
                   "narrower: a person beside others), nor a second detection of the same object (masks "
                   "overlapping most of each other; trainer/evaluate/fragments.py)")
