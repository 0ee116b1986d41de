"""Augmentation presets: shipped files load, and every mistake is one line naming the file and the dotted key.

No albumentations needed: presets are plain data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.augment.preset import GEOMETRIC, SCHEMA, TRANSFORMS, available_presets, load_preset
from trainer.errors import UserError


def test_shipped_presets_load_and_are_distinct():
    names = available_presets()
    assert {"default", "drone", "ground", "seed_paper"} <= set(names)
    loaded = {n: load_preset(n) for n in names}
    for preset in loaded.values():
        assert preset.transforms, preset.name
        order = [t.name for t in preset.transforms]
        assert order == [n for n in TRANSFORMS if n in order]  # application order is the fixed one
        assert len(preset.sha256) == 64
    # The seed paper's list, and nothing more.
    assert {t.name for t in loaded["seed_paper"].transforms} == {
        "crop", "zoom", "hflip", "brightness", "contrast", "gaussian_blur"}
    # Aerial views may flip vertically; ground views must not (gravity points down).
    assert "vflip" in {t.name for t in loaded["drone"].transforms}
    assert "vflip" not in {t.name for t in loaded["ground"].transforms}
    assert set(GEOMETRIC) <= set(TRANSFORMS)


def test_defaults_fill_missing_parameters(tmp_path: Path):
    path = tmp_path / "mini.toml"
    path.write_text('[transforms.crop]\np = 1.0\n[transforms.hflip]\np = 0.0\n')
    preset = load_preset(path)
    assert preset.name == "mini"
    assert [t.name for t in preset.transforms] == ["crop"]  # p = 0 means off
    assert preset.transforms[0].params == {"scale": (0.5, 1.0), "ratio": (0.75, 1.3333)}
    assert (preset.min_area, preset.empty, preset.max_redraws) == (16, "redraw", 5)


@pytest.mark.parametrize("text, fragment", [
    ('[transforms.blurr]\np = 0.5\n', "transforms.blurr: unknown transform (known: person_crop, crop, zoom"),
    ('[transforms.crop]\nscale = [0.5, 1.0]\n', "transforms.crop.p: missing (p = probability in [0, 1])"),
    ('[transforms.crop]\np = 1.5\n', "transforms.crop.p: 1.5 is above the maximum 1"),
    ('[transforms.crop]\np = 0.5\nscale = [1.0, 0.5]\n', "transforms.crop.scale: min 1.0 > max 0.5"),
    ('[transforms.crop]\np = 0.5\nscale = [0.5, 1.5]\n', "transforms.crop.scale: 1.5 is above the maximum 1"),
    ('[transforms.crop]\np = 0.5\nscale = 0.5\n', "transforms.crop.scale: expected [min, max] numbers"),
    ('[transforms.crop]\np = 0.5\nsize = [1, 2]\n', "transforms.crop.size: unknown key"),
    ('[transforms.motion_blur]\np = 0.5\nkernel = [3, 8]\n', "transforms.motion_blur.kernel: expected odd kernel sizes"),
    ('[transforms.jpeg]\np = 0.5\nquality = [50.5, 90]\n', "transforms.jpeg.quality: expected [min, max] integers"),
    ('[transforms.rain]\np = 0.5\ntype = "monsoon"\n', "transforms.rain.type: 'monsoon' is not one of drizzle"),
    ('[transforms.sun_glare]\np = 0.5\nregion = [0.5, 0, 0.2, 1]\n', "transforms.sun_glare.region: expected 0 <= x0"),
    ('[transforms.hflip]\np = true\n', "transforms.hflip.p: expected a number"),
    ('transforms = 3\n', "transforms: expected a table [transforms]"),
    ('[options]\nempty = "skip"\n', "options.empty: 'skip' is not one of keep, redraw"),
    ('[options]\nmin_area = 0\n', "options.min_area: 0 is below the minimum 1"),
    ('colour = 1\n', "colour: unknown top-level key (allowed: name, description, options, copy_paste, transforms)"),
    ('[transforms.crop\np = 1\n', "invalid TOML"),
])
def test_bad_presets_give_one_line_naming_the_file(tmp_path: Path, text: str, fragment: str):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_preset(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_unknown_preset_name_lists_the_shipped_ones():
    with pytest.raises(UserError, match="unknown augment preset 'nope'.*default"):
        load_preset("nope")


def test_missing_albumentations_is_one_line_with_the_install_command(monkeypatch):
    import sys

    from trainer.augment import pipeline

    monkeypatch.setitem(sys.modules, "albumentations", None)  # makes `import albumentations` fail
    with pytest.raises(UserError, match=r"pip install 'albumentations==2\.0\.8'"):
        pipeline.build_pipeline("default")


def test_scene_and_augment_presets_are_two_schemas_of_one_validator(tmp_path: Path):
    """The same kind of mistake reads the same in both files: trainer.schema checks both."""
    from blender_addon import preset as scene
    from trainer import schema

    assert isinstance(scene.SCENE, schema.Table) and isinstance(SCHEMA, schema.Table)
    pairs = [("[camera]\nroll = [5.0, -5.0]\n", "camera.roll: min 5.0 > max -5.0",
              "[transforms.rotate]\np = 1\ndegrees = [5.0, -5.0]\n", "transforms.rotate.degrees: min 5.0 > max -5.0"),
             ("[render]\nsamples = 0\n", "render.samples: 0 is below the minimum 1",
              "[options]\nmax_redraws = -1\n", "options.max_redraws: -1 is below the minimum 0"),
             ("[render]\nsampels = 4\n", "render.sampels: unknown key",
              "[transforms.crop]\np = 1\nsclae = [0.5, 1]\n", "transforms.crop.sclae: unknown key")]
    for scene_text, scene_msg, aug_text, aug_msg in pairs:
        (tmp_path / "s.toml").write_text(scene_text)
        (tmp_path / "a.toml").write_text(aug_text)
        with pytest.raises(UserError) as a:
            scene.load_preset(tmp_path / "s.toml")
        with pytest.raises(UserError) as b:
            load_preset(tmp_path / "a.toml")
        assert str(a.value) == f"{tmp_path / 's.toml'}: {scene_msg}"
        assert str(b.value) == f"{tmp_path / 'a.toml'}: {aug_msg}"
