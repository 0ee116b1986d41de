"""The add-on inside real Blender (bpy 5.0.1 as a module), each case in a fresh subprocess:
install from the built zip into a clean user config, enable, disable with nothing left behind;
the generate operator writes the same bytes as the CLI; errors are one-line reports; the
artist's objects are never changed. Skipped (with the reason) when bpy cannot be imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from render_support import ROOT, blender_marks, env

pytestmark = blender_marks()

PRESET = """
[scene]
name = "addon_tiny"
[render]
resolution = [64, 48]
samples = 1
[output]
min_pixels = 0
min_extent = 0
[rescuers]
count = [1, 2]
spread = 3.0
[civilians]
count = [0, 1]
[debris]
count = [2, 4]
spread = 6.0
[weather]
conditions = { clear = 0.5, rain = 0.5 }
rain_streaks = [50, 80]
"""
FRAME_DIRS = ("images", "masks", "scenes")


def run_py(code: str, *, repo_on_path: bool = True, extra_env: dict | None = None, timeout: int = 300) -> str:
    """Run `code` in a fresh Python with bpy; returns stdout; fails the test on a non-zero exit."""
    e = env() if repo_on_path else {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    e.update(extra_env or {})
    code = textwrap.dedent(code)
    if repo_on_path:  # unregister before exit: bpy 4.2 as a module crashes at exit with classes still registered
        code += ("\nimport bpy as _bpy\nif hasattr(_bpy.types, 'RESCUESYNTH_PT_main'):\n"
                 "    from blender_addon.addon import unregister as _unregister\n    _unregister()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                       timeout=timeout, check=False, cwd=ROOT if repo_on_path else "/")
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    return r.stdout


def result(stdout: str) -> dict:
    """The JSON line a script printed last with the prefix RESULT."""
    return json.loads([line for line in stdout.splitlines() if line.startswith("RESULT ")][-1][7:])


def frame_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for d in FRAME_DIRS for p in sorted((out / d).glob("*"))}


@pytest.fixture(scope="module")
def presets(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("presets")
    (d / "tiny.toml").write_text(PRESET)
    (d / "broken.toml").write_text("[render]\nsamples = 'many'\n")
    return d


def _probe_wheel(folder: Path) -> Path:
    """A tiny pure-Python wheel: proves the manifest's wheels are installed into Blender's Python."""
    import base64
    import hashlib
    import zipfile

    files = {"rs_probe/__init__.py": b"VALUE = 42\n",
             "rs_probe-0.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: rs_probe\nVersion: 0.0.1\n",
             "rs_probe-0.0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                               b"Tag: py3-none-any\n"}
    record = "".join(f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()},"
                     f"{len(v)}\n" for k, v in files.items()) + "rs_probe-0.0.1.dist-info/RECORD,,\n"
    files["rs_probe-0.0.1.dist-info/RECORD"] = record.encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rs_probe-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
    return path


def test_extension_installs_enables_and_disables_cleanly(tmp_path):
    from blender_addon import package

    _probe_wheel(tmp_path / "wheels")
    assert package.main(["--out", str(tmp_path / "dist"), "--wheel-dir", str(tmp_path / "wheels"),
                         "--platforms", "linux-x64", "--legacy"]) == 0
    user = tmp_path / "user"
    out = run_py(f"""
        import json, sys, bpy
        ours = lambda: sorted(n for n in sys.modules if n.split(".")[0] in ("blender_addon", "trainer"))
        assert not ours()
        path_before = list(sys.path)
        r = bpy.ops.extensions.package_install_files(filepath={str(tmp_path / "dist" / "rescuesynth-0.1.0.zip")!r},
                                                     repo="user_default", enable_on_install=True)
        mod = "bl_ext.user_default.rescuesynth"
        import rs_probe
        import blender_addon
        s = bpy.context.scene.rescuesynth
        on = dict(result=sorted(r), enabled=mod in bpy.context.preferences.addons, probe=rs_probe.VALUE,
                  code=blender_addon.__file__, panels=[n for n in dir(bpy.types) if n.startswith("RESCUESYNTH_PT")],
                  ops=[n for n in dir(bpy.types) if n.startswith("RESCUESYNTH_OT")], presets=s.presets_dir,
                  preset=s.preset, modules=len(ours()))
        bpy.ops.preferences.addon_disable(module=mod)
        off = dict(enabled=mod in bpy.context.preferences.addons,
                   classes=[n for n in dir(bpy.types) if n.startswith("RESCUESYNTH")],
                   prop=bpy.types.Scene.bl_rna.properties.get("rescuesynth") is not None,
                   # Blender keeps its shared wheel folder (extensions/.local) for every extension: not ours
                   modules=ours(), path=[p for p in sys.path if p not in path_before and "/extensions/.local/" not in p])
        # legacy add-on path: install + enable + disable
        bpy.ops.preferences.addon_install(filepath={str(tmp_path / "dist" / "rescuesynth-0.1.0-legacy.zip")!r})
        bpy.ops.preferences.addon_enable(module="rescuesynth")
        legacy_on = hasattr(bpy.types, "RESCUESYNTH_PT_main") and bpy.context.scene.rescuesynth.preset == "default"
        bpy.ops.preferences.addon_disable(module="rescuesynth")
        legacy_off = [n for n in dir(bpy.types) if n.startswith("RESCUESYNTH")] + ours()
        print("RESULT " + json.dumps(dict(on=on, off=off, legacy_on=legacy_on, legacy_off=legacy_off)))
    """, repo_on_path=False, extra_env={"BLENDER_USER_RESOURCES": str(user)})
    r = result(out)
    on = r["on"]
    ext_dir = user / "extensions" / "user_default" / "rescuesynth"
    assert on["result"] == ["FINISHED"] and on["enabled"] and on["probe"] == 42
    assert on["code"].startswith(str(ext_dir))  # the zip's code, not the repository's
    assert set(on["panels"]) == {"RESCUESYNTH_PT_main", "RESCUESYNTH_PT_preset", "RESCUESYNTH_PT_output",
                                 "RESCUESYNTH_PT_randomizers", "RESCUESYNTH_PT_annotations", "RESCUESYNTH_PT_objects"}
    assert {"RESCUESYNTH_OT_generate", "RESCUESYNTH_OT_randomize", "RESCUESYNTH_OT_preview",
            "RESCUESYNTH_OT_cancel", "RESCUESYNTH_OT_label_set"} <= set(on["ops"])
    assert on["presets"] == str(ext_dir / "scenes") and on["preset"] == "default" and on["modules"] > 5
    assert r["off"] == {"enabled": False, "classes": [], "prop": False, "modules": [], "path": []}
    assert r["legacy_on"] and r["legacy_off"] == []
    assert (user / "scripts" / "addons" / "rescuesynth" / "blender_addon" / "engine.py").is_file()


GENERATE = """
    import json, sys, bpy
    from blender_addon.addon import register
    register()
    artist = bpy.context.scene
    before = {{o.name: [list(r) for r in o.matrix_world] for o in artist.objects}}
    s = artist.rescuesynth
    s.presets_dir = {presets!r}
    s.preset = {preset!r}            # loads the preset's values into the panel
    s.output_dir, s.count, s.seed = {out!r}, {count}, {seed}
    {extra}
    try:
        ret = sorted(bpy.ops.rescuesynth.generate())
        error = None
    except RuntimeError as exc:  # an operator that reports ERROR raises this when called from Python
        ret, error = ["CANCELLED"], str(exc)
    after = {{o.name: [list(r) for r in o.matrix_world] for o in artist.objects}}
    print("RESULT " + json.dumps(dict(ret=ret, error=error, same_artist=before == after, scene=bpy.context.scene.name,
                                      status=s.status, res=[s.resolution_x, s.resolution_y, s.samples])))
