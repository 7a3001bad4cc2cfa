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


# Ranges of the "warp" augmentation: rotation (radians), scale, shear, the share of images whose
# strokes are thickened, and the share given each serif stroke (a base, a flag).
WARP = dict(angle=0.21, scale=(0.85, 1.15), shear=0.25, thick=0.5, serif=0.4, elastic=2.5)


def _segment(side: int, r0, c0, angle, half, width) -> jax.Array:
    """(B, side, side) images of one anti-aliased line segment each: centre (r0, c0), direction
    ``angle`` (radians from the horizontal, positive downwards), half length and width in pixels."""
    k = jnp.arange(side, dtype=jnp.float32)
    dr, dc = jnp.sin(angle)[:, None, None], jnp.cos(angle)[:, None, None]
    pr, pc = k[None, :, None] - r0[:, None, None], k[None, None, :] - c0[:, None, None]
    t = jnp.clip(pr * dr + pc * dc, -half[:, None, None], half[:, None, None])
    dist = jnp.hypot(pr - t * dr, pc - t * dc)
    return jnp.clip(width[:, None, None] / 2 + 0.5 - dist, 0.0, 1.0)


def _ink_end(imgs: jax.Array, bottom: bool) -> tuple[jax.Array, jax.Array]:
    """Row and column of the ink's lowest (or highest) point in each image."""
    side = imgs.shape[1]
    inked = imgs.sum(2) > 0.5
    row = (side - 1 - jnp.argmax(inked[:, ::-1], axis=1)) if bottom else jnp.argmax(inked, axis=1)
    line = jnp.take_along_axis(imgs, row[:, None, None], axis=1)[:, 0]
    col = (line * jnp.arange(side, dtype=jnp.float32)).sum(1) / jnp.maximum(line.sum(1), 1e-6)
    return row.astype(jnp.float32), col


def _elastic(key: jax.Array, imgs: jax.Array, alpha: float, sigma: float = 4.0) -> jax.Array:
    """Elastic distortion (Simard et al., 2003): every pixel moved by a random displacement
    field smoothed with a Gaussian of ``sigma`` pixels and scaled to ``alpha`` pixels, sampled
    back with linear interpolation. (B, side, side) in and out."""
    b, side = imgs.shape[0], imgs.shape[1]
    k = jnp.arange(side, dtype=jnp.float32)
    g = jnp.exp(-((k[:, None] - k[None, :]) ** 2) / (2 * (sigma * side / 28) ** 2))
    g = g / g.sum(1, keepdims=True)
    field = jax.random.uniform(key, (2, b, side, side), minval=-1.0, maxval=1.0)
    field = jnp.einsum("ij,nbjk,lk->nbil", g, field, g)
    field = field / jnp.maximum(jnp.abs(field).max(axis=(2, 3), keepdims=True), 1e-6) * alpha * side / 28
    rows = k[None, :, None] + field[0]
    cols = k[None, None, :] + field[1]
    sample = lambda img, r, c: jax.scipy.ndimage.map_coordinates(img, [r, c], order=1, mode="constant")
    return jax.vmap(sample)(imgs, rows, cols)


def _serifs(key: jax.Array, imgs: jax.Array, share: float) -> jax.Array:
    """Serif strokes, each on its own ``share`` of the images (B, side, side): a short, nearly
    horizontal base centred under the ink's lowest point, and a flag running down and to the
    left from its highest point. Serif faces and many hands write a 1 (or a 4, 7, 9) so; the
    embedded digits almost never do."""
    b, side = imgs.shape[0], imgs.shape[1]
    px = side / 28
    ks = jax.random.split(key, 8)
    u = lambda k, lo, hi: jax.random.uniform(k, (b,), minval=lo, maxval=hi)
    r, c = _ink_end(imgs, bottom=True)
    base = _segment(side, r, c + u(ks[0], -1, 1) * px, u(ks[1], -0.15, 0.15), u(ks[2], 3, 7) * px,
                    u(ks[3], 1.0, 2.2) * px)
    r, c = _ink_end(imgs, bottom=False)
    angle, half = u(ks[4], 0.5, 1.0), u(ks[5], 2, 4) * px
    flag = _segment(side, r + half * jnp.sin(angle), c - half * jnp.cos(angle), angle, half, u(ks[3], 1.0, 2.2) * px)
    on = jax.random.bernoulli(ks[6], share, (2, b))[..., None, None]
    return jnp.maximum(imgs, jnp.maximum(jnp.where(on[0], base, 0.0), jnp.where(on[1], flag, 0.0)))


def _warp_images(key: jax.Array, x: jax.Array) -> jax.Array:
    """Each flattened square image warped by its own small random affine map (rotation up to
    12°, scale 0.85–1.15, shear up to 0.25, shift up to a fourteenth of the side) and, for half
    of them, strokes thickened by a 2×2 maximum, and for some a serif stroke or two (a base, a
    flag): the variety of real handwriting.

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
    if WARP["elastic"]:
        imgs = _elastic(jax.random.fold_in(key, 2), imgs, WARP["elastic"])
    if WARP["serif"]:
        imgs = _serifs(jax.random.fold_in(key, 1), imgs, WARP["serif"])
    mid = jnp.einsum("brjc,brc->brj", w1, imgs)
    # Pass 2: output row r' of column c' samples row a·r' + bb·c' + e.
    src_r = a[:, None, None] * k[None, :, None] + bb[:, None, None] * k[None, None, :] + e[:, None, None]  # (b, r', c')
    w2 = tent(src_r[..., None] - k)  # (b, r', c', r)
    out = jnp.einsum("bkjr,brj->bkj", w2, mid)
    fat = jnp.maximum(jnp.maximum(out, jnp.roll(out, 1, 1)), jnp.maximum(jnp.roll(out, 1, 2),
                                                                          jnp.roll(out, (1, 1), (1, 2))))
    out = jnp.where(thick[:, None, None], fat, out)
    return jnp.clip(out, 0.0, 1.0).reshape(x.shape)


AUGMENTATIONS["warp"] = ("Random rotation, scale, shear, shift, stroke width and serifs", _warp_images)
