"""quiet_stdout: silence what Blender and its importers print on file descriptor 1 (stdlib only)."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_stdout():
    """Blender prints per-tile progress and 'Saved:' lines on stdout; hide them so a batch log
    shows our one progress line per frame. stderr (warnings, errors) is untouched."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
