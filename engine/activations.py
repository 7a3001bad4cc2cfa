"""Activation registry: one table feeds the engine, the dropdowns and the URL state."""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


class Activation(NamedTuple):
    label: str
    fn: Callable[[jax.Array], jax.Array]
    init: str  # the initialiser that suits it when the user picks "auto"


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("Linear", lambda x: x, "glorot"),
    "relu": Activation("ReLU", jax.nn.relu, "he"),
    "tanh": Activation("Tanh", jnp.tanh, "glorot"),
    "sigmoid": Activation("Sigmoid", jax.nn.sigmoid, "glorot"),
    "leaky_relu": Activation("Leaky ReLU", lambda x: jax.nn.leaky_relu(x, 0.01), "he"),
    "elu": Activation("ELU", jax.nn.elu, "he"),
    "gelu": Activation("GELU", lambda x: jax.nn.gelu(x, approximate=False), "he"),
    "silu": Activation("SiLU (swish)", jax.nn.silu, "he"),
    "softplus": Activation("Softplus", jax.nn.softplus, "he"),
    "sine": Activation("Sine", jnp.sin, "glorot"),
    "gaussian": Activation("Gaussian", lambda x: jnp.exp(-x * x), "glorot"),
}


def activation(name: str) -> Callable[[jax.Array], jax.Array]:
    return ACTIVATIONS[name].fn
