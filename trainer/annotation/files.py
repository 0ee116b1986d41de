"""File helpers that need only the standard library: atomic writes, JSON, safe paths, links.

Kept apart from `io` (which imports OpenCV and Pillow) so a stock Blender, whose Python has numpy
only, can use the same guarantees: every writer leaves either the old file or the complete new
one, and names read from JSON never escape the dataset.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from trainer.errors import DatasetError, UserError

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
    """Resolve a file name taken from a JSON file under `root`, refusing absolute paths, `..` escapes
    and symbolic links that lead out of `root`.

    File names inside COCO/VIA files come from outside (ARCHITECTURE.md: trust boundaries). A link is
    an escape like `..`: a dataset unpacked from someone else's archive could otherwise make merge or
    augment copy any file the user can read into a dataset they then share. Links inside `root` are
    fine, and so is `root` itself being a link (put a whole images folder kept elsewhere in place).
    """
    if not isinstance(name, str) or not name:
        raise DatasetError(f"image file name {name!r} is empty or not a string", source)
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (len(name) > 1 and name[1] == ":") or ".." in pure.parts:
        raise DatasetError(f"image file name {name!r} points outside the dataset", source)
    path = root.joinpath(*pure.parts)
    escape = link_escape(root, path)
    if escape:
        raise DatasetError(f"image {name!r} is a link to {escape}, outside the images folder "
                           "(link the whole folder instead, or copy the file in)", source)
    return path


def link_escape(root: Path, path: Path) -> str | None:
    """Where `path` (under `root`) really leads when a symbolic link takes it out of `root`, else None."""
    try:
        base = Path(os.path.realpath(root))
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):  # a link loop: treat as leading nowhere inside
        return str(path)
    if real == base or base in real.parents:
        return None
    return str(real)


def _describe_inputs(inputs) -> list[tuple[Path, bool]]:
    out = []
    for p in inputs:
        if p is None:
            continue
        p = Path(os.path.realpath(p))
        out.append((p, p.is_dir()))
    return out


def check_output(path: str | Path, *, folder: bool, inputs=(), suffixes: tuple[str, ...] | None = None,
                 may_hold_inputs: bool = True) -> Path:
    """Refuse an output that cannot be written or that would land on a command's input, before any work.

    The one place every command (render, annotate, augment, merge, preview, stats, fit, evaluate,
    predict, composite, gan) checks its `--out`; it creates nothing, so a refused or failed command
    leaves no empty folder behind:
    - an existing path of the wrong kind (a folder where a file goes, or the reverse), or a file
      where a folder would have to be created (`--out /etc/passwd/x`);
    - no write permission / read-only file system, probed with a temp file in the nearest folder
      that exists (removed at once);
    - `inputs` (files and folders the command reads: an input dataset's images/, masks/, scenes/,
      annotations/, its annotation file): the output may not be one of them nor inside one of the
      folders; with `may_hold_inputs` False (merge, augment: they own and may clear OUT) it may not
      hold one either;
    - `suffixes`: the file types the writer can encode (e.g. `.png`, `.jpg` for a preview sheet).
    """
    path = Path(path)
    kind = "folder" if folder else "file"
    if path.exists() and path.is_dir() != folder:
        raise UserError(f"exists and is not a {kind}" if folder else "is a folder; give a file name", path)
    if suffixes is not None and not folder and path.suffix.lower() not in suffixes:
        shown = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]
        raise UserError(f"cannot write a {path.suffix or 'file without a suffix'!s} here; name a {shown} file",
                        path)
    real = Path(os.path.realpath(path))
    for inp, inp_is_dir in _describe_inputs(inputs):
        if real == inp:
            raise UserError("is one of this command's inputs, which are never written over; choose another --out",
                            path)
        if inp_is_dir and inp in real.parents:
            raise UserError(f"is inside the input folder {inp}, which is never written to; choose another --out",
                            path)
        if folder and not may_hold_inputs and real in inp.parents:
            raise UserError(f"would overwrite the input dataset (it holds the input {inp}); "
                            "choose an --out outside it", path)
    probe = path if folder and path.is_dir() else path.parent
    while not probe.exists():
        if probe.is_symlink():  # dangling link: mkdir would fail on it
            raise UserError(f"output {kind} is not writable ({probe} is a broken link)", path)
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"output {kind} is not writable ({probe} is a file, not a folder)", path)
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise UserError(f"output {kind} is not writable ({exc.strerror})", path) from None
    return path


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


def read_toml(path: str | Path, *, what: str = "file", error: type[DatasetError] | type = DatasetError) -> dict:
    """Parse a TOML file (presets, run configs); any problem is one line naming the file.

    `what` names the file in messages ("preset", "config"); `error` is the UserError subclass to raise.
    """
    import tomllib

    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} not found", path) from None
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"invalid TOML: {exc}", path) from None


# Label formats and the files each one puts in DIR/annotations/ (stdlib-only so the renderer can check
# a format choice inside a stock Blender before it renders anything).
FORMAT_FILES: dict[str, tuple[str, ...]] = {"coco": ("coco.json",), "via": ("via_project.json", "via_regions.json")}


def check_formats(formats: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A non-empty subset of FORMAT_FILES, in its order; anything else is a one-line error."""
    unknown = sorted(set(formats) - set(FORMAT_FILES))
    if not formats or unknown:
        raise DatasetError(f"annotation formats must be a non-empty subset of {', '.join(FORMAT_FILES)}"
                           + (f" (got {', '.join(unknown)})" if unknown else ""))
    return tuple(f for f in FORMAT_FILES if f in formats)
