"""Looking inside a network: every neuron over a grid, every layer for given inputs."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from engine.heads import HEADS
from engine.model import MLPSpec, Params, layer_outputs


def _neuron_maps(params: Params, spec: MLPSpec, x: jax.Array) -> list[jax.Array]:
    outs = layer_outputs(params, spec, x)
    return outs[:-1] + [HEADS[spec.head].output(outs[-1])]


neuron_maps = jax.jit(_neuron_maps, static_argnums=1)
neuron_maps.__doc__ = """Every neuron's output at the points ``x`` (N, n_in), in one call.

Returns one array per hidden layer (N, width), then the head's output: (N,) in [-1, 1] for
binary classification and regression, or (N, K) class probabilities.
"""


def _layer_activations(params: Params, spec: MLPSpec, x: jax.Array) -> list[jax.Array]:
    outs = layer_outputs(params, spec, x)
    return outs[:-1] + [jax.nn.softmax(outs[-1], -1) if HEADS[spec.head].multiclass else outs[-1]]


layer_activations = jax.jit(_layer_activations, static_argnums=1)
layer_activations.__doc__ = """Per-layer activations for inputs ``x``: hidden layers, then the
output (class probabilities for a multi-class head, logits otherwise)."""


def predict(params: Params, spec: MLPSpec, x) -> jax.Array:
    """The head's output for inputs ``x``."""
    return neuron_maps(params, spec, jnp.asarray(x, jnp.float32))[-1]
