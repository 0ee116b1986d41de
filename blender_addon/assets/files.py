"""Asset folders -> the file lists the samplers choose from, scanned once before sampling.

Sampling a frame is pure: it never walks a folder. The engine (or any caller that samples many
frames) calls `scan_assets(preset)` once and hands the result to every `sample_scene`; the lists
are sorted, so a frame is the same whichever process samples it. Paths are posix, relative to the
preset's folder (absolute for a folder the preset names outside it), as recorded in the frame JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blender_addon.assets import bodies

ASSET_EXTS = (".blend", ".obj", ".glb", ".gltf", ".fbx")
BACKGROUND_EXTS = (".hdr", ".exr", ".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class AssetLists:
    """What the preset's folders hold: body descriptions (bodies.scan) per people section, debris
    mesh files, backgrounds (files and built-in HDRIs). A folder the preset gives zero probability is not scanned."""

    rescuer_bodies: tuple[dict, ...] = ()
    civilian_bodies: tuple[dict, ...] = ()
    debris: tuple[str, ...] = ()
    backgrounds: tuple[str, ...] = ()


def scan_assets(preset) -> AssetLists:
    base = preset.base_dir

    def people(section: str) -> tuple[dict, ...]:
        cfg = preset[section]
        return tuple(bodies.scan(cfg["body_folders"], base)) if cfg["body_probability"] > 0 else ()

    d = preset["debris"]
    return AssetLists(rescuer_bodies=people("rescuers"), civilian_bodies=people("civilians"),
                      debris=tuple(asset_files(d["asset_folders"], base)) if d["asset_probability"] > 0 else (),
                      backgrounds=tuple(background_pool(preset["light"], base)))


def asset_files(folders: list[str], base_dir: Path) -> list[str]:
    """Asset mesh files (.blend/.obj/.glb/.gltf/.fbx; posix paths relative to the preset dir),
    sorted for determinism. E.g. assets/debris, assets/buildings, assets/vehicles."""
    files: list[str] = []
    for folder in folders:
        files += sorted(bodies.relative_to_preset(p, base_dir) for p in (base_dir / folder).rglob("*")
                        if p.suffix.lower() in ASSET_EXTS and p.is_file())
    return files


def background_pool(light: dict, base_dir: Path) -> list[str]:
    """The user's HDRIs / backplates (`background_folders`), then the built-in HDRIs the preset
    names in `hdris` as "builtin:<name>" (builders.light finds them inside Blender)."""
    return background_files(light["background_folders"], base_dir) + [f"builtin:{n}" for n in light.get("hdris", [])]


def background_files(folders: list[str], base_dir: Path) -> list[str]:
    """HDRIs / photo backplates (posix paths relative to the preset dir), sorted for determinism."""
    out: list[str] = []
    for folder in folders:
        d = base_dir / folder
        if d.is_dir():
            out += sorted(bodies.relative_to_preset(p, base_dir) for p in d.rglob("*")
                          if p.suffix.lower() in BACKGROUND_EXTS and p.is_file())
    return out
