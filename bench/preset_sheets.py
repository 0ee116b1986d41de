"""Preview sheets for the README: N frames of each shipped preset as one 4x4 JPEG.

    PYTHONPATH=. python bench/preset_sheets.py [--frames 16] [--resolution 320x240] [--samples 8]
        [--out docs/presets] [--work /tmp/preset_sheets] [preset ...]

Frames are rendered with the normal engine (resumable: rerunning reuses finished frames in
--work) and tiled with the instance masks outlined, so the labels can be checked by eye. Prints
seconds per frame for each preset.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blender_addon.engine import RenderOptions, render_dataset

ROOT = Path(__file__).resolve().parent.parent


def outline(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Draw 1-px instance outlines (rescuer-agnostic: every labelled pixel edge) in green."""
    edge = np.zeros(mask.shape, bool)
    edge[:-1] |= mask[:-1] != mask[1:]
    edge[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    edge &= mask > 0
    out = img.copy()
    out[edge] = (60, 255, 60)
    return out


def sheet(run: Path, out: Path, cols: int = 4) -> None:
    from PIL import Image

    tiles = []
    for f in sorted((run / "images").glob("*.png")):
        img = np.asarray(Image.open(f).convert("RGB"))
        mask = np.asarray(Image.open(run / "masks" / f.name)).astype(np.int64)
        tiles.append(outline(img, mask))
    if not tiles:
        return
    h, w, _ = tiles[0].shape
    rows = (len(tiles) + cols - 1) // cols
    canvas = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, cols)
        canvas[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = t
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).save(out, quality=85, optimize=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", default=None)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--resolution", default="320x240")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "presets")
    ap.add_argument("--work", type=Path, default=Path("/tmp/preset_sheets"))
    args = ap.parse_args()
    w, h = (int(x) for x in args.resolution.split("x"))
    names = args.presets or sorted(p.stem for p in (ROOT / "scenes").glob("*.toml"))
    for name in names:
        t0 = time.perf_counter()
        s = render_dataset(RenderOptions(preset=ROOT / "scenes" / f"{name}.toml", out=args.work / name,
                                         count=args.frames, seed=args.seed, resolution=(w, h), samples=args.samples,
                                         annotate=False), log=lambda line: None)
        fs = s.frame_seconds
        sheet(args.work / name, args.out / f"{name}.jpg")
        print(f"{name}: {len(fs)} rendered ({s.skipped} reused), "
              f"{(sum(fs) / len(fs)) if fs else 0:.2f} s/frame, wall {time.perf_counter() - t0:.0f} s -> "
              f"{args.out / f'{name}.jpg'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
