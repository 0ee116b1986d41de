"""Shared fixtures: small synthetic datasets made on the fly (tests never download anything)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.annotation.synthetic import make_frames


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """12 renderer-layout frames (160x120, 8 objects each: occlusion, holes, lines, pixels, borders)."""
    return make_frames(tmp_path / "frames", 12, width=160, height=120, objects=8, seed=7)
