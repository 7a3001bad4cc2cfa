"""engine/learn.py against things known to be true: a backpropagation written by hand in NumPy,
jax.grad, finite differences on the loss curve, the trainer's own SGD step, and the update
formulas of SGD, momentum and Adam written out."""
from __future__ import annotations

import ast
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.heads import HEADS
from engine.inspect import layer_activations
from engine.learn import (OUTPUT_NEURONS, activation_names, backprop, loss_along_weight, loss_gradients,
                          loss_surface, losses_at, neuron_formula, neuron_sums, next_update, set_bias,
                          set_weight, sgd_step)
from engine.model import MLPSpec, init_params
from engine.optim import OPTIMISERS
from engine.train import (Data, TrainConfig, data_loss, evaluate, init_state, make_hparams, objective,
                          run_epochs)

SPEC = MLPSpec(2, (3,), 1, "tanh", "tanh_mse")  # 2→3→1, the network the NumPy backprop knows


def _tiny(n=6, seed=0):
    """The 2→3→1 network with non-zero biases, and ``n`` examples labelled ±1."""
    k1, k2, k3, k4 = jax.random.split(jax.random.key(seed), 4)
    params = [(w, b + 0.1 * jax.random.normal(k, b.shape)) for (w, b), k in
              zip(init_params(k1, SPEC), jax.random.split(k4, 2))]
    x = jax.random.normal(k2, (n, 2), jnp.float32)
    y = jnp.where(jax.random.uniform(k3, (n,)) > 0.5, 1.0, -1.0).astype(jnp.float32)
    return params, x, y


def np_backprop(params, x, y):
    """L = mean ½(tanh(z₂) − y)² for a 2→3→1 tanh network, by the chain rule in float64.

    Returns the loss, [(∂L/∂w₁, ∂L/∂b₁), (∂L/∂w₂, ∂L/∂b₂)] and the deltas [∂L/∂z₁, ∂L/∂z₂].
    """
    (w1, b1), (w2, b2) = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in params]
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a1 = np.tanh(x @ w1 + b1)  # (N, 3)
    out = np.tanh(a1 @ w2 + b2)[:, 0]  # (N,)
    loss = np.mean(0.5 * (out - y) ** 2)
    d2 = ((out - y) * (1 - out ** 2) / len(y))[:, None]  # ∂L/∂z₂ = dL/dout · tanh'(z₂): (N, 1)
    d1 = (d2 @ w2.T) * (1 - a1 ** 2)  # ∂L/∂z₁: back through w₂, then tanh', (N, 3)
    return loss, [(x.T @ d1, d1.sum(0)), (a1.T @ d2, d2.sum(0))], [d1, d2]


def _close(got, want, rtol=1e-5, atol=1e-6):
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)


# --- gradients of the training loss ---------------------------------------------------------------
def test_loss_gradients_match_jax_grad_and_numpy_backprop():
    params, x, y = _tiny()
    grads = loss_gradients(params, SPEC, Data(x, y, x, y))
    assert jax.tree.structure(grads) == jax.tree.structure(params)
    _close(grads, jax.grad(lambda p: evaluate(p, SPEC, Data(x, y, x, y))["train_loss"])(params))
    _close(grads, np_backprop(params, x, y)[1])


# --- the loss along one weight ----------------------------------------------------------------------
@pytest.mark.parametrize("layer,i,j", [(0, 0, 0), (0, 1, 2), (1, 2, 0), (0, None, 1), (1, None, 0)])
def test_loss_curve_slope_is_the_gradient_and_its_value_the_train_loss(layer, i, j):
    params, x, y = _tiny()
    grads = loss_gradients(params, SPEC, Data(x, y, x, y))
    g = grads[layer][0][i, j] if i is not None else grads[layer][1][j]
    current = params[layer][0][i, j] if i is not None else params[layer][1][j]
    offsets = jnp.linspace(-0.5, 0.5, 101)  # holds 0 exactly, at index 50
    curve = loss_along_weight(params, SPEC, x, y, layer, i, j, current + offsets)
    assert curve.shape == (101,)
    np.testing.assert_allclose(curve[50], evaluate(params, SPEC, Data(x, y, x, y))["train_loss"], rtol=1e-6)
    with jax.enable_x64(True):
        p64 = jax.tree.map(lambda a: a.astype(jnp.float64), params)
        h = 1e-4
        near = loss_along_weight(p64, SPEC, x.astype(jnp.float64), y.astype(jnp.float64), layer, i, j,
                                 jnp.float64(current) + h * jnp.arange(-50, 51, dtype=jnp.float64))
        slope = (near[51] - near[49]) / (2 * h)
    np.testing.assert_allclose(slope, g, rtol=1e-4, atol=1e-7)


