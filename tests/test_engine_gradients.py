"""The engine's gradients against central finite differences, in float64."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.heads import HEADS
from engine.model import MLPSpec, init_params
from engine.train import TrainConfig, make_hparams, objective


def _batch(head: str, key):
    kx, ky = jax.random.split(key)
    x = jax.random.normal(kx, (12, 3), jnp.float64)
    if HEADS[head].multiclass:
        y = jax.random.randint(ky, (12,), 0, 4)
    elif HEADS[head].problem == "regression":
        y = jax.random.normal(ky, (12,), jnp.float64)
    else:
        y = jnp.where(jax.random.uniform(ky, (12,)) > 0.5, 1.0, -1.0)
    return x, y


def _check(spec: MLPSpec, l1: float, l2: float, mask=None):
    key = jax.random.key(1)
    params = jax.tree.map(lambda a: a.astype(jnp.float64), init_params(key, spec))
    # Nudge away from zero so |w| (L1) is differentiable at every weight.
    params = jax.tree.map(lambda a: a + 0.05 * jnp.sign(a + 1e-3) + 0.01, params)
    x, y = _batch(spec.head, jax.random.key(2))
    mask = jnp.ones(12, jnp.float64) if mask is None else mask
    config = TrainConfig(spec)
    hp = make_hparams(l1=l1, l2=l2)._replace(l1=jnp.float64(l1), l2=jnp.float64(l2))
    f = lambda p: objective(p, config, hp, x, y, mask, None)
    grads = jax.grad(f)(params)
    leaves, tree = jax.tree.flatten(params)
    g = jnp.concatenate([a.ravel() for a in jax.tree.leaves(grads)])
    for i in range(4):
        v = [jax.random.normal(jax.random.key(10 + i * 7 + j), a.shape, jnp.float64) for j, a in enumerate(leaves)]
        vflat = jnp.concatenate([a.ravel() for a in v])
        eps = 1e-6
        plus = jax.tree.unflatten(tree, [a + eps * b for a, b in zip(leaves, v)])
        minus = jax.tree.unflatten(tree, [a - eps * b for a, b in zip(leaves, v)])
        numeric = (f(plus) - f(minus)) / (2 * eps)
        analytic = g @ vflat
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_matches_finite_differences(activation):
    with jax.enable_x64(True):
        _check(MLPSpec(3, (5, 4), 1, activation, "tanh_mse"), 0.0, 0.0)


@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.03), (0.02, 0.05)])
def test_every_loss_with_and_without_regularisation(head, l1, l2):
    n_out = 4 if HEADS[head].multiclass else 1
    with jax.enable_x64(True):
        _check(MLPSpec(3, (6,), n_out, "tanh", head), l1, l2)


def test_masked_batch_gradient_equals_gradient_on_real_examples_only():
    """A padded remainder batch: masked-out rows must not move the gradient."""
    with jax.enable_x64(True):
        spec = MLPSpec(3, (5,), 1, "tanh", "tanh_mse")
        params = jax.tree.map(lambda a: a.astype(jnp.float64), init_params(jax.random.key(0), spec))
        x, y = _batch("tanh_mse", jax.random.key(3))
        mask = jnp.array([1.0] * 7 + [0.0] * 5)
        cfg, hp = TrainConfig(spec), make_hparams()
        g_masked = jax.grad(objective)(params, cfg, hp, x, y, mask, None)
        g_real = jax.grad(objective)(params, cfg, hp, x[:7], y[:7], jnp.ones(7), None)
        for a, b in zip(jax.tree.leaves(g_masked), jax.tree.leaves(g_real)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_regularisation_is_on_weights_not_biases():
    spec = MLPSpec(2, (3,), 1)
    params = init_params(jax.random.key(0), spec)
    params = [(w, b + 5.0) for w, b in params]  # large biases must not count
    from engine.train import penalty
    l2 = float(penalty(params, 0.0, 1.0))
    expected = 0.5 * sum(float((w ** 2).sum()) for w, _ in params)
    assert l2 == pytest.approx(expected, rel=1e-6)
    l1 = float(penalty(params, 1.0, 0.0))
    assert l1 == pytest.approx(sum(float(jnp.abs(w).sum()) for w, _ in params), rel=1e-6)
