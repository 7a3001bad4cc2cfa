"""Optimiser and learning-rate schedule registries.

Every optimiser is built with ``optax.inject_hyperparams`` so that the learning rate, the
momentum and the weight decay live in the optimiser state as traced arrays: the trainer writes
the current values there each epoch, and turning them mid-run never recompiles.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax


class Optimiser(NamedTuple):
    label: str
    factory: Callable[..., optax.GradientTransformation]  # (learning_rate, momentum, weight_decay)
    uses: tuple[str, ...]  # which of momentum / weight_decay the optimiser reads


OPTIMISERS: dict[str, Optimiser] = {
    "sgd": Optimiser("SGD", lambda learning_rate, momentum, weight_decay: optax.sgd(learning_rate), ()),
    "momentum": Optimiser(
        "SGD + momentum",
        lambda learning_rate, momentum, weight_decay: optax.sgd(learning_rate, momentum=momentum),
        ("momentum",)),
    "nesterov": Optimiser(
        "Nesterov momentum",
        lambda learning_rate, momentum, weight_decay: optax.sgd(learning_rate, momentum=momentum, nesterov=True),
        ("momentum",)),
    "rmsprop": Optimiser(
        "RMSprop",
        lambda learning_rate, momentum, weight_decay: optax.rmsprop(learning_rate, decay=0.9, momentum=momentum),
        ("momentum",)),
    "adam": Optimiser(
        "Adam",
        lambda learning_rate, momentum, weight_decay: optax.adam(learning_rate, b1=momentum),
        ("momentum",)),
    "adamw": Optimiser(
        "AdamW",
        lambda learning_rate, momentum, weight_decay: optax.adamw(
            learning_rate, b1=momentum, weight_decay=weight_decay),
        ("momentum", "weight_decay")),
}


def make_optimiser(name: str) -> optax.GradientTransformation:
    zero = jnp.asarray(0.0, jnp.float32)
    return optax.inject_hyperparams(OPTIMISERS[name].factory)(
        learning_rate=zero, momentum=zero, weight_decay=zero)


def with_hyperparams(opt_state, learning_rate, momentum, weight_decay):
    """The optimiser state with new traced hyperparameter values."""
    hp = dict(opt_state.hyperparams, learning_rate=learning_rate, momentum=momentum,
              weight_decay=weight_decay)
    return opt_state._replace(hyperparams=hp)


class Schedule(NamedTuple):
    label: str
    factor: Callable[[jax.Array, jax.Array, jax.Array], jax.Array]  # (epoch, period, rate) -> multiplier


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule("Constant", lambda epoch, period, rate: jnp.ones((), jnp.float32)),
    "cosine": Schedule(
        "Cosine decay",
        lambda epoch, period, rate: 0.5 * (1 + jnp.cos(jnp.pi * jnp.minimum(epoch / period, 1.0)))),
    "step": Schedule(
        "Step decay",
        lambda epoch, period, rate: rate ** jnp.floor(epoch / period)),
}
SCHEDULE_INDEX = {name: i for i, name in enumerate(SCHEDULES)}


def schedule_factor(index: jax.Array, epoch: jax.Array, period: jax.Array, rate: jax.Array) -> jax.Array:
    """The learning-rate multiplier at ``epoch``; ``index`` is traced, so switching never recompiles."""
    fns = [s.factor for s in SCHEDULES.values()]
    return jax.lax.switch(index, fns, epoch.astype(jnp.float32), period, rate)
