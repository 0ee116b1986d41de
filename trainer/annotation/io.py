"""File I/O shared by every stage: atomic writes, safe paths, strict image and mask reading.

Why here: every writer must leave either the old file or the complete new one (never half a JSON),
and every reader must turn a broken file into one line naming it. Doing that once keeps the
guarantee the same everywhere.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from trainer.annotation.files import (  # noqa: F401  (re-exported: one place for file helpers)
    check_utf8_name, link_or_copy, read_json, safe_join, write_bytes_atomic, write_json_atomic,
)
from trainer.errors import DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def write_image_atomic(path: str | Path, image: np.ndarray) -> None:
    """Encode with OpenCV by the file's suffix (BGR order, uint8 or uint16 PNG) and write atomically."""
    path = Path(path)
    ok, buf = cv2.imencode(path.suffix.lower() or ".png", image)
    if not ok:
        raise DatasetError("could not encode image", path)
    write_bytes_atomic(path, buf.tobytes())


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header, after checking the file is complete (PNG CRCs, JPEG end)."""
    try:
        with Image.open(path) as im:
            size = im.size
            im.verify()
        return int(size[0]), int(size[1])
    except FileNotFoundError:
        raise DatasetError("image not found", path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"unreadable or truncated image ({exc})", path) from None


def read_image(path: Path, *, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Decode an image with OpenCV (BGR); None from cv2 becomes a one-line error."""
    if not path.is_file():
        raise DatasetError("image not found", path)
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise DatasetError("unreadable or truncated image", path)
    return image


def read_mask(path: Path) -> np.ndarray:
    """Read a mask as stored: uint16/uint8 single channel, or HxWx3 colour (returned as RGB).

    PNG truncation is checked first (OpenCV may decode a truncated PNG partially without error).
    """
    image_size(path)
    mask = read_image(path, flags=cv2.IMREAD_UNCHANGED)
    if mask.ndim == 3:
        if mask.shape[2] == 4:
            mask = mask[:, :, :3]
        mask = mask[:, :, ::-1]  # BGR -> RGB so colours read as users expect
    if mask.dtype not in (np.uint8, np.uint16):
        raise DatasetError(f"mask has unsupported pixel type {mask.dtype} (use 8- or 16-bit PNG)", path)
    return np.ascontiguousarray(mask)


def find_images(directory: Path) -> list[Path]:
    """Images directly in `directory` and its subfolders, sorted by relative path (deterministic order)."""
    return sorted(
        (p for p in directory.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
        key=lambda p: p.relative_to(directory).as_posix(),
    )
