"""Run configuration: defaults (torchvision detection-reference recipe) < TOML file < CLI flags.

One flat dataclass so the whole resolved run fits on one screen of run.json and round-trips through
a checkpoint (plain types only, so checkpoints stay loadable with `weights_only=True`).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.errors import UserError


@dataclass
class TrainConfig:
    # model
    model: str = "maskrcnn_resnet50_fpn"
    weights: str = "coco"  # coco | imagenet | none | PATH to a checkpoint / state dict
    trainable_layers: int = -1  # backbone stages to train (0-5); -1: torchvision's default (3 pretrained, 5 scratch)
    min_size: int = 800  # GeneralizedRCNNTransform resize (shorter side)
    max_size: int = 1333
    # optimisation (references/detection/train.py defaults)
    epochs: int = 26
    # A fixed budget of optimizer steps (0: `epochs` decide). Runs on datasets of different sizes then
    # cost the same (bench/sim2real.py compares renders with real photos this way); the last epoch
    # stops early and the cosine schedule spans exactly these steps.
    max_steps: int = 0
    batch_size: int = 2  # per process
    lr: float = 0.0  # 0: 0.02 * total batch / 16 (linear scaling rule)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "multistep"  # multistep | cosine
    milestones: list[int] = field(default_factory=lambda: [16, 22])  # epochs, multistep only
    gamma: float = 0.1
    warmup_iters: int = 1000  # linear warm-up over the first iterations (capped to one epoch)
    warmup_factor: float = 1e-3
    grad_clip: float = 10.0  # max gradient norm; 0 disables
    amp: str = "auto"  # auto (on for CUDA) | true | false
    channels_last: str = "auto"  # auto (on for CUDA) | true | false
    sync_bn: bool = False  # convert BatchNorm to SyncBatchNorm under DDP (scratch backbones)
    # data
    workers: int = 2
    aspect_groups: bool = True  # batch landscape and portrait images separately
    augment: str = ""  # a `trainer augment` preset (name or TOML path) used online; "" = the two below
    hflip_prob: float = 0.5
    jitter: float = 0.2  # brightness/contrast/saturation factor range +-jitter; 0 disables
    # run
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    deterministic: bool = False
    log_every: int = 20  # iterations between rows in steps.csv
    val_every: int = 1  # epochs between validations
    score_threshold: float = 0.5  # for the pixel/instance metrics logged at validation

    def planned_epochs(self, iters_per_epoch: int) -> int:
        """Epochs the run takes: `epochs`, or as many as `max_steps` needs."""
        if self.max_steps > 0:
            return max(math.ceil(self.max_steps / max(iters_per_epoch, 1)), 1)
        return self.epochs

    def total_steps(self, iters_per_epoch: int) -> int:
        return self.max_steps if self.max_steps > 0 else self.epochs * iters_per_epoch

    def total_batch(self, world_size: int) -> int:
        return self.batch_size * world_size

    def base_lr(self, world_size: int) -> float:
        """The linear scaling rule of the references: 0.02 for a total batch of 16."""
        return self.lr if self.lr > 0 else 0.02 * self.total_batch(world_size) / 16

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
CHOICES = {"schedule": ("multistep", "cosine"), "amp": ("auto", "true", "false"),
           "channels_last": ("auto", "true", "false")}


# Lowest (and highest) values that make sense; anything outside would crash mid-run (a batch of 0 in
# the sampler, `step % 0`) or silently train nothing, so it is refused when the setting is read.
RANGES: dict[str, tuple[float, float | None]] = {
    "epochs": (1, None), "max_steps": (0, None), "batch_size": (1, None), "lr": (0, None), "momentum": (0, 1),
    "weight_decay": (0, None), "gamma": (0, None), "warmup_iters": (0, None), "warmup_factor": (0, 1),
    "grad_clip": (0, None), "workers": (0, None), "min_size": (1, None), "max_size": (1, None),
    "log_every": (1, None), "val_every": (1, None), "score_threshold": (0, 1), "hflip_prob": (0, 1),
    "jitter": (0, 1), "trainable_layers": (-1, 5), "seed": (0, None),
}


def _coerce(name: str, value: Any, source: str) -> Any:
    """Check a value against the field's default type; TOML/CLI give ints for floats and so on."""
    default = TrainConfig().__getattribute__(name)
    if isinstance(value, bool) and name in ("amp", "channels_last"):
        value = "true" if value else "false"
    try:
        if isinstance(default, bool):
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
            if not isinstance(value, bool):
                raise TypeError
        elif isinstance(default, int):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            value = int(value)
        elif isinstance(default, float):
            if isinstance(value, bool):
                raise TypeError
            value = float(value)
        elif isinstance(default, list):
            if isinstance(value, str):
                value = [int(v) for v in value.replace(",", " ").split()]
            value = [int(v) for v in value]
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise UserError(f"'{name}' should be {type(default).__name__}, got {value!r}", source) from None
    if name in CHOICES and value not in CHOICES[name]:
        raise UserError(f"'{name}' must be one of {', '.join(CHOICES[name])}, got {value!r}", source)
    if name in RANGES:
        low, high = RANGES[name]
        if not (value >= low and (high is None or value <= high)):  # also refuses NaN
            rule = f"within {low:g}..{high:g}" if high is not None else f">= {low:g}"
            raise UserError(f"'{name}' must be {rule}, got {value!r}", source)
    return value


def apply(config: TrainConfig, values: dict[str, Any], source: str) -> TrainConfig:
    """A copy of `config` with `values` applied; unknown keys are an error (typos must not pass silently)."""
    updates = {}
    for name, value in values.items():
        if name not in FIELDS:
            raise UserError(f"unknown setting '{name}' (known: {', '.join(FIELDS)})", source)
        updates[name] = _coerce(name, value, source)
    return dataclasses.replace(config, **updates)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Settings at top level or under [train]; file problems are one line (the project's one TOML reader)."""
    from trainer.annotation.files import read_toml

    data = read_toml(path, what="config", error=UserError)
    return dict(data["train"]) if isinstance(data.get("train"), dict) else data


def parse_set(items: list[str]) -> dict[str, Any]:
    """`--set key=value` pairs; the value is read as a TOML value when it parses as one, else a string."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise UserError(f"--set expects key=value, got {item!r}")
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw
    return out


def from_dict(values: dict[str, Any], source: str = "config") -> TrainConfig:
    return apply(TrainConfig(), values, source)
