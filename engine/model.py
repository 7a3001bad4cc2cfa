"""The multi-layer perceptron: spec, initialisers, forward pass.

Params are a plain pytree: a list of ``(w, b)`` pairs, ``w`` of shape (n_in, n_out).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp

from engine.activations import ACTIVATIONS
from engine.heads import HEADS

Params = list[tuple[jax.Array, jax.Array]]

MAX_LAYERS = 8
MAX_NEURONS = 512


class SpecError(ValueError):
    """A spec or setting outside its allowed range; the message names the field."""


# name -> (label, init(key, n_in, n_out) -> (w, b))
Init = Callable[[jax.Array, int, int], tuple[jax.Array, jax.Array]]


def _glorot(key, n_in, n_out):
    std = (2.0 / (n_in + n_out)) ** 0.5
    return std * jax.random.normal(key, (n_in, n_out), jnp.float32), jnp.zeros(n_out, jnp.float32)


def _he(key, n_in, n_out):
    std = (2.0 / n_in) ** 0.5
    return std * jax.random.normal(key, (n_in, n_out), jnp.float32), jnp.zeros(n_out, jnp.float32)


def _playground(key, n_in, n_out):
    # TF Playground: weights uniform in [-0.5, 0.5), every bias 0.1.
    w = jax.random.uniform(key, (n_in, n_out), jnp.float32, -0.5, 0.5)
    return w, jnp.full(n_out, 0.1, jnp.float32)


def _zeros(key, n_in, n_out):
    return jnp.zeros((n_in, n_out), jnp.float32), jnp.zeros(n_out, jnp.float32)


INITIALISERS: dict[str, tuple[str, Init | None]] = {
    "auto": ("Auto (Glorot for tanh/sigmoid, He for ReLU family)", None),
    "glorot": ("Glorot (Xavier) normal", _glorot),
    "he": ("He (Kaiming) normal", _he),
    "playground": ("TF Playground: uniform ±0.5, bias 0.1", _playground),
    "zeros": ("Zeros (symmetric: watch it fail)", _zeros),
}


@dataclass(frozen=True)
class MLPSpec:
    """Shape and kind of a network. Hashable, so it can be a static jit argument."""

    n_in: int
    hidden: tuple[int, ...]
    n_out: int = 1
    activation: str = "tanh"
    head: str = "tanh_mse"
    init: str = "auto"

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not 1 <= self.n_in <= 4096:
            raise SpecError(f"n_in must be 1 to 4096, got {self.n_in}")
        if len(self.hidden) > MAX_LAYERS:
            raise SpecError(f"hidden layers must be 0 to {MAX_LAYERS}, got {len(self.hidden)}")
        for i, h in enumerate(self.hidden):
            if not 1 <= h <= MAX_NEURONS:
                raise SpecError(f"hidden layer {i + 1} must have 1 to {MAX_NEURONS} neurons, got {h}")
        if not 1 <= self.n_out <= 100:
            raise SpecError(f"n_out must be 1 to 100, got {self.n_out}")
        for field, table in (("activation", ACTIVATIONS), ("head", HEADS), ("init", INITIALISERS)):
            value = getattr(self, field)
            if value not in table:
                raise SpecError(f"{field} must be one of {', '.join(table)}; got {value!r}")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_in, *self.hidden, self.n_out)

    @property
    def init_name(self) -> str:
        return ACTIVATIONS[self.activation].init if self.init == "auto" else self.init


def init_params(key: jax.Array, spec: MLPSpec) -> Params:
    init = INITIALISERS[spec.init_name][1]
    keys = jax.random.split(key, len(spec.sizes) - 1)
    return [init(k, a, b) for k, a, b in zip(keys, spec.sizes[:-1], spec.sizes[1:])]


def param_count(spec: MLPSpec) -> int:
    return sum(a * b + b for a, b in zip(spec.sizes[:-1], spec.sizes[1:]))


SMALL = 1024  # weight entries: up to this, and for batches up to 64 rows, see _matmul


def _matmul(h: jax.Array, w: jax.Array) -> jax.Array:
    """``h @ w``. For a toy-sized ``w`` and batch, a broadcast multiply-and-sum, which XLA fuses
    with its neighbours: on CPU a separate dot call per tiny matrix costs several times more."""
    if w.size <= SMALL and h.shape[0] <= 64:
        return jnp.sum(h[..., :, None] * w, axis=-2)
    return h @ w


def layer_outputs(params: Params, spec: MLPSpec, x: jax.Array,
                  drop_key: jax.Array | None = None, drop_rate=0.0) -> list[jax.Array]:
    """Every layer's output for inputs ``x`` (N, n_in): hidden activations, then the logits.

    With ``drop_key``, inverted dropout at ``drop_rate`` is applied to each hidden layer.
    """
    act = ACTIVATIONS[spec.activation].fn
    outs = []
    h = x
    for i, (w, b) in enumerate(params[:-1]):
        h = act(_matmul(h, w) + b)  # (N, n_hidden)
        if drop_key is not None:
            keep = jax.random.bernoulli(jax.random.fold_in(drop_key, i), 1.0 - drop_rate, h.shape)
            h = jnp.where(keep, h / (1.0 - drop_rate), 0.0)
        outs.append(h)
    w, b = params[-1]
    outs.append(_matmul(h, w) + b)  # (N, n_out) logits
    return outs


def forward(params: Params, spec: MLPSpec, x: jax.Array, drop_key=None, drop_rate=0.0) -> jax.Array:
    """Logits (N, n_out) for inputs (N, n_in)."""
    return layer_outputs(params, spec, x, drop_key, drop_rate)[-1]
