"""How a network learns, made visible: one neuron's sum, the gradients, the optimiser's next
step, backpropagation layer by layer, and the loss along one or two weights.

Every number here comes from the engine's own pieces (the activation and head registries,
``data_loss``, ``objective`` and the run's optax optimiser), so what a page prints is what
training does. Functions called per frame are jitted with the spec (or config) static; weight
indices are traced values, so choosing another weight never recompiles.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from engine.activations import ACTIVATIONS
from engine.heads import HEADS
from engine.model import MLPSpec, Params
from engine.optim import make_optimiser, schedule_factor, with_hyperparams
from engine.train import Data, HParams, TrainConfig, TrainState, data_loss, objective

Array = jax.Array

# head -> (name shown, function): what the output neuron does to its sum z, elementwise
# (softmax over the output layer). The same numbers the decision map shows.
OUTPUT_NEURONS: dict[str, tuple[str, Callable[[Array], Array]]] = {
    "tanh_mse": ("tanh", jnp.tanh),
    "sigmoid_bce": ("2·sigmoid−1", lambda z: jnp.tanh(z / 2)),  # = 2σ(z) − 1, in [−1, 1]
    "hinge": ("clip to ±1", lambda z: jnp.clip(z, -1.0, 1.0)),
    "softmax_ce": ("softmax", lambda z: jax.nn.softmax(z, axis=-1)),
    "linear_mse": ("identity", lambda z: z),
    "linear_huber": ("identity", lambda z: z),
}


def activation_names(spec: MLPSpec) -> list[str]:
    """The name of each layer's activation: the hidden one per hidden layer, then the output's."""
    return [spec.activation] * len(spec.hidden) + [OUTPUT_NEURONS[spec.head][0]]


def _layer_fns(spec: MLPSpec) -> list[Callable[[Array], Array]]:
    return [ACTIVATIONS[spec.activation].fn] * len(spec.hidden) + [OUTPUT_NEURONS[spec.head][1]]


def _affine(h: Array, w: Array, b: Array) -> Array:
    return h @ w + b


# --- 1. one neuron's weighted sum -----------------------------------------------------------------
class NeuronSums(NamedTuple):
    inputs: Array  # (n_in,) what flows into the layer
    w: Array  # (n_in, n_out)
    b: Array  # (n_out,)
    z: Array  # (n_out,) pre-activation: inputs @ w + b
    a: Array  # (n_out,) activation output


def _neuron_sums(params: Params, spec: MLPSpec, x: Array) -> list[NeuronSums]:
    out, h = [], x
    for (w, b), fn in zip(params, _layer_fns(spec)):
        z = _affine(h, w, b)
        out.append(NeuronSums(h, w, b, z, fn(z)))
        h = out[-1].a
    return out


neuron_sums = jax.jit(_neuron_sums, static_argnums=1)
neuron_sums.__doc__ = """Every layer's sums for ONE input row ``x`` (n_in,), in feature space.

