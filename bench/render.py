"""Render benchmark: s/frame and RSS for the default preset on this machine.

    PYTHONPATH=. python bench/render.py [--frames 3] [--bare 4] [--soak 300] [--device cpu]

Part 1 renders --frames frames at 640x480 with the preset's settings (16 spp, OIDN prefilter FAST,
adaptive sampling, light tree off) and prints seconds per frame (first frame separately: it
includes kernel/scene warm-up) and peak RSS. Part 2 (--bare N) is the side-by-side the content
budget is judged by: the same frames (seeds, cameras, people placement, render settings) rendered
with full content and with the bare engine (procedural humanoids, ground and sky only: no body
meshes, debris, buildings, heaps, weather, fog or backplates), alternating in blocks
content/bare/content/bare so machine load hits both alike; prints both means and the ratio.
Part 3 (soak) renders --soak frames at 64x48, 1 spp, and compares peak RSS of the last 100 frames
with frames 100-200: memory must stay flat. Annotation is off throughout (it is timed by the
annotation core's own bench).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blender_addon.engine import RenderOptions, render_dataset
from trainer.annotation.files import read_toml

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scene", type=Path, default=ROOT / "scenes" / "default.toml")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--bare", type=int, default=4, help="frames per block in the content-vs-bare comparison (0 = skip)")
    ap.add_argument("--soak", type=int, default=300, help="frames at 64x48 for the RSS check (0 = skip)")
    ap.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = ap.parse_args()
    quiet = lambda line: None
    print(f"machine: {os.cpu_count()} CPUs; preset {args.scene}; device {args.device}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.frames:
            t0 = time.perf_counter()
            s = render_dataset(RenderOptions(preset=args.scene, out=Path(tmp) / "full", count=args.frames,
                                             device=args.device, annotate=False), log=print)
            fs = s.frame_seconds
            rest = fs[1:] or fs
            print(f"RESULT 640x480 (preset render settings): {len(fs)} frames, mean {sum(fs) / len(fs):.2f} s/frame "
                  f"(first {fs[0]:.2f} s, rest {sum(rest) / len(rest):.2f}); wall {time.perf_counter() - t0:.1f} s; "
                  f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        if args.bare:
            content_vs_bare(args, Path(tmp))
        if args.soak:
            s = render_dataset(RenderOptions(preset=args.scene, out=Path(tmp) / "soak", count=args.soak,
                                             resolution=(64, 48), samples=1, device=args.device, annotate=False),
                               log=quiet)
            rss = s.rss_mib
            print(f"RESULT soak 64x48 1 spp: {len(rss)} frames, {sum(s.frame_seconds) / len(rss):.3f} s/frame; "
                  f"RSS after frame 1 {rss[0]:.0f} MiB, 10 {rss[min(9, len(rss) - 1)]:.0f} MiB, "
                  f"last {rss[-1]:.0f} MiB")
            if len(rss) >= 300:
                mid, last = max(rss[100:200]), max(rss[-100:])
                growth = (last - mid) / mid
                print(f"RESULT RSS peak frames 100-200 {mid:.0f} MiB, last 100 {last:.0f} MiB: "
                      f"{growth * 100:+.1f}% ({'flat' if abs(growth) <= 0.10 else 'NOT flat'}, limit 10%)")
    return 0


def bare_preset(data: dict) -> dict:
    """The preset with every content generator switched off; engine, camera, people placement and
    render settings untouched (generators draw from separate seed streams, so frames match)."""
    bare = {k: dict(v) for k, v in data.items()}
    for section in ("rescuers", "civilians"):
        bare.setdefault(section, {})["body_probability"] = 0.0
    bare.setdefault("debris", {})["count"] = [0, 0]
    bare["buildings"] = {**bare.get("buildings", {}), "count": [0, 0], "far_count": [0, 0], "heaps": [0, 0]}
    bare["weather"] = {**bare.get("weather", {}), "conditions": {"clear": 1.0}, "fog_probability": 0.0}
    bare["light"] = {**bare.get("light", {}), "background_probability": 0.0}
    return bare


def content_vs_bare(args, tmp: Path) -> None:
    data = read_toml(args.scene)
    variants = {"content": data, "bare": bare_preset(data)}
    times: dict[str, list[float]] = {k: [] for k in variants}
    for block in range(2):  # content, bare, content, bare: drift in machine load hits both alike
        for name, preset in variants.items():
            s = render_dataset(RenderOptions(preset=args.scene, preset_data=preset, out=tmp / f"{name}{block}",
                                             count=args.bare, start=block * args.bare, device=args.device,
                                             annotate=False), log=lambda line: None)
            times[name] += s.frame_seconds[1:] or s.frame_seconds  # first frame of a block: warm-up
    mean = {k: sum(v) / len(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"RESULT {k:7s} 640x480: {len(v)} frames, mean {mean[k]:.2f} s/frame "
              f"(min {min(v):.2f}, max {max(v):.2f})")
    print(f"RESULT content / bare = {mean['content'] / mean['bare']:.2f}x (budget 1.5x)")


if __name__ == "__main__":
    sys.exit(main())
