"""Instance masks <-> bit planes, so geometric transforms move every instance exactly and cheaply.

Why bit planes: a uint16 index image (value k = instance k) cannot hold two instances on one pixel,
so overlapping instances (hand-drawn COCO, amodal labels) would lose pixels. One full-frame mask per
instance is exact but costs N warps per variant. Packing instance k into bit k%8 of channel k//8
keeps every instance's own pixels (overlaps included) in ceil(N/8) uint8 channels. A nearest-
neighbour warp, flip, crop or resize copies each output pixel whole from one input pixel (or fills
0), so the bits travel together and unpacking gives exactly what warping each mask alone would.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pack_masks(masks: Sequence[np.ndarray] | np.ndarray, height: int, width: int) -> np.ndarray:
    """N boolean HxW masks -> HxWxC uint8 (C = max(1, ceil(N/8))); instance k is bit k%8 of channel k//8."""
    n = len(masks)
    if n == 0:
        return np.zeros((height, width, 1), dtype=np.uint8)
    stack = np.empty((height, width, n), dtype=bool)
    for k, mask in enumerate(masks):
        if mask.shape != (height, width):
            raise ValueError(f"mask {k} has shape {mask.shape}, expected {(height, width)}")
        stack[:, :, k] = mask
    return np.packbits(stack, axis=-1, bitorder="little")


def unpack_masks(packed: np.ndarray, n: int) -> np.ndarray:
    """HxWxC (or HxW) uint8 bit planes -> (N, H, W) bool, inverse of `pack_masks`."""
    if packed.ndim == 2:
        packed = packed[:, :, None]
    out = np.empty((n,) + packed.shape[:2], dtype=bool)
    for k in range(n):  # one plane at a time: ~3x faster than unpackbits + moveaxis on 640x480
        np.not_equal(packed[:, :, k // 8] & np.uint8(1 << (k % 8)), 0, out=out[k])
    return out


def instance_crops(packed: np.ndarray, n: int) -> list[tuple[np.ndarray, tuple[int, int]] | None]:
    """Each instance's tight boolean crop and its (x0, y0), straight from the bit planes (None if empty).

    Why: tracing needs only the instance's box; unpacking N full frames and scanning each for its
    box cost 8 ms per 640x480 variant with 40 instances, the row/column ORs below cost one pass.
    """
    if packed.ndim == 2:
        packed = packed[:, :, None]
    # Contiguous planes first: OR-reducing rows of an HxWxC array directly is ~50x slower.
    planes = [np.ascontiguousarray(packed[:, :, c]) for c in range((n + 7) // 8)]
    rows = [np.bitwise_or.reduce(p, axis=1) for p in planes]  # bit k set where instance k is in row y
    cols = [np.bitwise_or.reduce(p, axis=0) for p in planes]
    crops: list[tuple[np.ndarray, tuple[int, int]] | None] = []
    for k in range(n):
        channel, bit = divmod(k, 8)
        flag = np.uint8(1 << bit)
        ys = np.flatnonzero(rows[channel] & flag)
        if ys.size == 0:
            crops.append(None)
            continue
        xs = np.flatnonzero(cols[channel] & flag)
        y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
        crops.append(((planes[channel][y0:y1, x0:x1] & flag) != 0, (x0, y0)))
    return crops
