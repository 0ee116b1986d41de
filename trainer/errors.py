"""User-facing errors: one line, naming the file and the problem, never a traceback.

Raise `UserError` (or a subclass) for anything a user can fix (bad path, bad preset, corrupt file);
the CLI prints `error: <message>` and exits 1. Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with the user's input or environment, reported as one line."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DatasetError(UserError):
    """A dataset (images, masks, COCO/VIA JSON) is missing, unreadable or inconsistent."""
