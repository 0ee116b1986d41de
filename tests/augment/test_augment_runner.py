"""`trainer augment` end to end on small datasets it makes itself: labels, determinism, resume, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
pytest.importorskip("albumentations", reason="augmentation needs albumentations==2.0.8 (pip install -e '.[augment]')")

from trainer.annotation import (  # noqa: E402
    AnnotateOptions, Dataset, ImageRecord, annotate_directory, annotation_from_mask, load_dataset, write_dataset,
)
from trainer.annotation.synthetic import make_frames  # noqa: E402
from trainer.augment import runner  # noqa: E402
from trainer.augment.masks import pack_masks, unpack_masks  # noqa: E402
from trainer.augment.pipeline import build_pipeline  # noqa: E402
from trainer.augment.preset import load_preset, preset_from_dict  # noqa: E402
from trainer.augment.runner import AugmentOptions, augment_dataset, variant_seed  # noqa: E402
from trainer.cli import main  # noqa: E402
from trainer.errors import DatasetError, UserError  # noqa: E402


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """6 synthetic frames, 200x150, 6 objects each (occlusions, holes, border cuts), annotated by the core."""
    root = tmp_path_factory.mktemp("src")
    make_frames(root / "frames", 6, width=200, height=150, objects=6, seed=3)
    annotate_directory(root / "frames", root / "ds", AnnotateOptions(workers=1, progress=False, preview=False))
    return root / "ds"


def _opts(**kw) -> AugmentOptions:
    base = {"factor": 3, "seed": 5, "workers": 1, "progress": False, "preview": False}
    return AugmentOptions(**{**base, **kw})


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "run.json"}


def test_writes_originals_and_variants_with_labels_traced_from_the_moved_masks(dataset_dir: Path, tmp_path: Path):
    out = tmp_path / "aug"
    summary = augment_dataset(dataset_dir, out, _opts(preview=True))
    src = load_dataset(dataset_dir)
    assert (summary.originals, summary.variants) == (6, 12)
    assert not (out / runner.STATE_DIR).exists()
    for name in ("coco.json", "via_project.json", "via_regions.json"):
        assert (out / "annotations" / name).is_file()
    assert (out / "preview.png").is_file()
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] and run["counts"]["variants"] == 12 and run["versions"]["albumentations"] == "2.0.8"

    result = load_dataset(out)
    assert result.categories == src.categories
    assert [r.file_name for r in result.images[:3]] == ["000000.png", "000000_aug001.jpg", "000000_aug002.jpg"]
    via = load_dataset(out / "annotations" / "via_project.json")
    assert len(via.images) == 18

    pipeline = build_pipeline("default")
    by_name = {r.file_name: r for r in src.images}
    checked = 0
    for rec in result.images:
        image = cv2.imread(str(out / "images" / rec.file_name))
        assert image.shape[:2] == (rec.height, rec.width)
        for ann in rec.annotations:  # no point outside the image
            for poly in ann.polygons:
                xs, ys = np.array(poly[0::2]), np.array(poly[1::2])
                assert xs.min() >= 0 and ys.min() >= 0 and xs.max() <= rec.width and ys.max() <= rec.height
        meta = rec.attributes.get("augment")
        if meta is None:
            assert rec.annotations == by_name[rec.file_name].annotations  # originals unchanged
            continue
        source = by_name[meta["source"]]
        index = src.images.index(source)
        assert meta["seed"] == variant_seed(5, index, meta["variant"], meta["redraws"])
        # Recompute the variant's masks independently of the runner, from the seed it recorded.
        rgb = cv2.cvtColor(cv2.imread(str(dataset_dir / "images" / source.file_name)), cv2.COLOR_BGR2RGB)
        masks = [a.to_mask(source.height, source.width) for a in source.annotations]
        _, expected = pipeline(rgb, masks, seed=meta["seed"])
        kept = [m for m in expected if m.sum() >= 16]
        assert len(rec.annotations) == len(kept)
        for ann, mask in zip(rec.annotations, kept):
            assert ann.area == int(mask.sum())
            x, y, w, h = ann.bbox
            ys, xs = np.nonzero(mask)
            assert (x, y, w, h) == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
            if ann.area >= 1024:
                drawn = ann.to_mask(rec.height, rec.width)
                iou = (drawn & mask).sum() / (drawn | mask).sum()
                assert iou >= 0.98, (rec.file_name, iou)
                checked += 1
    assert checked >= 5, "too few large instances to check polygons"


def test_same_seed_same_bytes_whatever_the_workers_other_seed_differs(dataset_dir: Path, tmp_path: Path):
    augment_dataset(dataset_dir, tmp_path / "a", _opts(workers=1))
    augment_dataset(dataset_dir, tmp_path / "b", _opts(workers=2))
    augment_dataset(dataset_dir, tmp_path / "c", _opts(workers=1, seed=6))
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a.keys() == b.keys()
    differing = [k for k in a if a[k] != b[k] and k != "annotations/via_project.json"]  # project holds OUT's path
    assert differing == []
    assert a["annotations/coco.json"] != c["annotations/coco.json"]
    assert a["images/000001_aug001.jpg"] != c["images/000001_aug001.jpg"]


def _one_small_object_dataset(root: Path) -> Path:
    """One 160x120 image with a single 6x6 object in a corner: small crops usually miss it."""
    (root / "images").mkdir(parents=True)
    image = np.full((120, 160, 3), 90, np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[2:8, 2:8] = True
    image[mask] = (20, 200, 240)
    cv2.imwrite(str(root / "images" / "corner.png"), image)
    ann = annotation_from_mask(mask, "rescuer")
    ds = Dataset([ImageRecord("corner.png", 160, 120, [ann])], ["rescuer"], root / "images")
    write_dataset(ds, root, preview=False)
    return root


@pytest.mark.parametrize("empty", ["keep", "redraw"])
def test_a_crop_that_removes_every_object_gives_an_empty_but_valid_record(tmp_path: Path, empty: str):
    src = _one_small_object_dataset(tmp_path / "src")
    preset = preset_from_dict({"options": {"empty": empty, "max_redraws": 3, "min_area": 4},
                               "transforms": {"crop": {"p": 1.0, "scale": [0.02, 0.05]}}})
    summary = augment_dataset(src, tmp_path / "out", _opts(preset=preset, factor=9))
    result = load_dataset(tmp_path / "out")
    assert len(result.images) == 9
    empties = [r for r in result.images if not r.annotations]
    assert empties, "expected some variants to lose the only object"
    assert summary.empty_variants == len(empties)
    assert summary.dropped["cut away"] + summary.dropped["below min_area"] > 0
    for rec in empties:
        assert cv2.imread(str(tmp_path / "out" / "images" / rec.file_name)).shape == (120, 160, 3)
        assert rec.attributes["augment"]["redraws"] == (3 if empty == "redraw" else 0)
    if empty == "redraw":
        assert summary.redraws >= 3 * len(empties)
    coco = json.loads((tmp_path / "out" / "annotations" / "coco.json").read_text())
    assert len(coco["images"]) == 9 and len(coco["annotations"]) == 9 - len(empties)


def test_interrupted_run_resumes_and_matches_an_uninterrupted_one(dataset_dir: Path, tmp_path: Path, monkeypatch):
    reference = tmp_path / "ref"
    augment_dataset(dataset_dir, reference, _opts())
    out = tmp_path / "out"
    real = runner._make_variant
    calls = {"n": 0}

    def crash_after_five(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_make_variant", crash_after_five)
    with pytest.raises(KeyboardInterrupt):
        augment_dataset(dataset_dir, out, _opts())
    assert not (out / "annotations").exists()  # never a dataset that looks complete but is not
    done = sorted(p.name for p in (out / runner.STATE_DIR / "records").iterdir())
    assert len(done) >= 1  # finished source images (3 variants each)
    monkeypatch.setattr(runner, "_make_variant", real)

    with pytest.raises(UserError, match="different options"):
        augment_dataset(dataset_dir, out, _opts(seed=99))
    summary = augment_dataset(dataset_dir, out, _opts())
    assert summary.resumed == 3 * len(done)
    assert _files(out) .keys() == _files(reference).keys()
    assert all(v == _files(reference)[k] for k, v in _files(out).items() if k != "annotations/via_project.json")


def test_refuses_non_empty_out_and_the_input_itself(dataset_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not empty"):
        augment_dataset(dataset_dir, out, _opts())
    with pytest.raises(UserError, match="not a dataset"):
        augment_dataset(dataset_dir, out, _opts(overwrite=True))
    assert (out / "notes.txt").read_text() == "mine"
    with pytest.raises(UserError, match="overwrite the input"):
        augment_dataset(dataset_dir, dataset_dir, _opts(overwrite=True))
    done = tmp_path / "done"
    augment_dataset(dataset_dir, done, _opts(factor=1))
    with pytest.raises(UserError, match="is not empty"):
        augment_dataset(dataset_dir, done, _opts(factor=2))
    summary = augment_dataset(dataset_dir, done, _opts(factor=2, overwrite=True))
    assert summary.variants == 6 and len(list((done / "images").iterdir())) == 12


def test_missing_images_stop_with_one_line_listing_them(dataset_dir: Path, tmp_path: Path):
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    (src / "annotations").mkdir()
    (src / "annotations" / "coco.json").write_bytes((dataset_dir / "annotations" / "coco.json").read_bytes())
    for p in sorted((dataset_dir / "images").iterdir())[:4]:  # 000004.png and 000005.png go missing
        (src / "images" / p.name).write_bytes(p.read_bytes())
    with pytest.raises(DatasetError) as info:
        augment_dataset(src, tmp_path / "out", _opts())
    message = str(info.value)
    assert "2 of 6 images" in message and "000004.png, 000005.png" in message and "\n" not in message
    assert not (tmp_path / "out").exists()


def test_unreadable_images_are_skipped_and_counted(dataset_dir: Path, tmp_path: Path):
    src = tmp_path / "src"
    (src / "annotations").mkdir(parents=True)
    (src / "annotations" / "coco.json").write_bytes((dataset_dir / "annotations" / "coco.json").read_bytes())
    (src / "images").mkdir()
    for p in sorted((dataset_dir / "images").iterdir()):
        (src / "images" / p.name).write_bytes(p.read_bytes())
    (src / "images" / "000002.png").write_bytes(b"not a png")
    summary = augment_dataset(src, tmp_path / "out", _opts())
    assert summary.skipped == {"unreadable image": 1} and summary.skipped_names == ["000002.png"]
    names = {r.file_name for r in load_dataset(tmp_path / "out").images}
    assert len(names) == 15 and not any(n.startswith("000002") for n in names)


def test_cli_runs_and_reports_mistakes_in_one_line(dataset_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "cli"
    code = main(["augment", str(dataset_dir), "--out", str(out), "--total", "10", "--workers", "1",
                 "--preset", "seed_paper", "--format", "png", "--no-preview"])
    assert code == 0
    assert "wrote 10 images (6 originals + 4 variants)" in capsys.readouterr().out
    assert len(list((out / "images").glob("*_aug*.png"))) == 4
    assert main(["augment", str(dataset_dir), "--out", str(tmp_path / "x"), "--factor", "0.5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --factor must be >= 1") and err.count("\n") == 1


def test_masks_survive_bit_packing_for_many_instances():
    """More instances than one byte holds: the runner's packing round-trips (exactness rests on it)."""
    rng = np.random.default_rng(0)
    masks = rng.random((21, 30, 40)) > 0.5
    assert np.array_equal(unpack_masks(pack_masks(masks, 30, 40), 21), masks)


def test_shipped_preset_is_what_the_runner_records(dataset_dir: Path, tmp_path: Path):
    augment_dataset(dataset_dir, tmp_path / "o", _opts(preset="seed_paper", factor=1))
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert run["preset"]["sha256"] == load_preset("seed_paper").sha256


def test_via_input_gives_the_same_labels_as_coco_input(dataset_dir: Path, tmp_path: Path):
    """VIA files carry no image sizes or ids; the job still works from them (sizes come from the images)."""
    augment_dataset(dataset_dir / "annotations" / "via_regions.json", tmp_path / "via", _opts(factor=2))
    augment_dataset(dataset_dir, tmp_path / "coco", _opts(factor=2))
    via, coco = load_dataset(tmp_path / "via"), load_dataset(tmp_path / "coco")
    assert [r.file_name for r in via.images] == [r.file_name for r in coco.images]
    assert set(via.categories) == set(coco.categories) and via.num_annotations > 0
    # VIA has no holes (a ring arrives filled), so compare each output with its own masks, not with COCO's.
    for rec in via.images[1::2]:
        assert rec.attributes["augment"]["variant"] == 1
        for ann in rec.annotations:
            assert int(ann.to_mask(rec.height, rec.width).sum()) == ann.area
