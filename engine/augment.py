"""Data augmentation registry: applied to each training mini-batch inside the jitted chunk."""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp


def _shift_images(key: jax.Array, x: jax.Array, max_shift: int | None = None) -> jax.Array:
    """Shift each flattened square image (B, side*side) by up to ``max_shift`` pixels, zero fill
    (by default 2 pixels on 28×28 MNIST, 1 on 8×8 digits: about a fourteenth of the side)."""
    side = int(round(x.shape[1] ** 0.5))
    max_shift = max(1, side // 14) if max_shift is None else max_shift
    imgs = x.reshape(-1, side, side)
    padded = jnp.pad(imgs, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    offsets = jax.random.randint(key, (x.shape[0], 2), 0, 2 * max_shift + 1)

    def crop(img, off):
        return jax.lax.dynamic_slice(img, (off[0], off[1]), (side, side))

    return jax.vmap(crop)(padded, offsets).reshape(x.shape)


AUGMENTATIONS: dict[str, tuple[str, Callable[[jax.Array, jax.Array], jax.Array]]] = {
    "none": ("None", lambda key, x: x),
    "shift": ("Random shifts (2 pixels on 28×28)", _shift_images),
}


# Ranges of the "warp" augmentation: rotation (radians), scale, shear, and the share of images
# whose strokes are thickened.
WARP = dict(angle=0.21, scale=(0.85, 1.15), shear=0.25, thick=0.5)


def _warp_images(key: jax.Array, x: jax.Array) -> jax.Array:
    """Each flattened square image warped by its own small random affine map (rotation up to
    12°, scale 0.85–1.15, shear up to 0.25, shift up to a fourteenth of the side) and, for half
    of them, strokes thickened by a 2×2 maximum: the variety of real handwriting.

    The warp is done in two separable passes of linear interpolation written as small tent-weight
    matrices (rows, then columns), so it is a pair of batched matrix products, not a gather.
    """
    side = int(round(x.shape[1] ** 0.5))
    b = x.shape[0]
    ks = jax.random.split(key, 5)
    angle = jax.random.uniform(ks[0], (b,), minval=-WARP["angle"], maxval=WARP["angle"])
    scale = jax.random.uniform(ks[1], (b,), minval=WARP["scale"][0], maxval=WARP["scale"][1])
    shear = jax.random.uniform(ks[2], (b,), minval=-WARP["shear"], maxval=WARP["shear"])
    shift = jax.random.uniform(ks[3], (b, 2), minval=-side / 14, maxval=side / 14)
    thick = jax.random.bernoulli(ks[4], WARP["thick"], (b,))
    # Inverse map, centred coordinates: (r, c) = [[a, bb], [p, q]] (r', c') + (e, f).
    cos, sin = jnp.cos(angle) / scale, jnp.sin(angle) / scale
    a, bb = cos, -sin
    p, q = sin + shear * cos, cos - shear * sin
    e, f = -shift[:, 0], -shift[:, 1]
    k = jnp.arange(side, dtype=jnp.float32) - (side - 1) / 2  # centred pixel coordinates
    tent = lambda d: jnp.maximum(0.0, 1.0 - jnp.abs(d))
    # Pass 1: for each input row r, column c' samples column alpha·r + beta·c' + gamma.
    alpha, beta, gamma = p / a, q - p * bb / a, f - p * e / a
    src_c = (alpha[:, None, None] * k[None, :, None] + beta[:, None, None] * k[None, None, :]
             + gamma[:, None, None])  # (b, r, c')
    w1 = tent(src_c[..., None] - k)  # (b, r, c', c)
    imgs = x.reshape(b, side, side)
    mid = jnp.einsum("brjc,brc->brj", w1, imgs)
    # Pass 2: output row r' of column c' samples row a·r' + bb·c' + e.
    src_r = a[:, None, None] * k[None, :, None] + bb[:, None, None] * k[None, None, :] + e[:, None, None]  # (b, r', c')
    w2 = tent(src_r[..., None] - k)  # (b, r', c', r)
    out = jnp.einsum("bkjr,brj->bkj", w2, mid)
    fat = jnp.maximum(jnp.maximum(out, jnp.roll(out, 1, 1)), jnp.maximum(jnp.roll(out, 1, 2),
                                                                          jnp.roll(out, (1, 1), (1, 2))))
    out = jnp.where(thick[:, None, None], fat, out)
    return jnp.clip(out, 0.0, 1.0).reshape(x.shape)


AUGMENTATIONS["warp"] = ("Random rotation, scale, shear, shift and stroke width", _warp_images)
