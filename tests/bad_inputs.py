"""Mistakes a new user makes with every command, and the one line each must print.

One list serves two purposes: tests/test_cli_bad_input.py runs every case through the real CLI
(exit 1, one `error:` line containing the expected words, no traceback, nothing written), and
`python tests/bad_inputs.py` prints the table of docs/errors.md from the lines actually printed.

A workspace holds what the cases point at: a clean dataset `ds` (renderer-style frames annotated by
the core), broken copies of it, a file where a folder is expected, a tiny real checkpoint, and
files that are not checkpoints. Paths in the table are shown relative to the workspace.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # the mistake, in words
    argv: tuple[str, ...]  # {w} is the workspace
    expect: str  # words the error line must contain
    torch: bool = False  # needs torch (fit/evaluate/predict/gan)
    creates: str | None = None  # a path (relative to the workspace) that must not exist afterwards


CASES: list[Case] = [
    # -- outputs that cannot be written, or would land on an input
    Case("preview-over-input", "`preview --out` an image of the dataset it draws",
         ("preview", "{w}/ds", "--out", "{w}/ds/images/000000.png"), "never written to"),
    Case("stats-over-input", "`stats --out` an image of the dataset",
         ("stats", "{w}/ds", "--out", "{w}/ds/images/000001.png"), "never written to"),
    Case("preview-under-file", "`preview --out` below a file", ("preview", "{w}/ds", "--out", "{w}/file.txt/x.png"),
         "not writable"),
    Case("preview-json", "`preview --out` a .json file", ("preview", "{w}/ds", "--out", "{w}/sheet.json"),
         "name a .png, .jpg or .jpeg file", creates="sheet.json"),
    Case("preview-folder", "`preview --out` an existing folder", ("preview", "{w}/ds", "--out", "{w}/empty"),
         "is a folder"),
    Case("stats-under-file", "`stats --out` below a file", ("stats", "{w}/ds", "--out", "{w}/file.txt/s.png"),
         "not writable"),
    Case("merge-under-file", "`merge --out` below a file", ("merge", "{w}/ds", "--out", "{w}/file.txt/m"),
         "not writable"),
    Case("merge-into-input", "`merge --out` one of the inputs", ("merge", "{w}/ds", "{w}/ds2", "--out", "{w}/ds",
                                                                  "--overwrite"), "overwrite the input dataset"),
    Case("merge-out-is-file", "`merge --out` an existing file", ("merge", "{w}/ds", "--out", "{w}/file.txt"),
         "exists and is not a folder"),
    Case("augment-into-input", "`augment --out` the input itself",
         ("augment", "{w}/ds", "--out", "{w}/ds", "--factor", "2", "--overwrite"), "overwrite the input dataset"),
    Case("augment-under-file", "`augment --out` below a file",
         ("augment", "{w}/ds", "--out", "{w}/file.txt/a", "--factor", "2"), "not writable"),
    Case("annotate-under-file", "`annotate --out` below a file", ("annotate", "{w}/frames", "--out", "{w}/file.txt/x"),
         "not writable"),
    Case("annotate-into-masks", "`annotate --out` inside its own masks folder",
         ("annotate", "{w}/frames", "--out", "{w}/frames/masks/out"), "never written to", creates="frames/masks/out"),
    Case("fit-under-file", "`fit --out` below a file",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/file.txt/run", "--weights", "none"),
         "not writable", torch=True),
    Case("fit-out-is-dataset", "`fit --out` a dataset's images folder",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/ds/images/run", "--weights", "none"),
         "never written to", torch=True, creates="ds/images/run"),
    Case("evaluate-under-file", "`evaluate --out` below a file (found before the evaluation runs)",
         ("evaluate", "{w}/model.pt", "--data", "{w}/ds", "--out", "{w}/file.txt/eval"), "not writable", torch=True),
    Case("predict-under-file", "`predict --out` below a file",
         ("predict", "{w}/model.pt", "{w}/ds/images", "--out", "{w}/file.txt/pred"), "not writable", torch=True),
    Case("predict-into-input", "`predict --out` inside the folder of images it reads",
         ("predict", "{w}/model.pt", "{w}/ds/images", "--out", "{w}/ds/images/pred"), "never written to", torch=True,
         creates="ds/images/pred"),
    Case("diversity-json-under-file", "`gan diversity --json` below a file",
         ("gan", "diversity", "{w}/ds", "{w}/ds2", "--json", "{w}/file.txt/d.json"), "not writable"),
    # -- inputs that are not what the command needs
    Case("check-missing", "a dataset path that does not exist", ("check", "{w}/nope"), "no such file or folder"),
    Case("check-empty-folder", "a folder without annotations", ("check", "{w}/empty"), "no annotations/coco.json"),
    Case("check-not-json", "a text file as the dataset", ("check", "{w}/file.txt"), "invalid JSON"),
    Case("check-not-coco", "JSON that is neither COCO nor VIA", ("check", "{w}/notcoco.json"), "neither COCO"),
    Case("preview-rle-size", "`preview` of a dataset whose RLE size differs from its image",
         ("preview", "{w}/bad_rle", "--out", "{w}/p.png"), "RLE size differs from image size", creates="p.png"),
    Case("augment-category-0", "`augment` a dataset with category id 0",
         ("augment", "{w}/bad_cat0", "--out", "{w}/a0", "--factor", "2"), "category id < 1", creates="a0"),
    Case("augment-duplicate-ids", "`augment` a dataset with duplicate annotation ids",
         ("augment", "{w}/bad_dup", "--out", "{w}/a1", "--factor", "2"), "duplicate annotation id", creates="a1"),
    Case("merge-negative-bbox", "`merge` a dataset with a negative bbox width",
         ("merge", "{w}/ds", "{w}/bad_bbox", "--out", "{w}/m1"), "bbox missing or with zero", creates="m1"),
    Case("merge-non-object", "`merge` a COCO file whose annotations list holds a number",
         ("merge", "{w}/bad_entry", "--out", "{w}/m2"), "annotations entry is not an object", creates="m2"),
    Case("merge-escaping-link", "`merge` a dataset whose images/ holds a link to a file outside it",
         ("merge", "{w}/bad_link", "--out", "{w}/m3"), "outside the images folder", creates="m3"),
    Case("annotate-empty", "`annotate` a folder with an empty masks/ and no images",
         ("annotate", "{w}/noframes", "--out", "{w}/ann0"), "no frame could be annotated", creates="ann0"),
    Case("annotate-strict", "`annotate --strict` with one truncated mask",
         ("annotate", "{w}/badframes", "--out", "{w}/ann1", "--strict"), "--strict", creates="ann1"),
    Case("augment-bad-preset", "`augment --preset` a name that is no preset",
         ("augment", "{w}/ds", "--out", "{w}/a2", "--factor", "2", "--preset", "nope"), "unknown augment preset",
         creates="a2"),
    Case("augment-factor-0", "`augment --factor 0`", ("augment", "{w}/ds", "--out", "{w}/a3", "--factor", "0"),
         "--factor must be >= 1", creates="a3"),
    Case("augment-paste-no-p", "`augment --preset` a file whose [copy_paste] has no `p`",
         ("augment", "{w}/ds", "--out", "{w}/a4", "--factor", "2", "--preset", "{w}/bad_paste.toml"),
         "copy_paste.p: missing", creates="a4"),
    Case("fit-escaping-val", "`fit --val` a dataset with an image linked from outside (found before epoch 1)",
         ("fit", "--train", "{w}/ds", "--val", "{w}/bad_link", "--out", "{w}/r0", "--weights", "none"),
         "outside the images folder", torch=True, creates="r0"),
    Case("fit-truncated-val", "`fit --val` a dataset with a truncated image (found before epoch 1)",
         ("fit", "--train", "{w}/ds", "--val", "{w}/bad_trunc", "--out", "{w}/r1", "--weights", "none"),
         "missing, unreadable or truncated image", torch=True, creates="r1"),
    Case("fit-batch-0", "`fit --batch-size 0`",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/r2", "--batch-size", "0"),
         "'batch_size' must be >= 1", torch=True, creates="r2"),
    Case("fit-set-typo", "`fit --set` an unknown key",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/r3", "--set", "lr_typo=1"), "unknown setting",
         torch=True, creates="r3"),
    Case("fit-online-paste", "`fit --set augment=` a preset with [copy_paste] (it needs the other images)",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/r5", "--set", "augment={w}/paste.toml"),
         "run `trainer augment` with this preset first", torch=True, creates="r5"),
    Case("fit-config-missing", "`fit --config` a file that does not exist",
         ("fit", "--train", "{w}/ds", "--val", "{w}/ds", "--out", "{w}/r4", "--config", "{w}/nope.toml"),
         "config not found", torch=True, creates="r4"),
    Case("evaluate-no-objects", "`evaluate` on a dataset without a single annotation",
         ("evaluate", "{w}/model.pt", "--data", "{w}/no_objects", "--out", "{w}/e0"), "nothing to score", torch=True,
         creates="e0"),
    Case("evaluate-run-folder", "`evaluate` a run folder instead of its checkpoint",
         ("evaluate", "{w}/ds", "--data", "{w}/ds", "--out", "{w}/e1"), "is a folder, not a checkpoint", torch=True,
         creates="e1"),
    Case("evaluate-random-bytes", "`evaluate` a file of random bytes as the checkpoint",
         ("evaluate", "{w}/random.pt", "--data", "{w}/ds", "--out", "{w}/e2"), "not a checkpoint", torch=True,
         creates="e2"),
    Case("evaluate-png-checkpoint", "`evaluate` an image as the checkpoint",
         ("evaluate", "{w}/ds/images/000000.png", "--data", "{w}/ds", "--out", "{w}/e3"), "not a checkpoint",
         torch=True, creates="e3"),
    Case("predict-text-file", "`predict` a text file as the image", ("predict", "{w}/model.pt", "{w}/file.txt",
                                                                      "--out", "{w}/p0"), "not an image file",
         torch=True, creates="p0"),
    Case("gan-generate-object-pickle", "`gan generate` a checkpoint holding a pickled object",
         ("gan", "generate", "{w}/object.pt", "--masks", "{w}/ds/masks", "--out", "{w}/g0"),
         "holds objects beyond tensors and plain data; such files can run code", torch=True, creates="g0"),
    Case("gan-generate-random-bytes", "`gan generate` a file of random bytes",
         ("gan", "generate", "{w}/random.pt", "--masks", "{w}/ds/masks", "--out", "{w}/g1"), "not a checkpoint",
         torch=True, creates="g1"),
    Case("gan-generate-maskrcnn", "`gan generate` a Mask R-CNN checkpoint",
         ("gan", "generate", "{w}/model.pt", "--masks", "{w}/ds/masks", "--out", "{w}/g2"), "not a GAN checkpoint",
         torch=True, creates="g2"),
]


# The renderer's CLI (`python -m blender_addon.render`): tested in tests/test_render_cli_errors.py and
# tests/test_cli_bad_input.py; listed here for the table. {s} is scenes/default.toml.
RENDER_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("a preset that does not exist", ("--scene", "{w}/nope.toml", "--count", "1", "--out", "{w}/r")),
    ("a folder as the preset", ("--scene", "{w}/empty", "--count", "1", "--out", "{w}/r")),
    ("a text file as the preset", ("--scene", "{w}/file.txt", "--count", "1", "--out", "{w}/r")),
    ("`--out` below a file", ("--scene", "{s}", "--count", "1", "--out", "{w}/file.txt/r")),
    ("`--out` a folder of frames another tool made", ("--scene", "{s}", "--count", "1", "--out", "{w}/frames")),
    ("`--shard` outside 0..n-1", ("--scene", "{s}", "--count", "4", "--shard", "3/2", "--out", "{w}/r")),
    ("`--count -1`", ("--scene", "{s}", "--count", "-1", "--out", "{w}/r")),
    ("`--resolution 640`", ("--scene", "{s}", "--count", "1", "--resolution", "640", "--out", "{w}/r")),
]


def _edit_coco(src: Path, dst: Path, edit) -> Path:
    shutil.copytree(src, dst)
    path = dst / "annotations" / "coco.json"
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))
    return dst


def make_workspace(w: Path, *, torch: bool) -> Path:
    """Everything CASES point at, under `w`."""
    import numpy as np

    from trainer.annotation import AnnotateOptions, annotate_directory
    from trainer.annotation.synthetic import make_frames

    make_frames(w / "frames", 4, width=96, height=72, objects=5, seed=3)
    annotate_directory(w / "frames", w / "ds", AnnotateOptions(progress=False, workers=1, min_pixels=4))
    shutil.copytree(w / "ds", w / "ds2")
    (w / "file.txt").write_text("not a folder\n")
    (w / "empty").mkdir()
    (w / "notcoco.json").write_text('{"hello": 1}')
    (w / "paste.toml").write_text('name = "paste"\n[copy_paste]\np = 0.5\n')
    (w / "bad_paste.toml").write_text('name = "bad_paste"\n[copy_paste]\nobjects = [1, 2]\n')
    (w / "noframes" / "masks").mkdir(parents=True)
    shutil.copytree(w / "frames", w / "badframes")
    mask = w / "badframes" / "masks" / "000002.png"
    mask.write_bytes(mask.read_bytes()[:60])

    def rle_size(c):
        c["annotations"][0]["segmentation"] = {"size": [10, 10], "counts": "0:"}

    def cat0(c):
        c["categories"][0]["id"] = 0
        for a in c["annotations"]:
            if a["category_id"] == 1:
                a["category_id"] = 0

    def dup(c):
        c["annotations"][1]["id"] = c["annotations"][0]["id"]

    def neg_bbox(c):
        c["annotations"][0]["bbox"][2] = -5.0

    def entry(c):
        c["annotations"][0] = 5

    def no_objects(c):
        c["annotations"] = []

    for name, edit in (("bad_rle", rle_size), ("bad_cat0", cat0), ("bad_dup", dup), ("bad_bbox", neg_bbox),
                       ("bad_entry", entry), ("no_objects", no_objects)):
        _edit_coco(w / "ds", w / name, edit)
    shutil.copytree(w / "ds", w / "bad_link")
    outside = w / "outside.png"
    shutil.copy(w / "ds" / "images" / "000001.png", outside)
    (w / "bad_link" / "images" / "000001.png").unlink()
    os.symlink(outside, w / "bad_link" / "images" / "000001.png")
    shutil.copytree(w / "ds", w / "bad_trunc")
    img = w / "bad_trunc" / "images" / "000002.png"
    data = img.read_bytes()
    img.unlink()  # a new file: the hard link into ds must keep the whole picture
    img.write_bytes(data[: len(data) // 2])
    (w / "random.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    if torch:
        make_checkpoints(w)
    return w


def make_checkpoints(w: Path) -> None:
    """model.pt: a real (untrained) `trainer fit` checkpoint of the smallest model; object.pt: a pickle."""
    import torch

    from trainer.train.checkpoint import FORMAT, save_checkpoint
    from trainer.train.config import TrainConfig
    from trainer.train.model import build_model, make_spec

    spec = make_spec("maskrcnn_mobilenet_v3_large_fpn", 4, "none", -1, 64, 96)
    save_checkpoint({"format": FORMAT, "model": build_model(spec).state_dict(), "model_spec": spec.to_dict(),
                     "categories": ["rescuer", "civilian", "dog"], "config": TrainConfig().to_dict(), "epoch": 1,
                     "step": 1}, w / "model.pt")
    torch.save({"config": {}, "G": Path("x")}, w / "object.pt")


def run_case(case: Case, w: Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the case through the CLI's entry point, in this process."""
    from trainer.cli import main

    argv = [a.replace("{w}", str(w)) for a in case.argv]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _code(text: str) -> str:
    """Markdown inline code that may itself hold backticks."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def table(w: Path, cases: list[Case]) -> str:
    rows = ["| mistake | command | line printed (exit 1) |", "| --- | --- | --- |"]
    for case in cases:
        code, _, err = run_case(case, w)
        line = err.strip().splitlines()[-1] if err.strip() else f"(exit {code}, nothing on stderr)"
        shown = " ".join(a.replace("{w}/", "").replace("{w}", ".") for a in case.argv)
        line = line.replace(str(w) + "/", "").replace(str(w), ".")
        rows.append(f"| {case.what} | `trainer {shown}` | {_code(line)} |")
    import subprocess

    for what, args in RENDER_CASES:
        argv = [a.replace("{w}", str(w)).replace("{s}", str(ROOT / "scenes" / "default.toml")) for a in args]
        result = subprocess.run([sys.executable, "-m", "blender_addon.render", *argv], capture_output=True, text=True,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        line = (result.stderr.strip().splitlines() or [f"(exit {result.returncode})"])[-1]
        line = line.replace(str(w) + "/", "").replace(str(ROOT) + "/", "")
        shown = " ".join(a.replace("{w}/", "").replace("{s}", "scenes/default.toml") for a in args)
        rows.append(f"| {what} | `python -m blender_addon.render {shown}` | {_code(line)} (exit {result.returncode}) |")
    return "\n".join(rows)


if __name__ == "__main__":  # python tests/bad_inputs.py > table.md
    import tempfile

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        print(table(make_workspace(Path(tmp), torch=True), CASES))
