"""The training loop, shaped like torchvision's references/detection (train.py + engine.py).

`train_step` is the unit `bench/train.py` times against the reference loop; `fit` adds what a long
run needs: resume, checkpoints, validation, logs. Module-level imports are torch/torchvision only, so
the benchmark runs on a GPU box that has nothing else installed.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler

from trainer.errors import UserError
from trainer.train.config import TrainConfig
from trainer.train.runlog import LOSSES

class NonFiniteLoss(Exception):
    def __init__(self, value: float, losses: dict[str, float]):
        super().__init__(value)
        self.value = value
        self.losses = losses


def train_step(model: torch.nn.Module, images: list[torch.Tensor], targets: list[dict], optimizer: torch.optim.Optimizer,
               scaler: torch.amp.GradScaler | None, *, amp: bool, grad_clip: float,
               reduce: Callable[[dict[str, float]], dict[str, float]] = lambda d: d) -> dict[str, float]:
    """Forward, loss check, backward, clip, step. Returns the (rank-averaged) losses as floats.

    The finiteness check comes after averaging over ranks, so every rank stops together.
    """
    device_type = images[0].device.type
    with torch.autocast(device_type, enabled=amp):
        loss_dict = model(images, targets)
        loss = sum(loss_dict.values())
    values = reduce({"loss": loss.item(), **{k: v.item() for k, v in loss_dict.items()}})
    if not math.isfinite(values["loss"]):
        raise NonFiniteLoss(values["loss"], values)
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        if grad_clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        if grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
    return values


def lr_factor(config: TrainConfig, iters_per_epoch: int) -> Callable[[int], float]:
    """Per-iteration LR multiplier: linear warm-up, then multistep (at epoch milestones) or cosine."""
    warmup = min(config.warmup_iters, max(iters_per_epoch - 1, 0))
    total = max(config.total_steps(iters_per_epoch), 1)

    def factor(step: int) -> float:
        f = 1.0
        if step < warmup:
            alpha = step / warmup
            f = config.warmup_factor * (1 - alpha) + alpha
        if config.schedule == "cosine":
            return f * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
        epoch = step / iters_per_epoch
        return f * config.gamma ** sum(epoch >= m for m in config.milestones)
    return factor


def use_flag(value: str, device: torch.device) -> bool:
    return device.type == "cuda" if value == "auto" else value == "true"


def versions() -> dict[str, str]:
    import numpy
    import torchvision

    from trainer import __version__

    # str(): torch.__version__ is a TorchVersion object, which weights_only loading refuses.
    return {"trainer": __version__, "python": platform.python_version(), "torch": str(torch.__version__),
            "torchvision": str(torchvision.__version__), "numpy": str(numpy.__version__),
            "cuda": str(torch.version.cuda), "platform": platform.platform()}


def _loader(dataset, config: TrainConfig, dist, *, train: bool, device: torch.device):
    from trainer.train.data import GroupedBatchSampler, collate

    sampler = DistributedSampler(dataset, num_replicas=dist.world_size, rank=dist.rank, shuffle=train,
                                 seed=config.seed, drop_last=False)
    if train and config.aspect_groups:
        batches = GroupedBatchSampler(sampler, dataset.aspect_groups(), config.batch_size)
    else:
        batches = BatchSampler(sampler, config.batch_size, drop_last=False)
    loader = DataLoader(dataset, batch_sampler=batches, num_workers=config.workers, collate_fn=collate,
                        pin_memory=device.type == "cuda")
    return loader, sampler


def validate(model: torch.nn.Module, loader: DataLoader, dataset, categories: list[str], device: torch.device,
             dist, score_threshold: float) -> dict[str, Any] | None:
    """Predictions of every rank's shard, gathered; metrics computed on rank 0 (None elsewhere)."""
    from trainer.evaluate.inference import dataset_batches, predict_images
    from trainer.evaluate.metrics import evaluate_predictions
    from trainer.train.distributed import all_gather_objects

    preds = predict_images(model, dataset_batches(loader), device, progress=dist.is_main, total=len(loader))
    gathered = {p.image_index: p for part in all_gather_objects(preds, dist) for p in part}  # drops sampler padding
    if not dist.is_main:
        return None
    return evaluate_predictions(dataset.dataset, [gathered[i] for i in sorted(gathered)], categories,
                                score_threshold).metrics


