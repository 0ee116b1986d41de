"""Mask R-CNN training (torch). Nothing outside `trainer.train`, `trainer.evaluate` and the fit/evaluate/predict
command handlers imports torch, so the annotation core and `trainer --help` stay torch-free.

Modules: config (TOML + CLI -> TrainConfig), data (Dataset -> tensors, sampling, augmentation hook),
model (architectures + weights), checkpoint (safe save/load, RNG state), distributed (torchrun helpers),
engine (one train step, one epoch, inference, the fit loop).
"""


def require_torch() -> None:
    """One clear line instead of an ImportError when the `train` extra is missing or broken."""
    from trainer.errors import UserError

    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError) as exc:  # RuntimeError: a torchvision built for another torch
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise UserError(f"this command needs torch and torchvision ({first}); "
                        "install them with: pip install 'rescuesynth[train]'") from None