"""


def generate(presets: Path, out: Path, *, preset: str = "tiny", count: int = 2, seed: int = 4, extra: str = "") -> dict:
    code = GENERATE.format(presets=str(presets), preset=preset, out=str(out), count=count, seed=seed,
                           extra=textwrap.indent(textwrap.dedent(extra), "    ").strip())
    return result(run_py(code))


def test_generate_operator_equals_the_cli_byte_for_byte(presets, tmp_path):
    panel = generate(presets, tmp_path / "panel")
    assert panel["ret"] == ["FINISHED"] and panel["error"] is None
    assert panel["res"] == [64, 48, 1]  # the preset's values were loaded into the panel
    assert panel["same_artist"] and panel["scene"] == "Scene"  # the default cube, light and camera untouched
    cli = subprocess.run([sys.executable, "-m", "blender_addon.render", "--scene", str(presets / "tiny.toml"),
                          "--out", str(tmp_path / "cli"), "--count", "2", "--seed", "4"],
                         capture_output=True, text=True, env=env(), cwd=ROOT, timeout=300, check=False)
    assert cli.returncode == 0, cli.stderr[-2000:]
    a, b = frame_files(tmp_path / "panel"), frame_files(tmp_path / "cli")
    assert len(a) == 6 and a == b
    for name in ("coco.json", "via_regions.json"):
        assert (tmp_path / "panel" / "annotations" / name).read_bytes() == \
               (tmp_path / "cli" / "annotations" / name).read_bytes(), name
    # via_project.json names its own folder (default_filepath, project name): equal apart from those
    via = [json.loads((tmp_path / d / "annotations" / "via_project.json").read_text()) for d in ("panel", "cli")]
    assert via[0]["_via_img_metadata"] == via[1]["_via_img_metadata"]
    run = json.loads((tmp_path / "panel" / "run.json").read_text())
    assert run["timings"]["rendered"] == 2 and run["seed"] == 4


def test_bad_preset_and_unwritable_folder_are_one_line_errors(presets, tmp_path):
    bad = generate(presets, tmp_path / "x", preset="broken")
    assert bad["ret"] == ["CANCELLED"]
    assert bad["error"].strip() == f"Error: {presets / 'broken.toml'}: render.samples: expected an integer"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    unwritable = generate(presets, blocker / "out")
    assert unwritable["ret"] == ["CANCELLED"]
    msg = unwritable["error"].strip()
    assert len(msg.splitlines()) == 1 and msg.startswith("Error: ") and "output folder is not writable" in msg
    none = generate(presets, tmp_path / "y", extra="s.fmt_coco = s.fmt_via = False")
    assert none["ret"] == ["CANCELLED"] and "at least one annotation format" in none["error"]
    assert not (tmp_path / "y").exists()


def test_errors_return_cancelled_with_one_error_report(presets, tmp_path):
    """The same mistakes seen from inside: execute() returns CANCELLED and reports exactly one ERROR line."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = run_py(f"""
        import json, bpy
        from blender_addon.addon import ops, register
        register()
        s = bpy.context.scene.rescuesynth
        s.presets_dir, s.count = {str(presets)!r}, 1
        methods = {{k: v for k, v in vars(ops.RESCUESYNTH_OT_generate).items() if callable(v) and not k.startswith("__")}}
        def attempt(preset, folder):
            s.preset, s.output_dir = preset, folder
            op = type("StandIn", (), methods)()
            op.reports = []
            op.report = lambda kind, msg: op.reports.append([sorted(kind), msg])
            return dict(ret=sorted(op.execute(bpy.context)), reports=op.reports)
        print("RESULT " + json.dumps(dict(bad=attempt("broken", {str(tmp_path / "a")!r}),
                                          unwritable=attempt("tiny", {str(blocker / "out")!r}))))
    """)
    r = result(out)
    for case in ("bad", "unwritable"):
        assert r[case]["ret"] == ["CANCELLED"], case
        assert len(r[case]["reports"]) == 1 and r[case]["reports"][0][0] == ["ERROR"], case
        assert "\n" not in r[case]["reports"][0][1], case
    assert r["bad"]["reports"][0][1] == f"{presets / 'broken.toml'}: render.samples: expected an integer"
    assert r["unwritable"]["reports"][0][1].startswith(f"{blocker / 'out'}: output folder is not writable")


def test_formats_filters_and_switches_reach_the_dataset(presets, tmp_path):
    r = generate(presets, tmp_path / "v", count=1, extra="""
        s.rand_debris = False
        s.camera_mode = "drone"
        s.save_name = "saved"
        bpy.ops.rescuesynth.preset_save()  # the switches are baked into saved.toml, which is then selected
        assert s.preset == "saved" and s.rand_debris and s.camera_mode == "preset"
        s.fmt_coco = False
    """)
    assert r["ret"] == ["FINISHED"]
    from blender_addon.preset import load_preset

    saved = load_preset(presets / "saved.toml")
    assert saved["debris"]["count"] == [0, 0] and saved["camera"]["modes"] == {"drone": 1.0}
    assert saved["scene"]["name"] == "saved" and saved["render"]["resolution"] == [64, 48]
    ann = sorted(p.name for p in (tmp_path / "v" / "annotations").iterdir())
    assert ann == ["via_project.json", "via_regions.json"]
    desc = json.loads((tmp_path / "v" / "scenes" / "frame_000000.json").read_text())
    assert desc["debris"] == [] and desc["camera"]["mode"] == "drone"
    run = json.loads((tmp_path / "v" / "run.json").read_text())
    assert run["preset"]["debris"]["count"] == [0, 0] and run["options"]["formats"] == ["via"]


def test_modal_steps_cancel_keeps_and_annotates_finished_frames_then_resume(presets, tmp_path):
    """The modal handler driven by hand (background Blender has no event loop): the operator's own
    modal() on a stand-in instance, with a real window timer and fake events."""
    out = run_py(f"""
        import json, bpy
        from types import SimpleNamespace
        from blender_addon.addon import ops, register
        register()
        s = bpy.context.scene.rescuesynth
        s.presets_dir, s.preset = {str(presets)!r}, "tiny"
        s.output_dir, s.count, s.seed = {str(tmp_path / "m")!r}, 5, 4
        methods = {{k: v for k, v in vars(ops.RESCUESYNTH_OT_generate).items() if callable(v) and not k.startswith("__")}}
        def run(events):
            op = type("StandIn", (), methods)()
            op.reports = []
            op.report = lambda kind, msg: op.reports.append([sorted(kind)[0], msg])
            assert op._begin(bpy.context)
            op._timer = bpy.context.window_manager.event_timer_add(10.0, window=bpy.context.window)
            rets, seen = [], []
            for name, value in events:
                ev = SimpleNamespace(type=name, value=value, ctrl=name == "Z", oskey=False,
                                     timer=op._timer if name == "TIMER" else None)
                if name == "CANCEL_BUTTON":
                    bpy.ops.rescuesynth.cancel()
                rets.append(sorted(op.modal(bpy.context, ev))[0])
                seen.append([ops.PROGRESS.done, ops.PROGRESS.total, ops.PROGRESS.running])
                if not ops.PROGRESS.running:
                    break
            return dict(rets=rets, seen=seen, reports=op.reports)
        esc = run([("TIMER", "NOTHING"), ("MOUSEMOVE", "NOTHING"), ("Z", "PRESS"), ("TIMER", "NOTHING"),
                   ("ESC", "PRESS"), ("TIMER", "NOTHING")])
        with open({str(tmp_path / "m" / "annotations" / "coco.json")!r}) as f:
            esc["coco_images"] = len(json.load(f)["images"])  # the cancelled run annotated its frames
        button = run([("TIMER", "NOTHING"), ("CANCEL_BUTTON", "NOTHING")])
        rest = run([("TIMER", "NOTHING")] * 5)
        print("RESULT " + json.dumps(dict(esc=esc, button=button, rest=rest)))
    """)
    r = result(out)
    esc, button, rest = r["esc"], r["button"], r["rest"]
    assert esc["rets"] == ["PASS_THROUGH", "PASS_THROUGH", "RUNNING_MODAL", "PASS_THROUGH", "CANCELLED"]
    assert esc["seen"][0] == [1, 5, True] and esc["seen"][3] == [2, 5, True] and esc["seen"][-1][2] is False
    assert esc["coco_images"] == 2
    assert esc["reports"][0][0] == "WARNING" and "undo is off" in esc["reports"][0][1]
    assert esc["reports"][-1][0] == "WARNING" and esc["reports"][-1][1].startswith("cancelled: 2 new frames")
    assert button["rets"] == ["PASS_THROUGH", "CANCELLED"] and "3 new frames" not in button["reports"][-1][1]
    assert button["reports"][-1][1].startswith("cancelled: 1 new frames (2 already there)")
    assert rest["rets"][-1] == "FINISHED" and rest["seen"][0][1] == 2  # only the 2 missing frames remained
    m = tmp_path / "m"
    assert sorted(p.name for p in (m / "scenes").iterdir()) == [f"frame_{i:06d}.json" for i in range(5)]
    coco = json.loads((m / "annotations" / "coco.json").read_text())
    assert len(coco["images"]) == 5
    cli = subprocess.run([sys.executable, "-m", "blender_addon.render", "--scene", str(presets / "tiny.toml"),
                          "--out", str(tmp_path / "cli"), "--count", "5", "--seed", "4", "--no-annotate"],
                         capture_output=True, text=True, env=env(), cwd=ROOT, timeout=300, check=False)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert frame_files(m) == frame_files(tmp_path / "cli")  # cancelled + resumed == one CLI run


def test_missing_annotation_packages_are_a_panel_message_not_a_traceback(presets, tmp_path):
    out = run_py(f"""
        import json, sys
        class Block:  # as in a stock Blender: no OpenCV, no pycocotools
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("cv2", "pycocotools"):
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, Block())
        import bpy
        from blender_addon.addon import deps, draw_layout, register
        register()
        main = draw_layout.texts(draw_layout.record(bpy.context)[0][2])
        s = bpy.context.scene.rescuesynth
        s.presets_dir, s.preset = {str(presets)!r}, "tiny"
        s.output_dir, s.count = {str(tmp_path / "nodeps")!r}, 1
        ret = sorted(bpy.ops.rescuesynth.generate())
        from blender_addon.addon import ops
        print("RESULT " + json.dumps(dict(missing=deps.missing_modules(), main=main, ret=ret,
                                          message=ops.PROGRESS.message)))
    """)
    r = result(out)
    assert r["missing"] == ["opencv-python-headless", "pycocotools"]
    assert "Annotations unavailable" in r["main"] and "missing: opencv-python-headless, pycocotools" in r["main"]
    assert r["ret"] == ["FINISHED"] and "annotations skipped" in r["message"] and "trainer annotate" in r["message"]
    assert (tmp_path / "nodeps" / "scenes" / "frame_000000.json").is_file()
    assert not (tmp_path / "nodeps" / "annotations").exists()


def test_randomize_preview_and_labelled_scene_objects(presets, tmp_path):
    out = run_py(f"""
        import json, bpy
        import numpy as np
        from blender_addon.addon import register, unregister
        register()
        artist = bpy.context.scene
        cube = bpy.data.objects["Cube"]
        mesh_before = cube.data.name
        s = artist.rescuesynth
        s.presets_dir = {str(presets)!r}
        s.preset = "tiny"
        s.seed = 4
        bpy.context.view_layer.objects.active = cube
        cube.select_set(True)
        wall = cube.copy(); wall.name = "Wall"; wall.location = (3, 0, 0); artist.collection.objects.link(wall)
        hidden = cube.copy(); hidden.name = "Hidden"; hidden.hide_render = True; artist.collection.objects.link(hidden)
        wall.select_set(False); hidden.select_set(False)
        s.label_class = "rescuer"
        bpy.ops.rescuesynth.label_set()
        s.include_scene_objects = True
        bpy.ops.rescuesynth.randomize()
        shown = bpy.context.window.scene.name
        eng = bpy.data.scenes["rescuesynth_render"]
        n1 = (len(eng.objects), len(bpy.data.objects), len(bpy.data.meshes), len(bpy.data.materials))
        s.preview_frame = 1
        bpy.ops.rescuesynth.randomize()   # replaces the sample, nothing piles up
        eng = bpy.data.scenes["rescuesynth_render"]
        n2 = (len(eng.objects), len(bpy.data.objects), len(bpy.data.meshes), len(bpy.data.materials))
        copies = [o.name for o in eng.objects if o.data == cube.data]
        bpy.ops.rescuesynth.back()
        bpy.ops.rescuesynth.preview()
        img = bpy.data.images["RescueSynth Preview"]
        px = np.empty(img.size[0] * img.size[1] * 4, np.float32); img.pixels.foreach_get(px)
        s.output_dir, s.count = {str(tmp_path / "objs")!r}, 1
        gen = sorted(bpy.ops.rescuesynth.generate())
        bpy.ops.rescuesynth.clear()
        print("RESULT " + json.dumps(dict(
            shown=shown, n1=n1, n2=n2, copies=len(copies), label=cube.get("rescuesynth_class"),
            cube_ok=cube.name in artist.objects and cube.data.name == mesh_before and list(cube.location) == [0, 0, 0],
            img=list(img.size), px_range=[float(px.min()), float(px.max())], gen=gen,
            scenes=[x.name for x in bpy.data.scenes], window=bpy.context.window.scene.name)))
        unregister()
    """)
    r = result(out)
    assert r["shown"] == "rescuesynth_render" and r["window"] == "Scene"
    # the second sample replaced the first: data-blocks = artist's + this sample's, nothing piles up
    assert r["n2"][1] - r["n2"][0] == r["n1"][1] - r["n1"][0] == 5  # Cube, Wall, Hidden, Camera, Light
    assert r["copies"] == 2  # labelled Cube + Wall scenery; Hidden (hide_render) is left out and r["label"] == "rescuer" and r["cube_ok"]
    assert r["img"] == [64, 48] and r["px_range"][1] > r["px_range"][0]
    assert r["gen"] == ["FINISHED"] and r["scenes"] == ["Scene"]
    desc = json.loads((tmp_path / "objs" / "scenes" / "frame_000000.json").read_text())
    cube = [o for o in desc["objects"] if o["generator"] == "scene"]
    assert len(cube) == 1 and cube[0]["category"] == "rescuer" and cube[0]["source"] == "Cube"
    assert cube[0]["index"] == max(o["index"] for o in desc["objects"])
    assert cube[0]["unoccluded_px"] >= cube[0]["visible_px"]
    scenery = {e["source"] for e in desc["scenery"]}
    assert scenery == {"Wall"}  # camera and light are skipped, hidden objects too


def test_layout_drawing_walks_the_real_draw_code(tmp_path):
    out = run_py(f"""
        import json, bpy
        from blender_addon.addon import draw_layout, register, unregister
        register()
        panels = draw_layout.record(bpy.context)
        found = {{name: draw_layout.texts(lay) for name, _, lay in panels}}
        unregister()
        draw_layout.main(["--out", {str(tmp_path / "panel.png")!r}])
        print("RESULT " + json.dumps(found))
    """)
    found = result(out)
    assert list(found) == ["Synthetic dataset", "Preset", "Output", "Randomizers", "Annotations", "Your objects"]
    assert {"Generate dataset", "Randomize scene", "Render preview"} <= set(found["Synthetic dataset"])
    assert {"Rescuers", "Civilians", "Debris", "Weather", "Light", "Backgrounds", "Camera"} <= set(found["Randomizers"])
    assert {"COCO", "VIA", "Min pixels"} <= set(found["Annotations"])
    from PIL import Image

    assert Image.open(tmp_path / "panel.png").size[0] > 700


def test_engine_scene_renders_like_the_factory_scene():
    """The engine (CLI and add-on) renders in a scene made by scenes.new(); on every setting that
    can change pixels it must equal the factory-startup scene earlier versions rendered in, so old
    run folders resume with identical frames. Checked on whatever Blender runs the tests."""
    out = run_py("""
        import json, bpy
        from blender_addon.engine import new_render_scene
        bpy.ops.wm.read_factory_settings(use_empty=True)
        factory = bpy.context.scene
        ours = new_render_scene()
        SKIP = {"rna_type", "filepath", "use_stamp_memory", "simplify_subdivision_render",
                "simplify_child_particles_render",  # output path, stamps (switched off), simplify (off)
                "view_transform", "look"}  # set from the preset by builders.settings.apply
        def diff(a, b, path):
            out = []
            for p in a.bl_rna.properties:
                k = p.identifier
                if k in SKIP or p.type in ("POINTER", "COLLECTION"):
                    continue
                va, vb = getattr(a, k), getattr(b, k)
                va, vb = (list(va), list(vb)) if hasattr(va, "__len__") and not isinstance(va, str) else (va, vb)
                if va != vb and k != "white_balance_whitepoint":
                    out.append(f"{path}.{k}: {va!r} != {vb!r}")
            return out
        found = (diff(factory.cycles, ours.cycles, "cycles") + diff(factory.render, ours.render, "render")
                 + diff(factory.view_settings, ours.view_settings, "view_settings")
                 + diff(factory.display_settings, ours.display_settings, "display_settings")
                 + diff(factory.view_layers[0], ours.view_layers[0], "view_layer"))
        print("RESULT " + json.dumps(found))
    """)
    assert result(out) == []
