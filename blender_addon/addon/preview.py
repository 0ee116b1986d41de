"""The preview overlay: a rendered frame with its index mask tinted on top, as an image datablock.

Needs numpy only (Blender ships it): the mask PNG is the engine's own 16-bit encoding
(blender_addon.atomic.encode_png16), decoded exactly by atomic.decode_png16; the photo is read by Blender.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from blender_addon.atomic import decode_png16

IMAGE_NAME = "RescueSynth Preview"


def palette(k: int) -> np.ndarray:
    """A distinct, stable colour per pass index (golden-angle hues)."""
    import colorsys

    return np.array(colorsys.hsv_to_rgb((k * 0.618034) % 1.0, 0.85, 1.0))


def overlay(rgb: np.ndarray, index: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """rgb (H, W, 3) floats in 0..1, index (H, W) -> tinted copy; instance borders drawn solid."""
    out = rgb.copy()
    for k in np.unique(index):
        if k == 0:
            continue
        m = index == k
        edge = m & ~(np.pad(m, 1, mode="edge")[:-2, 1:-1] & np.pad(m, 1, mode="edge")[2:, 1:-1]
                     & np.pad(m, 1, mode="edge")[1:-1, :-2] & np.pad(m, 1, mode="edge")[1:-1, 2:])
        c = palette(int(k))
        out[m] = out[m] * (1 - alpha) + c * alpha
        out[edge] = c
    return out


def load_overlay(image_path: Path, mask_path: Path, save_to: Path | None = None) -> bpy.types.Image:
    src = bpy.data.images.load(str(image_path), check_existing=False)
    try:
        w, h = src.size
        px = np.empty(w * h * src.channels, dtype=np.float32)
        src.pixels.foreach_get(px)
        rgb = px.reshape(h, w, src.channels)[::-1, :, :3]  # Blender rows are bottom-up
    finally:
        bpy.data.images.remove(src)
    index = decode_png16(Path(mask_path).read_bytes())
    result = overlay(rgb, index)
    img = bpy.data.images.get(IMAGE_NAME)
    if img is not None and tuple(img.size) != (w, h):
        bpy.data.images.remove(img)
        img = None
    if img is None:
        img = bpy.data.images.new(IMAGE_NAME, w, h, alpha=False)
        img.use_fake_user = True  # the engine purges orphan data between frames; keep the preview
    rgba = np.concatenate([result[::-1], np.ones((h, w, 1), np.float32)], axis=2)
    img.pixels.foreach_set(rgba.astype(np.float32).ravel())
    img.update()
    if save_to is not None:
        img.filepath_raw = str(save_to)
        img.file_format = "PNG"
        img.save()
    return img


def show_image(context, img: bpy.types.Image) -> bool:
    """Show the image in an open Image Editor; False when the screen has none."""
    screen = getattr(context, "screen", None)
    if screen is None or bpy.app.background:
        return False
    for area in screen.areas:
        if area.type == "IMAGE_EDITOR":
            area.spaces.active.image = img
            area.tag_redraw()
            return True
    return False
