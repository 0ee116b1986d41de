"""pix2pix on CPU with tiny images and networks: training moves the loss, resumes, generates one
labelled image per mask, refuses bad input. Skipped without torch (the `gan` extra)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from trainer.annotation import load_dataset
from trainer.annotation.io import read_image, write_image_atomic
from trainer.cli import main
from trainer.composite.synthetic import make_lesion_dataset
from trainer.errors import UserError

torch = pytest.importorskip("torch", reason="torch not installed (pip install 'rescuesynth[gan]')")
pytestmark = pytest.mark.torch

from trainer.gan.generate import GenerateOptions, generate
from trainer.gan.train import GanOptions, fit

TINY = dict(size=64, ngf=8, ndf=8, progress=False)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    # any foreground/background task: the class name is whatever the real data says
    return make_lesion_dataset(tmp_path_factory.mktemp("gan") / "real", 4, width=48, height=40, seed=4,
                               category="defect")


@pytest.fixture(scope="module")
def trained(real, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("gan") / "run"
    summary = fit(real, run, GanOptions(epochs=8, batch_size=2, lr=1e-3, **TINY))
    assert summary.epochs_done == 8 and summary.steps == 16
    return run


def test_fit_moves_the_loss_and_writes_checkpoint_samples_log(trained):
    log = (trained / "log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,step,G_GAN,G_L1,D_real,D_fake")
    rows = [dict(zip(log[0].split(","), line.split(","))) for line in log[1:]]
    assert len(rows) == 8
    l1 = [float(r["G_L1"]) for r in rows]
    assert np.mean(l1[-3:]) < 0.8 * np.mean(l1[:2]), l1  # the generator learns the real images
    assert len({float(r["D_real"]) for r in rows}) > 1
    assert sorted(p.name for p in (trained / "samples").iterdir())[-1] == "epoch_0008.png"
    grid = read_image(trained / "samples" / "epoch_0008.png")
    assert grid.shape == (4 * 64, 4 * 64, 3)  # 4 images x (mask | tone | real | generated)
    state = torch.load(trained / "checkpoints" / "last.pt", weights_only=True)
    assert state["epoch"] == 8 and state["config"]["size"] == 64
    run = json.loads((trained / "run.json").read_text())
    assert run["status"] == "complete" and run["real_diversity"]["images"] == 4


def test_fit_resumes_after_the_last_finished_epoch(real, tmp_path):
    run = tmp_path / "run"
    fit(real, run, GanOptions(epochs=3, batch_size=2, max_steps=3, **TINY))  # stops mid-epoch 2
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert (state["epoch"], state["step"]) == (1, 3)  # epoch 2 unfinished: it will be redone
    s = fit(real, run, GanOptions(epochs=3, batch_size=2, **TINY))
    assert (s.resumed_from_epoch, s.epochs_done, s.steps) == (1, 3, 7)
    with pytest.raises(UserError, match="use a new run folder"):
        fit(real, run, GanOptions(epochs=4, batch_size=2, **{**TINY, "ngf": 16}))


def _masks(folder: Path) -> list[np.ndarray]:
    masks = []
    for i, (w, h) in enumerate([(48, 40), (30, 30), (64, 32)]):
        m = np.zeros((h, w), np.uint16)
        m[5:15, 6:18] = 1
        if i == 2:
            m[20:28, 40:60] = 2  # two objects
        write_image_atomic(folder / f"m{i}.png", m)
        masks.append(m)
    write_image_atomic(folder / "m9_empty.png", np.zeros((20, 20), np.uint8))  # skipped: nothing to label
    return masks


def test_generate_writes_one_labelled_image_per_mask(trained, tmp_path):
    masks = _masks(tmp_path / "masks")
    out = tmp_path / "gen"
    s = generate(trained, tmp_path / "masks", out, GenerateOptions(seed=5, progress=False))
    assert (s.images, s.made, s.objects) == (3, 3, 4)
    assert s.skipped_empty == ["m9_empty.png"]
    ds = load_dataset(out)
    assert ds.categories == ["defect"]  # taken from the checkpoint's training data
    assert [r.file_name for r in ds.images] == ["m0.png", "m1.png", "m2.png"]
    for rec, mask in zip(ds.images, masks):
        image = read_image(out / "images" / rec.file_name)
        assert image.shape[:2] == mask.shape  # generated at 64 px, returned at the mask's size
        for ann, value in zip(rec.annotations, sorted(set(np.unique(mask)) - {0})):
            assert np.array_equal(ann.to_mask(*mask.shape), mask == value)
    div = json.loads((out / "diversity.json").read_text())
    assert div["generated"]["images"] == 3 and div["real"]["images"] == 4
    # same seed -> same pixels; a rerun resumes instead of regenerating
    again = generate(trained, tmp_path / "masks", tmp_path / "gen2", GenerateOptions(seed=5, progress=False))
    assert again.made == 3
    for name in ("m0.png", "m2.png"):
        assert (out / "images" / name).read_bytes() == (tmp_path / "gen2" / "images" / name).read_bytes()
    assert generate(trained, tmp_path / "masks", out, GenerateOptions(seed=5, progress=False)).resumed == 3
    with pytest.raises(UserError, match="another checkpoint, masks or options"):
        generate(trained, tmp_path / "masks", out, GenerateOptions(seed=6, progress=False))


def test_generate_and_fit_bad_input(trained, real, tmp_path, capsys):
    (tmp_path / "masks").mkdir()
    write_image_atomic(tmp_path / "masks" / "blank.png", np.zeros((20, 20), np.uint16))
    assert main(["gan", "generate", str(trained), "--masks", str(tmp_path / "masks"), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "blank.png" in err and "mask is empty" in err and "\n" not in err
    assert main(["gan", "generate", str(trained), "--masks", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    assert "masks folder not found" in capsys.readouterr().err
    # a checkpoint that would run code when unpickled is refused
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"config": {}, "G": Path("x")}, protocol=2))
    assert main(["gan", "generate", str(evil), "--masks", str(tmp_path / "masks"), "--out", str(tmp_path / "o")]) == 1
    assert "holds objects beyond tensors" in capsys.readouterr().err
    # training images whose size does not match their labels
    bad = make_lesion_dataset(tmp_path / "bad", 2, seed=8)
    write_image_atomic(bad / "images" / "real_000.png", np.zeros((10, 10, 3), np.uint8))
    assert main(["gan", "fit", "--data", str(bad), "--out", str(tmp_path / "r"), "--size", "32", "--quiet"]) == 1
    err = capsys.readouterr().err  # check's rule, before any training
    assert "image size differs from the annotation file" in err and "real_000.png" in err
    assert main(["gan", "fit", "--data", str(real), "--out", str(tmp_path / "r"), "--size", "48", "--quiet"]) == 1
    assert "power of two" in capsys.readouterr().err


def test_cli_fit_then_generate(real, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["gan", "fit", "--data", str(real), "--out", str(run), "--size", "64", "--ngf", "8", "--ndf", "8",
                 "--epochs", "1", "--batch-size", "4", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "1/1 epochs (1 steps" in out and "real set: 4 images" in out
    _masks(tmp_path / "masks")
    assert main(["gan", "generate", str(run), "--masks", str(tmp_path / "masks"), "--out", str(tmp_path / "gen"),
                 "--tones", str(real / "images"), "--category", "blob", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 images (3 made" in out and "skipped 1 empty mask(s): m9_empty.png" in out
    assert load_dataset(tmp_path / "gen").categories == ["blob"]
