"""Flying distractors (generators.shapes, Tremblay et al. 2018): every shape is in the camera's
view, above the ground, clear of the people and of the line of sight to the target; shapes and
their textures are a pure function of the seed; and because they draw from their own stream, a
frame's other content is the same with or without them. No bpy needed (the render test is in
test_content_render.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from render_support import ROOT

from blender_addon.assets.files import scan_assets
from blender_addon.generators import people, shapes
from blender_addon.geometry import project, segment_hits_sphere
from blender_addon.preset import load_preset, preset_from_dict
from blender_addon.sampling import sample_scene

SCENES = ROOT / "scenes"


def _preset(count: list[int], modes: dict | None = None):
    data = {"distractors": {"shapes": count, "shape_fill": [0.05, 0.3]},
            "rescuers": {"body_folders": [str(ROOT / "assets" / "rescuers")]},
            "civilians": {"body_folders": [str(ROOT / "assets" / "rescuers")]}}
    if modes:
        data["camera"] = {"modes": modes}
    return preset_from_dict(data, Path("/nonexistent/shapes.toml"))


def _shapes(desc: dict) -> list[dict]:
    return [d for d in desc["distractors"] if d["kind"] == "shape"]


def test_shapes_are_in_view_above_ground_and_clear_of_people_and_the_target():
    preset = _preset([6, 6], {"ground": 1, "close": 1, "drone": 1})
    assets = scan_assets(preset)
    seen = 0
    for i in range(12):
        d = sample_scene(preset, 3, i, assets)
        cam, w, h = d["camera"], d["width"], d["height"]
        boxes = [people.bbox_corners(o) for o in d["objects"]]
        for s in _shapes(d):
            seen += 1
            assert "index" not in s  # scenery, never labelled
            loc = np.asarray(s["location"])
            uv, front = project(cam, loc[None], w, h)
            assert front[0] and 0 <= uv[0, 0] <= w and 0 <= uv[0, 1] <= h, s["name"]
            radius = float(np.linalg.norm(s["dims"])) / 2
            assert loc[2] - radius >= 0.0199
            for c in boxes:
                assert np.linalg.norm(loc - np.clip(loc, c.min(0), c.max(0))) > radius
            assert not segment_hits_sphere(np.asarray(cam["location"]), np.asarray(cam["look_at"]), loc, radius)
            m = shapes.mesh(s)  # the geometry the builder makes spans the drawn dims about the centre
            assert np.allclose((m.verts.max(0) + m.verts.min(0)) / 2, loc, atol=radius)
            assert np.linalg.norm(m.verts - loc, axis=1).max() <= radius * 1.01
    assert seen >= 12 * 6 * 0.7  # crowded close-ups may leave a few out, not most


def test_shapes_and_textures_are_deterministic_per_seed_and_varied():
    preset = _preset([4, 8])
    assets = scan_assets(preset)
    a = [_shapes(sample_scene(preset, 5, i, assets)) for i in range(6)]
    assert a == [_shapes(sample_scene(preset, 5, i, assets)) for i in range(6)]
    assert a != [_shapes(sample_scene(preset, 6, i, assets)) for i in range(6)]
    every = [s for frame in a for s in frame]
    assert len({s["shape"] for s in every}) >= 4 and len({s["texture"]["pattern"] for s in every}) >= 4
    assert len({tuple(s["texture"]["colors"][0]) for s in every}) == len(every)  # every surface its own


def test_a_frame_is_the_same_with_or_without_shapes_but_for_the_shapes():
    base = load_preset(SCENES / "default.toml")
    data = json.loads(json.dumps(base.data))
    data["distractors"]["shapes"] = [3, 3]
    with_shapes = preset_from_dict(data, base.path)
    assets = scan_assets(base)
    for i in range(4):
        a, b = sample_scene(base, 0, i, assets), sample_scene(with_shapes, 0, i, assets)
        assert not _shapes(a) and _shapes(b)
        b["distractors"] = [x for x in b["distractors"] if x["kind"] != "shape"]
        assert a == b
