"""Checkpoints: plain tensors and numbers only, written atomically, read with weights_only=True.

A checkpoint is a pickle; weights_only=True refuses anything but tensors and plain containers, so a
file from someone else cannot run code when loaded (ARCHITECTURE.md: trust boundaries).
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from trainer.annotation.io import write_bytes_atomic
from trainer.errors import UserError


def save_checkpoint(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes_atomic(path, buf.getvalue())


def load_checkpoint(path: Path) -> dict:
    """A `trainer gan fit` checkpoint, through the same safe loader as Mask R-CNN checkpoints."""
    from trainer.train.checkpoint import load_checkpoint as load_safely

    state = load_safely(path, trust_flag=None)
    if not isinstance(state, dict) or "config" not in state or "G" not in state:
        raise UserError("not a GAN checkpoint from `trainer gan fit`", path)
    return state
