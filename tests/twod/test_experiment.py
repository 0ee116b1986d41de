"""Ratio experiments: plan checks, set drawing, table and logistic fit (no torch), and one tiny
end-to-end run through the Mask R-CNN training code (torch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trainer.annotation import load_dataset
from trainer.composite import CompositeOptions, run_composite
from trainer.composite.synthetic import make_lesion_dataset
from trainer.errors import UserError
from trainer.experiment.analysis import fit_logistic, logistic, summarise, write_table
from trainer.experiment.plan import load_plan
from trainer.experiment.sets import build_set


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exp")
    real = make_lesion_dataset(root / "real", 4, width=64, height=64, seed=1)
    test = make_lesion_dataset(root / "test", 2, width=64, height=64, seed=2)
    run_composite(real, None, root / "comp", CompositeOptions(count=8, seed=3, size=(64, 64), progress=False))
    return {"root": root, "real": real, "test": test, "comp": root / "comp"}


def _plan(root: Path, body: str, train: str = "") -> Path:
    path = root / "plan.toml"
    path.write_text(f"[train]\n{train}\n[data]\ncomposite = \"comp\"\n{body}")
    return path


def test_sets_have_the_asked_ratio_and_keep_labels(data):
    plan = load_plan(_plan(data["root"], 'repeats = 2\n[[experiment]]\nname = "c2"\nreal = 0.5\ncomposite = 2.0\n'))
    exp = plan.experiments[0]
    real, comp = load_dataset(data["real"]), load_dataset(data["comp"])
    out = data["root"] / "set"
    drawn = build_set(exp, 0, plan.seed, real, {"composite": comp}, out)
    assert (drawn.real, drawn.composite, drawn.f) == (2, 4, 2.0)
    ds = load_dataset(out)
    assert sorted({r.file_name.split("/")[0] for r in ds.images}) == ["composite", "real"]
    assert len(ds.images) == 6
    src = {f"real/{r.file_name}": r for r in real.images} | {f"composite/{r.file_name}": r for r in comp.images}
    for rec in ds.images:  # labels carried over unchanged
        assert [a.area for a in rec.annotations] == [a.area for a in src[rec.file_name].annotations]
    again = build_set(exp, 0, plan.seed, real, {"composite": comp}, data["root"] / "set2")
    assert again == drawn and [r.file_name for r in load_dataset(data["root"] / "set2").images] == \
        [r.file_name for r in ds.images]  # same draw for the same (seed, experiment, repeat)
    with pytest.raises(UserError, match="pool has 8 images but 16"):
        build_set(plan.experiments[0].__class__("big", 1.0, 4.0), 0, 0, real, {"composite": comp}, data["root"] / "s3")


@pytest.mark.parametrize("body, message", [
    ('[[experiment]]\nname = "a"\ngan = 1.0\n', "gan is not set"),
    ('[[experiment]]\nname = "a"\nreal = 2\n', "real must be a number in"),
    ('[[experiment]]\nname = "a"\n[[experiment]]\nname = "a"\n', "must be unique"),
    ('[[experiment]]\nname = "a"\ncomposit = 1\n', "unknown key"),
    ("", r"no \[\[experiment\]\] entries"),
])
def test_plan_mistakes_are_one_line(data, body, message):
    with pytest.raises(UserError, match=message) as info:
        load_plan(_plan(data["root"], body))
    assert "plan.toml" in str(info.value) and "\n" not in str(info.value)


def test_table_and_logistic_fit(tmp_path):
    f = np.repeat([0.0, 1.0, 2.0, 3.0, 4.0], 2)
    truth = {"lo": 0.4, "hi": 0.7, "k": 2.0, "f0": 1.5}
    es = logistic(f, **truth) + np.tile([0.002, -0.002], 5)
    params = fit_logistic(list(f), list(es))
    assert params is not None
    for key, value in truth.items():
        assert params[key] == pytest.approx(value, rel=0.1)
    assert fit_logistic([0, 0, 1, 2], [0.1, 0.2, 0.3, 0.4]) is None  # 3 distinct f: too few for 4 parameters
    assert fit_logistic([0, 1, 2, 3], [0.0, 0.0, 0.0, 0.0]) is None  # nothing to fit (seen: untrained models)
    results = [{"name": "a", "f": 0.0, "iou": 0.5, "f1": 0.7, "es": 0.6},
               {"name": "a", "f": 0.0, "iou": 0.7, "f1": 0.9, "es": 0.8}]
    (row,) = summarise(results)
    assert (row["runs"], row["iou_mean"], row["iou_std"], row["es_mean"]) == (2, 0.6, 0.1, 0.7)
    write_table([row], tmp_path)
    assert "| a | 0.00 | 2 | 0.600 ± 0.100 | 0.800 ± 0.100 | 0.700 ± 0.100 |" in (tmp_path / "results_table.md").read_text()
    assert (tmp_path / "results_table.csv").read_text().splitlines()[0].startswith("name,f,runs,iou_mean")


@pytest.mark.torch
def test_experiment_end_to_end(data, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch not installed (pip install '.[train]')")
    pytest.importorskip("torchvision", reason="torchvision not installed (pip install '.[train]')")
    from trainer.cli import main

    train = ('model = "maskrcnn_mobilenet_v3_large_fpn"\nweights = "none"\nmin_size = 64\nmax_size = 96\n'
             'epochs = 1\nbatch_size = 2\nworkers = 0\ndevice = "cpu"\nlr = 0.01\nwarmup_iters = 2\n')
    plan = _plan(data["root"], '[[experiment]]\nname = "real"\n[[experiment]]\nname = "c1"\ncomposite = 1.0\n', train)
    args = ["experiment", "--real", str(data["real"]), "--test", str(data["test"]), "--plan", str(plan),
            "--out", str(tmp_path / "exp")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 runs (0 reused)" in out and "no logistic fit" in out
    results = json.loads((tmp_path / "exp" / "results.json").read_text())
    assert [(r["name"], r["f"]) for r in results["runs"]] == [("real", 0.0), ("c1", 1.0)]
    assert all(0 <= r["es"] <= 1 for r in results["runs"])
    assert (tmp_path / "exp" / "es_vs_f.png").is_file() and (tmp_path / "exp" / "results_table.md").is_file()
    assert main(args) == 0 and "2 runs (2 reused)" in capsys.readouterr().out
