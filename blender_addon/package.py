"""Build the Blender extension zip (and a legacy add-on zip) without a Blender binary.

    python -m blender_addon.package --out dist/                    # one zip per platform, wheels downloaded now
    python -m blender_addon.package --out dist/ --no-wheels        # extension without wheels
    python -m blender_addon.package --out dist/ --wheel-dir W/     # wheels from a folder (offline)
    python -m blender_addon.package --out dist/ --legacy           # also rescuesynth-<v>-legacy.zip

It does what `blender --command extension build` does for this project: a zip with
blender_manifest.toml and an entry __init__.py at its root, the add-on code (blender_addon/),
the parts of `trainer` it needs (trainer/__init__.py, errors.py, runs.py, schema.py, annotation/),
the scene presets (scenes/*.toml) and, the extension way, wheels of the annotation dependencies listed in the
manifest (`wheels = [...]`): Blender installs them into its extension site-packages on install.
Wheels are fetched with `pip download` at build time only, for the platforms asked for
(--platforms), for Blender's Python (3.11). Blender ships numpy itself, so it is not bundled.

The legacy zip (Edit > Preferences > Add-ons > Install from Disk on Blender < 4.2 habits, or
bpy.ops.preferences.addon_install) has one folder `rescuesynth/`; it carries no wheels, so the
annotation packages must be installed into Blender's Python by hand (docs/addon.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTENSION_ID = "rescuesynth"
BLENDER_MIN = "4.2.0"
PYTHON_TAG = "3.11"  # Blender 4.2 - 5.0 embed Python 3.11
# PyPI pins: opencv 4.12+ needs NumPy 2, Blender <= 5.0 ships NumPy 1.26.
WHEEL_REQUIREMENTS = ("opencv-python-headless==4.11.0.86", "pycocotools==2.0.11", "pillow==11.3.0", "tqdm==4.67.1")
# Blender platform name -> pip --platform tags (pip matches these exactly, so list each one)
PLATFORMS = {
    "linux-x64": ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": tuple(f"macosx_{v}_0_arm64" for v in (11, 12, 13, 14)),
    "macos-x64": tuple(f"macosx_{v}_x86_64" for v in ("10_13", "10_15", "11_0", "12_0", "13_0")),
}
DEFAULT_PLATFORMS = ("linux-x64", "windows-x64", "macos-arm64")

ENTRY = '''"""RescueSynth {kind} entry (written by `python -m blender_addon.package`; edit the repository, not this).

