"""sample_scene is pure, deterministic and keeps its promises (camera frames a rescuer, people
stand on the ground, unique pass indices); shards are contiguous and disjoint; the mask PNG
encoder is exact. No bpy needed."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from render_support import ROOT

from blender_addon.assets.files import scan_assets
from blender_addon.atomic import encode_png16
from blender_addon.engine import shard_indices
from blender_addon.generators import camera as camera_gen
from blender_addon.generators import people
from blender_addon.geometry import inside_frame, project
from blender_addon.preset import load_preset, preset_from_dict
from blender_addon.sampling import frame_seed, sample_scene
from trainer.errors import UserError

SCENES = ROOT / "scenes"


def test_same_seed_same_description_and_json_safe():
    p = load_preset(SCENES / "default.toml")
    a = json.dumps(sample_scene(p, 7, 3), sort_keys=True)
    assert a == json.dumps(sample_scene(p, 7, 3), sort_keys=True)
    assert a == json.dumps(json.loads(a), sort_keys=True)  # plain JSON types only
    assert a != json.dumps(sample_scene(p, 7, 4), sort_keys=True)
    assert a != json.dumps(sample_scene(p, 8, 3), sort_keys=True)
    assert frame_seed(7, 3) == sample_scene(p, 7, 3)["seed"]


def test_sampling_never_walks_a_folder(monkeypatch):
    """Asset folders are scanned once, before sampling; with the lists passed in, sample_scene
    touches no file and gives exactly what it gives when it scans for itself."""
    p = load_preset(SCENES / "default.toml")
    assets = scan_assets(p)
    assert assets.rescuer_bodies  # the shipped bodies
    expected = [sample_scene(p, 2, i) for i in range(3)]

    def no_fs(*args, **kwargs):
        raise AssertionError("sampling touched the file system")

    for name in ("rglob", "iterdir", "stat", "is_file", "is_dir", "read_text", "read_bytes", "open"):
        monkeypatch.setattr(Path, name, no_fs)
    assert [sample_scene(p, 2, i, assets) for i in range(3)] == expected


def test_streams_are_independent():
    """More debris must not reshuffle the people (each generator has its own seed stream)."""
    base = preset_from_dict({"debris": {"count": [5, 5]}})
    more = preset_from_dict({"debris": {"count": [50, 50]}})
    a, b = sample_scene(base, 1, 0), sample_scene(more, 1, 0)
    assert a["objects"] == b["objects"] and len(b["debris"]) == 50


@pytest.mark.parametrize("name", ["default", "drone", "rubble_day", "night"])
def test_camera_frames_target_rescuer_and_people_on_ground(name):
    p = load_preset(SCENES / f"{name}.toml")
    for i in range(15):
        d = sample_scene(p, 0, i)
        w, h = d["width"], d["height"]  # the frame's own size: upright frames swap the preset's sides
        idx = [o["index"] for o in d["objects"]]
        assert idx == list(range(1, len(idx) + 1))
        target = next(o for o in d["objects"] if o["name"] == d["camera"]["target"])
        corners = people.bbox_corners(target)
        if d["camera"]["mode"] == "close":  # a close-up of anyone: the head is in frame, maybe not the feet
            assert target["category"] in ("rescuer", "civilian")
            lo, hi = corners.min(0), corners.max(0)
            mid, half = (lo + hi) / 2, np.minimum((hi - lo) / 2, camera_gen.HEAD_HALF_WIDTH)
            head = np.array([[mid[0] + sx * half[0], mid[1] + sy * half[1], hi[2]] for sx in (-1, 1) for sy in (-1, 1)])
            assert inside_frame(d["camera"], head, w, h)
        else:
            assert target["category"] == "rescuer"
            assert inside_frame(d["camera"], corners, w, h)
        for o in d["objects"]:
            assert abs(people.body_mesh(o).verts[:, 2].min()) < 1e-9


def test_projection_matches_look_at():
    p = load_preset(SCENES / "default.toml")
    d = sample_scene(p, 0, 0)
    uv, front = project(d["camera"], np.array([d["camera"]["look_at"]]), 640, 480)
    assert front.all() and np.allclose(uv[0], [320, 240], atol=0.02)  # quaternion stored to 5 decimals


def test_shards_are_contiguous_disjoint_and_cover():
    for count in (0, 1, 7, 10, 101):
        for n in (1, 2, 3, 8):
            parts = [shard_indices(5, count, (i, n)) for i in range(n)]
            assert [i for part in parts for i in part] == list(range(5, 5 + count))
    with pytest.raises(UserError):
        shard_indices(0, 10, (2, 2))


def test_png16_encoder_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    mask = rng.integers(0, 65536, size=(37, 53)).astype(np.uint16)
    data = encode_png16(mask)
    (tmp_path / "m.png").write_bytes(data)
    back = np.array(Image.open(tmp_path / "m.png"))
    assert back.dtype.kind in "iu" and np.array_equal(back.astype(np.uint16), mask)
    assert data == encode_png16(mask.copy())
    assert zlib.crc32(data) == zlib.crc32(encode_png16(mask))


def test_old_blender_is_refused_with_one_line():
    from blender_addon.engine import version_problem

    assert version_problem((4, 1, 0), "4.1.0") == "Blender 4.1.0 is too old; need 4.2.0 or newer"
    assert "too old" in version_problem((3, 6, 5), "3.6.5")
    assert version_problem((4, 2, 0), "4.2.0") is None
    assert version_problem((5, 0, 1), "5.0.1") is None
    assert version_problem((5, 1, 0), "5.1.0") is None


def test_asset_folders_outside_the_preset_folder_are_found_by_absolute_path(tmp_path):
    """A preset saved elsewhere (a scratch copy, a render box's own folder) may name the shipped
    folders by absolute path: the scan records them absolute, and they resolve from the preset dir."""
    shipped = (SCENES.parent / "assets" / "rescuers").resolve()
    p = preset_from_dict({"rescuers": {"body_folders": [str(shipped)]}}, tmp_path / "mine.toml")
    bodies = scan_assets(p).rescuer_bodies
    assert bodies and all(Path(b["file"]).is_absolute() for b in bodies)
    assert all((p.base_dir / b["file"]).is_file() for b in bodies)
    inside = scan_assets(load_preset(SCENES / "default.toml")).rescuer_bodies
    assert sorted(Path(b["file"]).name for b in bodies) == sorted(Path(b["file"]).name for b in inside)
    assert not any(Path(b["file"]).is_absolute() for b in inside)  # inside: relative, as before
