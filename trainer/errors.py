"""User-facing errors: one line, naming the file and the problem, never a traceback.

Raise `UserError` (or a subclass) for anything a user can fix (bad path, bad preset, corrupt file);
the CLI prints `error: <message>` and exits 1. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


class UserError(Exception):
    """A problem with the user's input or environment, reported as one line."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DatasetError(UserError):
    """A dataset (images, masks, COCO/VIA JSON) is missing, unreadable or inconsistent."""


def exit_code(command: Callable[[], int | None], interrupted: str = "interrupted") -> int:
    """Run a command the CLI way: its exit code (None = 0); a UserError is one line `error: ...` on
    stderr and 1; Ctrl-C prints `interrupted` and gives 130."""
    try:
        return int(command() or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr, flush=True)
        return 130
