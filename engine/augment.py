"""Data augmentation registry: applied to each training mini-batch inside the jitted chunk."""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp


def _shift_images(key: jax.Array, x: jax.Array, max_shift: int = 2) -> jax.Array:
    """Shift each flattened square image (B, side*side) by up to ``max_shift`` pixels, zero fill."""
    side = int(round(x.shape[1] ** 0.5))
    imgs = x.reshape(-1, side, side)
    padded = jnp.pad(imgs, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    offsets = jax.random.randint(key, (x.shape[0], 2), 0, 2 * max_shift + 1)

    def crop(img, off):
        return jax.lax.dynamic_slice(img, (off[0], off[1]), (side, side))

    return jax.vmap(crop)(padded, offsets).reshape(x.shape)


AUGMENTATIONS: dict[str, tuple[str, Callable[[jax.Array, jax.Array], jax.Array]]] = {
    "none": ("None", lambda key, x: x),
    "shift": ("Random shifts of up to 2 pixels", _shift_images),
}
