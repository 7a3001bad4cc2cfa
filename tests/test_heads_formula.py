"""Each output head and the weight penalty against their textbook formulas.

The expected values are written out here with Python's ``math`` on hand-picked numbers, never
with the engine's own helpers or NumPy calls that mirror them, so a wrong formula in
``engine/heads.py`` or ``engine/train.py`` (a missing ½, a wrong label mapping, a bias that is
penalised) fails these tests instead of agreeing with itself.
"""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from engine.heads import HEADS
from engine.model import MLPSpec
from engine.train import Data, evaluate, penalty

REL, ABS = 1e-5, 1e-6  # the engine computes in float32


def _loss(head: str, z: float, y: float) -> float:
    """One example's loss from a single-output head."""
    out = HEADS[head].loss(jnp.asarray([[z]], jnp.float32), jnp.asarray([y], jnp.float32))
    assert out.shape == (1,)
    return float(out[0])


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


LOGITS = [0.3, -1.2, 2.0, 0.0]
LABELS = [1.0, -1.0]
CASES = [(z, y) for z in LOGITS for y in LABELS]


# --- the loss formulas, on a grid of logits and ±1 labels -----------------------------------

@pytest.mark.parametrize("z, y", CASES)
def test_tanh_mse_is_half_squared_error_of_tanh(z, y):
    """tanh_mse: ½·(y − tanh z)²."""
    assert _loss("tanh_mse", z, y) == pytest.approx(0.5 * (y - math.tanh(z)) ** 2, rel=REL, abs=ABS)


@pytest.mark.parametrize("z, y", CASES)
def test_sigmoid_bce_is_binary_cross_entropy_with_labels_mapped_to_0_1(z, y):
    """sigmoid_bce: −[t·log σ(z) + (1−t)·log(1−σ(z))] with t = (y+1)/2."""
    t = (y + 1) / 2
    s = _sigmoid(z)
    expected = -(t * math.log(s) + (1 - t) * math.log(1 - s))
    assert _loss("sigmoid_bce", z, y) == pytest.approx(expected, rel=REL, abs=ABS)


@pytest.mark.parametrize("z, y", CASES)
def test_hinge_is_max_0_one_minus_margin(z, y):
    """hinge: max(0, 1 − y·z)."""
    assert _loss("hinge", z, y) == pytest.approx(max(0.0, 1.0 - y * z), rel=REL, abs=ABS)


@pytest.mark.parametrize("z, y", [(0.3, 1.0), (-1.2, 0.5), (2.0, -0.7), (0.0, 2.5), (-3.0, -3.0)])
def test_linear_mse_is_half_squared_error(z, y):
    """linear_mse: ½·(z − y)²."""
    assert _loss("linear_mse", z, y) == pytest.approx(0.5 * (z - y) ** 2, rel=REL, abs=ABS)


@pytest.mark.parametrize("z, y", [(0.3, 1.0), (-1.2, 0.5), (2.0, -0.7), (0.0, 2.5), (1.0, 1.4), (-3.0, -3.0)])
def test_linear_huber_is_quadratic_inside_delta_1_and_linear_outside(z, y):
    """linear_huber with δ = 1: ½r² if |r| ≤ 1, else |r| − ½, for r = z − y."""
    r = abs(z - y)
    expected = 0.5 * r * r if r <= 1 else r - 0.5
    assert _loss("linear_huber", z, y) == pytest.approx(expected, rel=REL, abs=ABS)


SOFTMAX_CASES = [
    ([0.3, -1.2, 2.0], 0),
    ([0.3, -1.2, 2.0], 1),
    ([0.3, -1.2, 2.0], 2),
    ([1.0, 1.0, 1.0, 1.0], 3),
    ([-2.0, 0.5], 1),
]


@pytest.mark.parametrize("zs, k", SOFTMAX_CASES)
def test_softmax_ce_is_minus_true_logit_plus_log_sum_exp(zs, k):
    """softmax_ce: −z_y + log Σ_k exp z_k, with y an integer class."""
    out = HEADS["softmax_ce"].loss(jnp.asarray([zs], jnp.float32), jnp.asarray([k], jnp.int32))
    expected = -zs[k] + math.log(sum(math.exp(v) for v in zs))
    assert float(out[0]) == pytest.approx(expected, rel=REL, abs=ABS)


def test_losses_are_per_example_on_a_batch():
    """A batch of three gets three losses, each that example's own (no averaging in the head)."""
    z = jnp.asarray([[0.3], [-1.2], [2.0]], jnp.float32)
    y = jnp.asarray([1.0, -1.0, -1.0], jnp.float32)
    out = HEADS["tanh_mse"].loss(z, y)
    expected = [0.5 * (1 - math.tanh(0.3)) ** 2, 0.5 * (-1 - math.tanh(-1.2)) ** 2,
                0.5 * (-1 - math.tanh(2.0)) ** 2]
    assert out.shape == (3,)
    assert np.asarray(out).tolist() == pytest.approx(expected, rel=REL, abs=ABS)


