"""Bad input to the render CLI: one line `error: <file>: <problem>`, exit 1, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

from render_support import ROOT, env, needs_bpy


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "blender_addon.render", *args], check=False, capture_output=True, text=True,
                          env=env(), timeout=300)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 1, (r.returncode, r.stderr[-1500:])
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    return last


def test_missing_preset(tmp_path):
    line = one_line_error(run("--scene", str(tmp_path / "nope.toml"), "--count", "1", "--out", str(tmp_path / "o")))
    assert line == f"error: {tmp_path / 'nope.toml'}: preset file not found"


def test_invalid_preset_names_key(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[camera]\nfocal_length = [80.0, 20.0]\n")
    line = one_line_error(run("--scene", str(p), "--count", "1", "--out", str(tmp_path / "o")))
    assert line == f"error: {p}: camera.focal_length: min 80.0 > max 20.0"


def test_missing_asset_folder(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[debris]\nasset_folders = [\"rubble\"]\nasset_probability = 1.0\n")
    line = one_line_error(run("--scene", str(p), "--count", "1", "--out", str(tmp_path / "o")))
    assert line.startswith(f"error: {p}: debris.asset_folders: asset folder 'rubble' does not exist")


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = one_line_error(run("--scene", str(ROOT / "scenes" / "default.toml"), "--count", "1",
                              "--out", str(blocker / "out")))
    assert line.startswith(f"error: {blocker / 'out'}: output folder is not writable")


def test_bpy_missing_libraries(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "bpy.py").write_text('raise ImportError("libX11.so.6: cannot open shared object file")\n')
    r = subprocess.run([sys.executable, "-m", "blender_addon.render", "--scene", str(ROOT / "scenes" / "default.toml"),
                        "--count", "1", "--out", str(tmp_path / "o")], check=False, capture_output=True, text=True,
                       env={**env(), "PYTHONPATH": f"{fake}:{env()['PYTHONPATH']}"}, timeout=120)
    line = one_line_error(r)
    assert "cannot import bpy" in line and "apt-get install -y libx11-6" in line


BLENDER_P = """
import sys
path = sys.argv[1]
sys.argv = ["blender", "-b", "--python-exit-code", "1", "-P", path, "--", *sys.argv[2:]]
exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__", "__file__": path})
"""


def test_runs_like_blender_dash_p(tmp_path):
    """Blender runs -P scripts in a bare namespace (no __package__, repo not on sys.path) with its
    own arguments before '--'."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[render]\nsamples = 0\n")
    r = subprocess.run([sys.executable, "-c", BLENDER_P, str(ROOT / "blender_addon" / "render.py"), "--scene",
                        str(bad), "--count", "1", "--out", str(tmp_path / "o")], check=False, capture_output=True,
                       text=True, cwd=tmp_path, env={k: v for k, v in env().items() if k != "PYTHONPATH"}, timeout=120)
    assert one_line_error(r) == f"error: {bad}: render.samples: 0 is below the minimum 1"


def test_usage_errors_exit_2(tmp_path):
    r = run("--scene", "x.toml", "--count", "1", "--out", str(tmp_path), "--shard", "3")
    assert r.returncode == 2 and "--shard must look like 0/4" in r.stderr
    r = run("--scene", str(ROOT / "scenes" / "default.toml"), "--count", "4", "--out", str(tmp_path / "o"),
            "--shard", "2/2")
    assert r.returncode == 1 and "need 0 <= i < n" in r.stderr


@needs_bpy
def test_corrupt_asset_file(tmp_path):
    (tmp_path / "rubble").mkdir()
    bad = tmp_path / "rubble" / "broken.blend"
    bad.write_bytes(b"BLENDER-v500 this is not really a blend file" * 10)
    p = tmp_path / "assets.toml"
    p.write_text("[render]\nresolution = [64, 48]\nsamples = 1\n"
                 "[debris]\ncount = [3, 3]\nasset_folders = [\"rubble\"]\nasset_probability = 1.0\n")
    line = one_line_error(run("--scene", str(p), "--count", "1", "--out", str(tmp_path / "o")))
    assert line.startswith(f"error: {bad}: not a readable .blend asset")


MAKE_ASSET = """
import bpy, sys
me = bpy.data.meshes.new("girder")
me.from_pydata([(0, 0, 0), (2, 0, 0), (2, 0.2, 0), (0, 0.2, 0), (0, 0, 0.2), (2, 0, 0.2), (2, 0.2, 0.2), (0, 0.2, 0.2)],
               [], [(0, 1, 2, 3), (4, 7, 6, 5), (0, 4, 5, 1), (1, 5, 6, 2), (2, 6, 7, 3), (3, 7, 4, 0)])
bpy.data.libraries.write(sys.argv[1], {me})
"""


@needs_bpy
def test_blend_asset_debris_renders(tmp_path):
    (tmp_path / "rubble").mkdir()
    asset = tmp_path / "rubble" / "girder.blend"
    r = subprocess.run([sys.executable, "-c", MAKE_ASSET, str(asset)], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and asset.is_file(), r.stderr[-1000:]
    p = tmp_path / "assets.toml"
    p.write_text("[render]\nresolution = [64, 48]\nsamples = 1\n"
                 "[debris]\ncount = [3, 3]\nasset_folders = [\"rubble\"]\nasset_probability = 1.0\n")
    r = run("--scene", str(p), "--count", "1", "--out", str(tmp_path / "o"), "--no-annotate")
    assert r.returncode == 0, r.stderr[-1500:]
    desc = json.loads((tmp_path / "o" / "scenes" / "frame_000000.json").read_text())
    assert [d["asset"] for d in desc["debris"]] == ["rubble/girder.blend"] * 3
