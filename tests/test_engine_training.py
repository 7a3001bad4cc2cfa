"""Training behaviour: TF Playground's classic lessons, reproducibility, recompilation, divergence."""
from __future__ import annotations

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.model import MLPSpec, SpecError, init_params, param_count
from engine.toydata import features, make_toy_data
from engine.train import (BLEW_UP, NOT_FINITE, Data, TrainConfig, init_state, make_hparams, new_optimiser,
                          permutation, run_epochs, train_chunk)
from tests.conftest import ROOT


def toy(name, feats, noise=0.0, seed=0):
    d = make_toy_data(name, noise, 0.5, seed)
    return Data(*(jnp.asarray(a) for a in (features(d.points_train, feats), d.y_train,
                                           features(d.points_test, feats), d.y_test)))


def train(name, feats, hidden, epochs, seed=0, **hp):
    data = toy(name, feats)
    cfg = TrainConfig(MLPSpec(len(feats), hidden), "sgd", 10)
    state = init_state(jax.random.key(seed), cfg)
    return run_epochs(state, data, make_hparams(**hp), cfg, epochs)


def test_circle_is_solved_by_squares_without_hidden_layers():
    _, m = train("circle", ("x1sq", "x2sq"), (), 300)
    assert m["test_loss"].min() < 0.05


def test_xor_is_solved_by_the_product_feature_alone():
    _, m = train("xor", ("x1x2",), (), 300)
    assert m["test_loss"].min() < 0.05


def test_xor_is_not_solved_linearly_from_x1_and_x2():
    _, m = train("xor", ("x1", "x2"), (), 300)
    assert m["test_acc"].max() < 0.75  # a line cannot separate XOR


def test_spiral_needs_depth_and_gets_it():
    _, m = train("spiral", ("x1", "x2"), (8, 8), 2000)
    assert m["test_loss"].min() < 0.15


def test_same_seed_same_run_other_seed_other_run():
    a_state, a = train("circle", ("x1", "x2"), (4, 2), 20, seed=3)
    b_state, b = train("circle", ("x1", "x2"), (4, 2), 20, seed=3)
    c_state, c = train("circle", ("x1", "x2"), (4, 2), 20, seed=4)
    np.testing.assert_array_equal(a["train_loss"], b["train_loss"])
    for x, y in zip(jax.tree.leaves(a_state.params), jax.tree.leaves(b_state.params)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a["train_loss"], c["train_loss"])
    d0, d1 = make_toy_data("spiral", 0.2, 0.5, 0), make_toy_data("spiral", 0.2, 0.5, 1)
    assert not np.array_equal(d0.points_train, d1.points_train)


@pytest.mark.parametrize("spec,count", [
    (MLPSpec(2, (4, 2)), 2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1),  # TF Playground's default: 25
    (MLPSpec(2, ()), 3),
    (MLPSpec(7, (8,) * 6), 7 * 8 + 8 + 5 * (8 * 8 + 8) + 8 + 1),
    (MLPSpec(784, (256, 128), 10, "relu", "softmax_ce"), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10),
])
def test_exact_parameter_counts(spec, count):
    params = init_params(jax.random.key(0), spec)
    assert param_count(spec) == count == sum(a.size for a in jax.tree.leaves(params))
    assert [w.shape for w, _ in params] == list(zip(spec.sizes[:-1], spec.sizes[1:]))


@pytest.mark.parametrize("kwargs,field", [
    (dict(n_in=2, hidden=(4,) * 9), "hidden layers"),
    (dict(n_in=2, hidden=(0,)), "hidden layer 1"),
    (dict(n_in=2, hidden=(513,)), "hidden layer 1"),
    (dict(n_in=2, hidden=(), activation="swoosh"), "activation"),
    (dict(n_in=2, hidden=(), head="nope"), "head"),
])
def test_bad_specs_are_rejected_with_the_field_named(kwargs, field):
    with pytest.raises(SpecError, match=field):
        MLPSpec(**kwargs)


