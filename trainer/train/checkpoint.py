"""Checkpoints: atomic saves, safe loads, and the RNG state that makes `--resume` exact.

Everything stored is tensors and plain Python (no numpy objects, no classes), so a checkpoint
loads with `torch.load(weights_only=True)`; anything that needs full unpickling is refused unless
the user says they trust the file (pickles can run code).
"""

from __future__ import annotations

import io
import pickle
import random
import warnings
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


def _kind(path: Path) -> str | None:
    """"zip" (torch.save since 1.6), "pickle" (older torch.save, plain pickles), or None: not a checkpoint."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # pickle protocol 2-5 header
        return "pickle"
    return None


def _first_line(exc: BaseException) -> str:
    """The informative line of a torch.load error (its own is a paragraph of advice, then the cause)."""
    text = str(exc)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = (lines[0] if lines else exc.__class__.__name__).split(". ")[0]
    return first if len(first) <= 200 else first[:197] + "..."


def load_checkpoint(path: str | Path, *, trust: bool = False, trust_flag: str | None = "--trust-checkpoint") -> Any:
    """torch.load with weights_only unless trusted; every failure is one line saying what the file is.

    Shared by `trainer fit/evaluate/predict` and `trainer gan generate` (which has no `trust_flag`).
    """
    path = Path(path)
    if path.is_dir():
        raise UserError("is a folder, not a checkpoint file", path)
    if not path.is_file():
        raise UserError("checkpoint not found", path)
    try:
        kind = _kind(path)
    except OSError as exc:
        raise UserError(f"cannot read checkpoint ({exc.strerror})", path) from None
    if kind is None:
        raise UserError("not a checkpoint (a PyTorch checkpoint is a torch.save zip archive or a pickle; "
                        "this file is neither, or is empty)", path)
    try:
        with warnings.catch_warnings():  # torch warns (to stderr) on some files it then refuses anyway
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if not trust and "Unsupported global" in str(exc):
            how = (f"load it only if you trust its source, with {trust_flag}" if trust_flag else
                   "such files can run code when loaded and are never loaded here")
            raise UserError(f"checkpoint holds objects beyond tensors and plain data; {how}", path) from None
        raise UserError(f"corrupt or not a checkpoint ({_first_line(exc)})", path) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, AttributeError, ImportError,
            ModuleNotFoundError, TypeError, KeyError) as exc:
        raise UserError(f"corrupt or not a checkpoint ({_first_line(exc)})", path) from None


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
