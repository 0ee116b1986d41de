"""The training loop, shaped like torchvision's references/detection (train.py + engine.py).

`train_step` is the unit `bench/train.py` times against the reference loop. `fit` is the run, in the
reference's pieces: `setup` (device and ranks, data, model, optimiser, resume state, logs and
run.json) -> per epoch `train_one_epoch`, `validate` (on any loader: it returns that set's metrics,
`metrics_row` names their log columns) and `save_checkpoints` (last.pt, best.pt by the AP it is
given). Module-level imports are torch/torchvision only, so the benchmark runs on a GPU box that has
nothing else installed.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler

from trainer.errors import UserError
from trainer.train.config import TrainConfig
from trainer.train.runlog import LOSSES, METRICS


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


# log column (runlog.METRICS, in that order) -> where it sits in evaluate_predictions' metrics
VAL_METRICS = dict(zip(METRICS, [("segm", "AP"), ("segm", "AP50"), ("bbox", "AP"), ("bbox", "AP50"), ("es", "mean"),
                                 ("f1", "mean"), ("accuracy",)], strict=True))


@dataclass
class Training:
    """What `setup` made and the epoch loop uses: model, data, optimisation and where the run stands."""

    config: TrainConfig
    run_dir: Path
    device: torch.device
    dist: Any  # trainer.train.distributed.DistInfo
    categories: list[str]
    spec: Any  # trainer.train.model.ModelSpec
    model: torch.nn.Module  # DDP-wrapped when distributed
    bare: torch.nn.Module  # the model itself (what is validated and saved)
    train_ds: Any
    val_ds: Any
    train_loader: DataLoader
    train_sampler: DistributedSampler
    val_loader: DataLoader
    real_ds: Any  # --real-val: a few real labelled photos that choose best.pt (None without)
    real_loader: DataLoader | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler | None
    amp: bool
    epochs: int  # planned (the step budget may end the last one early)
    total_steps: int
    start_epoch: int = 0
    step: int = 0
    best_ap: float = -math.inf
    logger: Any = None  # trainer.train.runlog.RunLogger on rank 0

    @property
    def last_path(self) -> Path:
        return self.run_dir / "last.pt"

    @property
    def best_path(self) -> Path:
        return self.run_dir / "best.pt"


def validate(model: torch.nn.Module, loader: DataLoader, dataset, categories: list[str], device: torch.device,
             dist, score_threshold: float) -> dict[str, Any] | None:
    """Metrics of `model` on one validation loader (any number of them: the val set, a set of real
    photos, ...): every rank's shard predicted, gathered, and scored on rank 0 (None elsewhere)."""
    from trainer.evaluate.fragments import merge_all
    from trainer.evaluate.inference import dataset_batches, predict_images
    from trainer.evaluate.metrics import evaluate_predictions
    from trainer.train.distributed import all_gather_objects

    preds = predict_images(model, dataset_batches(loader), device, progress=dist.is_main, total=len(loader))
    preds = merge_all(preds, score_threshold)[0]  # scored as `trainer evaluate` scores by default
    gathered = {p.image_index: p for part in all_gather_objects(preds, dist) for p in part}  # drops sampler padding
    if not dist.is_main:
        return None
    return evaluate_predictions(dataset.dataset, [gathered[i] for i in sorted(gathered)], categories,
                                score_threshold).metrics


def metrics_row(metrics: dict[str, Any], prefix: str = "val") -> dict[str, Any]:
    """The log columns of one validation (`val_segm_AP`, ...; another set gets another prefix)."""
    row = {}
    for name, path in VAL_METRICS.items():
        v = metrics
        for k in path:
            v = v[k]
        row[f"{prefix}_{name}"] = v
    return row


def resume_config(run_dir: Path, trust: bool) -> dict[str, Any]:
    """The resolved config stored in RUN_DIR/last.pt, the base for a resumed run."""
    from trainer.train.checkpoint import load_trainer_checkpoint

    return dict(load_trainer_checkpoint(run_dir / "last.pt", trust=trust)["config"])


