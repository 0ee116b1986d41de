"""`trainer assets rescuers --count N --out assets/rescuers/`: posed human bodies for the renderer.

The body-asset tool is renderer code (blender_addon/assets/: it writes the body files the renderer
reads, with the renderer's stripe bands), and `trainer` never imports `blender_addon`. So this
command runs `python -m blender_addon.assets` in a child process with the same arguments, output
and exit code: the user command stays, and the arrow between the packages still points one way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

# The child's entry: the renderer's asset CLI, with this command's name in its usage lines.
CHILD = "import sys; from blender_addon.assets.cli import main; sys.exit(main(sys.argv[1:], prog='trainer assets'))"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assets", help="generate render assets (posed rescuer bodies from Anny)",
                       description="Generate assets for the Blender renderer (runs python -m blender_addon.assets).",
                       add_help=False)
    p.add_argument("-h", "--help", action="store_true", dest="forward_help", help=argparse.SUPPRESS)
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rest = (["--help"] if args.forward_help else []) + list(args.rest)
    return subprocess.run([sys.executable, "-c", CHILD, *rest], check=False).returncode
