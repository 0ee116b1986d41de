"""The `trainer` command as a user meets it: help, exit codes, one-line errors, no torch/bpy import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainer.annotation import AnnotateOptions, annotate_directory


def trainer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], capture_output=True, text=True)


@pytest.mark.parametrize("command", ["annotate", "check", "preview", "merge"])
def test_help_for_every_command(command: str) -> None:
    result = trainer(command, "--help")
    assert result.returncode == 0 and "usage: trainer " + command in result.stdout


def test_usage_error_exits_2() -> None:
    assert trainer("annotate").returncode == 2
    assert trainer("no-such-command").returncode == 2


def test_user_errors_are_one_line_naming_the_file(tmp_path: Path, frames: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args, needle in ((["check", str(bad)], "bad.json: invalid JSON"),
                         (["preview", str(tmp_path / "missing"), "--out", str(tmp_path / "p.png")], "missing: no such"),
                         (["annotate", str(tmp_path / "nope")], "nope: no such folder")):
        result = trainer(*args)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and needle in result.stderr and "Traceback" not in result.stderr


def test_check_exit_code_follows_errors(frames: Path) -> None:
    annotate_directory(frames, options=AnnotateOptions(progress=False))
    assert trainer("check", str(frames)).returncode == 0
    (frames / "images" / "000000.png").unlink()
    result = trainer("check", str(frames))
    assert result.returncode == 1 and "missing, unreadable or truncated image" in result.stdout


def test_annotate_then_preview_end_to_end(frames: Path, tmp_path: Path) -> None:
    result = trainer("annotate", str(frames), "--out", str(tmp_path / "ds"), "--min-pixels", "4")
    assert result.returncode == 0 and "12 frames" in result.stdout
    sheet = tmp_path / "sheet.png"
    assert trainer("preview", str(tmp_path / "ds"), "--out", str(sheet), "--count", "4").returncode == 0
    import cv2
    image = cv2.imread(str(sheet))
    assert image is not None and image.shape[1] > 2 * 320 and image.std() > 10


def test_annotation_core_imports_without_torch_or_bpy() -> None:
    code = ("import sys, trainer.cli, trainer.annotation, trainer.annotation.check, trainer.annotation.merge; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'bpy', 'torchvision')]; "
            "assert not bad, bad")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_assets_command_runs_the_renderers_tool() -> None:
    """`trainer assets` forwards to `python -m blender_addon.assets` (trainer never imports the
    renderer): same help, same one-line errors, same exit codes."""
    result = trainer("assets", "rescuers", "--help")
    assert result.returncode == 0 and "usage: trainer assets rescuers" in result.stdout and "--decimate" in result.stdout
    assert trainer("assets", "--help").stdout.startswith("usage: trainer assets")
    result = trainer("assets", "rescuers", "--count", "0")
    assert result.returncode == 1 and result.stderr == "error: --count must be >= 1\n"
    assert trainer("assets").returncode == 2
    direct = subprocess.run([sys.executable, "-m", "blender_addon.assets", "rescuers", "--poses", "jumping"],
                            capture_output=True, text=True)
    assert direct.returncode == 1 and "unknown pose 'jumping'" in direct.stderr
