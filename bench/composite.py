"""Benchmark: `trainer composite` speed, one process vs a spawn pool, same job in the same run.

Job: N composites of SIZE x SIZE from a synthetic real set (20 images, 2 lesions each), backgrounds
inpainted from the real images, all three blend modes. Prints images/s for each and the ratio, and
checks both runs wrote byte-identical images (the output must not depend on the worker count).

    python bench/composite.py [--count 200] [--size 256] [--workers 0 (= all cores)] [--work /tmp/bench-composite]
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from trainer.composite import CompositeOptions, run_composite
from trainer.composite.synthetic import make_lesion_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-composite"))
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    real = make_lesion_dataset(args.work / "real", 20, width=args.size, height=args.size, lesions=2, seed=1)
    workers = args.workers or os.cpu_count() or 1
    rates = {}
    for label, w in (("1 process", 1), (f"{workers} spawned workers", workers)):
        out = args.work / f"out-{w}"
        t = time.perf_counter()
        s = run_composite(real, None, out, CompositeOptions(count=args.count, seed=0, workers=w, progress=False))
        dt = time.perf_counter() - t
        rates[w] = s.images / dt
        print(f"{label:22s} {s.images} images, {s.objects} objects in {dt:6.2f} s = {rates[w]:6.1f} img/s")
    same = all((args.work / "out-1" / "images" / p.name).read_bytes() == p.read_bytes()
               for p in (args.work / f"out-{workers}" / "images").iterdir())
    print(f"speed-up {rates[workers] / rates[1]:.2f}x on {os.cpu_count()} cores; identical outputs: {same}")


if __name__ == "__main__":
    main()
