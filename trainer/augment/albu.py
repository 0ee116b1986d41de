"""albumentations, imported once the same way everywhere: pinned version, no update check (it phones
home on import otherwise), and an install hint instead of a traceback when it is missing."""

from __future__ import annotations

import os
from typing import Any

from trainer.errors import UserError

ALBUMENTATIONS_VERSION = "2.0.8"


def import_albumentations() -> Any:
    """Import albumentations without its update check (it phones home on import), or say how to install it."""
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    try:
        import albumentations
    except ImportError:
        raise UserError(f"augmentation needs albumentations: pip install 'albumentations=={ALBUMENTATIONS_VERSION}' "
                        "(or pip install -e '.[augment]')") from None
    return albumentations

