"""Atomic file writes and a 16-bit grey PNG encoder that need nothing but numpy + stdlib.

Why not trainer.annotation.io: that module imports OpenCV at import time, and the renderer must
also run inside a stock Blender whose Python has only numpy. Same rule as there: write a temp
file beside the target, fsync, rename; a reader sees the old file or the whole new one.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; datasets are shared files
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, obj: Any, indent: int | None = 1) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=indent, ensure_ascii=False) + "\n").encode("utf-8"))


def move_atomic(src: str | Path, dst: str | Path) -> None:
    """Rename a finished file into place (same filesystem: the temp dir lives under the output)."""
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png16(mask: np.ndarray) -> bytes:
    """Single-channel 16-bit PNG, no metadata: byte-identical for identical arrays."""
    if mask.ndim != 2 or mask.dtype != np.uint16:
        raise ValueError("encode_png16 needs a 2-D uint16 array")
    h, w = mask.shape
    rows = np.zeros((h, 1 + 2 * w), dtype=np.uint8)  # filter byte 0 per row, big-endian samples
    rows[:, 1:] = mask.astype(">u2").view(np.uint8).reshape(h, 2 * w)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + _chunk(b"IEND", b""))
