"""The experiment plan (TOML): which training sets to build and how to train them.

    [train]                 # trainer fit settings, keys as in a fit run.json "config"
    model = "maskrcnn_resnet50_fpn"
    epochs = 26
    [data]
    composite = "comp/"     # pools the synthetic images are drawn from (dataset folders)
    gan = "gan/"
    val = "val/"            # validation during training, for the logs (default: the training set);
                            # the last checkpoint is what gets evaluated on the test set
    repeats = 3             # runs per experiment, each with its own draw and seed
    seed = 0
    [[experiment]]
    name = "real"           # unique; used as a folder name
    real = 1.0              # fraction of the real set (0..1]
    composite = 0.0         # composite images per real image used
    gan = 0.0               # GAN images per real image used

f = composite + gan for an experiment (the draw counts are rounded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.annotation.files import read_toml
from trainer.errors import UserError


@dataclass(frozen=True)
class Experiment:
    name: str
    real: float = 1.0
    composite: float = 0.0
    gan: float = 0.0

    @property
    def f(self) -> float:
        return self.composite + self.gan


@dataclass
class Plan:
    experiments: list[Experiment]
    train: dict[str, Any] = field(default_factory=dict)
    composite: Path | None = None
    gan: Path | None = None
    val: Path | None = None
    repeats: int = 1
    seed: int = 0
    source: Path | None = None


def _number(value: Any, what: str, path: Path, lo: float, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < lo or (hi is not None and value > hi):
        bound = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise UserError(f"{what} must be a number {bound} (got {value!r})", path)
    return float(value)


def load_plan(path: str | Path) -> Plan:
    """Read and check a plan; every mistake is one line naming the plan file."""
    path = Path(path)
    raw = read_toml(path, what="plan", error=UserError)
    unknown = set(raw) - {"train", "data", "experiment"}
    if unknown:
        raise UserError(f"unknown section(s) {sorted(unknown)} (expected train, data, experiment)", path)
    data = raw.get("data", {})
    bad = set(data) - {"composite", "gan", "val", "repeats", "seed"}
    if bad:
        raise UserError(f"unknown [data] key(s) {sorted(bad)}", path)
    base = path.parent
    plan = Plan(experiments=[], train=dict(raw.get("train", {})), source=path,
                repeats=int(_number(data.get("repeats", 1), "[data] repeats", path, 1)),
                seed=int(_number(data.get("seed", 0), "[data] seed", path, 0)))
    for key in ("composite", "gan", "val"):
        if key in data:
            setattr(plan, key, (base / str(data[key])).resolve() if not Path(str(data[key])).is_absolute()
                    else Path(str(data[key])))
    items = raw.get("experiment", [])
    if not isinstance(items, list) or not items:
        raise UserError("no [[experiment]] entries", path)
    names = set()
    for i, item in enumerate(items):
        where = f"experiment {i + 1}"
        extra = set(item) - {"name", "real", "composite", "gan"}
        if extra:
            raise UserError(f"{where}: unknown key(s) {sorted(extra)}", path)
        name = str(item.get("name", f"exp{i + 1}"))
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name) or name in names:
            raise UserError(f"{where}: name {name!r} must be unique and use letters, digits, _ . + - only", path)
        names.add(name)
        exp = Experiment(name, _number(item.get("real", 1.0), f"{where} real", path, 1e-9, 1.0),
                         _number(item.get("composite", 0.0), f"{where} composite", path, 0.0),
                         _number(item.get("gan", 0.0), f"{where} gan", path, 0.0))
        if exp.composite > 0 and plan.composite is None:
            raise UserError(f"{where} uses composite images but [data] composite is not set", path)
        if exp.gan > 0 and plan.gan is None:
            raise UserError(f"{where} uses GAN images but [data] gan is not set", path)
        plan.experiments.append(exp)
    return plan
