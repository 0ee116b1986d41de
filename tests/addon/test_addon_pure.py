"""The add-on's pure parts (no bpy): panel -> preset mapping, scene objects, the zip builder,
the 16-bit mask decoder used by the preview overlay."""

from __future__ import annotations

import copy

import json
import tomllib
import zipfile

import numpy as np
import pytest
from render_support import ROOT

from blender_addon import atomic, package
from blender_addon.addon import mapping
from blender_addon.preset import load_preset, preset_from_dict
from blender_addon.sampling import sample_scene
from blender_addon.scene_objects import add_scene_objects, check_categories


def test_all_switches_on_keep_the_preset_exactly():
    p = load_preset(ROOT / "scenes" / "default.toml")
    assert mapping.apply_panel(p.data) == p.data
    r = p["render"]
    same = mapping.apply_panel(p.data, toggles=dict.fromkeys(mapping.TOGGLES, True),
                               render={"resolution": r["resolution"], "samples": r["samples"], "device": r["device"]})
    assert same == p.data


def test_switches_map_to_schema_keys_and_sample_accordingly():
    p = load_preset(ROOT / "scenes" / "default.toml")
    before = copy.deepcopy(p.data)
    data = mapping.apply_panel(p.data, toggles={"rescuers": True, "civilians": False, "debris": False,
                                                "buildings": False, "weather": False, "light": False, "backgrounds": False},
                               camera_mode="drone", filters={"min_pixels": 5, "segmentation": "rle"},
                               render={"resolution": [64, 48], "samples": 1})
    preset = preset_from_dict(data, p.path)  # still a valid preset
    assert data["civilians"]["count"] == [0, 0] and data["debris"]["count"] == [0, 0]
    assert data["buildings"]["count"] == data["buildings"]["far_count"] == data["buildings"]["heaps"] == [0, 0]
    assert data["weather"]["conditions"] == {"clear": 1.0}
    assert data["camera"]["modes"] == {"drone": 1.0}
    assert data["light"]["sun_elevation"][0] == data["light"]["sun_elevation"][1] == 42.5
    assert data["ground"]["materials"] == {"concrete": 1.0}  # first of the two most likely (0.4, 0.4)
    assert data["output"]["min_pixels"] == 5 and data["output"]["segmentation"] == "rle"
    assert p.data == before  # the loaded preset is not modified
    for i in range(3):
        d = sample_scene(preset, 3, i)
        assert d["debris"] == [] and d["buildings"] == [] and all(o["category"] == "rescuer" for o in d["objects"])
        assert d["camera"]["mode"] == "drone" and d["weather"]["condition"] == "clear"
        assert d["light"]["sun"]["elevation"] == 42.5


def test_unknown_panel_keys_are_refused():
    data = load_preset(ROOT / "scenes" / "default.toml").data
    for kwargs in ({"toggles": {"distractors": False}}, {"camera_mode": "satellite"},
                   {"filters": {"min_area": 3}}, {"render": {"fps": 3}}):
        with pytest.raises(ValueError):
            mapping.apply_panel(data, **kwargs)


