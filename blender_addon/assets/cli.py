"""`python -m blender_addon.assets rescuers --count N --out assets/rescuers/`: posed human bodies for the
renderer (`trainer assets rescuers ...` runs this same command).

Bodies come from the Anny body model (`pip install anny torch`, CPU is fine): phenotypes
(sex, age 15-82 years, ancestry morphs, muscle, weight, height, proportions) and poses (standing,
walking at a gait phase, crouching, kneeling, bending, reaching, carrying, sitting, lying, each
with variants) are sampled from --seed; each body is
an OBJ + MTL + JSON sidecar (see blender_addon/assets/rescuers.py). Finished bodies are skipped on
a rerun. Exit codes as `trainer`'s: 0 done, 1 a one-line error, 2 usage.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from trainer.errors import UserError, exit_code

PROG = "python -m blender_addon.assets"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Generate assets for the Blender renderer.")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)
    r = kinds.add_parser("rescuers", help="posed human bodies (OBJ + MTL + JSON) from the Anny body model")
    r.add_argument("--count", type=int, default=16, help="number of bodies (default 16)")
    r.add_argument("--out", type=Path, default=Path("assets/rescuers"), help="folder (default assets/rescuers)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--poses", default=None,
                   help="comma-separated poses the bodies take in turn, from standing,walking,crouching,kneeling,"
                   "bending,reaching,carrying,sitting,lying (a pose may repeat; default: all, standing and walking "
                   "most often, see blender_addon/assets/rescuers.py: POSE_CYCLE)")
    r.add_argument("--overwrite", action="store_true", help="rewrite bodies that already exist")
    r.add_argument("--decimate", type=float, default=None, metavar="RATIO",
                   help="keep this fraction of the triangles (e.g. 0.15; needs bpy) for small files")
    r.set_defaults(handler=rescuers)
    return p


def rescuers(args: argparse.Namespace) -> int:
    from blender_addon.assets import rescuers as bodies

    if args.count < 1:
        raise UserError("--count must be >= 1")
    poses = bodies.POSE_CYCLE
    if args.poses:
        poses = tuple(p.strip() for p in args.poses.split(",") if p.strip())
        bad = [p for p in poses if p not in bodies.POSES]
        if bad or not poses:
            raise UserError(f"--poses: unknown pose {bad[0] if bad else '(empty)'!r}; "
                            f"choose from {', '.join(bodies.POSES)}")
    try:
        import anny  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise UserError(f"the Anny body model is not installed ({exc.name}); "
                        "run: pip install anny torch==2.13.0") from None
    t0 = time.perf_counter()
    if args.decimate is not None and not 0 < args.decimate <= 1:
        raise UserError("--decimate: ratio must be in (0, 1]")
    written = bodies.generate_bodies(args.out, args.count, args.seed, poses, args.overwrite, decimate=args.decimate)
    print(f"[assets] {len(written)} bodies written to {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    return exit_code(lambda: args.handler(args))
