"""Dataset augmentation: presets (TOML) -> one albumentations pipeline, used offline and in training.

    from trainer.augment import build_pipeline
    augment = build_pipeline("drone")                 # or a Preset, or a path to a .toml file
    image, masks = augment(image_rgb, masks, seed=7)  # masks: (N, H, W) bool in and out, exact

`augment_dataset` (trainer.augment.runner) is the offline job behind `trainer augment`. Importing this
package is cheap: albumentations is imported when a pipeline is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trainer.augment.preset import Preset, available_presets, load_preset

if TYPE_CHECKING:
    from trainer.augment.pipeline import Pipeline

__all__ = ["Preset", "available_presets", "build_pipeline", "load_preset"]


def build_pipeline(preset: Preset | str | Path) -> Pipeline:
    """See trainer.augment.pipeline.build_pipeline (imported lazily to keep this package light)."""
    from trainer.augment.pipeline import build_pipeline as _build

    return _build(preset)