def test_initialisers():
    spec = MLPSpec(2, (4,), init="playground")
    (w, b), _ = init_params(jax.random.key(0), spec)
    assert float(w.min()) >= -0.5 and float(w.max()) < 0.5 and np.all(np.asarray(b) == np.float32(0.1))
    zeros = init_params(jax.random.key(0), MLPSpec(2, (4,), init="zeros"))
    assert all(float(jnp.abs(a).max()) == 0 for a in jax.tree.leaves(zeros))
    he = init_params(jax.random.key(0), MLPSpec(200, (400,), activation="relu"))[0][0]
    assert float(he.std()) == pytest.approx((2 / 200) ** 0.5, rel=0.05)  # auto picks He for ReLU


def test_zero_init_keeps_hidden_neurons_identical():
    """The symmetric-weights lesson: with zeros, every hidden neuron stays the same."""
    data = toy("circle", ("x1", "x2"))
    cfg = TrainConfig(MLPSpec(2, (4,), init="zeros"))
    state, _ = run_epochs(init_state(jax.random.key(0), cfg), data, make_hparams(), cfg, 20)
    w1 = np.asarray(state.params[0][0])
    assert np.allclose(w1, w1[:, :1])


def test_changing_hyperparameters_does_not_recompile():
    data = toy("circle", ("x1", "x2"))
    cfg = TrainConfig(MLPSpec(2, (5, 3)), "momentum", 10)
    state = init_state(jax.random.key(0), cfg)
    state, _ = train_chunk(state, data, make_hparams(learning_rate=0.03), config=cfg, n_epochs=7)
    before = train_chunk._cache_size()
    for lr, mom, l1, l2, sched in [(0.1, 0.5, 0.0, 0.01, "cosine"), (0.001, 0.9, 0.003, 0.0, "step"),
                                   (1.0, 0.0, 0.0, 0.0, "constant")]:
        state, m = train_chunk(state, data, make_hparams(lr, mom, l1=l1, l2=l2, schedule=sched),
                               config=cfg, n_epochs=7)
    assert train_chunk._cache_size() == before
    assert int(state.epoch) == 28  # the network and its progress were kept


def test_learning_rate_reaches_the_optimiser():
    data = toy("circle", ("x1", "x2"))
    cfg = TrainConfig(MLPSpec(2, (4,)))
    state = init_state(jax.random.key(0), cfg)
    frozen, _ = run_epochs(state, data, make_hparams(learning_rate=0.0), cfg, 3)
    moved, _ = run_epochs(state, data, make_hparams(learning_rate=0.1), cfg, 3)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(frozen.params)))
    assert not all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(moved.params)))


@pytest.mark.parametrize("optimiser", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_every_optimiser_learns_the_circle(optimiser):
    data = toy("circle", ("x1", "x2"))
    cfg = TrainConfig(MLPSpec(2, (6,)), optimiser, 10)
    lr = 0.03 if optimiser in ("sgd", "momentum", "nesterov") else 0.01
    state = init_state(jax.random.key(0), cfg)
    _, m = run_epochs(state, data, make_hparams(learning_rate=lr, momentum=0.9 if optimiser != "sgd" else 0.0), cfg, 150)
    assert m["test_loss"][-1] < 0.6 * m["test_loss"][0]
    assert m["test_acc"][-1] > 0.9


def test_switching_optimiser_keeps_the_weights():
    cfg = TrainConfig(MLPSpec(2, (4,)), "sgd")
    state = init_state(jax.random.key(0), cfg)
    switched = new_optimiser(state, TrainConfig(cfg.spec, "adam"))
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(switched.params)))


def test_divergence_is_reported_and_stops_cleanly():
    data = toy("circle", ("x1sq", "x2sq"))
    cfg = TrainConfig(MLPSpec(2, (8,), activation="relu", head="linear_mse"))
    state = init_state(jax.random.key(0), cfg)
    new, m = run_epochs(state, data, make_hparams(learning_rate=10.0), cfg, 50)
    assert m["diverged"] in (NOT_FINITE, BLEW_UP)
    ran = int(np.isfinite(m["train_loss"]).sum())
    assert ran < 50 and np.all(np.isnan(m["train_loss"][ran:]))
    assert all(np.all(np.isfinite(a)) for a in jax.tree.leaves(new.params))  # the last good state
    assert int(new.epoch) == ran


