"""Every command survives bad input: one `error:` line, exit 1, no traceback, no input touched, nothing
left behind - through the real CLI. The cases (and docs/errors.md's table) are in tests/bad_inputs.py;
the tests below them follow the items of issue 15 one by one, in real processes."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bad_inputs import CASES, ROOT, make_workspace, run_case  # noqa: E402

HAVE_TORCH = all(importlib.util.find_spec(m) is not None for m in ("torch", "torchvision"))


def trainer(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_ALBUMENTATIONS_UPDATE": "1"}
    return subprocess.run([sys.executable, "-m", "trainer", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env)


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    """The same entry point in this process: for torch and albumentations commands, whose imports cost
    seconds per process (the cases above all run this way, every one of them through `main`)."""
    from bad_inputs import Case

    code, out, err = run_case(Case("adhoc", "", tuple(map(str, args)), ""), ROOT)
    return subprocess.CompletedProcess(list(map(str, args)), code, out, err)


def one_line(result: subprocess.CompletedProcess | tuple) -> str:
    code, err = (result.returncode, result.stderr) if hasattr(result, "returncode") else (result[0], result[2])
    assert code == 1, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("bad_inputs"), torch=HAVE_TORCH)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_mistake_is_one_line_and_touches_nothing(case, ws):
    if case.torch and not HAVE_TORCH:
        pytest.skip("needs torch")
    before = {name: digest(ws / name) for name in ("ds", "frames")}
    line = one_line(run_case(case, ws))
    assert case.expect in line, line
    if case.creates:
        assert not (ws / case.creates).exists(), f"{case.creates} was left behind"
    assert {name: digest(ws / name) for name in ("ds", "frames")} == before, "an input changed"


# -------------------------------------------------------------- data loss


@pytest.mark.parametrize("command", ["preview", "stats"])
def test_sheet_never_replaces_an_input_image(ws, tmp_path, command):
    ds = tmp_path / "ds"
    shutil.copytree(ws / "ds", ds)
    target = ds / "images" / "000000.png"
    before = target.read_bytes()
    line = one_line(trainer(command, ds, "--out", target))
    assert "never written to" in line and str(target) in line
    assert target.read_bytes() == before
    # the same refusal for the annotation folder and the annotation file itself
    assert "never written to" in one_line(trainer(command, ds, "--out", ds / "annotations" / "s.png"))
    # next to the dataset (not inside its input folders) is fine, as the default stats.png is
    assert trainer(command, ds, "--out", ds / "sheet.png").returncode == 0


# -------------------------------------------------------------- outputs checked before any work


@pytest.mark.parametrize("command", ["merge", "preview", "stats"])
def test_output_under_a_file_is_one_line(ws, command):
    out = ws / "file.txt" / ("x" if command == "merge" else "x.png")
    line = one_line(trainer(command, ws / "ds", "--out", out))
    assert line == f"error: {out}: output {'folder' if command == 'merge' else 'file'} is not writable " \
                   f"({ws / 'file.txt'} is a file, not a folder)"


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_evaluate_checks_its_output_before_evaluating(ws):
    # a checkpoint of random bytes would fail too: the output must be refused first, before any loading
    line = one_line(cli("evaluate", ws / "random.pt", "--data", ws / "ds", "--out", ws / "file.txt" / "e"))
    assert "output folder is not writable" in line


def test_preview_of_wrong_rle_size_and_json_output(ws):
    assert "RLE size differs from image size" in one_line(trainer("preview", ws / "bad_rle", "--out", ws / "x.png"))
    line = one_line(trainer("preview", ws / "ds", "--out", ws / "sheet.json"))
    assert "name a .png, .jpg or .jpeg file" in line and not (ws / "sheet.json").exists()


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_gan_generate_says_what_a_bad_checkpoint_is(ws, tmp_path):
    line = one_line(cli("gan", "generate", ws / "object.pt", "--masks", ws / "ds" / "masks", "--out", tmp_path / "g"))
    assert line.endswith("checkpoint holds objects beyond tensors and plain data; such files can run code when "
                         "loaded and are never loaded here")
    line = one_line(cli("gan", "generate", ws / "random.pt", "--masks", ws / "ds" / "masks", "--out", tmp_path / "g"))
    assert "not a checkpoint" in line and "beyond tensors" not in line
    assert not (tmp_path / "g").exists()


# -------------------------------------------------------------- inputs validated up front


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("bad, words", [("bad_link", "outside the images folder"),
                                        ("bad_trunc", "unreadable or truncated image")])
def test_fit_checks_every_val_image_before_training(ws, tmp_path, bad, words):
    run = tmp_path / "run"
    line = one_line(cli("fit", "--train", ws / "ds", "--val", ws / bad, "--out", run, "--model",
                            "maskrcnn_mobilenet_v3_large_fpn", "--weights", "none", "--device", "cpu"))
    assert words in line
    assert not run.exists()  # no run.json, no steps.csv: refused before the first step


@pytest.mark.parametrize("command", ["augment", "merge"])
@pytest.mark.parametrize("bad, words", [("bad_cat0", "category id < 1"), ("bad_dup", "duplicate annotation id"),
                                        ("bad_bbox", "bbox missing or with zero width/height")])
def test_augment_and_merge_apply_checks_rules(ws, tmp_path, command, bad, words):
    out = tmp_path / "out"
    extra = ["--factor", "2"] if command == "augment" else []
    line = one_line((cli if command == "augment" else trainer)(command, ws / bad, "--out", out, *extra))
    assert words in line and "trainer check" in line
    assert not out.exists()
    check = trainer("check", ws / bad)  # the same rule, as check reports it
    assert check.returncode == 1 and words in check.stdout


def test_check_header_counts_categories_even_when_the_file_is_broken(ws):
    result = trainer("check", ws / "bad_cat0")
    assert result.returncode == 1 and "3 categories" in result.stdout.splitlines()[0]


def test_merge_validates_every_input_before_writing(ws, tmp_path):
    out = tmp_path / "merged"
    line = one_line(trainer("merge", ws / "ds", ws / "ds2", ws / "bad_bbox", "--out", out))
    assert "bad_bbox" in line and not out.exists()


def test_annotate_writes_nothing_on_failure(ws, tmp_path):
    empty = tmp_path / "empty_frames"
    (empty / "masks").mkdir(parents=True)
    assert "no frame could be annotated" in one_line(trainer("annotate", empty, "--out", tmp_path / "o1"))
    assert not (tmp_path / "o1").exists()
    line = one_line(trainer("annotate", ws / "badframes", "--out", tmp_path / "o2", "--strict"))
    assert "--strict: 1 frame(s) skipped, so nothing was written" in line and "000002.png" in line
    assert not (tmp_path / "o2").exists()
    # in place (OUT = SRC, the default) nothing is added either
    frames = tmp_path / "frames"
    shutil.copytree(ws / "badframes", frames)
    before = sorted(p.name for p in frames.iterdir())
    one_line(trainer("annotate", frames, "--strict"))
    assert sorted(p.name for p in frames.iterdir()) == before
    # without --strict the bad frame is skipped, named, and the rest written
    ok = trainer("annotate", ws / "badframes", "--out", tmp_path / "o3")
    assert ok.returncode == 0 and "skipped 1 frame(s)" in ok.stdout and "000002.png" in ok.stderr


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_evaluate_without_objects_has_nothing_to_score(ws, tmp_path):
    line = one_line(cli("evaluate", ws / "model.pt", "--data", ws / "no_objects", "--out", tmp_path / "e",
                            "--device", "cpu"))
    assert "no annotated objects, so there is nothing to score" in line and "1.000" not in line
    assert not (tmp_path / "e").exists()


def test_links_out_of_the_images_folder_are_refused_like_dotdot(ws, tmp_path):
    result = trainer("check", ws / "bad_link")
    assert result.returncode == 1 and "unsafe image path" in result.stdout and "outside.png" in result.stdout
    # a link inside the images folder is fine, and so is an images folder that is itself a link
    inner = tmp_path / "inner"
    shutil.copytree(ws / "ds", inner)
    (inner / "images" / "000001.png").unlink()
    os.symlink(inner / "images" / "000000.png", inner / "images" / "000001.png")
    assert "unsafe image path" not in trainer("check", inner).stdout
    linked = tmp_path / "linked"
    shutil.copytree(ws / "ds", linked, ignore=shutil.ignore_patterns("images"))
    os.symlink(ws / "ds" / "images", linked / "images")
    assert trainer("check", linked).returncode == 0
    # annotate applies the same rule to the frames it finds
    frames = tmp_path / "frames"
    shutil.copytree(ws / "frames", frames)
    (frames / "images" / "000001.png").unlink()
    os.symlink(ws / "outside.png", frames / "images" / "000001.png")
    result = trainer("annotate", frames, "--out", tmp_path / "o")
    assert result.returncode == 0 and "link leading outside the images folder" in result.stderr
    assert "000001.png" not in (tmp_path / "o" / "annotations" / "coco.json").read_text()


def test_annotate_writes_a_run_record_and_keeps_the_renderers(ws, tmp_path):
    out = tmp_path / "ds"
    assert trainer("annotate", ws / "frames", "--out", out, "--polygons", "pixel-centres").returncode == 0
    run = json.loads((out / "run.json").read_text())
    assert run["command"] == "annotate" and run["complete"] is True
    assert run["options"]["polygons"] == "pixel-centres" and run["counts"]["frames"] == 4
    assert run["versions"]["rescuesynth"]
    # a render folder's run.json (read by the renderer to refuse mixing runs) keeps every key
    render = tmp_path / "render"
    shutil.copytree(ws / "frames", render)
    (render / "run.json").write_text(json.dumps({"seed": 3, "preset": {"scene": {"name": "x"}}}))
    assert trainer("annotate", render, "--overwrite").returncode == 0
    run = json.loads((render / "run.json").read_text())
    assert run["seed"] == 3 and run["preset"] == {"scene": {"name": "x"}} and run["annotate"]["command"] == "annotate"


def test_render_refuses_a_folder_of_frames_it_did_not_render(ws, tmp_path):
    from render_support import bpy_problem

    if bpy_problem():
        pytest.skip(bpy_problem())
    frames = tmp_path / "frames"
    shutil.copytree(ws / "frames", frames)
    before = digest(frames)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "blender_addon.render", "--scene", str(ROOT / "scenes" / "default.toml"),
                             "--count", "1", "--out", str(frames)], capture_output=True, text=True, cwd=ROOT, env=env)
    one_line(result)
    assert "no render run.json describes" in result.stderr and digest(frames) == before
