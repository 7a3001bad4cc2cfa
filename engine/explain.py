"""Why did the network answer that: three maps over one input image.

- ``saliency``: ∂ score_c / ∂ pixel, the gradient of the winning class's score (its logit) with
  respect to each input pixel. Positive: more ink there would raise the score; negative: lower it.
- ``occlusion``: p_c(image) − p_c(image with one patch greyed out), for every patch at once
  (``vmap`` over the patches): how much the answer leans on each part of the image.
- ``contrast``: ∂ (score_a − score_b) / ∂ pixel, "why a and not b": the pixels that tip the
  answer from b towards a.

Pure JAX; each map is one jitted call. The model is the digits lab's MLP (``engine.model``) whose
head is a softmax over classes; ``x`` is one flattened image (side·side,) in [0, 1].
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from engine.model import MLPSpec, Params, forward

GREY = 0.5  # the value a greyed-out patch takes: halfway between black (0) and white ink (1)


def scores(params: Params, spec: MLPSpec, x: jax.Array) -> jax.Array:
    """The class scores (logits) (K,) for one image ``x`` (n_in,)."""
    return forward(params, spec, x[None, :])[0]


def _score_gap(x, params, spec, a, b):
    z = scores(params, spec, x)
    return z[a] - jnp.where(b >= 0, z[jnp.maximum(b, 0)], 0.0)


@partial(jax.jit, static_argnums=1)
def saliency(params: Params, spec: MLPSpec, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(∂ z_c / ∂ x of shape (n_in,), c): the gradient of the winning class c's score."""
    c = jnp.argmax(scores(params, spec, x))
    return jax.grad(_score_gap)(x, params, spec, c, -1), c


@partial(jax.jit, static_argnums=1)
def contrast(params: Params, spec: MLPSpec, x: jax.Array, a, b) -> jax.Array:
    """∂ (z_a − z_b) / ∂ x (n_in,): which pixels make the answer ``a`` rather than ``b``."""
    return jax.grad(_score_gap)(x, params, spec, jnp.asarray(a, jnp.int32), jnp.asarray(b, jnp.int32))


def patch_masks(side: int, patch: int) -> jax.Array:
    """(P, side·side) booleans, one row per patch of ``patch``×``patch`` pixels, row-major over a
    grid of ceil(side / patch)² patches (the last row and column are cut short if need be)."""
    n = -(-side // patch)
    rows = jnp.arange(side) // patch  # (side,) the patch row of each pixel row
    cell = (rows[:, None] * n + rows[None, :]).reshape(-1)  # (side·side,) patch index of each pixel
    return cell[None, :] == jnp.arange(n * n)[:, None]


@partial(jax.jit, static_argnames=("spec", "side", "patch"))
def occlusion(params: Params, spec: MLPSpec, x: jax.Array, side: int = 28, patch: int = 4,
              fill=GREY, temperature=1.0) -> tuple[jax.Array, jax.Array]:
    """(drop of shape (n, n), c) with n = ceil(side / patch): the winning class c's probability on
    ``x`` minus its probability with each patch set to ``fill``. Probabilities are
    softmax(scores / temperature). Positive: hiding that patch costs the answer confidence."""
    p = lambda img: jax.nn.softmax(scores(params, spec, img) / temperature)
    p0 = p(x)
    c = jnp.argmax(p0)
    masks = patch_masks(side, patch)  # (P, n_in)
    hidden = jax.vmap(lambda m: p(jnp.where(m, fill, x))[c])(masks)  # (P,)
    n = -(-side // patch)
    return (p0[c] - hidden).reshape(n, n), c


def probabilities(params: Params, spec: MLPSpec, x: jax.Array, temperature=1.0) -> jax.Array:
    """softmax(scores / temperature) (K,) for one image."""
    return jax.nn.softmax(_scores_jit(params, spec, x) / temperature)


_scores_jit = jax.jit(scores, static_argnums=1)
