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
