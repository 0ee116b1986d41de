"""bench/sim2real.py caches renders by what they depend on: the renderer's code, not its comments."""

from __future__ import annotations

import sys
from pathlib import Path

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
