"""Prepare a drawing the way MNIST digits were prepared, so a model trained on MNIST can read it.

MNIST's recipe: crop to the ink, scale the longer side to 20 pixels keeping the aspect ratio
(anti-aliased), place the result in a 28×28 frame so that its centre of mass sits at the centre.
Pillow does the resampling and SciPy the centre of mass and the sub-pixel shift.
"""
from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

BOX = 20  # the longer side of the digit, in pixels
SIDE = 28
CENTRE = (14.0, 14.0)  # where the centre of mass of MNIST's digits sits (measured: 13.99, 14.00)
INK = 0.1  # a pixel darker than this (of 1) is background when finding the ink's bounding box


def ink(image: np.ndarray) -> np.ndarray:
    """Ink intensity in [0, 1] from a canvas: (H, W, 4) RGBA, (H, W, 3) RGB or (H, W) grey,
    white strokes on black (or on transparent)."""
    a = np.asarray(image, np.float32)
    if a.max() > 1.0:
        a = a / 255.0
    if a.ndim == 2:
        return a
    lum = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return lum * a[..., 3] if a.shape[-1] == 4 else lum


def mnistify(image: np.ndarray) -> np.ndarray | None:
    """A (28, 28) float32 image in [0, 1], prepared as MNIST's were; None when there is no ink."""
    x = ink(image)
    rows, cols = np.flatnonzero(x.max(1) > INK), np.flatnonzero(x.max(0) > INK)
    if not len(rows) or x.max() >= 0.999 and x.min() >= 0.999:  # empty, or all ink: nothing drawn
        return None
    crop = x[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    small = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.LANCZOS))
    frame = np.zeros((SIDE, SIDE), np.float32)
    top, left = (SIDE - size[1]) // 2, (SIDE - size[0]) // 2
    frame[top:top + size[1], left:left + size[0]] = np.clip(small, 0.0, 1.0)
    cy, cx = ndimage.center_of_mass(frame)
    frame = ndimage.shift(frame, (CENTRE[0] - cy, CENTRE[1] - cx), order=1, mode="constant")
    return np.clip(frame, 0.0, 1.0).astype(np.float32)
