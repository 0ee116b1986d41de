"""bench/sim2real.py, bench/real_data.py and bench/operating_point.py: cache keys follow code, not comments; seeds
average; dev_people splits; group photos; operating points re-score one inference per NMS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import real_data  # noqa: E402
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


def test_dev_people_split_gives_each_person_the_pixels_nearest_their_seed_line():
    """bench/real_data.py's per-person split of a component of two touching people, and its seed file."""
    mask = np.zeros((50, 100), bool)
    mask[10:45, 20:40] = True  # one person
    mask[5:45, 40:60] = True  # the other, touching: one component
    mask[0:3, 95:100] = True  # a speck no path inside the mask reaches
    labels = real_data.split_people(mask, [[[30, 30], [30, 80]], [[50, 20], [50, 80]]])
    assert set(np.unique(labels)) == {0, 1, 2} and ((labels > 0) == mask).all()
    assert (labels[10:45, 20:38] == 1).all() and (labels[5:45, 42:60] == 2).all()
    assert (labels[0:3, 95:100] == 2).all(), "unreachable pixels join the nearest label"
    photos = json.loads(real_data.PEOPLE_SEEDS.read_text())["photos"]
    assert len(photos) == 34 and all(len(lines) >= 2 for lines in photos.values())
    assert all(0 <= v <= 100 for lines in photos.values() for line in lines for pt in line for v in pt)


def test_fewer_frames_than_a_finished_render_are_its_first_frames_and_nothing_is_rendered(tmp_path, monkeypatch):
    """480 x2 beside 960 x1: frame i depends only on (preset, seed, i), so the 480 are the 960's first 480."""
    from trainer.annotation import Annotation, Dataset, ImageRecord, load_dataset, write_dataset

    monkeypatch.setattr(sim2real, "content_hash", lambda preset: "h")
    monkeypatch.setattr(sim2real, "sh", lambda *a: pytest.fail("rendered although the frames exist"))
    tail = f"{sim2real.RENDER['resolution']}-{sim2real.RENDER['samples']}"
    big = tmp_path / "renders" / f"p-h-s0-n4-{tail}-person"
    (big / "images").mkdir(parents=True)
    records = []
    for i in (3, 1, 0, 2):  # not in frame order in the labels
        name = f"frame_{i:06d}.png"
        (big / "images" / name).write_bytes(b"png")
        records.append(ImageRecord(file_name=name, width=8, height=8, annotations=[
            Annotation(category="person", bbox=(1, 1, 3, 3), area=9, polygons=[[1, 1, 4, 1, 4, 4, 1, 4]])]))
    write_dataset(Dataset(images=records, categories=["person"], images_dir=big / "images"), big,
                  preview=False, formats=("coco",))
    got = sim2real.rendered(tmp_path, Path("p.toml"), 2, 0)
    assert got.name == f"p-h-s0-n2-{tail}-person"
    assert [r.file_name for r in load_dataset(got).images] == ["frame_000000.png", "frame_000001.png"]
    assert sim2real.rendered(tmp_path, Path("p.toml"), 4, 0) == big  # the render itself, as it was


def test_a_render_quality_is_its_own_cache_entry_and_renders_with_its_own_samples(tmp_path, monkeypatch):
    """--quality draft must not reuse (or start from) the 8-spp renders, and renders with the quality's samples."""
    monkeypatch.setattr(sim2real, "content_hash", lambda preset: "h")
    tail = f"{sim2real.RENDER['resolution']}-{sim2real.RENDER['samples']}"
    for name in (f"p-h-s0-n4-{tail}-person", f"p-h-s0-n4-{tail}"):  # a finished 8-spp render
        (tmp_path / "renders" / name / "annotations").mkdir(parents=True)
        (tmp_path / "renders" / name / "annotations" / "coco.json").write_text("{}")
    calls = []
    monkeypatch.setattr(sim2real, "sh", lambda cmd, log: calls.append(cmd))
    got = sim2real.rendered(tmp_path, Path("p.toml"), 2, 0, "draft")
    assert got.name == f"p-h-s0-n2-{sim2real.RENDER['resolution']}-draft-person"
    render = calls[0]
    assert render[render.index("--quality") + 1] == "draft" and "--samples" not in render
    assert render[render.index("--count") + 1] == "2"


def _group_sets():
    """One photo of two touching people: one component on dev, two people on dev_people; a second of one person."""
    from trainer.annotation.model import Annotation, Dataset, ImageRecord
    from trainer.evaluate.metrics import encode_masks

    def ann(mask):
        ys, xs = np.nonzero(mask)
        return Annotation("person", (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1),
                                     float(ys.max() - ys.min() + 1)), int(mask.sum()), rle=encode_masks(mask[None])[0])

    left, right, alone = (np.zeros((40, 40), bool) for _ in range(3))
    left[5:35, 4:14] = True
    right[5:35, 14:24] = True
    alone[10:30, 10:20] = True
    dev = Dataset([ImageRecord("group.png", 40, 40, [ann(left | right)]), ImageRecord("one.png", 40, 40, [ann(alone)])],
                  ["person"], Path("."))
    people = Dataset([ImageRecord("group.png", 40, 40, [ann(left), ann(right)]),
                      ImageRecord("one.png", 40, 40, [ann(alone)])], ["person"], Path("."))
    return {"dev": dev, "dev_people": people}, (left, right, alone)


def test_operating_points_rescore_one_inference_per_nms_and_count_people_found_in_group_photos():
    """bench/operating_point.py: a higher score threshold drops the low-scored person, the group figure counts
    only the photo dev_people splits, and each NMS IoU predicts once, whatever the number of thresholds."""
    import operating_point
    from trainer.evaluate.metrics import ImagePrediction, encode_masks

    sets, (left, right, alone) = _group_sets()
    asked = []

    def predict(iou):
        asked.append(iou)
        group = ImagePrediction(0, np.array([[4, 5, 14, 35], [14, 5, 24, 35]], float), np.array([0.9, 0.55]),
                                np.array([1, 1]), encode_masks(np.stack([left, right])))
        one = ImagePrediction(1, np.array([[10, 10, 20, 30]], float), np.array([0.8]), np.array([1]),
                              encode_masks(alone[None]))
        return [group, one]

    rows = operating_point.operating_points(sets, ["person"], predict, [0.5, 0.6], [0.5, 0.7])
    assert asked == [0.5, 0.7] and list(rows) == [(0.5, 0.5), (0.5, 0.6), (0.7, 0.5), (0.7, 0.6)]
    low, high = rows[(0.5, 0.5)], rows[(0.5, 0.6)]
    assert (low["people_found"], low["people_objects"], low["group_found"], low["group_people"]) == (3, 3, 2, 2)
    assert (high["people_found"], high["group_found"], high["people_false_detections"]) == (2, 1, 0)
    assert low["objects"] == 2 and low["false_detections"] == 1  # on components the group is one object


def test_group_photos_are_those_where_dev_people_splits_a_component():
    dev = {"per_image": [{"file_name": "a", "objects": 1, "tp": 1}, {"file_name": "b", "objects": 2, "tp": 1}]}
    people = {"per_image": [{"file_name": "a", "objects": 3, "tp": 1}, {"file_name": "b", "objects": 2, "tp": 2}]}
    assert sim2real.groups(dev, people) == {"group_found": 1, "group_people": 3}
