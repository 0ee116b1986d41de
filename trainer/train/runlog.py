"""Run logs: steps.csv (every `log_every` iterations), epochs.csv (one row per epoch), TensorBoard if installed.

CSV because anyone can open it; the report draws loss curves from it. On resume, rows written after
the checkpoint being resumed from are dropped, so the logs describe the run that exists. Imports are
stdlib only: the engine (and through it bench/train.py on a bare GPU box) imports LOSSES from here.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from trainer.annotation.files import write_bytes_atomic  # stdlib only

LOSSES = ["loss", "loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"]
STEP_FIELDS = ["step", "epoch", "lr", *LOSSES, "img_per_s"]
# One validation's columns; `val_` for --val, `real_` for --real-val (empty when not given).
METRICS = ["segm_AP", "segm_AP50", "bbox_AP", "bbox_AP50", "es", "f1", "accuracy"]
EPOCH_FIELDS = ["epoch", "step", "lr", *LOSSES, "img_per_s", "seconds", *(f"val_{m}" for m in METRICS),
                *(f"real_{m}" for m in METRICS)]


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _rewrite(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(path, buf.getvalue().encode())


class RunLogger:
    def __init__(self, run_dir: Path, *, resume_step: int | None = None):
        self.steps_path = run_dir / "steps.csv"
        self.epochs_path = run_dir / "epochs.csv"
        if resume_step is None:
            _rewrite(self.steps_path, STEP_FIELDS, [])
            _rewrite(self.epochs_path, EPOCH_FIELDS, [])
        else:
            _rewrite(self.steps_path, STEP_FIELDS,
                     [r for r in read_csv(self.steps_path) if int(r["step"]) <= resume_step])
            _rewrite(self.epochs_path, EPOCH_FIELDS,
                     [r for r in read_csv(self.epochs_path) if int(r["step"]) <= resume_step])
        self.tb = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run_dir / "tensorboard"), purge_step=resume_step)
        except ImportError:  # tensorboard is optional
            pass

    def _append(self, path: Path, fields: list[str], row: dict[str, Any]) -> None:
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields, extrasaction="ignore").writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})

    def step(self, row: dict[str, Any]) -> None:
        self._append(self.steps_path, STEP_FIELDS, row)
        if self.tb is not None:
            for k in LOSSES + ["lr"]:
                if k in row:
                    self.tb.add_scalar(f"train/{k}", row[k], row["step"])

    def epoch(self, row: dict[str, Any]) -> None:
        self._append(self.epochs_path, EPOCH_FIELDS, row)
        if self.tb is not None:
            for k, v in row.items():
                prefix, _, name = k.partition("_")
                if prefix in ("val", "real") and isinstance(v, float):
                    self.tb.add_scalar(f"{prefix}/{name}", v, row["epoch"])

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()
