"""Preset -> albumentations pipeline: one definition used offline (`trainer augment`) and online (training).

Why albumentations 2.0.8: it applies one sampled set of parameters to the image and, with nearest-
neighbour interpolation, to the masks, in fused OpenCV calls on NumPy arrays (no torch), and it has
the weather and camera effects the presets need. It is the last MIT-licensed release, so it is pinned.

`build_pipeline(preset)(image, masks, seed=...) -> (image, masks)` is the whole online API: RGB uint8
HxWx3 in and out, masks (N, H, W) bool in and out (same order; an instance cut away comes back
empty, so callers can drop it with its label). Masks travel as bit planes (trainer.augment.masks), so
overlapping instances stay exact.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trainer.augment.albu import import_albumentations
from trainer.augment.masks import pack_masks, unpack_masks
from trainer.augment.preset import Preset, load_preset


def _builders(A: Any, cv2: Any) -> dict[str, Callable[[dict, tuple[int, int], float], Any]]:
    """Transform name -> factory(params, (height, width), p). Names match preset.TRANSFORMS."""
    from trainer.augment.effects import Haze, PersonCrop

    geo = {"interpolation": cv2.INTER_LINEAR, "mask_interpolation": cv2.INTER_NEAREST,
           "border_mode": cv2.BORDER_CONSTANT, "fill": 0, "fill_mask": 0}
    return {
        "person_crop": lambda q, hw, p: PersonCrop(
            size=hw, fill=q["fill"], min_height=q["min_height"], max_zoom=q["max_zoom"], p=p),
        "crop": lambda q, hw, p: A.RandomResizedCrop(
            size=hw, scale=q["scale"], ratio=q["ratio"], interpolation=cv2.INTER_LINEAR,
            mask_interpolation=cv2.INTER_NEAREST, p=p),
        "zoom": lambda q, hw, p: A.Affine(scale=q["scale"], keep_ratio=True, p=p, **geo),
        "rotate": lambda q, hw, p: A.Affine(rotate=q["degrees"], p=p, **geo),
        "perspective": lambda q, hw, p: A.Perspective(scale=q["scale"], keep_size=True, p=p, **geo),
        "hflip": lambda q, hw, p: A.HorizontalFlip(p=p),
        "vflip": lambda q, hw, p: A.VerticalFlip(p=p),
        "brightness": lambda q, hw, p: A.RandomBrightnessContrast(
            brightness_limit=q["limit"], contrast_limit=(0.0, 0.0), p=p),
        "contrast": lambda q, hw, p: A.RandomBrightnessContrast(
            brightness_limit=(0.0, 0.0), contrast_limit=q["limit"], p=p),
        "gamma": lambda q, hw, p: A.RandomGamma(
            gamma_limit=(q["gamma"][0] * 100.0, q["gamma"][1] * 100.0), p=p),
        "hue_saturation": lambda q, hw, p: A.HueSaturationValue(
            hue_shift_limit=q["hue"], sat_shift_limit=q["saturation"], val_shift_limit=(0, 0), p=p),
        "temperature": lambda q, hw, p: A.PlanckianJitter(
            mode="blackbody", temperature_limit=tuple(int(k) for k in q["kelvin"]),
            sampling_method="uniform", p=p),
        "low_light": lambda q, hw, p: A.Sequential([
            A.RandomBrightnessContrast(brightness_limit=(0.0, 0.0),
                                       contrast_limit=(q["gain"][0] - 1.0, q["gain"][1] - 1.0), p=1.0),
            A.GaussNoise(std_range=q["noise"], p=1.0),
        ], p=p),
        "fog": lambda q, hw, p: Haze(amount=q["amount"], p=p),
        "rain": lambda q, hw, p: A.RandomRain(
            slant_range=q["slant"], rain_type=q["type"], brightness_coefficient=q["brightness"], p=p),
        "snow": lambda q, hw, p: A.RandomSnow(
            snow_point_range=q["amount"], brightness_coeff=q["brightness"], method=q["method"], p=p),
        "sun_glare": lambda q, hw, p: A.RandomSunFlare(
            flare_roi=q["region"], src_radius=int(q["radius"]), method=q["method"], p=p),
        "gaussian_blur": lambda q, hw, p: A.GaussianBlur(blur_limit=0, sigma_limit=q["sigma"], p=p),
        "motion_blur": lambda q, hw, p: A.MotionBlur(blur_limit=tuple(int(k) for k in q["kernel"]), p=p),
        "noise": lambda q, hw, p: A.GaussNoise(std_range=q["std"], p=p),
        "jpeg": lambda q, hw, p: A.ImageCompression(
            compression_type="jpeg", quality_range=tuple(int(k) for k in q["quality"]), p=p),
    }


def transform_names() -> set[str]:
    """Names this module can build (tests check they equal preset.TRANSFORMS)."""
    import cv2

    return set(_builders(import_albumentations(), cv2))


class Pipeline:
    """A preset's transforms, built lazily per image size (random crops resize back to the input size).

    Picklable (for worker processes and DataLoader workers): built transforms are dropped and rebuilt.
    """

    def __init__(self, preset: Preset):
        self.preset = preset
        self._composes: dict[tuple[int, int], tuple[Any, list[tuple[str, Any]]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"preset": self.preset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["preset"])

    def _compose(self, height: int, width: int) -> tuple[Any, list[tuple[str, Any]]]:
        key = (height, width)
        if key not in self._composes:
            import cv2

            A = import_albumentations()
            builders = _builders(A, cv2)
            named = [(t.name, builders[t.name](t.params, key, t.p)) for t in self.preset.transforms]
            # strict=False: extra keys pass through; shapes are still checked (image vs mask).
            compose = A.Compose([t for _, t in named], p=1.0, strict=False)
            self._composes[key] = (compose, named)
        return self._composes[key]

    def apply_packed(self, image: np.ndarray, packed: np.ndarray, seed: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Augment an RGB image and its bit-plane masks together; also return the applied transform names.

        With a seed the result depends only on (preset, seed, inputs); without one it is drawn from
        os.urandom. One generator is shared by all transforms in order (albumentations' own
        set_random_seed gives each transform the same stream, which would correlate e.g. brightness
        and contrast draws).
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"image must be HxWx3 uint8 RGB, got {image.shape} {image.dtype}")
        height, width = image.shape[:2]
        compose, named = self._compose(height, width)
        if seed is None:
            # Fresh entropy per call: DataLoader workers forked from one process would otherwise
            # inherit the same generator state and repeat each other's augmentations.
            seed = int.from_bytes(os.urandom(8), "little") >> 11
        compose.set_random_state(np.random.default_rng(seed), random.Random(seed))
        single = packed.ndim == 3 and packed.shape[2] == 1
        out = compose(image=image, mask=packed[:, :, 0] if single else packed)
        mask = out["mask"]
        if mask.ndim == 2:
            mask = mask[:, :, None]
        applied = [name for name, t in named if _was_applied(t)]
        return np.ascontiguousarray(out["image"]), np.ascontiguousarray(mask), applied

    def __call__(self, image: np.ndarray, masks: Sequence[np.ndarray] | np.ndarray, *,
                 seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(RGB HxWx3 uint8, N x HxW bool masks) -> the same, augmented; masks exact, empty ones kept."""
        height, width = image.shape[:2]
        image_out, packed, _ = self.apply_packed(image, pack_masks(masks, height, width), seed)
        return image_out, unpack_masks(packed, len(masks))


def _was_applied(transform: Any) -> bool:
    """albumentations keeps the sampled params of the last call on each transform (empty if skipped);
    a transform that ran but found nothing to do says so with `left_as_is` (person_crop)."""
    if hasattr(transform, "transforms"):  # Sequential: applied if any child was
        return any(_was_applied(t) for t in transform.transforms)
    return bool(getattr(transform, "params", None)) and not getattr(transform, "left_as_is", False)


def build_pipeline(preset: Preset | str | Path) -> Pipeline:
    """A preset (object, shipped name or TOML path) -> callable(image, masks, seed=None) -> (image, masks)."""
    if not isinstance(preset, Preset):
        preset = load_preset(preset)
    import_albumentations()  # fail now, with the install hint, rather than on the first image
    return Pipeline(preset)
