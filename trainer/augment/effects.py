"""Effects albumentations lacks or makes too slow; imported only when a pipeline is built.

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