def test_list_presets(tmp_path):
    (tmp_path / "b.toml").write_text("")
    (tmp_path / "a.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert [p.name for p in mapping.list_presets(tmp_path)] == ["a.toml", "b.toml"]
    (tmp_path / "default.toml").write_text("")
    (tmp_path / "_mine.toml").write_text("")  # sorts before "default": the panel still starts on default
    assert [p.name for p in mapping.list_presets(tmp_path)] == ["default.toml", "_mine.toml", "a.toml", "b.toml"]
    assert mapping.list_presets(tmp_path / "missing") == []


def test_scene_objects_join_after_the_sampled_people():
    preset = load_preset(ROOT / "scenes" / "default.toml")
    desc = sample_scene(preset, 1, 0)
    eye = [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]
    items = [{"source": "Cube", "category": "rescuer", "matrix_world": eye},
             {"source": "Wall", "category": None, "matrix_world": eye}]
    out = add_scene_objects(desc, items)
    n = len(desc["objects"])
    assert out["objects"][:n] == desc["objects"] and len(desc["objects"]) == n  # input untouched
    extra = out["objects"][n]
    assert extra["index"] == n + 1 and extra["category"] == "rescuer" and extra["generator"] == "scene"
    assert out["scenery"] == [{"source": "Wall", "matrix_world": eye}]
    json.dumps(out)  # still pure data
    assert check_categories(items, ["rescuer"]) is None
    assert "not in the preset" in check_categories(items, ["civilian"])


def test_png16_decoder_inverts_the_engine_encoder():
    rng = np.random.default_rng(0)
    m = rng.integers(0, 65535, (7, 13)).astype(np.uint16)
    assert np.array_equal(atomic.decode_png16(atomic.encode_png16(m)), m)
    with pytest.raises(ValueError):
        atomic.decode_png16(b"GIF89a")


def test_package_builds_extension_and_legacy_zips(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "fake-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + bytes(18))
    assert package.main(["--out", str(tmp_path / "a"), "--wheel-dir", str(wheels), "--platforms", "linux-x64",
                         "--legacy"]) == 0
    ext = tmp_path / "a" / "rescuesynth-0.1.0.zip"
    with zipfile.ZipFile(ext) as z:
        names = set(z.namelist())
        man = tomllib.loads(z.read("blender_manifest.toml").decode())
        entry = z.read("__init__.py").decode()
    assert {"__init__.py", "blender_manifest.toml", "blender_addon/engine.py", "blender_addon/addon/ops.py",
            "trainer/__init__.py", "trainer/errors.py", "trainer/annotation/annotate.py", "scenes/default.toml",
            "wheels/fake-1.0-py3-none-any.whl"} <= names
    assert not any("__pycache__" in n or n.startswith(("tests/", "trainer/augment", "trainer/commands")) for n in names)
    assert man["id"] == "rescuesynth" and man["type"] == "add-on" and man["blender_version_min"] == "4.2.0"
    assert man["wheels"] == ["./wheels/fake-1.0-py3-none-any.whl"] and man["platforms"] == ["linux-x64"]
    assert "def register" in entry and "def unregister" in entry and "bl_info" not in entry
    with zipfile.ZipFile(tmp_path / "a" / "rescuesynth-0.1.0-legacy.zip") as z:
        legacy = set(z.namelist())
        assert "bl_info" in z.read("rescuesynth/__init__.py").decode()
    assert all(n.startswith("rescuesynth/") for n in legacy) and "rescuesynth/blender_addon/engine.py" in legacy
    assert not any("wheels/" in n for n in legacy)
    # reproducible: the same sources give the same bytes
    assert package.main(["--out", str(tmp_path / "b"), "--wheel-dir", str(wheels), "--platforms", "linux-x64"]) == 0
    assert (tmp_path / "b" / ext.name).read_bytes() == ext.read_bytes()


def test_package_without_wheels_and_bad_arguments(tmp_path, capsys):
    assert package.main(["--out", str(tmp_path), "--no-wheels"]) == 0
    with zipfile.ZipFile(tmp_path / "rescuesynth-0.1.0.zip") as z:
        man = tomllib.loads(z.read("blender_manifest.toml").decode())
    assert "wheels" not in man and "platforms" not in man
    assert package.main(["--out", str(tmp_path), "--platforms", "amiga-68k"]) == 1
    assert package.main(["--out", str(tmp_path), "--wheel-dir", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error: --platforms: unknown platform 'amiga-68k'") and "no *.whl" in err[1]


def test_panel_quality_choice_fills_what_the_file_leaves_to_the_quality():
    from blender_addon.preset import QUALITY

    assert mapping.quality_render("final", {}) == {"quality": "final", **{
        k: v for k, v in QUALITY["final"].items() if k != "samples"}}
    assert "adaptive_threshold" not in mapping.quality_render("draft", {"adaptive_threshold": 0.3})
    with pytest.raises(ValueError):
        mapping.quality_render("ultra", {})
    p = load_preset(ROOT / "scenes" / "default.toml")
    data = mapping.apply_panel(p.data, render={"samples": 5, **mapping.quality_render("final", p.given["render"])})
    r = preset_from_dict(data, p.path)["render"]
    assert r["quality"] == "final" and r["samples"] == 5 and r["light_tree"] == QUALITY["final"]["light_tree"]
