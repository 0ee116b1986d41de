"""sample_scene: preset + (run seed, frame index) -> one frame description (pure JSON data).

Randomisation is separate from rendering (Kubric's shape): this module never imports bpy. Each
generator draws from its own child of SeedSequence([run_seed, frame_index]), so frame k is
reproducible alone (`--start k --count 1`) and changing e.g. the debris count does not reshuffle
the people. Asset folders are scanned before sampling (blender_addon.assets.files), never inside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from blender_addon.assets.files import AssetLists, scan_assets
from blender_addon.generators import buildings, camera, debris, distractors, ground, light, people, shapes, weather
from blender_addon.generators.site import Site
from blender_addon.preset import Preset, PresetError

FORMAT_VERSION = 1
# Fixed order: appending a generator keeps earlier streams unchanged.
STREAMS = ("ground", "rescuers", "civilians", "debris", "light", "weather", "camera", "render", "buildings",
           "distractors", "setting", "orientation", "shapes", "groups")


def frame_stem(frame_index: int) -> str:
    return f"frame_{frame_index:06d}"


def frame_seed(run_seed: int, frame_index: int) -> int:
    """The frame's own seed (also Cycles' sampling seed), a pure function of (run seed, index)."""
    return int(np.random.SeedSequence([run_seed, frame_index]).generate_state(1)[0] & 0x7FFFFFFF)


def frame_size(resolution: list[int], portrait: float, rng: np.random.Generator) -> tuple[int, int]:
    """The frame's (width, height): the preset's resolution, upright (longer side vertical) for a
    `portrait` share of frames (a third of real photos are upright; a detector that never saw an
    upright frame misses the people in them). Drawn from its own stream: other samplers are unmoved."""
    width, height = resolution
    if portrait > 0 and rng.random() < portrait:
        return min(width, height), max(width, height)
    return width, height


def sample_scene(preset: Preset, run_seed: int, frame_index: int, assets: AssetLists | None = None) -> dict[str, Any]:
    """Everything needed to build and render one frame, JSON-serialisable.

    `assets`: the preset's asset files, scanned once by the caller (`scan_assets(preset)`); without
    them the folders are scanned here, which is right for one frame and wasteful for many.
    Samplers run in a fixed order and hand on what they placed as a `Site` (see generators.site).
    """
    if run_seed < 0 or frame_index < 0:
        raise ValueError("seed and frame index must be >= 0")
    if assets is None:
        assets = scan_assets(preset)
    ss = np.random.SeedSequence([run_seed, frame_index])
    rngs = {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)))}
    width, height = frame_size(preset["render"]["resolution"], preset["camera"]["portrait"], rngs["orientation"])
    site = Site(spread=preset["rescuers"]["spread"])
    try:
        setting = light.sample_setting(rngs["setting"], preset["light"], assets.backgrounds)
        rescuer_groups, civilian_groups = rngs["groups"].spawn(2)
        rescuers, site = people.sample(rngs["rescuers"], preset["rescuers"], site, "rescuer", assets.rescuer_bodies,
                                       rescuer_groups)
        civilians, site = people.sample(rngs["civilians"], preset["civilians"], site, "civilian",
                                        assets.civilian_bodies, civilian_groups)
        labelled, unlabelled, site = distractors.sample(rngs["distractors"], preset["distractors"], site,
                                                        preset["output"]["categories"])
        objects = rescuers + civilians + labelled
        vehicles = [d for d in labelled + unlabelled if d["kind"] == "vehicle"]
        debris_list = debris.sample(rngs["debris"], preset["debris"], site, assets.debris, keep=setting.debris_keep)
        # a backplate frame is set inside its background: no ruins or heaps
        building_list = [] if setting.backplate else buildings.sample(rngs["buildings"], preset["buildings"], site)
        cam = camera.sample(rngs["camera"], preset["camera"], width=width, height=height, objects=objects,
                            debris=debris_list, buildings=building_list, vehicles=vehicles,
                            backplate=setting.backplate)
        unlabelled = unlabelled + shapes.sample(rngs["shapes"], preset["distractors"], cam, width=width,
                                                height=height, objects=objects)
    except ValueError as exc:
        raise PresetError(f"frame {frame_index}: {exc}", preset.path) from None
    stem = frame_stem(frame_index)
    r = preset["render"]
    return {
        "format": FORMAT_VERSION,
        "image": f"{stem}.png",
        "mask": f"{stem}.png",
        "width": width,
        "height": height,
        "seed": frame_seed(run_seed, frame_index),
        "run_seed": run_seed,
        "frame_index": frame_index,
        "preset": preset["scene"]["name"],
        "render": {k: r[k] for k in ("samples", "denoise", "denoise_prefilter", "adaptive_threshold",
                                     "light_tree", "max_bounces", "filter_width", "view_transform")},
        "objects": objects,
        "ground": ground.sample(rngs["ground"], preset["ground"], shadow_catcher=setting.backplate),
        "debris": debris_list,
        "buildings": building_list,
        "distractors": unlabelled,
        "light": light.sample(rngs["light"], preset["light"], site.spread, assets.backgrounds, setting),
        "weather": weather.sample(rngs["weather"], preset["weather"]),
        "camera": cam,
    }
