"""`gan fit`: pix2pix training on the real (mask, image) pairs, resumable per epoch.

Published defaults: batch 1, Adam lr 2e-4 beta1 0.5, L1 weight 100, vanilla GAN loss (BCE on
logits), discriminator loss halved, learning rate constant for the first half of the epochs then
linearly to zero. Each epoch ends with an atomic checkpoint (last.pt), a sample grid and log.csv;
rerunning the same command continues after the last finished epoch.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from trainer import __version__
from trainer.annotation.check import load_inputs
from trainer.annotation.io import write_bytes_atomic, write_image_atomic
from trainer.errors import UserError
from trainer.gan.checkpoint import load_checkpoint, save_checkpoint
from trainer.gan.data import CONDITIONINGS, TONE_CELLS, Pairs, condition, from_unit, load_pairs, to_unit, tone_map
from trainer.gan.diversity import diversity
from trainer.gan.models import build_networks, unet_depth
from trainer.runs import RunRecord


@dataclass(frozen=True)
class GanOptions:
    size: int = 256
    epochs: int = 200
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    l1_weight: float = 100.0
    ngf: int = 64
    ndf: int = 64
    seed: int = 0
    device: str = "auto"  # "auto": CUDA (bf16 autocast) when available, else CPU (fp32)
    max_steps: int | None = None  # stop early (tests, smoke runs); the checkpoint stays resumable
    samples: int = 4  # rows in each epoch's sample grid
    conditioning: str = "mask+tone"  # or "mask": the published input, for comparison
    progress: bool = True

    def config(self) -> dict:
        """What fixes the networks' shapes and inputs: a resumed run must match it."""
        return {"size": self.size, "ngf": self.ngf, "ndf": self.ndf, "input_nc": CONDITIONINGS[self.conditioning],
                "tone_cells": TONE_CELLS, "conditioning": self.conditioning}


@dataclass
class FitSummary:
    run_dir: Path
    device: str
    epochs_done: int = 0
    steps: int = 0
    resumed_from_epoch: int = 0
    step_losses: list[dict] = field(default_factory=list)  # this call's steps only
    real_diversity: dict = field(default_factory=dict)
    seconds: float = 0.0


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda asked for but no CUDA GPU is available")
    return torch.device(name)