Returns a list of :class:`NeuronSums`, one per layer; the last layer's ``a`` is the output
neuron's function of z (see ``OUTPUT_NEURONS``), its ``z`` the logits.
"""


def _num(v: float, digits: int, paren: bool) -> str:
    s = f"{v:.{digits}f}".replace("-", "−")
    return f"({s})" if paren and v < 0 else s


def neuron_formula(sums: NeuronSums, j: int, name: str, digits: int = 2) -> str:
    """``0.81×(−1.20) + (−0.33)×0.47 + 0.10 = −0.92 → tanh → −0.73`` for neuron ``j``."""
    terms = [f"{_num(float(x), digits, i > 0)}×{_num(float(w), digits, True)}"
             for i, (x, w) in enumerate(zip(sums.inputs, sums.w[:, j]))]
    terms.append(_num(float(sums.b[j]), digits, True))
    z, a = float(sums.z[j]), float(sums.a[j])
    return f"{' + '.join(terms)} = {_num(z, digits, False)} → {name} → {_num(a, digits, False)}"


# --- 2. gradients of the training loss ------------------------------------------------------------
def _loss_gradients(params: Params, spec: MLPSpec, data: Data) -> Params:
    return jax.grad(data_loss)(params, spec, data.x_train, data.y_train)


loss_gradients = jax.jit(_loss_gradients, static_argnums=1)
loss_gradients.__doc__ = """∂L/∂w and ∂L/∂b (same pytree as params) of the mean data loss over the
whole training set: the ``train_loss`` that ``evaluate`` reports (no penalty, no dropout)."""


# --- 3. the optimiser's next step -----------------------------------------------------------------
def step_learning_rate(hp: HParams, epoch: Array) -> Array:
    """The learning rate every step of ``epoch`` uses: the base rate times the schedule's factor
    (as ``engine.train._epoch`` sets it)."""
    return hp.learning_rate * schedule_factor(hp.schedule, epoch, hp.schedule_period, hp.schedule_rate)


def _next_update(state: TrainState, config: TrainConfig, hp: HParams, data: Data) -> Params:
    lr = step_learning_rate(hp, state.epoch)
    opt_state = with_hyperparams(state.opt_state, lr, hp.momentum, hp.weight_decay)
    # key None: no dropout; mask None: every example counts.
    grads = jax.grad(objective)(state.params, config, hp, data.x_train, data.y_train, None, None)
    updates, _ = make_optimiser(config.optimiser).update(grads, opt_state, state.params)
    return updates


next_update = jax.jit(_next_update, static_argnames="config")
next_update.__doc__ = """The change (new w − w, same pytree as params) that the run's optimiser,
with its current state and hyperparameters, makes on a step whose gradient is the whole training
set's gradient of the objective (data loss + L1/L2 penalty, no dropout)."""


# --- 4. backpropagation, step by step -------------------------------------------------------------
class Backprop(NamedTuple):
    z: list[Array]  # per layer (B, width): pre-activations
    a: list[Array]  # per layer (B, width): activations; the last is the output neuron's
    loss: Array  # () mean loss over the B examples
    delta: list[Array]  # per layer (B, width): ∂loss/∂z, each example's share (includes 1/B)
    grads: Params  # per layer (∂loss/∂w (n_in, n_out), ∂loss/∂b (n_out,))
    new_params: Params  # after one plain SGD step: w − lr·∂loss/∂w


def sgd_step(params: Params, grads: Params, lr) -> Params:
    """One plain gradient-descent step: every ``p − lr·g``."""
    return jax.tree.map(lambda p, g: p - lr * g, params, grads)


def _backprop(params: Params, spec: MLPSpec, x: Array, y: Array, lr) -> Backprop:
    act = ACTIVATIONS[spec.activation].fn
    h, zs, hs, affine_vjps, act_vjps = x, [], [], [], []
    for n, (w, b) in enumerate(params):  # forward, keeping each layer's pullbacks
        z, affine_vjp = jax.vjp(_affine, h, w, b)  # (B, n_out)
        zs.append(z)
        affine_vjps.append(affine_vjp)
        if n < len(params) - 1:
            h, act_vjp = jax.vjp(act, z)  # (B, n_out)
            hs.append(h)
            act_vjps.append(act_vjp)
    a = hs + [OUTPUT_NEURONS[spec.head][1](zs[-1])]
    loss, loss_vjp = jax.vjp(lambda z: HEADS[spec.head].loss(z, y).mean(), zs[-1])
    (d,) = loss_vjp(jnp.ones_like(loss))  # δ at the output: ∂loss/∂z
    deltas, grads = [d], []
    for n in reversed(range(len(params))):  # backward, from the output layer
        dh, dw, db = affine_vjps[n](d)
        grads.insert(0, (dw, db))
        if n:
            (d,) = act_vjps[n - 1](dh)  # ∂loss/∂a of the layer below, times its act'(z)
            deltas.insert(0, d)
    return Backprop(zs, a, loss, deltas, grads, sgd_step(params, grads, lr))


_backprop_jit = jax.jit(_backprop, static_argnums=1)


