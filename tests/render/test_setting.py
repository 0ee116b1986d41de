"""Backplate frames and close-ups, on the pure sampler: a backplate frame is set inside its
background (no ruins, few debris, a shadow-catcher ground, never a drone view); a close-up frames
its subject at the requested share of the image height, cut off below when that share is over 1;
built-in HDRIs are validated by name. No bpy here (tests/test_content_render.py renders them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from blender_addon import geometry
from blender_addon.generators import people
from blender_addon.preset import BUILTIN_HDRIS, PresetError, preset_from_dict
from blender_addon.sampling import sample_scene

HERE = Path("/nonexistent/x.toml")


def preset(**sections):
    return preset_from_dict(sections, HERE)


def test_backplate_frames_are_set_inside_their_background():
    p = preset(light={"hdris": ["city", "forest"], "backplate_probability": 1.0, "backplate_debris": [0.0, 0.3],
                      "background_exposure": [-0.5, 0.5]},
               camera={"modes": {"ground": 1, "close": 1, "drone": 5}}, debris={"count": [40, 40]},
               buildings={"count": [3, 3], "heaps": [2, 2]})
    modes = set()
    for i in range(30):
        d = sample_scene(p, 0, i)
        bg = d["light"]["background"]
        assert d["light"]["backplate"] and bg["file"] in ("builtin:city", "builtin:forest")
        assert -0.5 <= bg["exposure"] <= 0.5
        assert d["buildings"] == [] and len(d["debris"]) <= 12
        assert d["ground"]["shadow_catcher"] is True
        modes.add(d["camera"]["mode"])
    assert modes == {"ground", "close"}  # a panorama seen from above would show its distorted pole


def test_site_frames_keep_ruins_and_may_show_a_builtin_sky():
    p = preset(light={"hdris": ["sunset"], "backplate_probability": 0.0, "background_probability": 0.5},
               buildings={"count": [3, 3]})
    frames = [sample_scene(p, 0, i) for i in range(40)]
    assert all(not d["light"]["backplate"] and d["buildings"] for d in frames)
    assert all("shadow_catcher" not in d["ground"] for d in frames)
    skies = [d["light"]["background"] for d in frames if d["light"]["background"]]
    assert 8 < len(skies) < 32 and {s["file"] for s in skies} == {"builtin:sunset"}
    # without any background, the old draws stand: no background, no backplate
    plain = preset(light={"background_folders": []})
    assert all(sample_scene(plain, 0, i)["light"]["background"] is None for i in range(10))


def _target_extent(d: dict) -> tuple[float, float, float]:
    """Projected top and bottom (px, y down) of the camera's target along its box's vertical centre
    line (what close_fill sizes: a box's near corners loom larger from half a metre), and the image
    height."""
    target = next(o for o in d["objects"] if o["name"] == d["camera"]["target"])
    corners = people.bbox_corners(target)
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    mid = (lo + hi) / 2
    column = np.array([[mid[0], mid[1], hi[2]], [mid[0], mid[1], lo[2]]])
    uv, front = geometry.project(d["camera"], column, d["width"], d["height"])
    assert front.all()
    return float(uv[0, 1]), float(uv[1, 1]), float(d["height"])


@pytest.mark.parametrize("fill", [0.6, 1.3])
def test_close_ups_frame_their_subject_at_the_requested_size(fill):
    p = preset(camera={"modes": {"close": 1.0}, "close_fill": [fill, fill]}, civilians={"count": [1, 2]},
               rescuers={"poses": {"standing": 1.0}, "count": [1, 3]})
    for i in range(12):
        d = sample_scene(p, 3, i)
        assert d["camera"]["mode"] == "close"
        top, bottom, h = _target_extent(d)
        span = (bottom - top) / h
        assert span == pytest.approx(fill, rel=0.3), (i, span)
        assert top >= 0  # the head is always in frame
        if fill > 1:
            assert bottom > h  # cut off below: the feet are out of frame
        else:
            assert bottom <= h


@pytest.mark.parametrize("fill", [0.6, 1.3])
def test_upright_frames_swap_the_sides_and_close_ups_still_fill_them(fill):
    p = preset(render={"resolution": [320, 240]}, camera={"modes": {"close": 1.0}, "close_fill": [fill, fill],
                                                         "portrait": 1.0},
               rescuers={"poses": {"standing": 1.0}, "count": [1, 3]})
    for i in range(12):
        d = sample_scene(p, 3, i)
        assert (d["width"], d["height"]) == (240, 320)
        top, bottom, h = _target_extent(d)
        assert (bottom - top) / h == pytest.approx(fill, rel=0.3), i
        assert top >= 0 and (bottom > h if fill > 1 else bottom <= h)


def test_portrait_share_is_seeded_and_leaves_the_other_draws_alone():
    base = preset(render={"resolution": [320, 240]}, camera={"modes": {"ground": 1.0, "close": 1.0}})
    some = preset(render={"resolution": [320, 240]}, camera={"modes": {"ground": 1.0, "close": 1.0},
                                                            "portrait": 0.35})
    sizes = [(sample_scene(some, 0, i)["width"], sample_scene(some, 0, i)["height"]) for i in range(60)]
    assert set(sizes) == {(320, 240), (240, 320)} and 10 <= sizes.count((240, 320)) <= 35
    assert sizes == [(sample_scene(some, 0, i)["width"], sample_scene(some, 0, i)["height"]) for i in range(60)]
    for i, size in enumerate(sizes[:20]):  # landscape frames are drawn exactly as without the key
        a, b = sample_scene(base, 0, i), sample_scene(some, 0, i)
        assert a["objects"] == b["objects"] and a["light"] == b["light"]
        if size == (320, 240):
            assert a == b


def test_builtin_hdris_are_checked_by_name():
    assert preset(light={"hdris": []})["light"]["hdris"] == []
    assert preset(light={"hdris": list(BUILTIN_HDRIS)})["light"]["hdris"] == list(BUILTIN_HDRIS)
    with pytest.raises(PresetError, match=r"light\.hdris: 'beach' is not one of"):
        preset(light={"hdris": ["beach"]})
    with pytest.raises(PresetError, match=r"camera\.modes\.orbit: unknown choice"):
        preset(camera={"modes": {"orbit": 1.0}})


def test_backplate_sampling_is_deterministic_and_seeded():
    p = preset(light={"hdris": list(BUILTIN_HDRIS), "backplate_probability": 0.5})
    a = [sample_scene(p, 1, i)["light"] for i in range(10)]
    b = [sample_scene(p, 1, i)["light"] for i in range(10)]
    c = [sample_scene(p, 2, i)["light"] for i in range(10)]
    assert a == b and a != c
    assert 0 < sum(x["backplate"] for x in a) < 10
    assert len({x["background"]["file"] for x in a if x["background"]}) > 1


def test_close_ups_are_shot_from_the_front_or_side_at_the_subjects_eye_level():
    """Real photos show people's faces from about their eye level: a close-up camera stands in
    front of or beside its subject (bodies face -Y turned by their yaw), rarely behind, and for an
    upright subject within a few decimetres of its eye height."""
    p = preset(camera={"modes": {"close": 1.0}, "close_fill": [0.7, 3.0]},
               rescuers={"poses": {"standing": 1.0}, "count": [1, 3]}, civilians={"count": [0, 0]})
    angles, heights = [], []
    for i in range(60):
        d = sample_scene(p, 5, i)
        target = next(o for o in d["objects"] if o["name"] == d["camera"]["target"])
        yaw = np.radians(target["yaw_deg"])
        face = np.array([np.sin(yaw), -np.cos(yaw)])
        lo, hi = people.bbox_corners(target).min(0), people.bbox_corners(target).max(0)
        to_cam = np.asarray(d["camera"]["location"][:2]) - (lo[:2] + hi[:2]) / 2
        angles.append(np.degrees(np.arccos(face @ to_cam / np.linalg.norm(to_cam))))
        heights.append(d["camera"]["location"][2] - (hi[2] - 0.1 * (hi[2] - lo[2])))
    angles = np.array(angles)
    assert np.mean(angles < 90) > 0.8 and np.mean(angles < 30) > 0.25, np.round(angles)
    assert np.all(np.abs(np.array(heights) - (-0.05)) <= 0.25 + 1e-6), np.round(heights, 2)


def test_close_up_subjects_follow_the_class_weights_and_equal_weights_change_nothing():
    """`camera.close_subjects` weighs who a close-up frames (real photos are mostly of bare-headed
    everyday people; most rescuers wear helmets). Equal weights are the old uniform draw, frame for
    frame; a weight of 0 never frames that class while the other is present."""
    base = {"camera": {"modes": {"close": 1.0}}, "rescuers": {"count": [2, 4]}, "civilians": {"count": [1, 2]}}

    def subjects(weights=None):
        cam = dict(base["camera"], **({"close_subjects": weights} if weights else {}))
        p = preset(**dict(base, camera=cam))
        frames = [sample_scene(p, 7, i) for i in range(40)]
        cats = [next(o["category"] for o in d["objects"] if o["name"] == d["camera"]["target"]) for d in frames]
        return frames, cats

    plain, plain_cats = subjects()
    equal, _ = subjects({"rescuer": 2.0, "civilian": 2.0})
    assert equal == plain
    assert 0.1 < plain_cats.count("civilian") / 40 < 0.6
    _, civ = subjects({"rescuer": 1.0, "civilian": 6.0})
    assert civ.count("civilian") / 40 > 0.7
    _, only = subjects({"rescuer": 0.0, "civilian": 1.0})
    assert set(only) == {"civilian"}
    with pytest.raises(PresetError, match=r"camera\.close_subjects\.dog: unknown choice"):
        preset(camera={"close_subjects": {"dog": 1.0}})