# --- exact values, worked out by hand --------------------------------------------------------

@pytest.mark.parametrize("head, z, y, expected", [
    ("tanh_mse", 0.0, 1.0, 0.5),        # ½(1 − 0)²
    ("tanh_mse", 0.0, -1.0, 0.5),       # ½(−1 − 0)²
    ("sigmoid_bce", 0.0, 1.0, math.log(2)),   # −log ½
    ("sigmoid_bce", 0.0, -1.0, math.log(2)),
    ("hinge", 1.0, 1.0, 0.0),           # margin exactly 1
    ("hinge", -0.5, -2.0, 0.0),         # y·z = 1
    ("hinge", 0.0, 1.0, 1.0),           # on the boundary
    ("hinge", -1.0, 1.0, 2.0),          # wrong side by 1
    ("linear_mse", 3.0, 1.0, 2.0),      # ½·2²
    ("linear_mse", 1.5, 1.5, 0.0),
    ("linear_huber", 1.5, 1.0, 0.125),  # r = ½: ½·¼
    ("linear_huber", 2.0, 1.0, 0.5),    # r = 1: both branches give ½
    ("linear_huber", 4.0, 1.0, 2.5),    # r = 3: 3 − ½
    ("linear_huber", -2.0, 1.0, 2.5),   # r = −3
])
def test_exact_hand_values(head, z, y, expected):
    """Values short enough to check on paper."""
    assert _loss(head, z, y) == pytest.approx(expected, rel=REL, abs=ABS)


def test_softmax_ce_of_equal_logits_is_log_k():
    """K equal logits: every class has probability 1/K, so the loss is log K for any label."""
    for k_classes in (2, 3, 10):
        z = jnp.zeros((k_classes, k_classes), jnp.float32)
        y = jnp.arange(k_classes, dtype=jnp.int32)
        out = HEADS["softmax_ce"].loss(z, y)
        assert np.asarray(out).tolist() == pytest.approx([math.log(k_classes)] * k_classes, rel=REL)


# --- outputs (what the map shows) ------------------------------------------------------------

def _output(head: str, z: float) -> float:
    out = HEADS[head].output(jnp.asarray([[z]], jnp.float32))
    assert out.shape == (1,)
    return float(out[0])


@pytest.mark.parametrize("z", [0.3, -1.2, 2.0, 0.0, 5.0])
def test_single_output_heads_show_their_formula(z):
    """tanh_mse shows tanh z; sigmoid_bce shows 2σ(z) − 1 (= tanh(z/2)); hinge shows z clipped to
    [−1, 1]; the regression heads show z itself."""
    assert _output("tanh_mse", z) == pytest.approx(math.tanh(z), rel=REL, abs=ABS)
    assert _output("sigmoid_bce", z) == pytest.approx(2 * _sigmoid(z) - 1, rel=REL, abs=ABS)
    assert _output("hinge", z) == pytest.approx(min(1.0, max(-1.0, z)), rel=REL, abs=ABS)
    assert _output("linear_mse", z) == pytest.approx(z, rel=REL, abs=ABS)
    assert _output("linear_huber", z) == pytest.approx(z, rel=REL, abs=ABS)


def test_exact_output_values():
    """At z = 0 every ±1 head shows 0; σ(log 3) = ¾ so sigmoid_bce shows ½ there."""
    for head in ("tanh_mse", "sigmoid_bce", "hinge"):
        assert _output(head, 0.0) == 0.0
    assert _output("sigmoid_bce", math.log(3)) == pytest.approx(0.5, rel=REL)
    assert _output("hinge", 0.25) == pytest.approx(0.25, rel=REL)
    assert _output("hinge", -7.0) == -1.0


@pytest.mark.parametrize("zs", [[0.3, -1.2, 2.0], [1.0, 1.0, 1.0, 1.0], [-2.0, 0.5]])
def test_softmax_output_is_exp_over_sum_exp(zs):
    """softmax_ce shows the class probabilities exp z_k / Σ_j exp z_j."""
    out = HEADS["softmax_ce"].output(jnp.asarray([zs], jnp.float32))
    total = sum(math.exp(v) for v in zs)
    assert out.shape == (1, len(zs))
    assert np.asarray(out[0]).tolist() == pytest.approx([math.exp(v) / total for v in zs], rel=REL, abs=ABS)


# --- correct (accuracy) ----------------------------------------------------------------------

