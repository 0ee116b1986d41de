"""bench/render.py --quality: a quality level runs as its own engine in the same alternating blocks."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_render", ROOT / "bench" / "render.py")  # not blender_addon.render
bench_render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_render)


def bench_args(**kw) -> argparse.Namespace:
    base = dict(engines="current", quality="draft", blocks=2, frames=2, start=0, resolution="320x240", samples=8,
                device="cpu", baseline="08b55cc")
    return argparse.Namespace(**{**base, **kw})


def test_a_quality_level_renders_with_its_own_samples_and_the_other_engines_with_samples(tmp_path, monkeypatch):
    """`--samples 8 --quality draft` compares 8 spp with draft's own 4: the draft process must not get --samples."""
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        out = Path(cmd[cmd.index("--out") + 1])
        out.mkdir(parents=True)
        (out / "run.json").write_text(json.dumps({"timings": {"frame_seconds": [1.0, 1.0]}}))
        Path(kw["env"]["BENCH_CPU_OUT"]).write_text("[2.0, 2.0]")
        return argparse.Namespace(returncode=0, stderr="")

    monkeypatch.setattr(bench_render.subprocess, "run", fake_run)
    bench_render.engine_block(ROOT, tmp_path / "a", 0, 2, bench_args(), quality="draft")
    bench_render.engine_block(ROOT, tmp_path / "b", 0, 2, bench_args())
    draft, current = calls
    assert draft[draft.index("--quality") + 1] == "draft" and "--samples" not in draft
    assert current[current.index("--samples") + 1] == "8" and "--quality" not in current


def test_the_quality_engine_alternates_with_current_and_its_masks_are_compared_with_currents(tmp_path, monkeypatch):
    order, compared = [], []

    def fake_block(tree, out, start, count, args, quality=None):
        order.append((out.name, quality, start))
        cpu = 1.0 if quality else 1.5
        return {"frames": [cpu] * count, "cpu": [cpu] * count, "process_wall": 2 * count, "process_cpu": 2 * count}

    monkeypatch.setattr(bench_render, "engine_block", fake_block)
    monkeypatch.setattr(bench_render, "compare_outputs",
                        lambda tmp, n, a="baseline", b="current": compared.append((a, b)))
    assert bench_render.engine_names(bench_args(engines="current,raw")) == ["current", "current+draft", "raw"]
    assert bench_render.engine_names(bench_args(quality=None)) == ["current"]
    bench_render.side_by_side(bench_args(), tmp_path)
    assert order == [("current-0", None, 0), ("current+draft-0", "draft", 0),
                     ("current+draft-1", "draft", 2), ("current-1", None, 2)]
    assert compared == [("current", "current+draft")]


def test_an_unknown_quality_is_one_argparse_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["render.py", "--quality", "bogus"])
    with pytest.raises(SystemExit) as e:
        bench_render.main()
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "invalid choice: 'bogus'" in err[-1] and "draft" in err[-1]
