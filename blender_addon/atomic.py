"""Renderer file helpers that need nothing but numpy + stdlib: a 16-bit PNG encoder and renames.

Atomic writes come from `trainer.annotation.files` (standard library only, so it imports inside a
stock Blender too): temp file beside the target, fsync, rename.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from trainer.annotation.files import write_bytes_atomic, write_json_atomic  # noqa: F401

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
