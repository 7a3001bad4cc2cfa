"""The engine's gradients against backpropagation written out by hand.

A 2→3→1 network on two examples, with fixed hand-chosen weights. The forward pass and the chain
rule are spelled out layer by layer in NumPy (float64) below; ``jax.grad`` of the engine's
``data_loss`` and ``objective`` must agree. This checks the engine's forward pass, its heads'
losses and the averaging over examples against the textbook derivation, not against itself:
a missing ½, a sum instead of a mean, or an L2 term on the biases would all fail here.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.model import MLPSpec
from engine.train import TrainConfig, data_loss, make_hparams, objective

TOL = dict(rtol=1e-9, atol=1e-12)  # float64 throughout

# Two examples with two inputs each, labels ±1.
X = np.array([[0.5, -1.0],
              [1.5, 0.25]])
Y = np.array([1.0, -1.0])

# Hidden layer 2→3 and output layer 3→1. With these numbers the hidden pre-activations are
#   x W1 + b1 = [[-0.3, -0.5, 0.7], [0.525, -0.775, 1.025]]
# (both signs, none near 0, so ReLU's kink is never hit).
W1 = np.array([[0.2, -0.4, 0.7],
               [0.5, 0.1, -0.3]])
B1 = np.array([0.1, -0.2, 0.05])
W2 = np.array([[0.6],
               [-0.8],
               [0.3]])
B2 = np.array([0.05])


# --- the hand derivation ---------------------------------------------------------------------

def _tanh(z):
    return np.tanh(z), 1.0 - np.tanh(z) ** 2  # value, derivative


def _relu(z):
    return np.maximum(z, 0.0), (z > 0).astype(float)  # derivative 1 where z > 0, else 0


def _tanh_mse_out(z2, y):
    """Output tanh, loss ½(out − y)²: dL/dz2 = (out − y)·(1 − out²)."""
    out = np.tanh(z2[:, 0])
    return 0.5 * (out - y) ** 2, ((out - y) * (1 - out ** 2))[:, None]


def _sigmoid_bce_out(z2, y):
    """Output σ, loss −[t log σ + (1−t) log(1−σ)] with t = (y+1)/2: dL/dz2 = σ(z2) − t."""
    s = 1.0 / (1.0 + np.exp(-z2[:, 0]))
    t = (y + 1) / 2
    return -(t * np.log(s) + (1 - t) * np.log(1 - s)), (s - t)[:, None]


def hand_backprop(x, y, hidden, head):
    """Mean loss over the examples and its gradient [(dW1, db1), (dW2, db2)], by the chain rule."""
    n = x.shape[0]
    # forward
    z1 = x @ W1 + B1                     # (N, 3)
    a1, da1 = hidden(z1)                 # (N, 3), and the activation's derivative at z1
    z2 = a1 @ W2 + B2                    # (N, 1) logits
    per_example, dz2 = head(z2, y)
    loss = per_example.mean()
    # backward
    delta2 = dz2 / n                     # (N, 1): dL/dz2, the 1/N from the mean
    dW2 = a1.T @ delta2                  # (3, 1)
    db2 = delta2.sum(axis=0)             # (1,)
    delta1 = (delta2 @ W2.T) * da1       # (N, 3)
    dW1 = x.T @ delta1                   # (2, 3)
    db1 = delta1.sum(axis=0)             # (3,)
    return loss, [(dW1, db1), (dW2, db2)]


# --- the engine ------------------------------------------------------------------------------

def _params():
    return [(jnp.asarray(W1), jnp.asarray(B1)), (jnp.asarray(W2), jnp.asarray(B2))]


def _engine_loss_and_grad(spec: MLPSpec, x=X, y=Y, mask=None):
    params = _params()
    x, y = jnp.asarray(x), jnp.asarray(y)
    mask = None if mask is None else jnp.asarray(mask)
    assert params[0][0].dtype == jnp.float64
    loss, grads = jax.value_and_grad(data_loss)(params, spec, x, y, mask)
    return float(loss), [(np.asarray(gw), np.asarray(gb)) for gw, gb in grads]


def _assert_grads_equal(engine, hand):
    for (ew, eb), (hw, hb) in zip(engine, hand, strict=True):
        assert ew.shape == hw.shape and eb.shape == hb.shape
        np.testing.assert_allclose(ew, hw, **TOL)
        np.testing.assert_allclose(eb, hb, **TOL)


CASES = {
    # name: (hidden activation, head, hand derivative of the activation, hand output head)
    "tanh hidden, tanh_mse": ("tanh", "tanh_mse", _tanh, _tanh_mse_out),
    "tanh hidden, sigmoid_bce": ("tanh", "sigmoid_bce", _tanh, _sigmoid_bce_out),
    "relu hidden, tanh_mse": ("relu", "tanh_mse", _relu, _tanh_mse_out),
}


@pytest.mark.parametrize("case", list(CASES))
def test_data_loss_and_gradient_match_hand_backprop(case):
    """Loss value and every weight and bias gradient equal the hand chain rule."""
    act, head, hand_act, hand_head = CASES[case]
    spec = MLPSpec(n_in=2, hidden=(3,), activation=act, head=head)
    with jax.enable_x64(True):
        loss, grads = _engine_loss_and_grad(spec)
    hand_loss, hand_grads = hand_backprop(X, Y, hand_act, hand_head)
    assert loss == pytest.approx(hand_loss, rel=1e-12)
    _assert_grads_equal(grads, hand_grads)


def test_relu_blocks_gradient_through_inactive_units():
    """Hidden unit 2 (pre-activations −0.5 and −0.775) is off for both examples under ReLU, so
    its incoming weights and its bias get exactly zero gradient, and so does its outgoing weight
    (its output is 0)."""
    spec = MLPSpec(n_in=2, hidden=(3,), activation="relu", head="tanh_mse")
    with jax.enable_x64(True):
        _, [(dW1, db1), (dW2, _)] = _engine_loss_and_grad(spec)
    assert np.all(dW1[:, 1] == 0.0) and db1[1] == 0.0 and dW2[1, 0] == 0.0
    assert np.all(dW1[:, [0, 2]] != 0.0)


def test_masked_example_contributes_nothing():
    """With mask [1, 0] the loss and gradient are those of the first example alone (N = 1)."""
    spec = MLPSpec(n_in=2, hidden=(3,), activation="tanh", head="tanh_mse")
    with jax.enable_x64(True):
        loss, grads = _engine_loss_and_grad(spec, mask=np.array([1.0, 0.0]))
    hand_loss, hand_grads = hand_backprop(X[:1], Y[:1], _tanh, _tanh_mse_out)
    assert loss == pytest.approx(hand_loss, rel=1e-12)
    _assert_grads_equal(grads, hand_grads)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_objective_gradient_adds_l2_times_weight_to_weights_only(l2):
    """objective = data loss + L2·½Σw²: its gradient is the hand gradient plus L2·W on each weight
    matrix, and unchanged on the biases."""
    spec = MLPSpec(n_in=2, hidden=(3,), activation="tanh", head="tanh_mse")
    config = TrainConfig(spec)
    with jax.enable_x64(True):
        hp = make_hparams(l2=l2)._replace(l1=jnp.float64(0.0), l2=jnp.float64(l2))
        grads = jax.grad(objective)(_params(), config, hp, jnp.asarray(X), jnp.asarray(Y), None, None)
        grads = [(np.asarray(gw), np.asarray(gb)) for gw, gb in grads]
    _, [(dW1, db1), (dW2, db2)] = hand_backprop(X, Y, _tanh, _tanh_mse_out)
    _assert_grads_equal(grads, [(dW1 + l2 * W1, db1), (dW2 + l2 * W2, db2)])


def test_hand_numbers_are_as_documented():
    """Guards the comment above: the hidden pre-activations the ReLU cases rely on."""
    np.testing.assert_allclose(X @ W1 + B1, [[-0.3, -0.5, 0.7], [0.525, -0.775, 1.025]], atol=1e-12)