def resume_config(run_dir: Path, trust: bool) -> dict[str, Any]:
    """The resolved config stored in RUN_DIR/last.pt, the base for a resumed run."""
    from trainer.train.checkpoint import load_trainer_checkpoint

    return dict(load_trainer_checkpoint(run_dir / "last.pt", trust=trust)["config"])


def fit(config: TrainConfig, train_path: str | Path, val_path: str | Path, run_dir: str | Path, *,
        resume: bool = False, trust_checkpoint: bool = False) -> dict[str, Any]:
    """Train, validating and checkpointing every epoch; returns the last epoch's log row (rank 0)."""
    from tqdm import tqdm

    from trainer.annotation.check import load_inputs
    from trainer.annotation.io import write_json_atomic
    from trainer.evaluate.inference import resolve_device
    from trainer.train import distributed as D
    from trainer.train.checkpoint import FORMAT, load_trainer_checkpoint, rng_state, save_checkpoint, set_rng_state
    from trainer.train.data import DetectionDataset, build_train_transforms
    from trainer.train.model import build_model, create_model, make_spec
    from trainer.train.runlog import RunLogger

    run_dir = Path(run_dir)
    last_path, best_path = run_dir / "last.pt", run_dir / "best.pt"
    if resume and not last_path.is_file():
        raise UserError("nothing to resume: no last.pt here", run_dir)
    if not resume and last_path.exists():
        raise UserError("already holds a run; pass --resume to continue it or choose another --out", run_dir)

    device = resolve_device(config.device)
    dist = D.init_distributed(device.type)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
    torch.manual_seed(config.seed)
    if config.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False

    # check's rules on both datasets and every image opened, and RUN_DIR writable: all before any output
    train_set, val_set = load_inputs([train_path, val_path], out=run_dir, folder=True, pixels=True)
    ckpt = load_trainer_checkpoint(last_path, trust=trust_checkpoint) if resume else None
    categories = list(ckpt["categories"]) if ckpt else list(train_set.categories)
    if not categories:
        raise UserError("dataset has no categories", train_path)
    train_ds = DetectionDataset(train_set, categories, build_train_transforms(config), seed=config.seed)
    usable = sum(len(k) for k in train_ds.keep)
    if usable == 0:
        raise UserError(f"dataset has no usable annotations ({train_set.num_annotations} in the file, "
                        f"skipped: {train_ds.skipped.as_dict() or 'none'})", train_path)
    val_ds = DetectionDataset(val_set, categories)
    if not val_set.num_annotations:  # no ground truth: every score would be vacuous (see trainer evaluate)
        raise UserError(f"validation dataset has {'no images' if not len(val_ds) else 'no annotated objects'}, "
                        "so there is nothing to score", val_path)

    spec = make_spec(config.model, len(categories) + 1, config.weights, config.trainable_layers,
                     config.min_size, config.max_size)
    if ckpt:
        from trainer.train.model import ModelSpec

        spec = ModelSpec(**ckpt["model_spec"])
        model = build_model(spec)
        model.load_state_dict(ckpt["model"])
    else:
        model = create_model(spec, config.weights, trust_checkpoint=trust_checkpoint)
    model.to(device)
    channels_last = use_flag(config.channels_last, device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    amp = use_flag(config.amp, device)
    if dist.enabled and config.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    bare = model
    if dist.enabled:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dist.local_rank] if device.type == "cuda"
                                                          else None)

    train_loader, train_sampler = _loader(train_ds, config, dist, train=True, device=device)
    val_loader, _ = _loader(val_ds, config, dist, train=False, device=device)
    iters_per_epoch = max(len(train_loader.batch_sampler), 1)
    params = [p for p in bare.parameters() if p.requires_grad]
    lr = config.base_lr(dist.world_size)
    optimizer = torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, iters_per_epoch))
    scaler = torch.amp.GradScaler(device.type) if amp and device.type == "cuda" else None

    start_epoch, step, best_ap = 0, 0, -math.inf
    if ckpt:
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        start_epoch, step, best_ap = int(ckpt["epoch"]), int(ckpt["step"]), float(ckpt["best_ap"])
        set_rng_state(ckpt["rng"])
        del ckpt

    logger = None
    if dist.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        logger = RunLogger(run_dir, resume_step=step if resume else None)
        skipped = train_ds.skipped.as_dict()
        write_json_atomic(run_dir / "run.json", {
            "config": config.to_dict(), "model_spec": spec.to_dict(), "categories": categories,
            "train": str(train_path), "val": str(val_path), "train_images": len(train_ds), "val_images": len(val_ds),
            "train_annotations_used": usable, "skipped_annotations": skipped, "world_size": dist.world_size,
            "device": str(device), "amp": amp, "channels_last": channels_last, "lr": lr,
            "iters_per_epoch": iters_per_epoch, "resumed_at_epoch": start_epoch if resume else None,
            "command": sys.argv, "versions": versions()}, indent=2)
        if skipped:
            print(f"skipped annotations: {skipped}")

    epochs = config.planned_epochs(iters_per_epoch)
    total_steps = config.total_steps(iters_per_epoch)
    row: dict[str, Any] = {}
    try:
        for epoch in range(start_epoch, epochs):
            train_sampler.set_epoch(epoch)
            train_ds.set_epoch(epoch)
            model.train()
            t0, seen, sums, n = time.perf_counter(), 0, dict.fromkeys(LOSSES, 0.0), 0
            bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not dist.is_main,
                       total=min(len(train_loader.batch_sampler), total_steps - step), leave=False)
            for images, targets in bar:
                if step >= total_steps:  # the step budget ends inside this (last) epoch
                    break
                names = [train_ds.file_name(int(t["image_index"])) for t in targets]
                images = [img.to(device, non_blocking=True) for img in images]
                targets = [{k: v.to(device, non_blocking=True) for k, v in t.items() if k != "image_index"}
                           for t in targets]
                try:
                    values = train_step(model, images, targets, optimizer, scaler, amp=amp, grad_clip=config.grad_clip,
                                        reduce=lambda d: D.mean_across(d, dist))
                except NonFiniteLoss as exc:
                    raise UserError(f"loss became {exc.value} at epoch {epoch + 1}, iteration {step + 1} "
                                    f"(images: {', '.join(names)}); check their annotations or lower the lr; "
                                    f"last good checkpoint: {last_path if last_path.exists() else 'none'}") from None
                scheduler.step()
                step += 1
                seen += len(images) * dist.world_size
                n += 1
                for k in LOSSES:
                    sums[k] += values.get(k, 0.0)
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix(loss=f"{values['loss']:.3f}", img_s=f"{rate:.1f}")
                if logger and (step % config.log_every == 0 or n == 1):
                    logger.step({"step": step, "epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"], **values,
                                 "img_per_s": rate})
            seconds = time.perf_counter() - t0
            row = {"epoch": epoch + 1, "step": step, "lr": optimizer.param_groups[0]["lr"],
                   **{k: v / max(n, 1) for k, v in sums.items()}, "img_per_s": seen / max(seconds, 1e-9),
                   "seconds": seconds}
            metrics = None
            if (epoch + 1) % config.val_every == 0 or epoch + 1 == epochs:
                metrics = validate(bare, val_loader, val_ds, categories, device, dist, config.score_threshold)
            if dist.is_main:
                if metrics is not None:
                    row.update({"val_segm_AP": metrics["segm"]["AP"], "val_segm_AP50": metrics["segm"]["AP50"],
                                "val_bbox_AP": metrics["bbox"]["AP"], "val_bbox_AP50": metrics["bbox"]["AP50"],
                                "val_es": metrics["es"]["mean"], "val_f1": metrics["f1"]["mean"],
                                "val_accuracy": metrics["accuracy"]})
                logger.epoch(row)
                common = {"format": FORMAT, "model": bare.state_dict(), "model_spec": spec.to_dict(),
                          "categories": categories, "config": config.to_dict(), "epoch": epoch + 1, "step": step,
                          "versions": versions()}
                ap = metrics["segm"]["AP"] if metrics is not None else None
                improved = metrics is not None and (ap if ap is not None else -1.0) > best_ap
                if improved:
                    best_ap = ap if ap is not None else -1.0
                    save_checkpoint({**common, "metrics": {k: v for k, v in row.items() if isinstance(v, float)}},
                                    best_path)
                save_checkpoint({**common, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                                 "scaler": scaler.state_dict() if scaler is not None else None, "best_ap": best_ap,
                                 "rng": rng_state()}, last_path)
                val_text = f", val mask AP {ap:.3f}" if ap is not None else ""
                print(f"epoch {epoch + 1}/{epochs}: loss {row['loss']:.4f}, {row['img_per_s']:.1f} img/s"
                      f"{val_text}{' (best)' if improved else ''}")
            D.barrier(dist)
    finally:
        if logger:
            logger.close()
        D.cleanup(dist)
    return row
