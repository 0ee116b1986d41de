"""Effects albumentations lacks or makes too slow; imported only when a pipeline is built.

Why `PersonCrop`: see its docstring (people as large in frame as in photos).

Why `Haze`: albumentations 2.0.8's RandomFog draws hundreds of blurred discs and takes ~200 ms on a
640x480 frame (measured), 100x the rest of a typical variant. Haze from atmospheric scattering,
I' = I * t + A * (1 - t) with a transmission t that varies smoothly over the frame, looks like the
light fog and dust seen from drones and costs ~2 ms.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from trainer.augment.albu import import_albumentations

A = import_albumentations()
from albumentations.augmentations.crops.transforms import _BaseRandomSizedCrop  # noqa: E402  (documented base of custom crops)


class Haze(A.ImageOnlyTransform):
    """Blend toward a bright airlight with a smoothly varying density in `amount` (0 clear .. 1 white)."""

    def __init__(self, amount: tuple[float, float] = (0.1, 0.3), p: float = 0.5):
        super().__init__(p=p)
        self.amount = tuple(amount)

    def get_params(self) -> dict[str, Any]:
        return {
            "density": float(self.random_generator.uniform(*self.amount)),
            "field": self.random_generator.random((4, 4)).astype(np.float32),
            "airlight": float(self.random_generator.uniform(200.0, 245.0)),
        }

    def apply(self, img: np.ndarray, density: float, field: np.ndarray, airlight: float,
              **params: Any) -> np.ndarray:
        h, w = img.shape[:2]
        smooth = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
        haze = np.clip(density * (0.6 + 0.4 * smooth), 0.0, 1.0)[:, :, None]
        out = img.astype(np.float32) * (1.0 - haze) + np.float32(airlight) * haze
        return np.clip(out, 0, 255).astype(np.uint8)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("amount",)


class PersonCrop(_BaseRandomSizedCrop):
    """Zoom in on one labelled instance so that it fills `fill` of the frame's height (above 1 it is
    cut off below, its top kept in frame), then resize back to the input size.

    Why: real ground photos are full of people who fill a third of the frame or more (portraits,
    upper bodies), while a rendered scene puts most people far away; a random crop rarely lands on
    a person. The subject is drawn uniformly from the instances at least `min_height` of the frame
    high (smaller ones would be upscaled to mush), and no crop zooms more than `max_zoom`. With no
    such instance the frame is left as it is. Masks follow with nearest-neighbour like every crop.
    """

    def __init__(self, size: tuple[int, int], fill: tuple[float, float] = (0.6, 1.6),
                 min_height: float = 0.1, max_zoom: float = 3.0, p: float = 0.5):
        super().__init__(size=size, interpolation=cv2.INTER_LINEAR, mask_interpolation=cv2.INTER_NEAREST,
                         area_for_downscale=None, p=p)
        self.fill = tuple(fill)
        self.min_height = min_height
        self.max_zoom = max_zoom
        self.left_as_is = False  # the last call found no subject: the run record must not list it

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        from trainer.augment.masks import instance_crops

        h, w = params["shape"][:2]
        packed = data["mask"] if data["mask"].ndim == 3 else data["mask"][:, :, None]
        boxes = [(x0, y0, x0 + c.shape[1], y0 + c.shape[0])
                 for c, (x0, y0) in filter(None, instance_crops(packed, 8 * packed.shape[2]))
                 if c.shape[0] >= self.min_height * h]
        self.left_as_is = not boxes
        if not boxes:
            return {"crop_coords": (0, 0, w, h)}
        bx0, by0, bx1, by1 = boxes[int(self.random_generator.integers(len(boxes)))]
        fill = float(self.random_generator.uniform(*self.fill))
        ch = min(float(h), max(h / self.max_zoom, (by1 - by0) / fill))  # crop height, in px
        cw = ch * w / h  # the frame's own aspect ratio: no stretching
        # vertically: the whole box when it fits, else its top (the head) near the crop's top edge
        y_lo, y_hi = (by1 - ch, by0) if by1 - by0 <= ch else (by0 - 0.1 * ch, by0 - 0.02 * ch)
        # horizontally: the whole box when it fits, else a window inside it
        x_lo, x_hi = (bx1 - cw, bx0) if bx1 - bx0 <= cw else (bx0, bx1 - cw)
        y0 = min(max(float(self.random_generator.uniform(y_lo, y_hi)), 0.0), h - ch)
        x0 = min(max(float(self.random_generator.uniform(x_lo, x_hi)), 0.0), w - cw)
        x0, y0 = int(round(x0)), int(round(y0))
        return {"crop_coords": (x0, y0, min(w, x0 + max(1, int(round(cw)))), min(h, y0 + max(1, int(round(ch)))))}

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("size", "fill", "min_height", "max_zoom")
