"""bench/sim2real.py: its render cache key follows the renderer's code, not its comments; rows of several seeds average."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import sim2real  # noqa: E402

CODE = '''"""A module."""


def spread(x):
    """How far apart."""
    return x * 0.5  # half
'''


def test_render_cache_key_ignores_comments_and_docstrings_but_not_code(tmp_path):
    src = tmp_path / "blender_addon" / "builders" / "mod.py"
    src.parent.mkdir(parents=True)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.json").write_text('{"x": 1}')
    preset = tmp_path / "p.toml"
    preset.write_text("[scene]\n")

    def key(code: str) -> str:
        src.write_text(code)
        return sim2real.content_hash(preset, tmp_path)

    base = key(CODE)
    # reworded docstrings and comments, wrapped differently: the same renders
    assert key(CODE.replace('"""How far apart."""', '"""How far\n    apart, rewrapped."""')
               .replace("# half", "# a half\n    # more words")
               .replace('"""A module."""', '"""Another."""')) == base
    assert key(CODE.replace("0.5", "0.55")) != base  # a changed number: new renders
    assert key(CODE.replace("x * 0.5", "0.5 * x")) != base
    key(CODE)
    (tmp_path / "assets" / "a.json").write_text('{"x": 2}')  # assets count byte for byte
    assert sim2real.content_hash(preset, tmp_path) != base
    preset.write_text("[scene]\nname = 'b'\n")
    assert sim2real.content_hash(preset, tmp_path) != base


def test_rows_of_several_seeds_average_figure_by_figure():
    """`--train-seed 0,1` compares rows by their seeds' mean: every figure is averaged, counts too, and a
    figure one seed lacks (an older evaluation) is left out rather than averaged over fewer seeds."""
    a = {"es": 0.70, "found": 131, "objects": 155, "head_recall": None, "false_background": 59}
    b = {"es": 0.76, "found": 140, "objects": 155, "head_recall": 0.7}
    m = sim2real.mean_row([a, b])
    assert m == {"es": (0.70 + 0.76) / 2, "found": 135.5, "objects": 155}
    assert sim2real.seed_list("0,1") == [0, 1] and sim2real.seed_list("3") == [3]
    for bad in ("", "0,x", "1,1"):
        with pytest.raises(argparse.ArgumentTypeError):
            sim2real.seed_list(bad)
