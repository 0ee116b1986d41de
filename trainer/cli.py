"""`trainer` command line: a thin shell over library functions.

Each subcommand lives in `trainer/commands/<name>.py` and exposes `register(subparsers)`; its handler
returns an exit code. Exit codes: 0 success, 1 failure (a UserError or a failed check), 2 usage error
(argparse). Modules are imported lazily per command so `trainer check` never imports torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from trainer import __version__
from trainer.errors import exit_code

# One line per subcommand module; order is the order shown in --help.
COMMANDS: list[str] = [
    "trainer.commands.annotate",
    "trainer.commands.check",
    "trainer.commands.preview",
    "trainer.commands.merge",
    "trainer.commands.augment",
    "trainer.commands.fit",
    "trainer.commands.evaluate",
    "trainer.commands.predict",
    "trainer.commands.composite",
    "trainer.commands.gan",
    "trainer.commands.experiment",
    "trainer.commands.assets",
    "trainer.commands.stats",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description="Synthetic instance-segmentation datasets. Labels: annotate, check, preview, merge. "
        "Grow data: augment, composite, gan. Mask R-CNN: fit, evaluate, predict, experiment.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    return exit_code(lambda: args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
