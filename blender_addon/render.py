"""Batch renderer CLI, one command for both ways of running Blender:

    blender -b --python-exit-code 1 -P blender_addon/render.py -- --scene scenes/default.toml --count 10 --out out/run
    python -m blender_addon.render --scene scenes/default.toml --count 10 --out out/run     (bpy from PyPI)

Options: --seed S (run seed), --start K (first frame index), --shard i/n (contiguous block i of n),
--resolution WxH, --samples N, --quality draft|default|final, --device cpu|gpu, --no-annotate.
Rerunning the same command resumes. Errors are one line (`error: <file>: <problem>`) and exit code 1; finished frames stay.
"""

from __future__ import annotations

import argparse
import os
import sys

if not globals().get("__package__"):  # run as a script (blender -P): make the repo importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pathlib import Path


def _pair(text: str, sep: str, what: str) -> tuple[int, int]:
    try:
        a, b = text.lower().split(sep)
        return int(a), int(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must look like {'640x480' if sep == 'x' else '0/4'}") from None


def _resolution(text: str) -> tuple[int, int]:
    w, h = _pair(text, "x", "--resolution")
    if not (8 <= w <= 16384 and 8 <= h <= 16384):
        raise argparse.ArgumentTypeError("--resolution: width and height must be 8..16384")
    return w, h


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return v


def _non_negative(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="render", description="Render a synthetic dataset from a scene preset.")
    p.add_argument("--scene", required=True, type=Path, help="scene preset, e.g. scenes/default.toml")
    p.add_argument("--count", required=True, type=_non_negative, help="number of frames (before sharding)")
    p.add_argument("--out", required=True, type=Path, help="dataset folder (created; reruns resume)")
    p.add_argument("--seed", type=_non_negative, default=0, help="run seed (default 0)")
    p.add_argument("--start", type=_non_negative, default=0, help="first frame index (default 0)")
    p.add_argument("--shard", type=lambda t: _pair(t, "/", "--shard"), default=None,
                   help="i/n: render only contiguous block i of n (0-based)")
    p.add_argument("--resolution", type=_resolution, default=None, help="WxH, overrides the preset")
    p.add_argument("--samples", type=_positive, default=None, help="Cycles samples, overrides the preset")
    from blender_addon.preset import QUALITY  # pure data; imported here to keep `blender -P` start-up lean

    p.add_argument("--quality", choices=tuple(QUALITY), default=None,
                   help="sampling preset (samples, adaptive threshold, denoiser), overrides the preset's")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None, help="overrides the preset")
    p.add_argument("--no-annotate", action="store_true", help="skip COCO/VIA/preview (run trainer annotate later)")
    return p


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    args = build_parser().parse_args(argv)
    from blender_addon.engine import RenderOptions, render_dataset
    from trainer.errors import exit_code

    opts = RenderOptions(preset=args.scene, out=args.out, count=args.count, seed=args.seed, start=args.start,
                         shard=args.shard, resolution=args.resolution, samples=args.samples, quality=args.quality,
                         device=args.device, annotate=not args.no_annotate)

    def run() -> int:
        render_dataset(opts)
        return 0

    return exit_code(run, interrupted="interrupted: finished frames are kept; rerun the same command to resume")


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    if code:
        sys.exit(code)  # Blender honours this with --python-exit-code