The bundled packages (blender_addon, trainer) sit next to this file; register() puts this folder
on sys.path and unregister() takes it off again and forgets the modules loaded from here, so
disabling leaves nothing behind and re-enabling loads fresh code.
"""
{bl_info}
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGES = ("blender_addon", "trainer")


def _ours(module) -> bool:
    return (getattr(module, "__file__", None) or "").startswith(_HERE + os.sep)


def register():
    for name in _PACKAGES:  # another copy already imported (e.g. a dev checkout) would shadow ours
        if name in sys.modules and not _ours(sys.modules[name]):
            print(f"RescueSynth: using {{name}} from {{sys.modules[name].__file__}}, not the bundled copy")
    if _HERE not in sys.path:
        sys.path.insert(0, _HERE)
    from blender_addon.addon import register as _register

    _register()


def unregister():
    from blender_addon.addon import unregister as _unregister

    _unregister()
    for name in [n for n in sys.modules if n.split(".")[0] in _PACKAGES]:
        if _ours(sys.modules[name]):
            del sys.modules[name]
    while _HERE in sys.path:
        sys.path.remove(_HERE)
'''

BL_INFO = '''
bl_info = {
    "name": "RescueSynth",
    "author": "rescuesynth developers",
    "version": (%s),
    "blender": (4, 2, 0),
    "location": "View3D > Sidebar > RescueSynth",
    "description": "Synthetic rescue-scene datasets with exact instance masks (COCO + VIA)",
    "category": "Render",
}
'''


class BuildError(Exception):
    pass


def version() -> str:
    from trainer import __version__

    return __version__


def payload_files() -> list[tuple[Path, str]]:
    """(source file, path inside the add-on folder) for everything but the entry and manifest."""
    out = []
    for base, pattern in (("blender_addon", "**/*.py"), ("trainer/annotation", "**/*.py"), ("scenes", "*.toml")):
        for p in sorted((ROOT / base).glob(pattern)):
            if "__pycache__" not in p.parts:
                out.append((p, p.relative_to(ROOT).as_posix()))
    for name in ("trainer/__init__.py", "trainer/errors.py", "trainer/runs.py", "trainer/schema.py"):
        out.append((ROOT / name, name))
    lic = ROOT / "LICENSE"
    if lic.is_file():
        out.append((lic, "LICENSE"))
    return out


def manifest(ver: str, wheels: list[str], platforms: list[str]) -> str:
    lines = [
        'schema_version = "1.0.0"',
        f'id = "{EXTENSION_ID}"',
        f'version = "{ver}"',
        'name = "RescueSynth"',
        'tagline = "Synthetic rescue-scene datasets with exact masks"',
        'maintainer = "rescuesynth developers"',
        'type = "add-on"',
        'tags = ["Render", "Scene"]',
        f'blender_version_min = "{BLENDER_MIN}"',
        'license = ["SPDX:Apache-2.0"]',
    ]
    if platforms:
        lines.append("platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]")
    if wheels:
        lines.append("wheels = [\n" + "".join(f'  "./wheels/{w}",\n' for w in wheels) + "]")
    lines += ["", "[permissions]", 'files = "Read scene presets and write rendered datasets"', ""]
    return "\n".join(lines)


def download_wheels(dest: Path, plat: str, requirements=WHEEL_REQUIREMENTS) -> list[Path]:
    """pip download (binary wheels only, no dependencies: Blender has numpy) for one platform."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--only-binary=:all:", "--no-deps", "--python-version", PYTHON_TAG, "--dest", str(dest)]
    for tag in PLATFORMS[plat]:
        cmd += ["--platform", tag]
    r = subprocess.run([*cmd, *requirements], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise BuildError(f"pip download for {plat} failed: {last}")
    return sorted(dest.glob("*.whl"))


def _write_zip(path: Path, entries: list[tuple[Path | None, str, bytes | None]]) -> None:
    """Deterministic zip (fixed timestamps, sorted names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for src, name, data in sorted(entries, key=lambda e: e[1]):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            z.writestr(info, data if data is not None else src.read_bytes())
    tmp.replace(path)


def build_extension(out: Path, wheels: list[Path], platforms: list[str], suffix: str = "") -> Path:
    ver = version()
    entries = [(src, name, None) for src, name in payload_files()]
    entries.append((None, "__init__.py", ENTRY.format(kind="extension", bl_info="").encode()))
    entries.append((None, "blender_manifest.toml", manifest(ver, [w.name for w in wheels], platforms).encode()))
    entries += [(w, f"wheels/{w.name}", None) for w in wheels]
    path = out / f"{EXTENSION_ID}-{ver}{suffix}.zip"
    _write_zip(path, entries)
    return path


def build_legacy(out: Path) -> Path:
    ver = version()
    info = BL_INFO % ", ".join(ver.split("."))
    entries = [(src, f"{EXTENSION_ID}/{name}", None) for src, name in payload_files()]
    entries.append((None, f"{EXTENSION_ID}/__init__.py", ENTRY.format(kind="legacy add-on", bl_info=info).encode()))
    path = out / f"{EXTENSION_ID}-{ver}-legacy.zip"
    _write_zip(path, entries)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m blender_addon.package", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zips (default dist/)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--no-wheels", action="store_true", help="no bundled wheels (Blender's Python must have them)")
    g.add_argument("--wheel-dir", type=Path, help="bundle the *.whl files of this folder instead of downloading")
    p.add_argument("--platforms", default=",".join(DEFAULT_PLATFORMS),
                   help=f"comma list of {', '.join(PLATFORMS)} (default {','.join(DEFAULT_PLATFORMS)})")
    p.add_argument("--legacy", action="store_true", help="also build the legacy add-on zip (no wheels)")
    args = p.parse_args(argv)
    try:
        platforms = [x.strip() for x in args.platforms.split(",") if x.strip()]
        bad = [x for x in platforms if x not in PLATFORMS]
        if bad:
            raise BuildError(f"--platforms: unknown platform {bad[0]!r} (known: {', '.join(PLATFORMS)})")
        if args.no_wheels:
            builds = [([], [], "")]
        elif args.wheel_dir:
            wheels = sorted(args.wheel_dir.glob("*.whl"))
            if not wheels:
                raise BuildError(f"{args.wheel_dir}: no *.whl files")
            builds = [(wheels, platforms, "")]
        else:  # one zip per platform, like `blender --command extension build --split-platforms`
            builds = [(download_wheels(args.out / "wheels" / plat, plat), [plat], "-" + plat.replace("-", "_"))
                      for plat in platforms]
        for wheels, plats, suffix in builds:
            path = build_extension(args.out, wheels, plats, suffix)
            print(f"extension: {path} ({len(wheels)} wheels{', ' + ', '.join(plats) if plats else ''})")
        if args.legacy:
            print(f"legacy add-on: {build_legacy(args.out)}")
    except (BuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
