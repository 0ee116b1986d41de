"""Which Python packages the annotation step needs and whether this Blender's Python has them.

Pure standard library: checked when the panel draws, never at import time, so a stock Blender
enables the add-on without a traceback and the panel says what is missing.
"""

from __future__ import annotations

import importlib.util

# import name -> PyPI distribution (bundled as wheels in the extension zip by blender_addon.package)
ANNOTATION_MODULES = {"cv2": "opencv-python-headless", "pycocotools": "pycocotools", "PIL": "pillow", "tqdm": "tqdm"}


def missing_modules() -> list[str]:
    """PyPI names of the annotation dependencies that cannot be imported here."""
    out = []
    for module, dist in ANNOTATION_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(dist)
    return out


def missing_message(missing: list[str]) -> str:
    return ("annotations need " + ", ".join(missing) + " (not in this Blender's Python): install the "
            "extension zip built with wheels, or run `trainer annotate <folder>` after rendering")