@pytest.mark.parametrize("head", ["tanh_mse", "sigmoid_bce", "hinge"])
def test_binary_heads_are_correct_when_score_sign_matches_label(head):
    """A ±1 head is right when the logit's sign matches the label's; a logit of exactly 0 counts
    as the +1 class (the boundary belongs to the positive side)."""
    z = jnp.asarray([[0.3], [0.3], [-1.2], [-1.2], [2.0], [0.0], [0.0]], jnp.float32)
    y = jnp.asarray([1.0, -1.0, -1.0, 1.0, -1.0, 1.0, -1.0], jnp.float32)
    assert np.asarray(HEADS[head].correct(z, y)).tolist() == [1, 0, 1, 0, 0, 1, 0]


def test_softmax_is_correct_when_largest_logit_is_the_label():
    """softmax_ce is right when the argmax of the logits is the integer label."""
    z = jnp.asarray([[0.3, -1.2, 2.0], [0.3, -1.2, 2.0], [5.0, 1.0, 0.0], [-1.0, 0.5, 0.4]], jnp.float32)
    y = jnp.asarray([2, 0, 0, 2], jnp.int32)
    assert np.asarray(HEADS["softmax_ce"].correct(z, y)).tolist() == [1, 0, 1, 0]


def test_regression_heads_have_no_accuracy():
    assert HEADS["linear_mse"].correct is None
    assert HEADS["linear_huber"].correct is None


# --- the penalty -----------------------------------------------------------------------------

# Weights: Σ|w| = 1 + 2 + 0.5 + 0 + 3 + 1 = 7.5 and Σw² = 1 + 4 + 0.25 + 0 + 9 + 1 = 15.25.
# The biases are large so that penalising them by mistake would show.
PARAMS = [
    (jnp.asarray([[1.0, -2.0], [0.5, 0.0]], jnp.float32), jnp.asarray([10.0, -10.0], jnp.float32)),
    (jnp.asarray([[3.0], [-1.0]], jnp.float32), jnp.asarray([7.0], jnp.float32)),
]


@pytest.mark.parametrize("l1, l2, expected", [
    (0.0, 0.0, 0.0),
    (1.0, 0.0, 7.5),
    (0.1, 0.0, 0.75),
    (0.0, 1.0, 7.625),           # ½ · 15.25
    (0.0, 0.2, 1.525),           # 0.2 · ½ · 15.25
    (0.1, 0.2, 0.75 + 1.525),
])
def test_penalty_is_l1_abs_plus_half_l2_squares_on_weights_only(l1, l2, expected):
    """penalty = L1·Σ|w| + L2·½·Σw² over the weight matrices, never the biases."""
    assert float(penalty(PARAMS, l1, l2)) == pytest.approx(expected, rel=REL, abs=ABS)


def test_penalty_ignores_biases():
    """Changing only the biases leaves the penalty unchanged."""
    no_bias = [(w, jnp.zeros_like(b)) for w, b in PARAMS]
    assert float(penalty(no_bias, 0.3, 0.7)) == pytest.approx(float(penalty(PARAMS, 0.3, 0.7)), rel=REL)


# --- evaluate: data loss and accuracy, worked by hand on a one-layer network -----------------

def test_evaluate_reports_mean_head_loss_and_accuracy_without_penalty():
    """With no hidden layer, logits are x·w + b. For w = 2, b = −0.5 and x = 0, 1, −1, 0.25 the
    logits are −0.5, 1.5, −2.5, 0: with labels +1, +1, −1, −1 the tanh_mse losses are
    ½(1 − tanh z)² etc. and the sign rule gets 2 of 4 right (−0.5 vs +1 and 0 vs −1 are wrong).
    """
    spec = MLPSpec(n_in=1, hidden=(), head="tanh_mse")
    params = [(jnp.asarray([[2.0]], jnp.float32), jnp.asarray([-0.5], jnp.float32))]
    x = jnp.asarray([[0.0], [1.0], [-1.0], [0.25]], jnp.float32)
    y = jnp.asarray([1.0, 1.0, -1.0, -1.0], jnp.float32)
    zs = [-0.5, 1.5, -2.5, 0.0]
    mean_loss = sum(0.5 * (t - math.tanh(z)) ** 2 for z, t in zip(zs, [1, 1, -1, -1])) / 4
    # Test set: the first two points only, both labelled −1: logits −0.5 (right) and 1.5 (wrong).
    test_loss = (0.5 * (-1 - math.tanh(-0.5)) ** 2 + 0.5 * (-1 - math.tanh(1.5)) ** 2) / 2
    m = evaluate(params, spec, Data(x, y, x[:2], jnp.asarray([-1.0, -1.0], jnp.float32)))
    assert float(m["train_loss"]) == pytest.approx(mean_loss, rel=REL, abs=ABS)
    assert float(m["train_acc"]) == pytest.approx(0.5)
    assert float(m["test_loss"]) == pytest.approx(test_loss, rel=REL, abs=ABS)
    assert float(m["test_acc"]) == pytest.approx(0.5)
