"""Copy-paste compositing on small synthetic lesion datasets the tests make themselves."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from trainer.annotation import load_dataset
from trainer.annotation.io import read_image, read_mask, write_image_atomic
from trainer.cli import main
from trainer.composite import CompositeOptions, run_composite
from trainer.composite.backgrounds import inpaint_objects
from trainer.composite.paste import PasteOptions
from trainer.composite.synthetic import make_lesion_dataset, make_lesion_image
from trainer.errors import UserError

LESION = np.array([30, 35, 70], np.float32)  # make_lesion_image's default lesion colour (BGR)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    return make_lesion_dataset(tmp_path_factory.mktemp("real") / "real", 6, width=64, height=64, lesions=2, seed=3)


def _opts(count: int, **paste) -> CompositeOptions:
    kw = dict(blends=("hard",), brightness=0.0, colour_shift=0.0)
    kw.update(paste)
    return CompositeOptions(count=count, seed=11, size=(96, 80), progress=False, paste=PasteOptions(**kw))


def _objects(out: Path, name: str) -> tuple[np.ndarray, np.ndarray, dict]:
    stem = Path(name).stem
    scene = json.loads((out / "scenes" / f"{stem}.json").read_text())
    return read_image(out / "images" / name), read_mask(out / "masks" / f"{stem}.png"), scene


def test_hard_paste_puts_lesions_where_the_masks_say(real, tmp_path):
    out = tmp_path / "comp"
    summary = run_composite(real, None, out, _opts(8, scale=(0.7, 1.3)))
    assert summary.images == 8 and summary.objects >= 8
    ds = load_dataset(out)
    assert len(ds.images) == 8
    for rec in ds.images:
        image, labels, scene = _objects(out, rec.file_name)
        assert image.shape[:2] == labels.shape == (80, 96)  # the size asked
        assert (rec.width, rec.height) == (96, 80)
        assert len(rec.annotations) == len(scene["objects"])
        union = labels > 0
        for ann, obj in zip(rec.annotations, scene["objects"]):
            mask = labels == obj["index"]
            # the COCO label is exactly the composited mask
            assert np.array_equal(ann.to_mask(80, 96), mask)
            # area = source area x scale^2 (rotation keeps area), within edge rounding
            expected = obj["source_px"] * obj["scale"] ** 2
            assert abs(mask.sum() - expected) <= 0.12 * expected + 6, (mask.sum(), expected)
            # pixels under the mask carry the pasted lesion's colours (hard blending, no jitter)
            dist = np.linalg.norm(image[mask].astype(np.float32) - LESION, axis=1)
            assert np.median(dist) < 12 and dist.mean() < 20
        # and the background (away from the lesion edges) does not look like a lesion
        far = ~cv2.dilate(union.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        dist_bg = np.linalg.norm(image[far].astype(np.float32) - LESION, axis=1)
        assert np.percentile(dist_bg, 1) > 30


@pytest.mark.parametrize("blend", ["feathered", "poisson"])
def test_soft_blends_change_the_pixels_under_the_mask(real, tmp_path, blend):
    out = tmp_path / blend
    run_composite(real, None, out, _opts(4, blends=(blend,), scale=(1.0, 1.2)))
    for rec in load_dataset(out).images:
        image, labels, scene = _objects(out, rec.file_name)
        assert {o["blend"] for o in scene["objects"]} == {blend}
        for obj in scene["objects"]:
            mask = labels == obj["index"]
            ring = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & (labels == 0)
            inside, around = image[mask].astype(np.float32).mean(0), image[ring].astype(np.float32).mean(0)
            assert np.abs(inside - around).sum() > 40  # the lesion is visibly there, darker than its skin
            assert inside.sum() < around.sum()


def test_deterministic_per_seed_and_independent_of_workers(real, tmp_path):
    opts = _opts(6, blends=("hard", "feathered", "poisson"), brightness=0.2, colour_shift=10.0)
    run_composite(real, None, tmp_path / "a", opts)
    run_composite(real, None, tmp_path / "b", CompositeOptions(**{**opts.__dict__, "workers": 2}))
    run_composite(real, None, tmp_path / "c", CompositeOptions(**{**opts.__dict__, "seed": 12}))
    names = sorted(p.name for p in (tmp_path / "a" / "images").iterdir())
    assert len(names) == 6
    for name in names:
        a = (tmp_path / "a" / "images" / name).read_bytes()
        assert a == (tmp_path / "b" / "images" / name).read_bytes()
        assert (tmp_path / "a" / "masks" / name).read_bytes() == (tmp_path / "b" / "masks" / name).read_bytes()
    assert any((tmp_path / "a" / "images" / n).read_bytes() != (tmp_path / "c" / "images" / n).read_bytes()
               for n in names)
    coco_a = json.loads((tmp_path / "a" / "annotations" / "coco.json").read_text())
    coco_b = json.loads((tmp_path / "b" / "annotations" / "coco.json").read_text())
    assert coco_a["annotations"] == coco_b["annotations"]


def test_resume_makes_only_missing_images_and_refuses_other_options(real, tmp_path):
    out = tmp_path / "comp"
    run_composite(real, None, out, _opts(4))
    before = (out / "images" / "composite_000002.png").read_bytes()
    (out / "scenes" / "composite_000002.json").unlink()  # as if killed before finishing image 2
    stamp = (out / "images" / "composite_000001.png").stat().st_mtime_ns
    s = run_composite(real, None, out, _opts(5))
    assert (s.made, s.resumed, s.images) == (2, 3, 5)
    assert (out / "images" / "composite_000001.png").stat().st_mtime_ns == stamp
    assert (out / "images" / "composite_000002.png").read_bytes() == before
    assert len(load_dataset(out).images) == 5
    with pytest.raises(UserError, match="other inputs, options or seed"):
        run_composite(real, None, out, _opts(5, scale=(0.5, 0.6)))


def test_backgrounds_folder_and_inpainting(real, tmp_path):
    bg = tmp_path / "bg"
    rng = np.random.default_rng(0)
    for i in range(2):
        write_image_atomic(bg / f"skin_{i}.jpg", np.full((50, 70, 3), (150, 175, 225), np.uint8))
    out = tmp_path / "comp"
    s = run_composite(real, bg, out, CompositeOptions(count=3, seed=1, progress=False))
    assert s.background_kind == "folder"
    for rec in load_dataset(out).images:
        assert (rec.width, rec.height) == (70, 50)  # no --size: the background's own size
    # inpainting removes the lesion: its area ends up close to the surrounding skin tone
    image, masks = make_lesion_image(rng, 64, 64, 1, skin=(150, 175, 225))
    filled = inpaint_objects(image, masks)
    assert np.abs(filled[masks[0]].astype(float).mean(0) - (150, 175, 225)).max() < 15


def test_bad_inputs_are_one_line_errors(real, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = ["composite", "--real", str(real), "--count", "2", "--quiet", "--out"]
    assert main(args + [str(tmp_path / "o1"), "--backgrounds", str(tmp_path / "empty")]) == 1
    assert "backgrounds folder has no images" in capsys.readouterr().err
    assert main(args + [str(tmp_path / "o2"), "--backgrounds", str(tmp_path / "missing")]) == 1
    assert "backgrounds folder not found" in capsys.readouterr().err

    # an image whose size does not match its masks/annotations
    bad = make_lesion_dataset(tmp_path / "bad", 2, seed=5)
    write_image_atomic(bad / "images" / "real_001.png", np.zeros((30, 40, 3), np.uint8))
    assert main(["composite", "--real", str(bad), "--count", "1", "--quiet", "--out", str(tmp_path / "o3")]) == 1
    err = capsys.readouterr().err.strip()
    assert "real_001.png" in err and "do not match" in err and "\n" not in err

    # an empty mask: a polygon lying outside the image rasterises to nothing
    empty = make_lesion_dataset(tmp_path / "emptymask", 2, seed=6)
    coco_path = empty / "annotations" / "coco.json"
    coco = json.loads(coco_path.read_text())
    coco["annotations"][0]["segmentation"] = [[500.0, 500.0, 501.0, 500.0, 501.0, 501.0]]
    coco_path.write_text(json.dumps(coco))
    assert main(["composite", "--real", str(empty), "--count", "1", "--quiet", "--out", str(tmp_path / "o4")]) == 1
    err = capsys.readouterr().err.strip()
    assert "polygon point outside the image" in err and "\n" not in err  # check's rule, applied before any work
    assert not (tmp_path / "o4" / "images").exists()  # nothing written before the inputs were checked


def test_objects_keep_their_proportion_to_the_image(real, tmp_path):
    # 64 px real images -> 128 px composites: with scale range 1..1 every object doubles in size
    opts = CompositeOptions(count=3, seed=2, size=(128, 128), progress=False,
                            paste=PasteOptions(scale=(1.0, 1.0), rotation=0.0, blends=("hard",)))
    run_composite(real, None, tmp_path / "big", opts)
    for rec in load_dataset(tmp_path / "big").images:
        _, labels, scene = _objects(tmp_path / "big", rec.file_name)
        for obj in scene["objects"]:
            assert obj["scale"] == 2.0
            expected = 4 * obj["source_px"]  # the staircase edge, smoothed by the warp, moves ~1 px in 10
            assert abs((labels == obj["index"]).sum() - expected) <= 0.12 * expected