def tensors(pairs: Pairs, size: int, conditioning: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(conditions N x C x S x S, targets N x 3 x S x S), both in [-1, 1]."""
    x = np.stack([condition(m, tone_map(t, size), conditioning) for m, t in zip(pairs.masks, pairs.tones)])
    y = np.stack([to_unit(im).transpose(2, 0, 1) for im in pairs.images])
    return torch.from_numpy(x), torch.from_numpy(y)


def lr_factor(epoch: int, epochs: int) -> float:
    """pix2pix 'linear' policy: 1 for the first half, then down linearly towards 0."""
    keep = epochs // 2
    return 1.0 - max(0, epoch - keep) / float(epochs - keep + 1)


def sample_grid(g: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> np.ndarray:
    """Rows of mask | tone map (if conditioned on it) | real | generated (dropout on, as at generation)."""
    with torch.no_grad():
        fake = g(x.to(device)).float().cpu().numpy()
    rows = []
    for i in range(len(x)):
        tiles = [from_unit(np.repeat(x[i, :1].numpy(), 3, 0))]
        if x.shape[1] > 1:
            tiles.append(from_unit(x[i, 1:4].numpy()))
        rows.append(cv2.hconcat(tiles + [from_unit(y[i].numpy()), from_unit(fake[i])]))
    return cv2.vconcat(rows)


def _write_log(path: Path, history: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(history[0]))
    writer.writeheader()
    writer.writerows(history)
    write_bytes_atomic(path, buf.getvalue().encode())


def fit(data: str | Path, run_dir: str | Path, opts: GanOptions) -> FitSummary:
    """Train (or continue training) a pix2pix model on the dataset's (mask, image) pairs."""
    try:
        unet_depth(opts.size)
    except ValueError as exc:
        raise UserError(f"--size: {exc}") from None
    if opts.conditioning not in CONDITIONINGS:
        raise UserError(f"--conditioning must be one of {', '.join(CONDITIONINGS)}")
    if opts.epochs < 1 or opts.batch_size < 1 or opts.seed < 0:
        raise UserError("--epochs and --batch-size must be at least 1, --seed >= 0")
    start = time.perf_counter()
    data, run_dir = Path(data), Path(run_dir)
    device = pick_device(opts.device)
    dataset, = load_inputs([data], out=run_dir, folder=True, pixels=True)  # check's rules; RUN writable, apart
    pairs = load_pairs(dataset, opts.size)
    x_all, y_all = tensors(pairs, opts.size, opts.conditioning)
    config = opts.config()
    summary = FitSummary(run_dir=run_dir, device=str(device))
    summary.real_diversity = diversity(list(pairs.images))

    torch.manual_seed(opts.seed)
    g, d = build_networks(config)
    g.to(device), d.to(device)
    opt_g = torch.optim.Adam(g.parameters(), lr=opts.lr, betas=(opts.beta1, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=opts.lr, betas=(opts.beta1, 0.999))
    ckpt_path = run_dir / "checkpoints" / "last.pt"
    epoch0, step, history = 0, 0, []
    if ckpt_path.is_file():
        state = load_checkpoint(ckpt_path)
        if state["config"] != config:
            raise UserError(f"was trained with {state['config']}, not {config}; use a new run folder", ckpt_path)
        g.load_state_dict(state["G"]), d.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_G"]), opt_d.load_state_dict(state["opt_D"])
        epoch0, step, history = int(state["epoch"]), int(state["step"]), list(state["history"])
    summary.resumed_from_epoch = summary.epochs_done = epoch0
    run = RunRecord(run_dir, {"command": "gan fit", "version": __version__, "torch": torch.__version__,
                              "data": str(data.resolve()), "device": str(device),
                              "options": {k: v for k, v in asdict(opts).items() if k != "progress"},
                              "config": config, "images": len(pairs.names), "real_diversity": summary.real_diversity})
    run.write(status="running")

    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    amp = device.type == "cuda"
    n = len(x_all)
    fixed = np.linspace(0, n - 1, min(opts.samples, n)).round().astype(int)
    stopped = False
    bar = tqdm(range(epoch0, opts.epochs), desc="gan fit", unit="epoch", disable=not opts.progress or None,
               file=sys.stderr)
    for epoch in bar:
        torch.manual_seed(opts.seed * 1_000_003 + epoch)  # dropout noise reproducible per epoch, resume or not
        rng = np.random.default_rng([opts.seed, epoch])
        for group in (*opt_g.param_groups, *opt_d.param_groups):
            group["lr"] = opts.lr * lr_factor(epoch, opts.epochs)
        g.train(), d.train()
        sums: dict[str, float] = {}
        order = rng.permutation(n)
        batches = 0
        for b in range(0, n, opts.batch_size):
            idx = torch.from_numpy(order[b:b + opts.batch_size])
            x, y = x_all[idx], y_all[idx]
            if rng.random() < 0.5:  # flips keep mask, tone and image aligned
                x, y = x.flip(3), y.flip(3)
            if rng.random() < 0.5:
                x, y = x.flip(2), y.flip(2)
            x, y = x.to(device), y.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                fake = g(x)
                # discriminator: real pairs -> 1, generated pairs -> 0
                d.requires_grad_(True)
                pred_fake = d(torch.cat([x, fake.detach()], 1))
                pred_real = d(torch.cat([x, y], 1))
                loss_d_fake = bce(pred_fake.float(), torch.zeros_like(pred_fake, dtype=torch.float32))
                loss_d_real = bce(pred_real.float(), torch.ones_like(pred_real, dtype=torch.float32))
                loss_d = 0.5 * (loss_d_fake + loss_d_real)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                # generator: fool D, and stay close to the real image (L1)
                d.requires_grad_(False)
                pred = d(torch.cat([x, fake], 1))
                loss_g_gan = bce(pred.float(), torch.ones_like(pred, dtype=torch.float32))
                loss_g_l1 = l1(fake.float(), y) * opts.l1_weight
                loss_g = loss_g_gan + loss_g_l1
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            step += 1
            batches += 1
            losses = {"G_GAN": loss_g_gan.item(), "G_L1": loss_g_l1.item(), "D_real": loss_d_real.item(),
                      "D_fake": loss_d_fake.item()}
            summary.step_losses.append({"step": step, **losses})
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            if opts.max_steps is not None and step >= opts.max_steps:
                stopped = True
                break
        finished = epoch + 1 if not stopped or batches * opts.batch_size >= n else epoch
        row = {"epoch": epoch + 1, "step": step, **{k: round(v / batches, 5) for k, v in sums.items()},
               "lr": opts.lr * lr_factor(epoch, opts.epochs), "seconds": round(time.perf_counter() - start, 2)}
        if finished == epoch + 1:
            history.append(row)
            write_image_atomic(run_dir / "samples" / f"epoch_{epoch + 1:04d}.png",
                               sample_grid(g, x_all[fixed], y_all[fixed], device))
            _write_log(run_dir / "log.csv", history)
        save_checkpoint(ckpt_path, {"config": config, "epoch": finished, "step": step, "history": history,
                                    "G": g.state_dict(), "D": d.state_dict(), "opt_G": opt_g.state_dict(),
                                    "opt_D": opt_d.state_dict(),
                                    "tones": torch.from_numpy(pairs.tones), "seed": opts.seed,
                                    "categories": list(dataset.categories)})
        bar.set_postfix(G_L1=f"{row.get('G_L1', 0):.2f}", D=f"{row.get('D_real', 0) + row.get('D_fake', 0):.2f}")
        summary.epochs_done = finished
        if stopped:
            break
    bar.close()
    summary.steps = step
    summary.seconds = time.perf_counter() - start
    run.write(status="complete" if summary.epochs_done >= opts.epochs else "stopped",
              epochs_done=summary.epochs_done, steps=step, seconds=round(summary.seconds, 2))
    return summary
