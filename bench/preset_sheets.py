"""Preview sheets for the README: N frames of each shipped preset as one 4x4 JPEG.

    PYTHONPATH=. python bench/preset_sheets.py [--frames 16] [--resolution 320x240] [--samples 8]
        [--out docs/presets] [--work /tmp/preset_sheets] [--labels] [preset ...]

Frames are rendered with the normal engine (resumable: rerunning reuses finished frames in
--work) and tiled as they are, so the sheet shows what a detector will see; --labels also writes
<preset>_labels.jpg with every instance mask outlined, to check the labels by eye. Prints seconds
per frame for each preset.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blender_addon.engine import RenderOptions, render_dataset
from trainer.annotation.preview import tile_sheet

ROOT = Path(__file__).resolve().parent.parent


def outline(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1-px outlines in green on every labelled pixel edge (instance borders included)."""
    edge = np.zeros(mask.shape, bool)
    edge[:-1] |= mask[:-1] != mask[1:]
    edge[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    edge &= mask > 0
    out = img.copy()
    out[edge] = (60, 255, 60)
    return out


def sheet(run: Path, out: Path, labels: bool) -> None:
    from PIL import Image

    tiles = []
    for f in sorted((run / "images").glob("*.png")):
        img = np.asarray(Image.open(f).convert("RGB"))
        if labels:
            img = outline(img, np.asarray(Image.open(run / "masks" / f.name)).astype(np.int64))
        tiles.append(img)
    if not tiles:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.jpg")
    Image.fromarray(tile_sheet(tiles, tile_width=max(tiles[0].shape[:2]), gap=2)).save(tmp, quality=85, optimize=True)
    tmp.replace(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", default=None)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--resolution", default="320x240")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "presets")
    ap.add_argument("--work", type=Path, default=Path("/tmp/preset_sheets"))
    ap.add_argument("--labels", action="store_true", help="also write <preset>_labels.jpg with masks outlined")
    args = ap.parse_args()
    w, h = (int(x) for x in args.resolution.split("x"))
    names = args.presets or sorted(p.stem for p in (ROOT / "scenes").glob("*.toml"))
    for name in names:
        t0 = time.perf_counter()
        s = render_dataset(RenderOptions(preset=ROOT / "scenes" / f"{name}.toml", out=args.work / name,
                                         count=args.frames, seed=args.seed, resolution=(w, h), samples=args.samples,
                                         annotate=False), log=lambda line: None)
        fs = s.frame_seconds
        sheet(args.work / name, args.out / f"{name}.jpg", labels=False)
        if args.labels:
            sheet(args.work / name, args.out / f"{name}_labels.jpg", labels=True)
        print(f"{name}: {len(fs)} rendered ({s.skipped} reused), "
              f"{(sum(fs) / len(fs)) if fs else 0:.2f} s/frame, wall {time.perf_counter() - t0:.0f} s -> "
              f"{args.out / f'{name}.jpg'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
