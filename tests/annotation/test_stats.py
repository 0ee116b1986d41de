"""`trainer stats`: counts match the dataset, scene descriptions feed the pose/camera panels,
the plot is a real PNG."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from trainer.annotation import AnnotateOptions, annotate_directory
from trainer.annotation.synthetic import make_frames
from trainer.cli import main

pytest.importorskip("matplotlib")


def test_stats_counts_and_plot(tmp_path, capsys):
    ds = make_frames(tmp_path / "ds", 3, width=96, height=64, objects=4)
    for f in sorted((ds / "scenes").glob("*.json")):  # add renderer-style camera/pose data
        d = json.loads(f.read_text())
        d["camera"] = {"mode": "drone", "location": [0, -10, 20], "look_at": [0, 0, 0]}
        d["weather"] = {"condition": "rain"}
        d["distractors"] = [{"kind": "dog"}, {"kind": "vehicle"}]  # unlabelled hard negatives
        for o in d["objects"]:
            o["pose"] = "kneeling"
        f.write_text(json.dumps(d))
    s = annotate_directory(ds, options=AnnotateOptions(workers=1, progress=False, min_pixels=0, min_extent=0))
    from trainer.commands.stats import collect

    st = collect(ds)
    assert st["images"] == 3 and st["instances"] == s.instances == sum(st["per_image"])
    assert sum(st["classes"].values()) == s.instances
    assert st["camera_modes"] == {"drone": 3} and st["weather"] == {"rain": 3}
    assert st["camera_pitch_deg"] and all(abs(p - 63.43) < 0.1 for p in st["camera_pitch_deg"])
    assert sum(st["poses"].values()) == 12
    assert st["unlabelled_distractors"] == {"dog": 3, "vehicle": 3}
    assert main(["stats", str(ds), "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size[0] > 500
    out = capsys.readouterr().out
    assert f"{s.instances} instances" in out and "unlabelled distractors: dog 3, vehicle 3" in out
