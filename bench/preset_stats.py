"""Statistics of every shipped preset: N frames each, rendered for their labels, then `trainer stats`.

    PYTHONPATH=. python bench/preset_stats.py [--frames 200] [--resolution 640x480]
        [--out docs/stats] [--work /tmp/preset_stats] [preset ...]

Labels do not depend on sampling (the Object Index pass is exact at 1 sample), so frames are
rendered at 1 spp without denoising at the preset's resolution: the same scenes, cameras and masks
as a full render, in a fraction of the time. Resumable (finished frames in --work are reused).
Writes docs/stats/<preset>.png and prints each preset's summary line and seconds per frame.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blender_addon.engine import RenderOptions, render_dataset
from trainer.annotation.files import read_toml

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", default=None)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--resolution", default=None, help="WxH (default: the preset's)")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "stats")
    ap.add_argument("--work", type=Path, default=Path("/tmp/preset_stats"))
    args = ap.parse_args()
    res = tuple(int(x) for x in args.resolution.split("x")) if args.resolution else None
    names = args.presets or sorted(p.stem for p in (ROOT / "scenes").glob("*.toml"))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = ROOT / "scenes" / f"{name}.toml"
        data = read_toml(path)
        data["render"] = {**data.get("render", {}), "denoise": False}
        t0 = time.perf_counter()
        s = render_dataset(RenderOptions(preset=path, preset_data=data, out=args.work / name, count=args.frames,
                                         seed=args.seed, resolution=res, samples=1), log=lambda line: None)
        fs = s.frame_seconds
        print(f"{name}: {len(fs)} rendered ({s.skipped} reused), {(sum(fs) / len(fs)) if fs else 0:.2f} s/frame, "
              f"wall {time.perf_counter() - t0:.0f} s", flush=True)
        r = subprocess.run([sys.executable, "-m", "trainer", "stats", str(args.work / name),
                            "--out", str(args.out / f"{name}.png")], capture_output=True, text=True, check=False)
        print(r.stdout.strip() or r.stderr.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
