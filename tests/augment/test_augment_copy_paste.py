"""Copy-paste (preset [copy_paste]): donors, placement beside an anchor, exact labels, determinism, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
pytest.importorskip("albumentations", reason="augmentation needs albumentations==2.0.8 (pip install -e '.[augment]')")

from trainer.annotation import Dataset, ImageRecord, annotation_from_mask, load_dataset, write_dataset  # noqa: E402
from trainer.augment import runner  # noqa: E402
from trainer.augment.copy_paste import find_donors, paste_beside  # noqa: E402
from trainer.augment.pipeline import build_pipeline  # noqa: E402
from trainer.augment.preset import CopyPasteSpec, load_preset, preset_from_dict  # noqa: E402
from trainer.augment.runner import AugmentOptions, augment_dataset  # noqa: E402
from trainer.errors import UserError  # noqa: E402
from trainer.train.data import PresetAugment  # noqa: E402

W, H = 160, 120
# (x0, y0, x1, y1, colour) per person; image 3's second person is cut by the right side, image 4's by the bottom
PEOPLE = [
    [(30, 30, 50, 100, (200, 40, 40))],
    [(90, 20, 114, 110, (40, 200, 40)), (10, 60, 22, 90, (250, 250, 250))],
    [(60, 40, 78, 96, (40, 40, 220))],
    [(20, 30, 40, 90, (220, 200, 30)), (150, 30, 160, 90, (90, 90, 90))],
    [(50, 40, 110, 120, (30, 200, 200))],
    [(40, 50, 100, 120, (200, 30, 200))],
]


def _scene(i: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A textured background with flat-coloured upright 'people' (RGB, masks)."""
    rng = np.random.default_rng(i)
    image = (rng.integers(0, 60, (H, W, 3)) + 90).astype(np.uint8)
    masks = []
    for x0, y0, x1, y1, colour in PEOPLE[i]:
        mask = np.zeros((H, W), bool)
        cv2.ellipse(mask.view(np.uint8), ((x0 + x1) // 2, (y0 + y1) // 2), ((x1 - x0) // 2, (y1 - y0) // 2),
                    0, 0, 360, 1, -1)
        if y1 >= H:  # cut by the bottom: a box down to the edge
            mask[(y0 + y1) // 2:, x0:x1] = True
        image[mask] = colour
        masks.append(mask)
    return image, masks


@pytest.fixture(scope="module")
def people_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("people") / "ds"
    (root / "images").mkdir(parents=True)
    records = []
    for i in range(len(PEOPLE)):
        image, masks = _scene(i)
        name = f"{i:03d}.png"
        cv2.imwrite(str(root / "images" / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        anns = [annotation_from_mask(m, "person", attributes={"index": k + 1, "name": f"person_{k}"})
                for k, m in enumerate(masks)]  # as renders name their objects
        records.append(ImageRecord(name, W, H, anns, {}))
    write_dataset(Dataset(images=records, categories=["person"], images_dir=root / "images"), root, preview=False)
    return root


def _spec(**kw) -> CopyPasteSpec:
    base = dict(p=1.0, objects=(1, 1), scale=(1.0, 1.0), offset=(0.6, 0.6), front=1.0, min_height=24, feather=0.7)
    return CopyPasteSpec(**{**base, **kw})


def _donors(people_dir: Path):
    ds = load_dataset(people_dir)
    return ds, find_donors(ds, [ds.image_path(r) for r in ds.images], 24)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_donors_are_objects_seen_whole_or_cut_only_by_the_bottom(people_dir: Path):
    ds, donors = _donors(people_dir)
    got = {(d.index, ds.images[d.index].annotations.index(d.annotation)): d.bottom_cut for d in donors}
    # image 1's second person is 31 px high but 13 wide (kept); image 3's second is cut by the right side
    assert got == {(0, 0): False, (1, 0): False, (1, 1): False, (2, 0): False, (3, 0): False,
                   (4, 0): True, (5, 0): True}
    hidden = ds.images[0].annotations[0]
    hidden.attributes["visible_fraction"] = 0.5  # a render says it is mostly occluded: not a donor
    assert (0, 0) not in {(d.index, 0) for d in find_donors(ds, [ds.image_path(r) for r in ds.images], 24)}
    tall = find_donors(ds, [ds.image_path(r) for r in ds.images], 60)  # 61-91 px high (image 0 now hidden)
    assert [d.index for d in tall] == [1, 3, 4, 5]


@pytest.mark.parametrize("seed", range(6))
def test_pasted_in_front_takes_its_pixels_from_the_masks_under_it(people_dir: Path, seed: int):
    ds, donors = _donors(people_dir)
    image, masks = _scene(2)
    out, new_masks, pasted = paste_beside(image, masks, donors, 2, np.random.default_rng(seed), _spec(), 16)
    assert len(pasted) == 1 and len(new_masks) == 2
    donor, params = pasted[0]
    assert donor.index != 2 and not donor.bottom_cut  # a whole anchor gets a whole donor, never its own image's
    anchor, mine = new_masks
    assert not (anchor & mine).any() and ((anchor | mine) == (masks[0] | mine)).all()
    # it stands beside the anchor at the anchor's height (scale 1), on its ground line
    ax0, ay0, ax1, ay1 = _box(masks[0])
    x0, y0, x1, y1 = _box(mine)
    assert abs((y1 - y0) - (ay1 - ay0)) <= 2 and abs(y1 - ay1) <= 0.04 * (ay1 - ay0) + 1
    gap = abs((x0 + x1) / 2 - (ax0 + ax1) / 2) / (((ax1 - ax0) + (x1 - x0)) / 2)
    assert abs(gap - 0.6) < 0.1
    # its inside is the donor's colour; away from it the image is untouched
    colour = PEOPLE[donor.index][ds.images[donor.index].annotations.index(donor.annotation)][4]
    inner = cv2.erode(mine.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert inner.any() and (np.abs(out[inner].astype(int) - colour) <= 1).all()
    far = ~cv2.dilate(mine.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    assert (out[far] == image[far]).all()


@pytest.mark.parametrize("seed", range(4))
def test_pasted_behind_keeps_only_what_nobody_covers(people_dir: Path, seed: int):
    _, donors = _donors(people_dir)
    image, masks = _scene(2)
    out, new_masks, pasted = paste_beside(image, masks, donors, 2, np.random.default_rng(seed),
                                          _spec(front=0.0, offset=(0.3, 0.3)), 16)
    assert len(pasted) == 1 and not pasted[0][1]["front"]
    anchor, mine = new_masks
    assert (anchor == masks[0]).all() and not (anchor & mine).any() and mine.sum() >= 16
    assert (out[anchor] == image[anchor]).all()  # the person in front is not touched, not even by the edge


def test_a_cut_off_anchor_gets_a_cut_off_donor_reaching_the_bottom_edge(people_dir: Path):
    _, donors = _donors(people_dir)
    image, masks = _scene(4)
    for seed in range(5):
        _, new_masks, pasted = paste_beside(image, masks, donors, 4, np.random.default_rng(seed), _spec(), 16)
        assert [d.index for d, _ in pasted] == [5]  # the only other bottom-cut donor
        assert new_masks[-1][-1].any()  # down to the last row


def test_nothing_to_stand_beside_or_no_donor_of_its_kind_pastes_nothing(people_dir: Path):
    _, donors = _donors(people_dir)
    image, _ = _scene(0)
    out, masks, pasted = paste_beside(image, [], donors, 0, np.random.default_rng(0), _spec(), 16)
    assert pasted == [] and masks == [] and (out == image).all()
    whole = [d for d in donors if not d.bottom_cut]
    image, masks = _scene(4)
    out, new_masks, pasted = paste_beside(image, masks, whole, 4, np.random.default_rng(0), _spec(), 16)
    assert pasted == [] and len(new_masks) == 1 and (out == image).all()


def _preset(tmp_path: Path, p: float = 1.0) -> Path:
    path = tmp_path / "paste.toml"
    path.write_text(f'name = "paste"\n[copy_paste]\np = {p}\nobjects = [1, 2]\n'
                    '[transforms.hflip]\np = 0.5\n[transforms.brightness]\np = 0.5\n')
    return path


def test_augment_labels_of_pasted_variants_are_exact_and_reproducible(people_dir: Path, tmp_path: Path):
    preset = _preset(tmp_path)
    opts = dict(factor=3, seed=2, progress=False, preview=False, image_format="png")
    augment_dataset(people_dir, tmp_path / "a", AugmentOptions(preset=preset, workers=1, **opts))
    augment_dataset(people_dir, tmp_path / "b", AugmentOptions(preset=preset, workers=2, **opts))
    coco = (tmp_path / "a" / "annotations" / "coco.json").read_bytes()
    assert coco == (tmp_path / "b" / "annotations" / "coco.json").read_bytes()
    src = load_dataset(people_dir)
    _, donors = _donors(people_dir)
    pipeline = build_pipeline(preset)
    spec = pipeline.preset.copy_paste
    result = load_dataset(tmp_path / "a")
    pasted_variants = 0
    for rec in result.images:
        meta = rec.attributes.get("augment")
        if meta is None:
            continue
        index = [r.file_name for r in src.images].index(meta["source"])
        source = src.images[index]
        rgb = cv2.cvtColor(cv2.imread(str(people_dir / "images" / source.file_name)), cv2.COLOR_BGR2RGB)
        masks = [a.to_mask(H, W) for a in source.annotations]
        rng = np.random.default_rng([meta["seed"], runner.PASTE_STREAM])
        assert rng.random() < spec.p
        pasted_rgb, masks, pasted = paste_beside(rgb, masks, donors, index, rng, spec, 16)
        assert [p for _, p in pasted] == meta.get("copy_paste", [])
        pasted_variants += bool(pasted)
        expected_image, expected = pipeline(pasted_rgb, masks, seed=meta["seed"])
        kept = [(m, k) for k, m in enumerate(expected) if m.sum() >= 16]
        assert len(rec.annotations) == len(kept)
        for ann, (mask, k) in zip(rec.annotations, kept):
            assert (ann.to_mask(H, W) == mask).all()  # RLE/polygon of the moved mask, exact
            assert ("pasted_from" in ann.attributes) == (k >= len(source.annotations))
            if "pasted_from" in ann.attributes:  # its mask index and name belonged to its own frame
                assert not {"index", "name"} & set(ann.attributes)
        written = cv2.cvtColor(cv2.imread(str(tmp_path / "a" / "images" / rec.file_name)), cv2.COLOR_BGR2RGB)
        assert (written == expected_image).all()
    assert pasted_variants >= 8  # of 12 variants
    run = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run["preset"]["copy_paste"]["p"] == 1.0


def test_presets_without_copy_paste_keep_their_recorded_form(tmp_path: Path):
    assert "copy_paste" not in load_preset("ground").to_dict()  # resume keys and cached runs stay valid
    assert preset_from_dict({"name": "x", "copy_paste": {"p": 0.0}}).copy_paste is None
    spec = preset_from_dict({"name": "x", "copy_paste": {"p": 0.3}}).copy_paste
    assert spec is not None and spec.objects == (1, 2) and spec.min_height == 24
    assert spec.offset == (1.0, 1.3)  # beside, not over: E29's measured setting (docs/sim2real.md)


@pytest.mark.parametrize("text, fragment", [
    ("[copy_paste]\nobjects = [1, 2]\n", "copy_paste.p: missing"),
    ("[copy_paste]\np = 0.5\noffset = [1.0, 0.5]\n", "copy_paste.offset: min 1.0 > max 0.5"),
    ("[copy_paste]\np = 0.5\nbeside = 1\n", "copy_paste.beside: unknown key"),
])
def test_bad_copy_paste_tables_are_one_line_naming_the_file(tmp_path: Path, text: str, fragment: str):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n' + text)
    with pytest.raises(UserError) as err:
        load_preset(path)
    assert str(err.value).startswith(str(path)) and fragment in str(err.value) and "\n" not in str(err.value)


def test_online_augmentation_refuses_a_copy_paste_preset_in_one_line(tmp_path: Path):
    path = _preset(tmp_path)
    with pytest.raises(UserError, match=r"paste.toml: \[copy_paste\] .* run `trainer augment`"):
        PresetAugment(str(path))


def test_no_paste_lands_mostly_outside_the_frame(people_dir: Path):
    """Pushed towards the sides, an object is pasted only while at least half of it is inside (no slivers)."""
    from trainer.augment.copy_paste import MIN_INSIDE
    from trainer.composite.cutout import cut_out
    from trainer.composite.paste import warp_foreground

    _, donors = _donors(people_dir)
    image, masks = _scene(0)
    sizes, pasted_any, refused_any = [], False, False
    for step in range(20):
        offset = 0.5 + 0.25 * step
        for seed in range(3):
            _, new_masks, pasted = paste_beside(image, masks, donors, 0, np.random.default_rng(seed),
                                                _spec(offset=(offset, offset)), 16)
            if not pasted:
                refused_any = True
                continue
            pasted_any = True
            donor, params = pasted[0]
            rgb = cv2.cvtColor(cv2.imread(str(donor.path)), cv2.COLOR_BGR2RGB)
            fg = cut_out(rgb, donor.annotation.to_mask(donor.height, donor.width), "person", "")
            whole = warp_foreground(fg, params["scale"], 0.0, params["flip"]).mask.sum()
            sizes.append(new_masks[-1].sum() / whole)
    assert pasted_any and refused_any and min(sizes) >= MIN_INSIDE
