"""Diversity figures on hand-checkable sets (numpy only: no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.annotation.io import write_image_atomic
from trainer.cli import main
from trainer.gan.diversity import diversity


def test_black_and_white_are_maximally_different():
    black, white = np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)
    d = diversity([black, white])
    assert d["images"] == 2
    assert d["mean_pairwise_l1"] == pytest.approx(1.0)
    assert d["hist_spread"] == pytest.approx(1.0)  # no colour bin in common
    assert d["mean_colour_std"] == pytest.approx(127.5)  # population std of {0, 255}


def test_identical_images_have_zero_diversity_and_pairs_average():
    a = np.random.default_rng(0).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    assert diversity([a, a, a]) == {"images": 3, "mean_pairwise_l1": 0.0, "hist_spread": 0.0, "mean_colour_std": 0.0}
    # three flat greys 0, 51, 102: pairwise |diff| = 0.2, 0.4, 0.2 -> mean 0.2667; all in different bins
    greys = [np.full((4, 4, 3), v, np.uint8) for v in (0, 51, 102)]
    d = diversity(greys)
    assert d["mean_pairwise_l1"] == pytest.approx(0.8 / 3, abs=1e-4)
    assert d["hist_spread"] == pytest.approx(1.0)
    assert d["mean_colour_std"] == pytest.approx(np.std([0, 51, 102]), abs=1e-3)


def test_diversity_command(tmp_path, capsys):
    for i, v in enumerate((0, 255)):
        write_image_atomic(tmp_path / "set" / f"{i}.png", np.full((8, 8, 3), v, np.uint8))
    assert main(["gan", "diversity", str(tmp_path / "set"), "--json", str(tmp_path / "d.json")]) == 0
    assert "mean pairwise L1 1.0000" in capsys.readouterr().out
    assert (tmp_path / "d.json").is_file()
    (tmp_path / "one").mkdir()
    write_image_atomic(tmp_path / "one" / "0.png", np.zeros((8, 8, 3), np.uint8))
    assert main(["gan", "diversity", str(tmp_path / "one")]) == 1
    assert "at least 2 images" in capsys.readouterr().err


def test_gan_commands_without_torch_say_what_to_install(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    assert main(["gan", "fit", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 1
    assert "pip install 'rescuesynth[gan]'" in capsys.readouterr().err
