"""The augmentation pipeline moves masks exactly: checked against warps we compute ourselves with OpenCV."""

from __future__ import annotations

import os
import pickle

import cv2
import numpy as np
import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
pytest.importorskip("albumentations", reason="augmentation needs albumentations==2.0.8 (pip install -e '.[augment]')")

from trainer.augment.masks import instance_crops, pack_masks, unpack_masks  # noqa: E402
from trainer.augment.pipeline import build_pipeline, transform_names  # noqa: E402
from trainer.augment.preset import GEOMETRIC, TRANSFORMS, available_presets, preset_from_dict  # noqa: E402

H, W = 120, 160


def _scene(n: int = 11, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """A textured RGB image and n overlapping instance masks (ellipses, a ring, a thin line)."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (0, 0), 2)
    masks = []
    for k in range(n):
        m = np.zeros((H, W), np.uint8)
        centre = (int(rng.integers(10, W - 10)), int(rng.integers(10, H - 10)))
        if k == 0:
            cv2.circle(m, centre, 25, 1, -1)
            cv2.circle(m, centre, 10, 0, -1)  # a hole
        elif k == 1:
            cv2.line(m, (5, 5), (W - 5, H - 20), 1, 1)
        else:
            axes = (int(rng.integers(6, 40)), int(rng.integers(6, 30)))
            cv2.ellipse(m, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        masks.append(m.astype(bool))
    assert sum(m.astype(int) for m in masks).max() > 1, "scene must contain overlaps"
    return image, masks


def _only(name: str, **params) -> object:
    return build_pipeline(preset_from_dict({"transforms": {name: {"p": 1.0, **params}}}))


def _expected(name: str, transform, mask: np.ndarray) -> np.ndarray:
    """The mask moved by our own OpenCV/NumPy call, from the parameters the transform sampled."""
    p = transform.params
    m = mask.astype(np.uint8)
    nearest = {"flags": cv2.INTER_NEAREST, "borderMode": cv2.BORDER_CONSTANT, "borderValue": 0}
    if name == "hflip":
        out = m[:, ::-1]
    elif name == "vflip":
        out = m[::-1, :]
    elif name in ("crop", "person_crop"):
        x1, y1, x2, y2 = p["crop_coords"]
        out = cv2.resize(m[y1:y2, x1:x2], (W, H), interpolation=cv2.INTER_NEAREST)
    elif name in ("zoom", "rotate"):
        out = cv2.warpAffine(m, np.asarray(p["matrix"])[:2], (W, H), **nearest)
    elif name == "perspective":
        scale = np.diag([W / p["max_width"], H / p["max_height"], 1.0])
        out = cv2.warpPerspective(m, scale @ np.asarray(p["matrix"]), (W, H), **nearest)
    else:
        raise AssertionError(name)
    return out.astype(bool)


@pytest.mark.parametrize("name", GEOMETRIC)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_geometric_transform_moves_each_mask_like_an_independent_nearest_warp(name: str, seed: int):
    image, masks = _scene()
    pipeline = _only(name, **({"degrees": [-25.0, 25.0]} if name == "rotate" else {}))
    out_image, out_masks = pipeline(image, masks, seed=seed)
    (_, transform), = pipeline._compose(H, W)[1]
    assert transform.params, f"{name} was not applied"
    assert out_image.shape == image.shape and out_masks.shape == (len(masks), H, W)
    moved = 0
    for k, mask in enumerate(masks):
        expected = _expected(name, transform, mask)
        assert np.array_equal(out_masks[k], expected), f"{name} seed {seed}: instance {k} differs"
        moved += int(not np.array_equal(expected, mask))
    assert moved > 0, "the transform changed nothing; the test would prove nothing"


def _person(top: int, height: int, left: int = 70, width: int = 16) -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[top:top + height, left:left + width] = True
    return m


@pytest.mark.parametrize("fill", [0.5, 0.8, 1.6])
def test_person_crop_makes_its_subject_fill_the_asked_share_of_the_height(fill: float):
    image, _ = _scene()
    tall, small = _person(30, 48), _person(10, 6, left=20, width=4)  # 0.4 and 0.05 of the frame high
    pipeline = _only("person_crop", fill=[fill, fill], min_height=0.1, max_zoom=5.0)
    for seed in range(4):
        out_image, (out_tall, out_small) = pipeline(image, [tall, small], seed=seed)
        ys = np.flatnonzero(out_tall.any(1))
        if fill <= 1:  # whole, at the asked height (one source pixel per 1/zoom output rows)
            assert abs((ys[-1] + 1 - ys[0]) / H - fill) <= 0.05, (seed, ys[0], ys[-1])
            assert ys[0] > 0 and ys[-1] < H - 1
        else:  # cut off below, its top (the head) in frame near the top edge
            assert ys[-1] == H - 1 and 0 < ys[0] <= 0.1 * H, (seed, ys[0])
        xs = np.flatnonzero(out_tall.any(0))
        assert 0 < xs[0] and xs[-1] < W - 1  # a narrow subject stays whole across
        assert not np.array_equal(out_image, image)


def test_person_crop_leaves_a_frame_without_a_large_enough_subject_alone():
    image, _ = _scene()
    small = _person(10, 6, left=20, width=4)
    pipeline = _only("person_crop", min_height=0.1)
    out_image, (out_small,) = pipeline(image, [small], seed=0)
    assert np.array_equal(out_image, image) and np.array_equal(out_small, small)
    # and the run record does not list it as applied to this frame (it does once it crops)
    *_, applied = pipeline.apply_packed(image, pack_masks([small], H, W), 0)
    assert "person_crop" not in applied
    *_, applied = pipeline.apply_packed(image, pack_masks([small, _person(30, 48)], H, W), 0)
    assert applied == ["person_crop"]


def test_overlapping_instances_keep_their_own_pixels_through_a_full_preset():
    """Bit planes vs. each mask transformed alone (same seed): identical, overlaps included, > 8 instances."""
    image, masks = _scene(n=19)
    pipeline = build_pipeline("drone")
    for seed in range(5):
        _, together = pipeline(image, masks, seed=seed)
        for k, mask in enumerate(masks):
            _, alone = pipeline(image, [mask], seed=seed)
            assert np.array_equal(together[k], alone[0]), (seed, k)


def test_colour_weather_and_camera_transforms_leave_masks_untouched():
    image, masks = _scene()
    photometric = {n: {"p": 1.0} for n in TRANSFORMS if n not in GEOMETRIC}
    pipeline = build_pipeline(preset_from_dict({"transforms": photometric}))
    out_image, out_masks = pipeline(image, masks, seed=4)
    assert np.array_equal(out_masks, np.stack(masks))
    assert not np.array_equal(out_image, image)
    assert out_image.dtype == np.uint8 and out_image.shape == image.shape


@pytest.mark.parametrize("preset", available_presets())
def test_same_seed_same_result_other_seed_other_result(preset: str):
    image, masks = _scene()
    pipeline = build_pipeline(preset)
    a_img, a_masks = pipeline(image, masks, seed=11)
    b_img, b_masks = build_pipeline(preset)(image, masks, seed=11)  # a fresh pipeline, too
    assert np.array_equal(a_img, b_img) and np.array_equal(a_masks, b_masks)
    differs = [not np.array_equal(pipeline(image, masks, seed=s)[0], a_img) for s in range(12, 16)]
    assert any(differs)


def test_pipeline_pickles_for_worker_processes_and_unseeded_calls_differ():
    image, masks = _scene()
    pipeline = build_pipeline("ground")
    pipeline(image, masks, seed=1)  # builds the albumentations objects, which are not sent along
    clone = pickle.loads(pickle.dumps(pipeline))
    assert np.array_equal(clone(image, masks, seed=8)[0], pipeline(image, masks, seed=8)[0])
    unseeded = [pipeline(image, masks)[0] for _ in range(4)]
    assert any(not np.array_equal(unseeded[0], other) for other in unseeded[1:])


def test_pack_unpack_round_trip():
    _, masks = _scene(n=17)
    packed = pack_masks(masks, H, W)
    assert packed.shape == (H, W, 3) and packed.dtype == np.uint8
    assert np.array_equal(unpack_masks(packed, 17), np.stack(masks))
    empty = pack_masks([], H, W)
    assert unpack_masks(empty, 0).shape == (0, H, W)


def test_instance_crops_are_the_tight_boxes_of_the_full_masks():
    _, masks = _scene(n=17)
    masks.append(np.zeros((H, W), bool))  # an instance cut away entirely
    crops = instance_crops(pack_masks(masks, H, W), len(masks))
    assert crops[-1] is None
    for mask, found in zip(masks[:-1], crops[:-1]):
        crop, (x0, y0) = found
        ys, xs = np.nonzero(mask)
        assert (x0, y0) == (xs.min(), ys.min()) and crop.shape == (ys.ptp() + 1, xs.ptp() + 1)
        assert np.array_equal(mask[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]], crop)
        assert crop.sum() == mask.sum()


def test_every_preset_transform_has_a_builder():
    assert transform_names() == set(TRANSFORMS)