def test_saturating_tanh_net_at_learning_rate_10_is_reported_as_blown_up():
    data = toy("spiral", ("x1", "x2"))
    cfg = TrainConfig(MLPSpec(2, (8, 8)))
    _, m = run_epochs(init_state(jax.random.key(0), cfg), data, make_hparams(learning_rate=10.0), cfg, 50)
    assert m["diverged"] == BLEW_UP


def test_a_good_run_is_never_reported_as_diverged():
    for name, feats, hidden in [("spiral", ("x1", "x2"), (8, 8)), ("circle", ("x1", "x2"), (4, 2)),
                                ("xor", ("x1", "x2"), (4,))]:
        for seed in range(3):
            _, m = train(name, feats, hidden, 200, seed=seed, learning_rate=0.03)
            assert m["diverged"] == 0


@pytest.mark.parametrize("n", [1, 7, 250, 600, 5000])
def test_permutation_is_a_permutation(n):
    p = np.asarray(permutation(jax.random.key(n), n))
    assert sorted(p) == list(range(n))
    if n > 10:
        assert not np.array_equal(p, np.arange(n))
        assert not np.array_equal(p, np.asarray(permutation(jax.random.key(n + 1), n)))


def test_shuffles_are_uniform_enough():
    """Each of 7 items lands in each position about equally often over many shuffles."""
    counts = np.zeros((7, 7))
    for i in range(2000):
        p = np.asarray(permutation(jax.random.key(i), 7))
        counts[p, np.arange(7)] += 1
    assert counts.min() > 2000 / 7 * 0.75 and counts.max() < 2000 / 7 * 1.25


@pytest.mark.parametrize("batch", [1, 7, 30, 250, 1000])
def test_every_batch_size_trains(batch):
    data = toy("circle", ("x1sq", "x2sq"))
    cfg = TrainConfig(MLPSpec(2, ()), "sgd", batch)
    _, m = run_epochs(init_state(jax.random.key(0), cfg), data, make_hparams(learning_rate=0.1), cfg, 40)
    assert m["train_loss"][-1] < m["train_loss"][0]


def test_regression_heads_train_on_the_plane():
    data = toy("plane", ("x1", "x2"))
    for head in ("linear_mse", "linear_huber"):
        cfg = TrainConfig(MLPSpec(2, (), head=head))
        _, m = run_epochs(init_state(jax.random.key(0), cfg), data, make_hparams(learning_rate=0.003), cfg, 100)
        assert m["test_loss"][-1] < 0.01
        assert np.all(np.isnan(m["test_acc"]))


def test_engine_never_imports_streamlit_or_plotly():
    code = ("import sys, pkgutil, importlib, engine\n"
            "for m in pkgutil.iter_modules(engine.__path__): importlib.import_module('engine.' + m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_layer_activations_and_predict_follow_the_forward_pass():
    from engine.inspect import layer_activations, neuron_maps, predict
    spec = MLPSpec(3, (5, 4), 3, "relu", "softmax_ce")
    params = init_params(jax.random.key(0), spec)
    x = jax.random.normal(jax.random.key(1), (6, 3))
    acts = layer_activations(params, spec, x)
    assert [a.shape for a in acts] == [(6, 5), (6, 4), (6, 3)]
    h1 = jax.nn.relu(x @ params[0][0] + params[0][1])
    np.testing.assert_allclose(acts[0], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts[-1].sum(1), 1.0, rtol=1e-5)  # class probabilities
    np.testing.assert_allclose(predict(params, spec, x), acts[-1], rtol=1e-5)
    binary = MLPSpec(2, (3,), 1, "tanh", "sigmoid_bce")
    p2 = init_params(jax.random.key(2), binary)
    out = neuron_maps(p2, binary, jnp.ones((4, 2)))[-1]
    z = jnp.ones((4, 2)) @ p2[0][0] + p2[0][1]
    z = jnp.tanh(z) @ p2[1][0] + p2[1][1]
    np.testing.assert_allclose(out, 2 * jax.nn.sigmoid(z[:, 0]) - 1, rtol=1e-5, atol=1e-6)
