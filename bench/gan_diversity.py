"""Benchmark: diversity of pix2pix outputs, published mask-only input vs mask + background tone.

The thesis this path comes from found its cGAN images all alike (one skin colour, similar lesions).
This trains both variants on the same small synthetic "real" set (several skin tones), generates one
image per composite mask, and prints the diversity figures (trainer/gan/diversity.py) of the real
set, the composites and each generated set side by side. Also prints compositing speed.

    python bench/gan_diversity.py [--real 24] [--size 64] [--epochs 40] [--ngf 16] [--work /tmp/bench-gan]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from trainer.composite import CompositeOptions, run_composite
from trainer.composite.synthetic import make_lesion_dataset
from trainer.gan.diversity import folder_diversity
from trainer.gan.generate import GenerateOptions, generate
from trainer.gan.train import GanOptions, fit


def row(name: str, d: dict) -> str:
    return f"{name:34s} {d['images']:6d} {d['mean_pairwise_l1']:10.4f} {d['hist_spread']:12.4f} {d['mean_colour_std']:10.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=int, default=24)
    ap.add_argument("--composites", type=int, default=48)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--ngf", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-gan"))
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    real = make_lesion_dataset(args.work / "real", args.real, width=args.size, height=args.size, lesions=1, seed=1)
    t = time.perf_counter()
    s = run_composite(real, None, args.work / "comp", CompositeOptions(count=args.composites, seed=2,
                                                                        size=(args.size, args.size), progress=False))
    comp_s = time.perf_counter() - t
    print(f"composite: {s.images} images {args.size}x{args.size} ({s.objects} objects) in {comp_s:.2f} s "
          f"= {s.images / comp_s:.1f} img/s (1 process, incl. inpainting {args.real} backgrounds + writing the dataset)")
    rows = [row("real", folder_diversity(real)), row("composites", folder_diversity(args.work / "comp"))]
    for cond in ("mask", "mask+tone"):
        run = args.work / f"run-{cond}"
        t = time.perf_counter()
        f = fit(real, run, GanOptions(size=args.size, epochs=args.epochs, ngf=args.ngf, ndf=args.ngf,
                                      batch_size=args.batch_size, conditioning=cond, device=args.device,
                                      progress=False))
        last = f.step_losses[-20:]
        print(f"fit {cond}: {f.steps} steps in {time.perf_counter() - t:.1f} s on {f.device}; "
              f"G_L1 first 20 steps {sum(x['G_L1'] for x in f.step_losses[:20]) / 20:.2f} -> last 20 "
              f"{sum(x['G_L1'] for x in last) / len(last):.2f}")
        variants = [("training tones, jitter 0.15", None, 0.15)]
        if cond == "mask+tone":
            variants += [("training tones, no jitter", None, 0.0), ("tones from composites", args.work / "comp" / "images", 0.0)]
        for label, tones, jitter in variants:
            out = args.work / f"gen-{cond}-{label.split(',')[0].replace(' ', '_')}-{jitter}"
            g = generate(run, args.work / "comp" / "masks", out,
                         GenerateOptions(seed=3, tones=tones, tone_jitter=jitter, device=args.device, progress=False))
            rows.append(row(f"gan {cond} ({label})" if cond != "mask" else "gan mask only (published)", g.diversity))
    print(f"\n{'set':34s} {'images':>6s} {'pair L1':>10s} {'hist spread':>12s} {'colour std':>10s}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