def _device_and_ranks(config: TrainConfig):
    """The device, the process group (torchrun) and the seeds: first, before anything draws."""
    from trainer.evaluate.inference import resolve_device
    from trainer.train import distributed as D

    device = resolve_device(config.device)
    dist = D.init_distributed(device.type)
    if dist.enabled and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
    torch.manual_seed(config.seed)
    if config.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return device, dist


def _datasets(config: TrainConfig, train_set, val_set, train_path, val_path, ckpt: dict | None):
    """(categories, train and val DetectionDatasets, usable training annotations), or a one-line error."""
    from trainer.train.data import DetectionDataset, build_train_transforms

    categories = list(ckpt["categories"]) if ckpt else list(train_set.categories)
    if not categories:
        raise UserError("dataset has no categories", train_path)
    train_ds = DetectionDataset(train_set, categories, build_train_transforms(config), seed=config.seed)
    usable = sum(len(k) for k in train_ds.keep)
    if usable == 0:
        raise UserError(f"dataset has no usable annotations ({train_set.num_annotations} in the file, "
                        f"skipped: {train_ds.skipped.as_dict() or 'none'})", train_path)
    return categories, train_ds, _scored_set(val_set, categories, val_path, "validation dataset"), usable


def _scored_set(dataset, categories: list[str], path, what: str):
    """A DetectionDataset to validate on: its categories among the model's, and something to score."""
    from trainer.train.data import DetectionDataset

    scored = DetectionDataset(dataset, categories)
    if not dataset.num_annotations:  # no ground truth: every score would be vacuous (see trainer evaluate)
        raise UserError(f"{what} has {'no images' if not len(scored) else 'no annotated objects'}, "
                        "so there is nothing to score", path)
    return scored


def _model(config: TrainConfig, n_classes: int, ckpt: dict | None, device: torch.device, dist, trust: bool):
    """(spec, model as trained (DDP when distributed), the bare model, channels_last, amp)."""
    from trainer.train.model import ModelSpec, build_model, create_model, make_spec

    spec = make_spec(config.model, n_classes, config.weights, config.trainable_layers, config.min_size,
                     config.max_size)
    if ckpt:
        spec = ModelSpec(**ckpt["model_spec"])
        model = build_model(spec)
        model.load_state_dict(ckpt["model"])
    else:
        model = create_model(spec, config.weights, trust_checkpoint=trust)
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
    return spec, model, bare, channels_last, amp


