"""Output heads: what the last layer means, and the loss that trains it.

Label conventions: binary classification uses labels -1 / +1 (float32, as TF Playground);
regression uses float32 targets; multi-class uses int32 class indices.
Every loss here is per example; the trainer averages it over a (masked) batch.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

Array = jax.Array


class Head(NamedTuple):
    label: str
    problem: str  # "classification" or "regression"
    multiclass: bool
    loss: Callable[[Array, Array], Array]  # (logits (N, K), y (N,)) -> (N,)
    output: Callable[[Array], Array]  # logits (N, K) -> what the map shows: (N,) in [-1, 1], or (N, K) probs
    correct: Callable[[Array, Array], Array] | None  # (logits, y) -> (N,) 0/1


def _sq(z: Array) -> Array:
    return z[:, 0]


def _sign_correct(score: Array, y: Array) -> Array:
    return ((score >= 0) == (y >= 0)).astype(jnp.float32)


HEADS: dict[str, Head] = {
    "tanh_mse": Head(
        "Tanh + squared error (TF Playground)", "classification", False,
        loss=lambda z, y: 0.5 * (jnp.tanh(_sq(z)) - y) ** 2,
        output=lambda z: jnp.tanh(_sq(z)),
        correct=lambda z, y: _sign_correct(_sq(z), y),
    ),
    "sigmoid_bce": Head(
        "Sigmoid + binary cross-entropy", "classification", False,
        loss=lambda z, y: optax.sigmoid_binary_cross_entropy(_sq(z), (y + 1) / 2),
        output=lambda z: jnp.tanh(_sq(z) / 2),  # = 2·sigmoid(z) − 1
        correct=lambda z, y: _sign_correct(_sq(z), y),
    ),
    "hinge": Head(
        "Linear + hinge loss (SVM-like)", "classification", False,
        loss=lambda z, y: jax.nn.relu(1.0 - y * _sq(z)),
        output=lambda z: jnp.clip(_sq(z), -1.0, 1.0),
        correct=lambda z, y: _sign_correct(_sq(z), y),
    ),
    "softmax_ce": Head(
        "Softmax + cross-entropy (multi-class)", "classification", True,
        loss=lambda z, y: optax.softmax_cross_entropy_with_integer_labels(z, y),
        output=lambda z: jax.nn.softmax(z, axis=-1),
        correct=lambda z, y: (jnp.argmax(z, axis=-1) == y).astype(jnp.float32),
    ),
    "linear_mse": Head(
        "Linear + squared error", "regression", False,
        loss=lambda z, y: 0.5 * (_sq(z) - y) ** 2,
        output=_sq,
        correct=None,
    ),
    "linear_huber": Head(
        "Linear + Huber loss", "regression", False,
        loss=lambda z, y: optax.huber_loss(_sq(z), y, delta=1.0),
        output=_sq,
        correct=None,
    ),
}


def heads_for(problem: str, multiclass: bool = False) -> list[str]:
    """Names of the heads that suit a problem, TF Playground's own first."""
    return [n for n, h in HEADS.items() if h.problem == problem and h.multiclass == multiclass]