def backprop(params: Params, spec: MLPSpec, x, y, lr=0.03) -> Backprop:
    """Backpropagation layer by layer, with each layer's own ``jax.vjp``.

    Args:
        x: one example (n_in,) or a mini-batch (B, n_in), in feature space.
        y: its label (scalar) or labels (B,).
        lr: the learning rate of the plain SGD step in ``new_params``.

    Returns:
        A :class:`Backprop`. For one example, ``z``, ``a`` and ``delta`` are (width,) per
        layer; for a batch, (B, width): per example, not averaged.
    """
    x = jnp.asarray(x, jnp.float32)
    y = jnp.asarray(y)
    one = x.ndim == 1
    out = _backprop_jit(params, spec, jnp.atleast_2d(x), jnp.atleast_1d(y), jnp.float32(lr))
    if one:
        first = lambda vs: [v[0] for v in vs]
        out = out._replace(z=first(out.z), a=first(out.a), delta=first(out.delta))
    return out


# --- 5. the loss along one weight, and over two -----------------------------------------------
def flat_index(spec: MLPSpec, layer: int, i: int | None, j: int) -> int:
    """Where w[layer][i, j] (b[layer][j] when ``i`` is None) sits in the flattened params."""
    sizes = spec.sizes
    if not 0 <= layer < len(sizes) - 1:
        raise IndexError(f"layer must be 0 to {len(sizes) - 2}, got {layer}")
    n_in, n_out = sizes[layer], sizes[layer + 1]
    if not 0 <= j < n_out or (i is not None and not 0 <= i < n_in):
        raise IndexError(f"layer {layer} has weights ({n_in}, {n_out}); got i={i}, j={j}")
    start = sum(a * b + b for a, b in zip(sizes[:layer], sizes[1:layer + 1]))
    return start + (n_in * n_out + j if i is None else i * n_out + j)


def _losses_at(params: Params, spec: MLPSpec, x: Array, y: Array, ks: Array, vs: Array) -> Array:
    flat, unravel = ravel_pytree(params)  # (P,)
    loss = lambda v: data_loss(unravel(flat.at[ks].set(v)), spec, x, y)  # v (C,) into entries ks (C,)
    return jax.vmap(loss)(vs.astype(flat.dtype))  # (M,)


losses_at = jax.jit(_losses_at, static_argnums=1)
losses_at.__doc__ = """Mean data loss on ``x``, ``y`` for each row of ``vs`` (M, C) written into the
flattened params at positions ``ks`` (C,) (see ``flat_index``), all else frozen: (M,)."""


def loss_along_weight(params: Params, spec: MLPSpec, x, y, layer: int, i: int | None, j: int,
                      values) -> Array:
    """The training loss (mean data loss) with w[layer][i, j] set to each of ``values`` (V,):
    (V,). With ``i`` None, the bias b[layer][j]. One jitted, vmapped call."""
    k = jnp.asarray([flat_index(spec, layer, i, j)], jnp.int32)
    return losses_at(params, spec, x, y, k, jnp.asarray(values)[:, None])


def loss_surface(params: Params, spec: MLPSpec, x, y, coord1: tuple, coord2: tuple,
                 values1, values2) -> Array:
    """The training loss over a grid of two entries, for a contour map.

    ``coord1`` and ``coord2`` are ``(layer, i, j)``, with ``i`` None for a bias. Returns
    (len(values2), len(values1)): rows follow ``values2`` (the y axis), columns ``values1``.
    """
    k = jnp.asarray([flat_index(spec, *coord1), flat_index(spec, *coord2)], jnp.int32)
    v1, v2 = jnp.meshgrid(jnp.asarray(values1), jnp.asarray(values2))  # (V2, V1) each
    vs = jnp.stack([v1.ravel(), v2.ravel()], 1)  # (V2·V1, 2)
    return losses_at(params, spec, x, y, k, vs).reshape(v1.shape)


# --- 6. editing one entry -------------------------------------------------------------------------
def set_weight(params: Params, layer: int, i: int, j: int, value) -> Params:
    """New params with w[layer][i, j] = ``value``; every other array is the same object."""
    out = list(params)
    w, b = out[layer]
    out[layer] = (w.at[i, j].set(value), b)
    return out


def set_bias(params: Params, layer: int, j: int, value) -> Params:
    """New params with b[layer][j] = ``value``; every other array is the same object."""
    out = list(params)
    w, b = out[layer]
    out[layer] = (w, b.at[j].set(value))
    return out