def test_loss_surface_is_the_loss_with_both_entries_set():
    params, x, y = _tiny()
    v1, v2 = jnp.linspace(-2, 2, 7), jnp.linspace(-1, 1, 5)
    surface = loss_surface(params, SPEC, x, y, (0, 1, 2), (1, None, 0), v1, v2)
    assert surface.shape == (5, 7)
    for r, c in [(0, 0), (4, 6), (2, 3), (1, 5)]:
        p = set_bias(set_weight(params, 0, 1, 2, v1[c]), 1, 0, v2[r])
        np.testing.assert_allclose(surface[r, c], data_loss(p, SPEC, x, y), rtol=1e-6)


def test_choosing_another_weight_does_not_recompile():
    params, x, y = _tiny()
    values = jnp.linspace(-1, 1, 100)
    loss_along_weight(params, SPEC, x, y, 0, 0, 0, values)
    before = losses_at._cache_size()
    for layer, i, j in [(0, 1, 2), (1, 2, 0), (0, None, 1), (1, None, 0)]:
        loss_along_weight(params, SPEC, x, y, layer, i, j, values)
    assert losses_at._cache_size() == before


def test_an_index_outside_the_network_is_refused():
    params, x, y = _tiny()
    with pytest.raises(IndexError):
        loss_along_weight(params, SPEC, x, y, 0, 2, 0, jnp.zeros(3))
    with pytest.raises(IndexError):
        loss_along_weight(params, SPEC, x, y, 2, 0, 0, jnp.zeros(3))


# --- backpropagation step by step ---------------------------------------------------------------
def test_backprop_forward_values_are_the_layer_activations():
    params, x, _ = _tiny()
    spec = MLPSpec(2, (4, 2), 1, "relu", "tanh_mse")
    params = init_params(jax.random.key(3), spec)
    steps = backprop(params, spec, x, jnp.ones(len(x)))
    acts = layer_activations(params, spec, x)
    _close(steps.a[:-1], acts[:-1])
    _close(steps.z[-1], acts[-1])
    _close(steps.a[-1][:, 0], HEADS["tanh_mse"].output(acts[-1]))
    assert [z.shape for z in steps.z] == [(6, 4), (6, 2), (6, 1)]


def test_backprop_of_one_example_matches_numpy_backprop():
    params, x, y = _tiny()
    steps = backprop(params, SPEC, x[3], y[3], lr=0.1)
    loss, grads, deltas = np_backprop(params, x[3:4], y[3:4])
    np.testing.assert_allclose(steps.loss, loss, rtol=1e-6)
    _close(steps.grads, grads)
    _close(steps.delta, [d[0] for d in deltas])
    assert [a.shape for a in steps.a] == [(3,), (1,)]
    _close(steps.new_params, [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(params, grads)])


def test_backprop_of_a_batch_keeps_every_example():
    params, x, y = _tiny()
    steps = backprop(params, SPEC, x, y)
    _, grads, deltas = np_backprop(params, x, y)
    _close(steps.grads, grads)
    _close(steps.delta, deltas)
    assert [d.shape for d in steps.delta] == [(6, 3), (6, 1)]


