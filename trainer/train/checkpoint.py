"""Checkpoints: atomic saves, safe loads, and the RNG state that makes `--resume` exact.

Everything stored is tensors and plain Python (no numpy objects, no classes), so a checkpoint
loads with `torch.load(weights_only=True)`; anything that needs full unpickling is refused unless
the user says they trust the file (pickles can run code).
"""

from __future__ import annotations

import io
import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.annotation.files import write_bytes_atomic
from trainer.errors import UserError

FORMAT = "rescuesynth-maskrcnn/1"


def save_checkpoint(obj: dict[str, Any], path: str | Path) -> None:
    """Serialise in memory, then temp file + rename: a crash leaves the previous checkpoint intact."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def load_checkpoint(path: str | Path, *, trust: bool = False) -> Any:
    path = Path(path)
    if not path.is_file():
        raise UserError("checkpoint not found", path)
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if not trust and "weights_only" in str(exc).lower().replace(" ", "_"):
            raise UserError("checkpoint holds objects beyond tensors and plain data; load it only if you trust "
                            "its source, with --trust-checkpoint", path) from None
        raise UserError(f"corrupt or not a checkpoint ({str(exc).splitlines()[0]})", path) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise UserError(f"corrupt or not a checkpoint ({first})", path) from None


def load_trainer_checkpoint(path: str | Path, *, trust: bool = False) -> dict[str, Any]:
    """A checkpoint written by `trainer fit` (model + spec + categories), or a one-line error."""
    ckpt = load_checkpoint(path, trust=trust)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise UserError(f"not a `trainer fit` checkpoint (expected format {FORMAT})", path)
    return ckpt


def rng_state() -> dict[str, Any]:
    """Every RNG the training step can draw from (RPN/ROI sampling uses torch's global generator)."""
    np_state = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():  # resumed on fewer GPUs: restore those that exist
        for i, cuda_state in enumerate(state["cuda"][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, i)
