"""Calibration: how sure a classifier says it is, against how often it is right.

A network trained to a low loss tends to be surer than it is right (Guo et al., "On Calibration
of Modern Neural Networks", 2017). Temperature scaling divides its logits by one number T > 0,
fitted on held-out examples: the probabilities soften (T > 1) or sharpen (T < 1), and the argmax,
so the accuracy, never changes. Pure NumPy, in float64: these are small one-off computations.
"""
from __future__ import annotations

import numpy as np

T_MIN, T_MAX = 0.01, 100.0  # the temperatures fit_temperature searches


def softmax_t(logits, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T) along the last axis, in float64."""
    z = np.asarray(logits, np.float64) / temperature
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def expected_calibration_error(probs, labels, bins: int = 15) -> float:
    """Σ_b (|B_b| / N) · |accuracy(B_b) − confidence(B_b)| over ``bins`` equal-width bins of the
    confidence (the top probability), bin b holding b/bins < confidence ≤ (b+1)/bins.

    ``probs`` (N, K), ``labels`` (N,) integer classes."""
    p = np.asarray(probs, np.float64)
    conf, right = p.max(1), p.argmax(1) == np.asarray(labels)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)  # (N,) bin of each confidence
    gap = np.bincount(b, conf, bins) - np.bincount(b, right.astype(np.float64), bins)  # per bin, summed
    return float(np.abs(gap).sum() / len(p))  # |Σ conf − Σ right| / N = (|B|/N)·|conf(B) − acc(B)|


def nll(logits, labels, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under softmax(logits / T)."""
    z = np.asarray(logits, np.float64) / temperature
    m = z.max(1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(1))
    return float(np.mean(lse - z[np.arange(len(z)), np.asarray(labels)]))


def fit_temperature(logits, labels, iterations: int = 60) -> float:
    """The T in [T_MIN, T_MAX] that minimises ``nll(logits, labels, T)``.

    In β = 1/T the loss is convex (a log-sum-exp of lines in β, minus a line), its slope
    g(β) = mean(E_p[z] − z_label) rising with β and its curvature the mean variance of z under p.
    So the minimum is where g crosses 0: Newton steps on g, kept inside a bracket that bisection
    shrinks whenever a step would leave it. Deterministic; converges in a handful of steps."""
    z = np.asarray(logits, np.float64)  # (N, K)
    zy = z[np.arange(len(z)), np.asarray(labels)]  # (N,)

    def slope_and_curvature(beta):
        p = softmax_t(z, 1.0 / beta)
        mean = (p * z).sum(1)  # E_p[z], (N,)
        return float(np.mean(mean - zy)), float(np.mean((p * z * z).sum(1) - mean ** 2))

    lo, hi = 1.0 / T_MAX, 1.0 / T_MIN
    if slope_and_curvature(lo)[0] >= 0:  # the loss only rises with β: as soft as allowed
        return T_MAX
    if slope_and_curvature(hi)[0] <= 0:  # still falling at the sharpest (e.g. every label right)
        return T_MIN
    beta = 1.0
    for _ in range(iterations):
        g, h = slope_and_curvature(beta)
        if g > 0:
            hi = beta
        else:
            lo = beta
        step = beta - g / h if h > 0 else np.inf
        step = step if lo < step < hi else 0.5 * (lo + hi)
        if g == 0 or abs(step - beta) < 1e-12 * beta:
            break
        beta = step
    return float(1.0 / beta)