@pytest.mark.parametrize("head", sorted(HEADS))
def test_backprop_gradients_are_the_loss_gradients_for_every_head(head):
    spec = MLPSpec(3, (5,), 4 if HEADS[head].multiclass else 1, "tanh", head)
    params = init_params(jax.random.key(1), spec)
    x = jax.random.normal(jax.random.key(2), (8, 3))
    y = jax.random.randint(jax.random.key(3), (8,), 0, 4) if HEADS[head].multiclass else \
        jnp.sign(jax.random.normal(jax.random.key(3), (8,)))
    steps = backprop(params, spec, x, y)
    _close(steps.grads, loss_gradients(params, spec, Data(x, y, x, y)))
    np.testing.assert_allclose(steps.loss, data_loss(params, spec, x, y), rtol=1e-6)


def test_sgd_step_after_backprop_is_one_step_of_the_trainer():
    params, x, y = _tiny()
    lr = 0.1
    steps = backprop(params, SPEC, x, y, lr=lr)
    _close(sgd_step(params, steps.grads, lr), steps.new_params, rtol=0, atol=0)
    config = TrainConfig(SPEC, "sgd", batch_size=len(x))
    state = init_state(jax.random.key(0), config)._replace(params=params)
    trained, _ = run_epochs(state, Data(x, y, x, y), make_hparams(learning_rate=lr), config, 1)
    _close(steps.new_params, trained.params)


# --- the optimiser's next step ------------------------------------------------------------------
def _run(optimiser, n=8, **hp):
    params, x, y = _tiny(n)
    config = TrainConfig(SPEC, optimiser, batch_size=n)  # one step per epoch, on every example
    state = init_state(jax.random.key(0), config)._replace(params=params)
    return state, config, make_hparams(**hp), Data(x, y, x, y)


def test_next_update_of_sgd_is_minus_lr_times_the_gradient():
    state, config, hp, data = _run("sgd", learning_rate=0.05)
    g = loss_gradients(state.params, SPEC, data)
    _close(next_update(state, config, hp, data), jax.tree.map(lambda g: -0.05 * g, g))


def test_next_update_includes_the_l2_penalty_on_weights_only():
    state, config, hp, data = _run("sgd", learning_rate=0.05, l2=0.3)
    g = loss_gradients(state.params, SPEC, data)
    want = [(-0.05 * (gw + 0.3 * w), -0.05 * gb) for (w, _), (gw, gb) in zip(state.params, g)]
    _close(next_update(state, config, hp, data), want)


def test_next_update_of_momentum_on_a_fresh_state_is_minus_lr_times_the_gradient():
    # optax.trace: t ← g + μ·t from t = 0, so the first step is −lr·g.
    state, config, hp, data = _run("momentum", learning_rate=0.05, momentum=0.9)
    g = loss_gradients(state.params, SPEC, data)
    _close(next_update(state, config, hp, data), jax.tree.map(lambda g: -0.05 * g, g))


def test_next_update_of_adam_on_a_fresh_state_is_the_textbook_first_step():
    lr, b1, b2, eps = 0.01, 0.8, 0.999, 1e-8  # optax.adam defaults b2, eps; b1 is "momentum"
    state, config, hp, data = _run("adam", learning_rate=lr, momentum=b1)

    def first_step(g):
        m, v = (1 - b1) * g, (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1), v / (1 - b2)
        return -lr * m_hat / (jnp.sqrt(v_hat) + eps)

    g = loss_gradients(state.params, SPEC, data)
    _close(next_update(state, config, hp, data), jax.tree.map(first_step, g), rtol=1e-4)


@pytest.mark.parametrize("optimiser", sorted(OPTIMISERS))
def test_next_update_is_the_change_the_trainer_makes_mid_run(optimiser):
    # Mid-run (optimiser state built up, a cosine schedule partway down), one full-batch epoch
    # of the trainer is one step: its change is what next_update predicts.
    state, config, hp, data = _run(optimiser, learning_rate=0.02, l1=0.01, schedule="cosine",
                                   schedule_period=10)
    state, _ = run_epochs(state, data, hp, config, 3)
    update = next_update(state, config, hp, data)
    after, _ = run_epochs(state, data, hp, config, 1)
    change = jax.tree.map(lambda a, b: a - b, after.params, state.params)
    _close(update, change, rtol=1e-4, atol=1e-6)


