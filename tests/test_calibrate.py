"""Calibration against known truths: ECE of models whose calibration is known by construction or
by hand, and temperature scaling that finds the temperature the labels were drawn with."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from engine.calibrate import expected_calibration_error, fit_temperature, nll, softmax_t


def _model_with_confidences(conf: np.ndarray, p_right: np.ndarray, rng, k: int = 10):
    """Probabilities (N, k) whose top class, a random one, has probability ``conf``, the rest sharing
    what is left; and labels that are that top class with probability ``p_right``, else another."""
    n = len(conf)
    top = rng.integers(0, k, n)
    probs = np.repeat(((1 - conf) / (k - 1))[:, None], k, 1)
    probs[np.arange(n), top] = conf
    other = (top + rng.integers(1, k, n)) % k  # any class but the top one
    labels = np.where(rng.random(n) < p_right, top, other)
    return probs, labels


def test_a_perfectly_calibrated_model_has_an_ece_near_zero():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.1, 1.0, 200_000)
    probs, labels = _model_with_confidences(conf, conf, rng)  # right exactly as often as it says
    assert expected_calibration_error(probs, labels) < 0.005  # sampling noise only: about 0.002


def test_an_over_confident_models_ece_is_its_gap():
    """Right with probability c² when it says c, c uniform on [0.1, 1]: its gap is c − c² > 0 in
    every bin, so ECE = E[c − c²] = (1/0.9) ∫ (c − c²) dc from 0.1 to 1
    = (1/0.9) [(1/2 − 1/3) − (0.01/2 − 0.001/3)] = (1/0.9)(0.1666… − 0.004666…) = 0.162 / 0.9 = 0.18."""
    rng = np.random.default_rng(1)
    conf = rng.uniform(0.1, 1.0, 200_000)
    probs, labels = _model_with_confidences(conf, conf ** 2, rng)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.18, abs=0.004)


def test_ece_of_four_predictions_by_hand():
    """Five bins: (0, .2], (.2, .4], (.4, .6], (.6, .8], (.8, 1].
    0.9 right → (.8, 1]: accuracy 1, confidence 0.9, gap 0.1, weight 1/4;
    0.75 wrong and 0.7 right → (.6, .8]: accuracy 0.5, confidence 0.725, gap 0.225, weight 2/4;
    0.55 wrong → (.4, .6]: accuracy 0, confidence 0.55, gap 0.55, weight 1/4.
    ECE = 0.025 + 0.1125 + 0.1375 = 0.275."""
    probs = np.array([[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.45, 0.55]])
    labels = np.array([0, 1, 1, 0])
    assert expected_calibration_error(probs, labels, bins=5) == pytest.approx(0.275)
    # One bin: |mean accuracy − mean confidence| = |0.5 − 0.725|.
    assert expected_calibration_error(probs, labels, bins=1) == pytest.approx(0.225)
    # A confidence on a bin's edge belongs to the bin below: 0.8 → (.6, .8], with 0.7 (both right).
    edge = np.array([[0.8, 0.2], [0.3, 0.7]])
    assert expected_calibration_error(edge, np.array([0, 1]), bins=5) == pytest.approx(1 - 0.75)


@pytest.mark.parametrize("t0", [0.5, 2.5])
def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_with(t0):
    rng = np.random.default_rng(2)
    z = 3.0 * rng.standard_normal((20_000, 10))
    p = softmax_t(z, t0)
    labels = (rng.random((len(z), 1)) > np.cumsum(p, 1)).sum(1)  # one draw from each row of p
    t = fit_temperature(z, labels)
    assert t == pytest.approx(t0, rel=0.03)
    # and it is the minimum of the loss it minimises
    assert nll(z, labels, t) < min(nll(z, labels, t * 1.001), nll(z, labels, t / 1.001))
    assert fit_temperature(z, labels) == t  # deterministic


def test_scaling_fixes_an_over_confident_model():
    rng = np.random.default_rng(3)
    z = 3.0 * rng.standard_normal((20_000, 10))
    p = softmax_t(z, 2.0)
    labels = (rng.random((len(z), 1)) > np.cumsum(p, 1)).sum(1)
    before = expected_calibration_error(softmax_t(z), labels)  # read at T = 1: too sure
    after = expected_calibration_error(softmax_t(z, fit_temperature(z, labels)), labels)
    assert before > 0.1 and after < 0.02


def test_temperature_one_is_the_plain_softmax():
    z = np.random.default_rng(4).standard_normal((50, 10)) * 5
    np.testing.assert_allclose(softmax_t(z, 1.0), np.asarray(jax.nn.softmax(z, -1)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(softmax_t(z[0]).sum(), 1.0)


def test_scaling_never_changes_the_argmax():
    z = np.random.default_rng(5).standard_normal((1000, 10)) * 4
    for t in (0.05, 0.5, 1.0, 1.8, 7.0, 100.0):
        np.testing.assert_array_equal(softmax_t(z, t).argmax(1), z.argmax(1))


def test_fit_temperature_stays_in_its_range_when_the_loss_has_no_inner_minimum():
    z = np.array([[2.0, 0.0], [0.0, 3.0]])
    assert fit_temperature(z, np.array([0, 1])) == 0.01  # every label right: sharper is always better
    assert fit_temperature(z, np.array([1, 0])) == 100.0  # every label wrong: as soft as allowed
