"""File I/O shared by every stage: atomic writes, safe paths, strict image and mask reading.

Why here: every writer must leave either the old file or the complete new one (never half a JSON),
and every reader must turn a broken file into one line naming it. Doing that once keeps the
guarantee the same everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from trainer.errors import DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are shared datasets
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json_atomic(path: str | Path, obj: Any, *, indent: int | None = None) -> None:
    """Serialise first (so a bad value raises before anything is touched), then write atomically."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=separators)
    write_bytes_atomic(path, text.encode("utf-8"))


def write_image_atomic(path: str | Path, image: np.ndarray) -> None:
    """Encode with OpenCV by the file's suffix (BGR order, uint8 or uint16 PNG) and write atomically."""
    path = Path(path)
    ok, buf = cv2.imencode(path.suffix.lower() or ".png", image)
    if not ok:
        raise DatasetError("could not encode image", path)
    write_bytes_atomic(path, buf.tobytes())


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise DatasetError("file not found", path) from None
    except UnicodeDecodeError:
        raise DatasetError("not UTF-8 text", path) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot read: {exc.strerror}", path) from None


def check_utf8_name(path: Path) -> None:
    """File names end up in JSON; a name that is not valid UTF-8 cannot be written there."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise DatasetError("file name is not valid UTF-8", shown) from None


def safe_join(root: Path, name: str, *, source: str | Path) -> Path:
    """Resolve a file name taken from a JSON file under `root`, refusing absolute paths and `..` escapes.

    File names inside COCO/VIA files come from outside (ARCHITECTURE.md: trust boundaries).
    """
    if not isinstance(name, str) or not name:
        raise DatasetError(f"image file name {name!r} is empty or not a string", source)
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (len(name) > 1 and name[1] == ":") or ".." in pure.parts:
        raise DatasetError(f"image file name {name!r} points outside the dataset", source)
    return root.joinpath(*pure.parts)


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


def link_or_copy(src: Path, dst: Path) -> None:
    """Put `src` at `dst` by hard link (free, same bytes) or else by copy, atomically via a temp name."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and os.path.samefile(src, dst):
        return
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)