# --- editing one entry ------------------------------------------------------------------------------
def test_set_weight_and_set_bias_change_exactly_one_entry():
    params, _, _ = _tiny()
    for new, layer, which, index in [(set_weight(params, 0, 1, 2, 7.5), 0, 0, (1, 2)),
                                     (set_bias(params, 1, 0, -3.25), 1, 1, (0,))]:
        for n, (old_pair, new_pair) in enumerate(zip(params, new)):
            for m, (old, got) in enumerate(zip(old_pair, new_pair)):
                old, got = np.asarray(old), np.asarray(got)
                if (n, m) == (layer, which):
                    assert got[index] == (7.5 if m == 0 else -3.25)
                    changed = np.argwhere(old != got)
                    assert [tuple(c) for c in changed] == [index]
                else:
                    assert np.array_equal(old.view(np.uint32), got.view(np.uint32))


# --- one neuron's sum -------------------------------------------------------------------------------
HAND = [(jnp.array([[0.5, -1.2], [0.3, 0.47]]), jnp.array([0.1, -0.2])),
        (jnp.array([[1.5], [-0.7]]), jnp.array([0.05]))]


def test_neuron_sums_of_a_hand_made_network():
    spec = MLPSpec(2, (2,), 1, "tanh", "tanh_mse")
    x = [0.81, -0.33]
    sums = neuron_sums(HAND, spec, jnp.array(x))
    w1, b1 = np.asarray(HAND[0][0], np.float64), np.asarray(HAND[0][1], np.float64)
    z1 = [x[0] * w1[0, j] + x[1] * w1[1, j] + b1[j] for j in range(2)]
    a1 = np.tanh(z1)
    z2 = a1[0] * 1.5 + a1[1] * -0.7 + 0.05
    np.testing.assert_allclose(sums[0].z, z1, rtol=1e-6)
    np.testing.assert_allclose(sums[0].a, a1, rtol=1e-6)
    np.testing.assert_allclose(sums[1].inputs, a1, rtol=1e-6)
    np.testing.assert_allclose(sums[1].z, [z2], rtol=1e-6)
    np.testing.assert_allclose(sums[1].a, [np.tanh(z2)], rtol=1e-6)
    assert activation_names(spec) == ["tanh", "tanh"]
    # 0.81×(−1.2) + (−0.33)×0.47 − 0.2 = −1.3271; tanh(−1.3271) = −0.8685
    want = "0.81×(−1.20) + (−0.33)×0.47 + (−0.20) = −1.33 → tanh → −0.87"
    assert neuron_formula(sums[0], 1, "tanh") == want


def test_neuron_sums_agree_with_layer_activations():
    params, x, _ = _tiny()
    sums = neuron_sums(params, SPEC, x[2])
    acts = layer_activations(params, SPEC, x[2:3])
    _close([s.a for s in sums[:-1]], [a[0] for a in acts[:-1]])
    _close(sums[-1].z, acts[-1][0])


def test_the_output_neuron_is_what_each_head_shows():
    assert set(OUTPUT_NEURONS) == set(HEADS)
    z = jnp.linspace(-3, 3, 12).reshape(3, 4)
    for name, head in HEADS.items():
        fn = OUTPUT_NEURONS[name][1]
        zz = z if head.multiclass else z[:, :1]
        want = head.output(zz) if head.multiclass else head.output(zz)[:, None]
        _close(fn(zz), want)
    np.testing.assert_allclose(OUTPUT_NEURONS["sigmoid_bce"][1](z), 2 * jax.nn.sigmoid(z) - 1, atol=1e-6)


def test_engine_learn_imports_no_ui_library():
    tree = ast.parse((Path(__file__).parent.parent / "engine" / "learn.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m.split(".")[0] for m in names} & {"streamlit", "plotly"}


def test_objective_without_penalty_is_the_train_loss():
    # next_update's gradient is objective's; loss_gradients' is the train loss: equal without L1/L2.
    state, config, hp, data = _run("sgd")
    np.testing.assert_allclose(objective(state.params, config, hp, data.x_train, data.y_train, None, None),
                               evaluate(state.params, SPEC, data)["train_loss"], rtol=1e-6)
