"""One rounding for every number written into frame descriptions and asset sidecars: five
decimals keep the JSON readable and stable, and the builder uses exactly these numbers."""

from __future__ import annotations

import numpy as np


def r5(x) -> list[float] | float:
    """`x` (a number or a sequence of them) rounded to five decimals, as plain floats."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [round(float(v), 5) for v in x]
    return round(float(x), 5)
