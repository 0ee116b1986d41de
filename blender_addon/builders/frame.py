"""build_scene(desc) and render_frame(desc): one frame description -> image, mask, scene JSON."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import bpy
import numpy as np

from blender_addon import atomic, geometry, profiling
from blender_addon.builders import (buildings, camera, cleanup, debris, distractors, ground, light, passes, people,
                                    scene_copy, weather)
from blender_addon.builders.objects import generated_collection, world_vertices
from blender_addon.quiet import quiet_stdout


def build_scene(desc: dict, base_dir: Path, asset_cache: dict) -> dict[str, bpy.types.Object]:
    """Create every object of the description; returns labelled objects by name."""
    cleanup.clear_frame()
    generated_collection()
    ground.build(desc["ground"], desc["weather"])
    for d in desc["debris"]:
        debris.build(d, base_dir, asset_cache, desc["weather"])
    for b in desc.get("buildings", []):  # absent in scene files written before buildings existed
        buildings.build(b, desc["weather"])
    for d in desc.get("distractors", []):  # unlabelled dogs and vehicles, flying shapes
        distractors.build(d, desc["weather"])
    light.build(desc["light"], desc["weather"], base_dir)
    weather.build(desc["weather"], desc["camera"])
    camera.build(desc["camera"], desc["width"], desc["height"])
    labelled = {}
    for person in desc["objects"]:
        col = passes.object_collection(person["name"])
        if person.get("generator") == "scene":  # the artist's labelled object (blender_addon.scene_objects)
            labelled[person["name"]] = scene_copy.build(person, col, person["index"])
        elif person.get("generator") == "distractors":  # a dog or vehicle whose class is labelled
            labelled[person["name"]] = distractors.build(person, desc["weather"], col)
        else:
            labelled[person["name"]] = people.build(person, base_dir, asset_cache, col)
    for entry in desc.get("scenery", []):
        scene_copy.build(entry, generated_collection())
    bpy.context.scene.cycles.seed = desc["seed"]
    with profiling.stage("depsgraph"):
        bpy.context.view_layer.update()
    return labelled


def _screen_box(cam: dict, verts: np.ndarray, w: int, h: int) -> tuple[float, float, float, float] | None:
    uv, front = geometry.project(cam, verts, w, h)
    if not front.any():
        return None
    if not front.all():
        return (0.0, 0.0, float(w), float(h))
    x0, y0 = uv.min(0)
    x1, y1 = uv.max(0)
    if x1 < 0 or y1 < 0 or x0 > w or y0 > h:
        return None
    return (float(x0) - 2, float(y0) - 2, float(x1) + 2, float(y1) + 2)


def add_sensor_noise(path: Path, sigma: float, seed: int) -> None:
    """Gaussian sensor noise on the 8-bit image, in place (seeded: same frame, same bytes).
    Stronger in dark pixels (shot noise grows relative to the signal)."""
    from PIL import Image

    img = np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, img.shape[:2] + (1,)) * (1.5 - img.mean(2, keepdims=True))
    noise = noise + rng.normal(0.0, sigma * 0.3, img.shape)  # a little chroma noise
    out = np.clip((img + noise) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(out).save(path, format="PNG", compress_level=6)


def render_frame(desc: dict, out: Path, tmp_root: Path, base_dir: Path, asset_cache: dict) -> dict:
    """Render one frame into out/{images,masks,scenes}; the scene JSON is written last, so its
    presence means the frame is complete. Returns the description with per-object stats."""
    stem = Path(desc["image"]).stem
    w, h = desc["width"], desc["height"]
    with profiling.stage("build"):
        labelled = build_scene(desc, base_dir, asset_cache)
        names = [o["name"] for o in desc["objects"]]
        verts = {n: world_vertices(labelled[n]) for n in names}
        boxes = [_screen_box(desc["camera"], verts[n], w, h) for n in names]
        groups = [[names[i] for i in g] for g in passes.group_disjoint(boxes)] if names else []
        tmp = tmp_root / stem
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        layer_names = passes.setup_layers(groups, tmp, desc["weather"].get("fog"))
    render_and_time()
    with profiling.stage("extra_layers"):
        passes.render_unoccluded(layer_names, tmp, _render)
    with profiling.stage("files"):
        return _collect(desc, out, tmp, stem, verts, groups, layer_names)


def render_and_time() -> None:
    """bpy.ops.render.render, with the Cycles stages recorded (blender_addon.profiling)."""
    timeline = profiling.CyclesTimeline()
    with timeline.attach():
        _render()
    for name, (wall, cpu) in timeline.split().items():
        profiling.add(name, wall, cpu)


def _render() -> None:
    with quiet_stdout():
        bpy.ops.render.render(write_still=False)


def _collect(desc: dict, out: Path, tmp: Path, stem: str, verts: dict, groups: list, layer_names: list) -> dict:
    """Masks, pixel counts, image and description into place (the description last)."""
    w, h = desc["width"], desc["height"]
    index = passes.read_index_exr(passes.output_file(tmp, "index", ".exr"))
    known = {o["index"] for o in desc["objects"]}
    stray = sorted(set(np.unique(index).tolist()) - known - {0})
    if stray:
        raise RuntimeError(f"{stem}: mask has indices {stray} that no labelled object owns")
    counts = np.bincount(index.ravel(), minlength=max(known, default=0) + 1)
    unocc: dict[str, int] = {}
    for layer, members in zip(layer_names, groups):
        layer_index = passes.read_index_exr(passes.output_file(tmp, layer, ".exr"))
        lc = np.bincount(layer_index.ravel(), minlength=counts.size)
        for n in members:
            unocc[n] = int(lc[next(o["index"] for o in desc["objects"] if o["name"] == n)])

    result = copy.deepcopy(desc)
    for o in result["objects"]:
        vis = int(counts[o["index"]])
        o["visible_px"] = vis
        o["unoccluded_px"] = unocc.get(o["name"], 0)
        o["visible_fraction"] = round(vis / o["unoccluded_px"], 4) if o["unoccluded_px"] else 0.0
        o["truncated"] = geometry.truncated(desc["camera"], verts[o["name"]], w, h)
    result["unoccluded_layers"] = len(groups)

    rgb = passes.output_file(tmp, "rgb", ".png")
    if desc["camera"].get("sensor_noise", 0) > 0:
        add_sensor_noise(rgb, desc["camera"]["sensor_noise"], desc["seed"])
    atomic.move_atomic(rgb, out / "images" / f"{stem}.png")
    atomic.write_bytes_atomic(out / "masks" / f"{stem}.png", atomic.encode_png16(index))
    atomic.write_json_atomic(out / "scenes" / f"{stem}.json", result, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)
    return result
