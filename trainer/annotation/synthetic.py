"""Synthetic frames in the renderer's layout, for tests and benchmarks (no Blender needed).

Each frame has objects drawn back to front into a uint16 index mask, so later objects occlude
earlier ones: occlusion splits, touching objects, holes (rings), thin lines, single pixels and
objects cut by the image border all occur. Metadata records each object's unoccluded pixel count,
as the renderer does.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from trainer.annotation.io import write_image_atomic, write_json_atomic

CATEGORIES = ("rescuer", "civilian", "dog")


def _draw_shape(canvas: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    h, w = canvas.shape
    cx, cy = int(rng.integers(-w // 10, w + w // 10)), int(rng.integers(-h // 10, h + h // 10))
    size = int(rng.integers(max(3, min(h, w) // 20), max(4, min(h, w) // 4)))
    if kind == "ellipse":
        cv2.ellipse(canvas, (cx, cy), (size, int(size * rng.uniform(0.4, 1.6))), float(rng.uniform(0, 180)),
                    0, 360, 1, -1)
    elif kind == "ring":
        cv2.circle(canvas, (cx, cy), size, 1, -1)
        cv2.circle(canvas, (cx, cy), max(1, size // 2), 0, -1)
    elif kind == "line":
        end = (cx + int(rng.integers(-size * 3, size * 3)), cy + int(rng.integers(-size * 3, size * 3)))
        cv2.line(canvas, (cx, cy), end, 1, 1)
    elif kind == "pixel":
        canvas[int(rng.integers(0, h)), int(rng.integers(0, w))] = 1
    else:  # polygon: a random star-ish shape
        n = int(rng.integers(3, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = rng.uniform(0.4, 1.0, n) * size * 1.5
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).round().astype(np.int32)
        cv2.fillPoly(canvas, [pts], 1)


def make_frame(rng: np.random.Generator, width: int, height: int, n_objects: int,
               kinds: tuple[str, ...] = ("ellipse", "ellipse", "polygon", "polygon", "ring", "line", "pixel"),
               ) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """(BGR image, uint16 index mask, objects metadata) for one random frame."""
    index = np.zeros((height, width), np.uint16)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = rng.integers(40, 200, 3)
    image = cv2.add(image, (rng.normal(0, 12, image.shape)).clip(0, 255).astype(np.uint8))
    objects = []
    for k in range(1, n_objects + 1):
        canvas = np.zeros((height, width), np.uint8)
        _draw_shape(canvas, rng, str(rng.choice(kinds)))
        drawn = canvas.astype(bool)
        index[drawn] = k
        image[drawn] = rng.integers(0, 256, 3)
        objects.append({"index": k, "category": str(rng.choice(CATEGORIES)), "name": f"object_{k:03d}",
                        "unoccluded_px": int(drawn.sum())})
    return image, index, objects


def make_frames(out: str | Path, count: int, *, width: int = 640, height: int = 480, objects: int = 10,
                seed: int = 0, image_ext: str = ".png") -> Path:
    """Write `count` frames as images/, masks/ (16-bit PNG) and scenes/ under `out`."""
    out = Path(out)
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        image, index, objs = make_frame(rng, width, height, objects)
        stem = f"{i:06d}"
        write_image_atomic(out / "images" / f"{stem}{image_ext}", image)
        write_image_atomic(out / "masks" / f"{stem}.png", index)
        write_json_atomic(out / "scenes" / f"{stem}.json",
                          {"image": f"{stem}{image_ext}", "width": width, "height": height,
                           "seed": [seed, i], "objects": objs})
    return out
