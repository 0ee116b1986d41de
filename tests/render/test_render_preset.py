"""Scene presets: every shipped preset loads; each validation error is one precise line; save/load
round-trips. Pure Python (no bpy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_support import ROOT

from blender_addon.preset import PresetError, defaults, dumps_preset, load_preset, preset_from_dict, save_preset
from trainer.errors import UserError

SCENES = ROOT / "scenes"
REQUIRED = {"default", "rubble_day", "rain", "snow", "drone", "night"}


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error_of(path: Path) -> str:
    with pytest.raises(PresetError) as exc:
        load_preset(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ": ")
    return msg[len(str(path)) + 2:]


def test_shipped_presets_load_and_differ():
    names = {p.stem for p in SCENES.glob("*.toml")}
    assert REQUIRED <= names
    loaded = {n: load_preset(SCENES / f"{n}.toml") for n in REQUIRED}
    assert loaded["default"].data == defaults() | {
        "scene": loaded["default"]["scene"], "camera": loaded["default"]["camera"],
        "weather": loaded["default"]["weather"], "light": loaded["default"]["light"],
        "civilians": loaded["default"]["civilians"], "rescuers": loaded["default"]["rescuers"]}
    assert loaded["default"]["rescuers"]["faces"] and loaded["default"]["camera"]["close_subjects"]["civilian"] > 1
    assert loaded["default"]["light"]["hdris"] and loaded["default"]["light"]["backplate_probability"] > 0
    assert loaded["rain"]["weather"]["conditions"] == {"rain": 1.0}
    assert loaded["snow"]["weather"]["conditions"] == {"snow": 1.0}
    assert loaded["drone"]["camera"]["modes"] == {"drone": 1.0}
    assert loaded["night"]["light"]["work_lights"][0] >= 1
    assert loaded["rubble_day"]["debris"]["count"][0] > defaults()["debris"]["count"][1]


def test_partial_preset_takes_defaults(tmp_path):
    p = load_preset(write(tmp_path, "[render]\nsamples = 4\n"))
    expect = defaults()
    expect["render"]["samples"] = 4
    assert p.data == expect


@pytest.mark.parametrize("text, expected", [
    ("[render]\nsampels = 4\n", "render.sampels: unknown key"),
    ("[rendr]\nsamples = 4\n", "rendr: unknown section"),
    ("[render]\nsamples = \"many\"\n", "render.samples: expected an integer"),
    ("[render]\ndenoise = 1\n", "render.denoise: expected true or false"),
    ("[camera]\nfocal_length = [50.0, 24.0]\n", "camera.focal_length: min 50.0 > max 24.0"),
    ("[rescuers]\ncount = [1]\n", "rescuers.count: expected [min, max] integers"),
    ("[render]\nsamples = 0\n", "render.samples: 0 is below the minimum 1"),
    ("[render]\ndevice = \"tpu\"\n", "render.device: 'tpu' is not one of cpu, gpu"),
    ("[weather]\nconditions = { clear = 0.0 }\n", "weather.conditions: probabilities sum to 0"),
    ("[weather]\nconditions = { hail = 1.0 }\n", "weather.conditions.hail: unknown choice"),
    ("[weather]\nconditions = { rain = -1.0, clear = 1.0 }\n", "weather.conditions.rain: probability must be"),
    ("[debris]\nasset_folders = [\"nope\"]\n", "debris.asset_folders: asset folder 'nope' does not exist"),
    ("[output]\ncategories = [\"rescuer\"]\n", "output.categories: 'civilian' objects are generated"),
    ("render = 3\n", "render: expected a table"),
    ("[render\nsamples = 4\n", "invalid TOML"),
])
def test_each_error_kind_is_one_line_naming_file_and_key(tmp_path, text, expected):
    assert error_of(write(tmp_path, text)).startswith(expected)


def test_missing_file_and_is_a_user_error(tmp_path):
    assert error_of(tmp_path / "absent.toml") == "preset file not found"
    assert issubclass(PresetError, UserError)


def test_asset_folder_resolves_against_preset_dir(tmp_path):
    (tmp_path / "assets" / "rubble").mkdir(parents=True)
    p = load_preset(write(tmp_path, "[debris]\nasset_folders = [\"assets/rubble\"]\nasset_probability = 0.5\n"))
    assert p["debris"]["asset_folders"] == ["assets/rubble"]


def test_save_load_round_trip(tmp_path):
    data = defaults()
    data["scene"]["description"] = 'quotes " and \\ backslash\nnewline'
    data["camera"]["modes"] = {"ground": 0.25, "drone": 0.75}
    data["render"]["resolution"] = [320, 240]
    out = save_preset(preset_from_dict(data), tmp_path / "saved.toml")
    assert load_preset(out).data == data
    assert dumps_preset(load_preset(out)) == out.read_text(encoding="utf-8")
    for f in SCENES.glob("*.toml"):  # every shipped preset survives save -> load
        p = load_preset(f)
        assert load_preset(save_preset(p, tmp_path / f.name)).data == p.data


def test_save_refuses_invalid(tmp_path):
    data = defaults()
    data["render"]["samples"] = -1
    with pytest.raises(PresetError):
        save_preset(data, tmp_path / "bad.toml")
    assert not (tmp_path / "bad.toml").exists()


def test_a_job_validates_its_preset_once(tmp_path, monkeypatch):
    """The engine validates the preset where the job is made, once, with the command line's
    overrides (or the panel's edits) already applied; callers need not validate first."""
    import blender_addon.preset as preset_module
    from blender_addon.engine import RenderJob, RenderOptions

    calls = []
    real = preset_module.validate
    monkeypatch.setattr(preset_module, "validate", lambda data, base: calls.append(1) or real(data, base))
    path = write(tmp_path, "[render]\nsamples = 4\n")
    job = RenderJob(RenderOptions(preset=path, out=tmp_path / "o", count=1, resolution=(64, 48), samples=2))
    assert len(calls) == 1 and job.preset["render"]["resolution"] == [64, 48] and job.preset["render"]["samples"] == 2
    calls.clear()
    panel = {**load_preset(path).data, "render": {**defaults()["render"], "samples": 3}}
    calls.clear()
    job = RenderJob(RenderOptions(preset=path, out=tmp_path / "o", count=1, preset_data=panel))
    assert len(calls) == 1 and job.preset["render"]["samples"] == 3
    with pytest.raises(PresetError, match="render.samples"):  # the one validation still names the key
        RenderJob(RenderOptions(preset=path, out=tmp_path / "o", count=1, preset_data={"render": {"samples": 0}}))


def test_quality_fills_the_sampling_keys_a_preset_does_not_set(tmp_path):
    from blender_addon.preset import QUALITY

    shipped = load_preset(SCENES / "default.toml")["render"]
    assert shipped["quality"] == "default"
    assert {k: shipped[k] for k in QUALITY["default"]} == QUALITY["default"]
    draft = load_preset(write(tmp_path, '[render]\nquality = "draft"\n'))["render"]
    assert {k: draft[k] for k in QUALITY["draft"]} == QUALITY["draft"]
    own = load_preset(write(tmp_path, '[render]\nquality = "final"\nsamples = 3\n', "own.toml"))["render"]
    assert own["samples"] == 3  # a key set in the file wins over the quality's value
    assert own["denoise_prefilter"] == QUALITY["final"]["denoise_prefilter"]
    assert error_of(write(tmp_path, '[render]\nquality = "ultra"\n', "bad.toml")) == (
        "render.quality: 'ultra' is not one of draft, default, final")


def test_quality_override_keeps_what_the_file_sets(tmp_path):
    """--quality (RenderOptions.quality) re-reads the preset as written: the file's own sampling
    keys still win, --samples wins over both."""
    from blender_addon.engine import RenderOptions, _effective_preset
    from blender_addon.preset import QUALITY

    path = write(tmp_path, "[render]\nadaptive_threshold = 0.2\n")
    r = _effective_preset(RenderOptions(preset=path, out=tmp_path / "o", count=1, quality="final"))["render"]
    assert r["quality"] == "final" and r["samples"] == QUALITY["final"]["samples"]
    assert r["adaptive_threshold"] == 0.2
    r = _effective_preset(RenderOptions(preset=path, out=tmp_path / "o", count=1, quality="draft", samples=2))["render"]
    assert r["samples"] == 2 and r["denoise_prefilter"] == QUALITY["draft"]["denoise_prefilter"]
    night = _effective_preset(RenderOptions(preset=SCENES / "night.toml", out=tmp_path / "o", count=1,
                                            quality="draft"))["render"]
    assert night["samples"] == 32  # night.toml sets its own samples
