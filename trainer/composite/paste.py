"""Pasting one foreground: random flip/rotation/scale, colour and brightness shift, then hard,
feathered or Poisson (cv2.seamlessClone) blending into an image and an index mask.

The label of a pasted object is the warped alpha thresholded at 0.5 - exactly the pixels written
into the index mask - so labels follow the pixels whatever the blending does to colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from trainer.composite.cutout import PAD, Foreground

BLENDS: tuple[str, ...] = ("hard", "feathered", "poisson")
# px the Poisson clone region extends past the object: OpenCV's seamlessClone takes no source
# gradients from the outer ~5 px of its region (measured: with 3 px a uniform dark blob came out at
# 10-20% of its contrast, with 6 px exact), so the object's edge must lie deeper than that.
POISSON_GROW = 6
MARGIN = POISSON_GROW + 1  # px of context kept around the object in a warped crop (<= cutout PAD)
EDGE_MARGIN = 2  # px kept free at the image border (seamlessClone zeroes its region's outer pixel)


@dataclass(frozen=True)
class PasteOptions:
    """Ranges the random transforms are drawn from (uniform)."""

    scale: tuple[float, float] = (0.6, 1.4)  # x (output's shorter side / source image's shorter side)
    rotation: float = 180.0  # max |angle| in degrees
    flip: bool = True
    brightness: float = 0.15  # gain drawn from [1 - b, 1 + b]
    colour_shift: float = 10.0  # per-channel offset drawn from [-c, c] (0-255 scale)
    blends: tuple[str, ...] = BLENDS
    feather: float = 1.5  # Gaussian sigma in px of the feathered edge
    max_overlap: float = 0.0  # fraction of a new object allowed over earlier ones
    tries: int = 20  # placements tried before an object is left out


@dataclass
class Warped:
    """A transformed foreground crop (object + MARGIN px) and its label mask."""

    bgr: np.ndarray  # float32 h x w x 3, object colours extended outwards (nearest object pixel)
    context: np.ndarray  # float32 h x w x 3, the object with its original surroundings (for Poisson)
    mask: np.ndarray  # bool h x w


def warp_foreground(fg: Foreground, scale: float, angle: float, flip: bool) -> Warped:
    """Flip, rotate and scale. Colours are warped premultiplied by alpha so nothing outside the
    object (the padded crop's background) bleeds into its edge."""
    bgr, alpha = fg.bgr.astype(np.float32), fg.mask.astype(np.float32)
    if flip:
        bgr, alpha = bgr[:, ::-1], alpha[:, ::-1]
    h, w = alpha.shape
    rad = math.radians(angle)
    out_w = int(math.ceil((abs(w * math.cos(rad)) + abs(h * math.sin(rad))) * scale)) + 2
    out_h = int(math.ceil((abs(w * math.sin(rad)) + abs(h * math.cos(rad))) * scale)) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (out_w / 2 - w / 2, out_h / 2 - h / 2)
    warp = dict(dsize=(out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    premult = cv2.warpAffine(np.ascontiguousarray(bgr * alpha[..., None]), m, **warp)
    a = cv2.warpAffine(np.ascontiguousarray(alpha), m, **warp)
    mask = a >= 0.5
    if not mask.any():  # tiny object scaled below one pixel: keep its centre pixel
        mask[np.unravel_index(np.argmax(a), a.shape)] = True
    context = cv2.warpAffine(np.ascontiguousarray(bgr), m, dsize=(out_w, out_h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    colour = np.zeros_like(premult)
    np.divide(premult, a[..., None], out=colour, where=a[..., None] > 1e-3)
    # crop to the label (+MARGIN) and give every pixel its nearest object pixel's colour (for feathering)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min() - MARGIN, ys.max() + 1 + MARGIN, xs.min() - MARGIN, xs.max() + 1 + MARGIN
    pad = ((max(0, -y0), max(0, y1 - out_h)), (max(0, -x0), max(0, x1 - out_w)))  # beyond the warped canvas
    sl = np.s_[max(0, y0):y1, max(0, x0):x1]
    colour, context, mask = (np.pad(colour[sl], pad + ((0, 0),), mode="edge"),
                             np.pad(context[sl], pad + ((0, 0),), mode="edge"), np.pad(mask[sl], pad))
    _, (iy, ix) = ndimage.distance_transform_edt(~mask, return_indices=True)
    return Warped(bgr=colour[iy, ix], context=context, mask=mask)


def jitter_colour(bgr: np.ndarray, gain: float, shift: np.ndarray) -> np.ndarray:
    return np.clip(bgr * gain + shift, 0, 255)


def find_place(labels: np.ndarray, mask: np.ndarray, rng: np.random.Generator, opts: PasteOptions
               ) -> tuple[int, int] | None:
    """Top-left (x, y) inside the margins where the object overlaps earlier ones by <= max_overlap."""
    H, W = labels.shape
    h, w = mask.shape
    hi_x, hi_y = W - EDGE_MARGIN - w, H - EDGE_MARGIN - h
    if hi_x < EDGE_MARGIN or hi_y < EDGE_MARGIN:
        return None
    area = mask.sum()
    for _ in range(opts.tries):
        x, y = int(rng.integers(EDGE_MARGIN, hi_x + 1)), int(rng.integers(EDGE_MARGIN, hi_y + 1))
        if (labels[y:y + h, x:x + w][mask] > 0).sum() <= opts.max_overlap * area:
            return x, y
    return None


def blend(image: np.ndarray, warped: Warped, x: int, y: int, mode: str, feather: float) -> np.ndarray:
    """The image with the object drawn at (x, y); pixels outside the label change only when feathering."""
    h, w = warped.mask.shape
    out = image.copy()
    region = out[y:y + h, x:x + w].astype(np.float32)
    if mode == "hard":
        region[warped.mask] = warped.bgr[warped.mask]
    elif mode == "feathered":
        a = cv2.GaussianBlur(warped.mask.astype(np.float32), (0, 0), feather)[..., None]
        region = region * (1 - a) + warped.bgr * a
    elif mode == "poisson":
        # Poisson editing keeps the source's gradients inside the clone region and takes its boundary
        # values from the destination: the object moves over *relative to its original surroundings*
        # (a lesion from pale skin pasted on darker skin comes out darker). The region is the object
        # grown by POISSON_GROW px of its real context, so the object's own edge lies inside it.
        src = out.copy()
        src[y:y + h, x:x + w] = np.clip(np.round(warped.context), 0, 255).astype(np.uint8)
        full = np.zeros(out.shape[:2], np.uint8)
        full[y:y + h, x:x + w][warped.mask] = 255
        full = cv2.dilate(full, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * POISSON_GROW + 1,) * 2))
        ys, xs = np.nonzero(full)
        x, y = 0, 0
        bx, by = xs.min(), ys.min()
        bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
        # seamlessClone centres the mask's bounding box on `p`: this p puts it back where it was
        return cv2.seamlessClone(src, out, full, (int(bx + bw // 2), int(by + bh // 2)), cv2.NORMAL_CLONE)
    else:
        raise ValueError(f"unknown blend {mode!r}")
    out[y:y + h, x:x + w] = np.clip(np.round(region), 0, 255).astype(np.uint8)
    return out


def paste_one(image: np.ndarray, labels: np.ndarray, index: int, fg: Foreground, rng: np.random.Generator,
              opts: PasteOptions) -> tuple[np.ndarray, dict] | None:
    """Draw random parameters, transform, place and blend one object; writes `index` into `labels`.

    Returns (new image, parameters) or None when no place was found. Objects too big for the image
    are shrunk to fit; the scale actually used (source px -> output px) is recorded.
    """
    H, W = labels.shape
    # relative to the object's size *in proportion to its image*: an object from a 1024 px photo
    # pasted on a 256 px background shrinks with it
    base = min(H, W) / fg.source_side if fg.source_side else 1.0
    scale = base * float(rng.uniform(*opts.scale))
    angle = float(rng.uniform(-opts.rotation, opts.rotation))
    flip = bool(opts.flip and rng.random() < 0.5)
    gain = float(rng.uniform(1 - opts.brightness, 1 + opts.brightness))
    shift = rng.uniform(-opts.colour_shift, opts.colour_shift, 3).astype(np.float32)
    mode = str(rng.choice(list(opts.blends)))
    fh, fw = fg.mask.shape
    diag = math.hypot(fh - 2 * PAD, fw - 2 * PAD)  # the object's box, whatever the rotation
    room = min(H, W) - 2 * EDGE_MARGIN - 2 * MARGIN - 2
    if diag * scale > room:  # object could exceed the image: shrink to fit
        scale = max(room / diag, 1e-3)
    warped = warp_foreground(fg, scale, angle, flip)
    place = find_place(labels, warped.mask, rng, opts)
    if place is None:
        return None
    x, y = place
    warped.bgr = jitter_colour(warped.bgr, gain, shift)
    warped.context = jitter_colour(warped.context, gain, shift)
    image = blend(image, warped, x, y, mode, opts.feather)
    h, w = warped.mask.shape
    labels[y:y + h, x:x + w][warped.mask] = index
    params = {"index": index, "category": fg.category, "source": fg.source, "scale": round(scale, 4),
              "angle": round(angle, 2), "flip": flip, "gain": round(gain, 4),
              "shift": [round(float(s), 2) for s in shift], "blend": mode, "x": x, "y": y,
              "pasted_px": int(warped.mask.sum()), "source_px": fg.area}
    return image, params
