"""Training throughput of `trainer fit`'s step vs torchvision's reference recipe, side by side.

Both train Mask R-CNN R50-FPN from scratch on the same synthetic batches (noise images with random
rectangle/ellipse instances, generated once, already on the device), in the same process:
- reference: torchvision.models.detection.maskrcnn_resnet50_fpn + SGD, the loop body of
  references/detection/engine.py (fp32, no channels_last, no clipping);
- ours: trainer.train.model + trainer.train.engine.train_step (AMP and channels_last when on CUDA,
  gradient clipping), i.e. exactly what `trainer fit` runs per iteration.
Data loading is left out on purpose: this measures the step, which is what differs.

GPU (defaults: 256 px batch 32, 640 px batch 8):   PYTHONPATH=. python bench/train.py
CPU smoke run:   PYTHONPATH=. python bench/train.py --device cpu --sizes 128 --batch-sizes 2 --steps 3 --warmup 1
Each figure is the median of --repeats rounds that alternate which loop runs first.
Needs only torch + torchvision (no pip install of this project, no network).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torchvision  # noqa: E402

from trainer.train.engine import train_step, use_flag  # noqa: E402
from trainer.train.model import build_model, make_spec  # noqa: E402

NUM_CLASSES = 3  # two categories + background


def synthetic_batches(n: int, batch: int, size: int, device: torch.device, seed: int = 0) -> list[tuple[list, list]]:
    """`n` batches of size x size noise images with 2-6 filled rectangles or ellipses each."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    batches = []
    for _ in range(n):
        images, targets = [], []
        for _ in range(batch):
            img = torch.rand(3, size, size, generator=g) * 0.5
            masks, boxes, labels = [], [], []
            for _ in range(int(torch.randint(2, 7, (1,), generator=g))):
                w, h = (torch.randint(size // 10, size // 3, (2,), generator=g)).tolist()
                x0 = int(torch.randint(0, size - w, (1,), generator=g))
                y0 = int(torch.randint(0, size - h, (1,), generator=g))
                label = int(torch.randint(1, NUM_CLASSES, (1,), generator=g))
                if label == 1:
                    m = ((xx - x0 - w / 2) / (w / 2)) ** 2 + ((yy - y0 - h / 2) / (h / 2)) ** 2 <= 1
                else:
                    m = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
                img[:, m] = torch.rand(3, 1, generator=g)
                ys, xs = torch.nonzero(m, as_tuple=True)
                boxes.append([xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1])
                masks.append(m)
                labels.append(label)
            images.append(img.to(device))
            targets.append({"boxes": torch.tensor(boxes, dtype=torch.float32, device=device),
                            "labels": torch.tensor(labels, dtype=torch.int64, device=device),
                            "masks": torch.stack(masks).to(torch.uint8).to(device)})
        batches.append((images, targets))
    return batches


def reference_step(model, images, targets, optimizer) -> float:
    """The body of references/detection/engine.py:train_one_epoch without a scaler (single process)."""
    loss_dict = model(images, targets)
    losses = sum(loss for loss in loss_dict.values())
    loss_value = losses.item()
    if not math.isfinite(loss_value):
        raise SystemExit(f"reference loss is {loss_value}")
    optimizer.zero_grad()
    losses.backward()
    optimizer.step()
    return loss_value


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(step, batches, warmup: int, steps: int, device: torch.device) -> dict:
    for i in range(warmup):
        step(*batches[i % len(batches)])
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    for i in range(steps):
        step(*batches[i % len(batches)])
    sync(device)
    seconds = time.perf_counter() - t0
    images = steps * len(batches[0][0])
    out = {"img_per_s": images / seconds, "seconds": seconds, "images": images}
    if device.type == "cuda":
        out["peak_mem_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    return out


def make_steps(size: int, batch: int, args, device: torch.device) -> tuple[dict, dict]:
    """Both models built up front from the same seed; returns step functions and our settings."""
    lr = 0.02 * batch / 16
    torch.manual_seed(0)
    ref = torchvision.models.detection.maskrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=NUM_CLASSES, min_size=size, max_size=size).to(device).train()
    ref_opt = torch.optim.SGD([p for p in ref.parameters() if p.requires_grad], lr=lr, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(0)
    ours = build_model(make_spec("maskrcnn_resnet50_fpn", NUM_CLASSES, "none", -1, size, size)).to(device).train()
    amp, channels_last = use_flag(args.amp, device), use_flag(args.channels_last, device)
    if channels_last:
        ours.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD([p for p in ours.parameters() if p.requires_grad], lr=lr, momentum=0.9, weight_decay=1e-4)
    scaler = torch.amp.GradScaler(device.type) if amp and device.type == "cuda" else None
    # The references' epoch-0 warm-up (factor 1/1000 -> 1 over 1000 iterations), stepped per iteration in
    # both loops; it also keeps scratch models on repeated batches from diverging during the benchmark.
    warm = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1e-3 + (1 - 1e-3) * min(i, 1000) / 1000)
            for o in (ref_opt, opt)]

    def reference(im, tg):
        reference_step(ref, im, tg, ref_opt)
        warm[0].step()

    def our_step(im, tg):
        train_step(ours, im, tg, opt, scaler, amp=amp, grad_clip=10.0)
        warm[1].step()

    steps = {"reference": reference, "ours": our_step}
    return steps, {"amp": amp, "channels_last": channels_last}


def bench_size(size: int, batch: int, args, device: torch.device) -> dict:
    """Median img/s over `repeats` rounds, alternating which loop goes first (ABBA) to cancel drift."""
    batches = synthetic_batches(min(args.steps + args.warmup, 8), batch, size, device, seed=size)
    steps, settings = make_steps(size, batch, args, device)
    samples: dict[str, list[dict]] = {"reference": [], "ours": []}
    for r in range(args.repeats):
        for name in (["reference", "ours"] if r % 2 == 0 else ["ours", "reference"]):
            samples[name].append(measure(steps[name], batches, args.warmup if r == 0 else 1, args.steps, device))
    results: dict = {}
    for name, runs in samples.items():
        rates = sorted(m["img_per_s"] for m in runs)
        results[name] = {"img_per_s": rates[len(rates) // 2], "samples": rates,
                         **({"peak_mem_gib": max(m["peak_mem_gib"] for m in runs)} if "peak_mem_gib" in runs[0] else {})}
    results["ours"].update(settings)
    results["ratio"] = results["ours"]["img_per_s"] / results["reference"]["img_per_s"]
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 640], help="square image sizes (256 640)")
    p.add_argument("--batch-sizes", type=int, nargs="+", help="one per size (GPU: 32 8; CPU: 2 1)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per measurement (20)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (5)")
    p.add_argument("--amp", default="auto", choices=["auto", "true", "false"], help="ours: mixed precision")
    p.add_argument("--channels-last", default="auto", choices=["auto", "true", "false"], help="ours: NHWC")
    p.add_argument("--repeats", type=int, default=3, help="measurement rounds, alternating order; median (3)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()

    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    batch_sizes = args.batch_sizes or ([32, 8] if device.type == "cuda" else [2, 1])
    if len(batch_sizes) != len(args.sizes) or args.repeats < 1:
        p.error("give one --batch-sizes entry per --sizes entry, and --repeats >= 1")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"python {platform.python_version()}, threads {torch.get_num_threads()}")
    rows = []
    for size, batch in zip(args.sizes, batch_sizes):
        r = bench_size(size, batch, args, device)
        rows.append({"size": size, "batch": batch, **r})
        mem = "".join(f"  peak {r[k]['peak_mem_gib']:.1f} GiB ({k})" for k in ("reference", "ours")
                      if "peak_mem_gib" in r[k])
        print(f"R50-FPN {size:4d} px batch {batch:3d}: reference {r['reference']['img_per_s']:8.2f} img/s | "
              f"ours {r['ours']['img_per_s']:8.2f} img/s (amp {r['ours']['amp']}, channels_last "
              f"{r['ours']['channels_last']}) | ours/reference {r['ratio']:.2f}x{mem}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"device": str(device), "device_name": name, "torch": str(torch.__version__),
                                         "torchvision": str(torchvision.__version__), "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