def setup(config: TrainConfig, train_path: str | Path, val_path: str | Path, run_dir: str | Path, *,
          resume: bool = False, trust_checkpoint: bool = False, real_val: str | Path | None = None) -> Training:
    """Everything before the first epoch: device and ranks, data, model, optimiser and schedule,
    the state of a resumed run, and (rank 0) the logs and run.json."""
    from trainer.annotation.check import load_inputs
    from trainer.runs import RunRecord
    from trainer.train.checkpoint import load_trainer_checkpoint, set_rng_state
    from trainer.train.runlog import RunLogger

    run_dir = Path(run_dir)
    if resume and not (run_dir / "last.pt").is_file():
        raise UserError("nothing to resume: no last.pt here", run_dir)
    if not resume and (run_dir / "last.pt").exists():
        raise UserError("already holds a run; pass --resume to continue it or choose another --out", run_dir)
    device, dist = _device_and_ranks(config)
    run = RunRecord(run_dir, {"real_val": str(real_val) if real_val else None})
    if resume:  # best.pt so far was chosen on one set; another would pick by a different yardstick
        run.refuse_other_run(("real_val",), "this run was started with another --real-val (see its run.json); "
                             "resume with the same one")
    # check's rules on every dataset and every image opened, and RUN_DIR writable: all before any output
    sets = load_inputs([train_path, val_path, *([real_val] if real_val else [])], out=run_dir, folder=True,
                       pixels=True)
    train_set, val_set = sets[:2]
    ckpt = load_trainer_checkpoint(run_dir / "last.pt", trust=trust_checkpoint) if resume else None
    categories, train_ds, val_ds, usable = _datasets(config, train_set, val_set, train_path, val_path, ckpt)
    real_ds = _scored_set(sets[2], categories, real_val, "--real-val") if real_val else None
    spec, model, bare, channels_last, amp = _model(config, len(categories) + 1, ckpt, device, dist, trust_checkpoint)

    train_loader, train_sampler = _loader(train_ds, config, dist, train=True, device=device)
    val_loader, _ = _loader(val_ds, config, dist, train=False, device=device)
    real_loader = _loader(real_ds, config, dist, train=False, device=device)[0] if real_ds is not None else None
    iters_per_epoch = max(len(train_loader.batch_sampler), 1)
    lr = config.base_lr(dist.world_size)
    optimizer = torch.optim.SGD([p for p in bare.parameters() if p.requires_grad], lr=lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, iters_per_epoch))
    scaler = torch.amp.GradScaler(device.type) if amp and device.type == "cuda" else None
    t = Training(config=config, run_dir=run_dir, device=device, dist=dist, categories=categories, spec=spec,
                 model=model, bare=bare, train_ds=train_ds, val_ds=val_ds, train_loader=train_loader,
                 train_sampler=train_sampler, val_loader=val_loader, real_ds=real_ds, real_loader=real_loader,
                 optimizer=optimizer, scheduler=scheduler,
                 scaler=scaler, amp=amp, epochs=config.planned_epochs(iters_per_epoch),
                 total_steps=config.total_steps(iters_per_epoch))
    if ckpt:
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        t.start_epoch, t.step, t.best_ap = int(ckpt["epoch"]), int(ckpt["step"]), float(ckpt["best_ap"])
        set_rng_state(ckpt["rng"])
        del ckpt

    if dist.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        t.logger = RunLogger(run_dir, resume_step=t.step if resume else None)
        skipped = train_ds.skipped.as_dict()
        RunRecord(run_dir, {
            "config": config.to_dict(), "model_spec": spec.to_dict(), "categories": categories,
            "train": str(train_path), "val": str(val_path), "train_images": len(train_ds), "val_images": len(val_ds),
            **run.record, "real_val_images": len(real_ds) if real_ds is not None else None,
            "best_by": "real_segm_AP" if real_ds is not None else "val_segm_AP",
            "train_annotations_used": usable, "skipped_annotations": skipped, "world_size": dist.world_size,
            "device": str(device), "amp": amp, "channels_last": channels_last, "lr": lr,
            "iters_per_epoch": iters_per_epoch, "resumed_at_epoch": t.start_epoch if resume else None,
            "command": sys.argv, "versions": versions()}, indent=2).write()
        if skipped:
            print(f"skipped annotations: {skipped}")
    return t


def train_one_epoch(t: Training, epoch: int) -> dict[str, Any]:
    """One pass over the training loader (or up to the step budget); returns the epoch's log row."""
    from tqdm import tqdm

    from trainer.train import distributed as D

    t.train_sampler.set_epoch(epoch)
    t.train_ds.set_epoch(epoch)
    t.model.train()
    t0, seen, sums, n = time.perf_counter(), 0, dict.fromkeys(LOSSES, 0.0), 0
    bar = tqdm(t.train_loader, desc=f"epoch {epoch + 1}/{t.epochs}", disable=not t.dist.is_main,
               total=min(len(t.train_loader.batch_sampler), t.total_steps - t.step), leave=False)
    for images, targets in bar:
        if t.step >= t.total_steps:  # the step budget ends inside this (last) epoch
            break
        names = [t.train_ds.file_name(int(x["image_index"])) for x in targets]
        images = [img.to(t.device, non_blocking=True) for img in images]
        targets = [{k: v.to(t.device, non_blocking=True) for k, v in x.items() if k != "image_index"}
                   for x in targets]
        try:
            values = train_step(t.model, images, targets, t.optimizer, t.scaler, amp=t.amp,
                                grad_clip=t.config.grad_clip, reduce=lambda d: D.mean_across(d, t.dist))
        except NonFiniteLoss as exc:
            raise UserError(f"loss became {exc.value} at epoch {epoch + 1}, iteration {t.step + 1} "
                            f"(images: {', '.join(names)}); check their annotations or lower the lr; "
                            f"last good checkpoint: {t.last_path if t.last_path.exists() else 'none'}") from None
        t.scheduler.step()
        t.step += 1
        seen += len(images) * t.dist.world_size
        n += 1
        for k in LOSSES:
            sums[k] += values.get(k, 0.0)
        rate = seen / max(time.perf_counter() - t0, 1e-9)
        bar.set_postfix(loss=f"{values['loss']:.3f}", img_s=f"{rate:.1f}")
        if t.logger and (t.step % t.config.log_every == 0 or n == 1):
            t.logger.step({"step": t.step, "epoch": epoch + 1, "lr": t.optimizer.param_groups[0]["lr"], **values,
                           "img_per_s": rate})
    seconds = time.perf_counter() - t0
    return {"epoch": epoch + 1, "step": t.step, "lr": t.optimizer.param_groups[0]["lr"],
            **{k: v / max(n, 1) for k, v in sums.items()}, "img_per_s": seen / max(seconds, 1e-9),
            "seconds": seconds}


