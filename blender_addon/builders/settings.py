"""Render settings: Cycles, fast-but-clean sampling, deterministic output, optional GPU."""

from __future__ import annotations

import bpy

GPU_BACKENDS = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")


def enable_gpu() -> str | None:
    """Turn on the first GPU backend with a device; returns its name or None (caller warns)."""
    try:
        prefs = bpy.context.preferences.addons["cycles"].preferences
    except KeyError:
        return None
    for backend in GPU_BACKENDS:
        try:
            prefs.compute_device_type = backend
        except TypeError:  # backend not compiled into this build
            continue
        prefs.get_devices()
        devices = [d for d in prefs.devices if d.type == backend]
        if devices:
            for d in prefs.devices:
                d.use = d.type == backend
            return backend
    return None


def apply(render: dict, device: str) -> str:
    """Scene-wide settings from the preset's [render] table; returns the device actually used."""
    scene = bpy.context.scene
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x, r.resolution_y = render["resolution"]
    r.resolution_percentage = 100
    r.film_transparent = False
    # Off on purpose (measured, docs/benchmarks.md): on it saved 3.5% CPU per frame at 320x240, inside
    # run-to-run noise, and changed a later frame's image (a frame then depends on the frames before it).
    r.use_persistent_data = False
    r.use_stamp = False
    for attr in dir(r):  # metadata (dates, render time, host) would make files differ per run
        if attr.startswith("use_stamp_"):
            try:
                setattr(r, attr, False)
            except (AttributeError, TypeError):
                pass
    scene.view_settings.view_transform = render["view_transform"]
    scene.view_settings.look = "None"
    c = scene.cycles
    c.samples = render["samples"]
    c.use_adaptive_sampling = render["adaptive_threshold"] > 0
    if c.use_adaptive_sampling:
        c.adaptive_threshold = render["adaptive_threshold"]
    c.use_denoising = render["denoise"]
    c.denoiser = "OPENIMAGEDENOISE"
    c.denoising_prefilter = render["denoise_prefilter"]
    c.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    c.use_light_tree = render["light_tree"]
    c.max_bounces = render["max_bounces"]
    c.diffuse_bounces = min(2, render["max_bounces"])
    c.glossy_bounces = min(2, render["max_bounces"])
    c.transmission_bounces = min(2, render["max_bounces"])
    c.volume_bounces = 0
    c.transparent_max_bounces = 32  # rays pass many rain streaks
    c.caustics_reflective = False
    c.caustics_refractive = False
    c.filter_width = render["filter_width"]
    c.use_animated_seed = False
    used = "cpu"
    c.device = "CPU"
    if device == "gpu":
        backend = enable_gpu()
        if backend:
            c.device = "GPU"
            c.denoising_use_gpu = True
            used = f"gpu:{backend.lower()}"
    return used
