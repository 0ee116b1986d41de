"""Small sampling helpers shared by the generators (pure numpy)."""

from __future__ import annotations

import numpy as np

from blender_addon.rounding import r5

__all__ = ["choice", "disc_point", "integer", "jitter_color", "r5", "uniform"]


def uniform(rng: np.random.Generator, rng_pair: list[float]) -> float:
    lo, hi = rng_pair
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def integer(rng: np.random.Generator, rng_pair: list[int]) -> int:
    lo, hi = rng_pair
    return int(rng.integers(lo, hi + 1))


def choice(rng: np.random.Generator, probs: dict[str, float]) -> str:
    """Pick a key by weight; order of the table is the order of the file (stable)."""
    names = list(probs)
    w = np.asarray([probs[n] for n in names], float)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def jitter_color(rng: np.random.Generator, rgb: tuple[float, float, float], amount: float) -> list[float]:
    c = np.clip(np.asarray(rgb) * rng.uniform(1 - amount, 1 + amount, 3), 0.0, 1.0)
    return r5(c)


def disc_point(rng: np.random.Generator, radius: float) -> tuple[float, float]:
    r = radius * np.sqrt(rng.uniform())
    a = rng.uniform(0, 2 * np.pi)
    return float(r * np.cos(a)), float(r * np.sin(a))