def save_checkpoints(t: Training, epoch: int, row: dict[str, Any], ap: float | None) -> bool:
    """last.pt every epoch (everything a resume needs); best.pt when the mask AP `ap` of the set that
    chooses (--real-val when given, else --val) improved. Rank 0 only. Returns whether best.pt was written."""
    from trainer.train.checkpoint import FORMAT, rng_state, save_checkpoint

    common = {"format": FORMAT, "model": t.bare.state_dict(), "model_spec": t.spec.to_dict(),
              "categories": t.categories, "config": t.config.to_dict(), "epoch": epoch + 1, "step": t.step,
              "versions": versions()}
    improved = ap is not None and ap > t.best_ap
    if improved:
        t.best_ap = ap
        save_checkpoint({**common, "metrics": {k: v for k, v in row.items() if isinstance(v, float)}}, t.best_path)
    save_checkpoint({**common, "optimizer": t.optimizer.state_dict(), "scheduler": t.scheduler.state_dict(),
                     "scaler": t.scaler.state_dict() if t.scaler is not None else None, "best_ap": t.best_ap,
                     "rng": rng_state()}, t.last_path)
    return improved


def fit(config: TrainConfig, train_path: str | Path, val_path: str | Path, run_dir: str | Path, *,
        resume: bool = False, trust_checkpoint: bool = False, real_val: str | Path | None = None) -> dict[str, Any]:
    """Train, validating and checkpointing every epoch; returns the last epoch's log row (rank 0).

    With `real_val` (a few real labelled photos) every validation also scores that set, and best.pt
    is the checkpoint with the best mask AP there: trained on renders, a synthetic val set measures how
    well the model knows the renderer, not the photos it will run on."""
    from trainer.train import distributed as D

    t = setup(config, train_path, val_path, run_dir, resume=resume, trust_checkpoint=trust_checkpoint,
              real_val=real_val)
    row: dict[str, Any] = {}
    try:
        for epoch in range(t.start_epoch, t.epochs):
            row = train_one_epoch(t, epoch)
            scores: dict[str, dict] = {}  # log prefix -> metrics
            if (epoch + 1) % config.val_every == 0 or epoch + 1 == t.epochs:
                args = (t.categories, t.device, t.dist, config.score_threshold)
                scores["val"] = validate(t.bare, t.val_loader, t.val_ds, *args)
                if t.real_loader is not None:
                    scores["real"] = validate(t.bare, t.real_loader, t.real_ds, *args)
            if t.dist.is_main:
                for prefix, metrics in scores.items():
                    row.update(metrics_row(metrics, prefix))
                t.logger.epoch(row)
                chosen = scores.get("real" if t.real_loader is not None else "val")
                ap = chosen["segm"]["AP"] if chosen is not None else None
                improved = save_checkpoints(t, epoch, row, None if chosen is None else (ap if ap is not None else -1.0))
                val_text = "".join(f", {name} mask AP {m['segm']['AP']:.3f}" for name, m in
                                   (("val", scores.get("val")), ("real", scores.get("real")))
                                   if m is not None and m["segm"]["AP"] is not None)
                print(f"epoch {epoch + 1}/{t.epochs}: loss {row['loss']:.4f}, {row['img_per_s']:.1f} img/s"
                      f"{val_text}{' (best)' if improved else ''}")
            D.barrier(t.dist)
    finally:
        if t.logger:
            t.logger.close()
        D.cleanup(t.dist)
    return row
