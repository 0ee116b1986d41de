"""Shared by the render tests: whether bpy imports (probed in a subprocess, so the test process
itself never loads Blender) and how to run the CLI with the repo on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def bpy_problem() -> str | None:
    try:
        r = subprocess.run([sys.executable, "-c", "import bpy"], check=False, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["import failed"])[-1]


def blender_marks() -> list:
    """Marks of a real-Blender test (module `pytestmark`): skipped, with the reason, without bpy."""
    return [pytest.mark.blender,
            pytest.mark.skipif(bpy_problem() is not None,
                               reason=f"bpy is not importable (pip install bpy==5.0.1): {bpy_problem()}")]


def needs_bpy(fn):
    """Decorator form of blender_marks() for single tests."""
    for mark in blender_marks():
        fn = mark(fn)
    return fn


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e
