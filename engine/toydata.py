"""Toy 2-D data sets, generated as TF Playground generates them, and the input features.

Points live in [-6, 6]². Classification labels are -1 / +1; regression targets lie in [-1, 1];
multi-class labels are class indices 0 … k−1 (int32), for k = 3 to 6 classes.
Randomness comes from a NumPy generator seeded by the caller, so a seed fixes the data.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

DOMAIN = 6.0


def _circle(rng, n, noise):
    radius = 5.0
    def label(p):
        return np.where(np.hypot(p[:, 0], p[:, 1]) < radius * 0.5, 1.0, -1.0)
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    return pts, label(pts + jitter)


def _xor(rng, n, noise):
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # padding keeps points off the axes
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    q = pts + jitter
    return pts, np.where(q[:, 0] * q[:, 1] >= 0, 1.0, -1.0)


def _gauss(rng, n, noise):
    variance = 0.5 + noise / 0.5 * 3.5  # noise 0..50 % maps to variance 0.5..4
    half = n // 2
    a = rng.normal(2, np.sqrt(variance), (half, 2))
    b = rng.normal(-2, np.sqrt(variance), (n - half, 2))
    return np.concatenate([a, b]), np.concatenate([np.ones(half), -np.ones(n - half)])


def _spiral(rng, n, noise):
    half = n // 2
    def arm(m, delta):
        i = np.arange(m)
        r = i / m * 5
        t = 1.75 * i / m * 2 * np.pi + delta
        x = r * np.sin(t) + rng.uniform(-1, 1, m) * noise
        y = r * np.cos(t) + rng.uniform(-1, 1, m) * noise
        return np.stack([x, y], 1)
    return (np.concatenate([arm(half, 0.0), arm(n - half, np.pi)]),
            np.concatenate([np.ones(half), -np.ones(n - half)]))


def _moons(rng, n, noise):
    half = n // 2
    t1 = rng.uniform(0, np.pi, half)
    t2 = rng.uniform(0, np.pi, n - half)
    upper = np.stack([np.cos(t1), np.sin(t1)], 1)
    lower = np.stack([1 - np.cos(t2), 0.5 - np.sin(t2)], 1)
    pts = np.concatenate([upper, lower])
    pts = (pts - [0.5, 0.25]) * 3.0 + rng.normal(0, 1, (n, 2)) * noise * 2.0
    return pts, np.concatenate([np.ones(half), -np.ones(n - half)])


def _plane(rng, n, noise):
    pts = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    jitter = rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    q = pts + jitter
    return pts, np.clip((q[:, 0] + q[:, 1]) / 10.0, -1, 1)


_GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gauss(rng, n, noise):
    pts = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
    q = pts + rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * noise
    d = np.hypot(q[:, None, 0] - _GAUSSIANS[:, 0], q[:, None, 1] - _GAUSSIANS[:, 1])  # (n, 6)
    vals = _GAUSSIANS[:, 2] * np.clip(1 - d / 2, 0, 1)  # scale dist 0..2 to 1..0
    best = np.argmax(np.abs(vals), axis=1)
    return pts, vals[np.arange(n), best]


def _boundary(f):
    """Points above (+1) and below (−1) the curve y = f(x); noise moves points before labelling."""
    def make(rng, n, noise):
        pts = rng.uniform(-5.5, 5.5, (n, 2))
        q = pts + rng.normal(0, 1, (n, 2)) * noise * 3.0
        return pts, np.where(q[:, 1] >= f(q[:, 0]), 1.0, -1.0)
    return make


CURVES = {"sine": lambda x: 3 * np.sin(x), "cubic": lambda x: x ** 3 / 20, "abs": lambda x: np.abs(x) - 2.5}


def _blobs(rng, n, noise, k):
    """k gaussian blobs, their centres evenly on a circle of radius 3.5."""
    angle = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centres = 3.5 * np.stack([np.cos(angle), np.sin(angle)], 1)  # (k, 2)
    y = np.arange(n) % k
    sd = 0.6 + noise * 3.0  # noise 0..50 % -> spread 0.6..2.1
    return centres[y] + rng.normal(0, sd, (n, 2)), y


def _arms(rng, n, noise, k):
    """A spiral of k arms, one class each, each arm one turn long (TF Playground's two arms turn
    1.75 times; with k arms that close together a small network cannot follow them)."""
    y = np.arange(n) % k
    t = rng.uniform(0, 1, n)
    r = t * 5
    angle = t * 2 * np.pi + 2 * np.pi * y / k
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    return pts + rng.uniform(-1, 1, (n, 2)) * noise, y


class Dataset(NamedTuple):
    label: str
    problem: str  # "classification" (two classes, -1/+1), "multiclass" (3 to 6), "regression"
    n_points: int
    make: Callable  # (rng, n, noise) -> (points (n, 2), y (n,)); multi-class: (rng, n, noise, k)

    @property
    def multiclass(self) -> bool:
        return self.problem == "multiclass"


DATASETS: dict[str, Dataset] = {
    "circle": Dataset("Circle", "classification", 500, _circle),
    "xor": Dataset("Exclusive or", "classification", 500, _xor),
    "gauss": Dataset("Gaussian", "classification", 500, _gauss),
    "spiral": Dataset("Spiral", "classification", 500, _spiral),
    "moons": Dataset("Two moons", "classification", 500, _moons),
    "plane": Dataset("Plane", "regression", 1200, _plane),
    "multi_gauss": Dataset("Multi-Gaussian", "regression", 1200, _multi_gauss),
    "sine": Dataset("Sine curve", "classification", 500, _boundary(CURVES["sine"])),
    "cubic": Dataset("Cubic curve", "classification", 500, _boundary(CURVES["cubic"])),
    "abs": Dataset("|x| curve", "classification", 500, _boundary(CURVES["abs"])),
    "blobs": Dataset("Blobs", "multiclass", 600, _blobs),
    "arms": Dataset("Spiral arms", "multiclass", 600, _arms),
}
MAX_CLASSES = 6


class Feature(NamedTuple):
    label: str
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]


FEATURES: dict[str, Feature] = {
    "x1": Feature("X₁", lambda a, b: a),
    "x2": Feature("X₂", lambda a, b: b),
    "x1sq": Feature("X₁²", lambda a, b: a * a),
    "x2sq": Feature("X₂²", lambda a, b: b * b),
    "x1x2": Feature("X₁X₂", lambda a, b: a * b),
    "sinx1": Feature("sin(X₁)", lambda a, b: np.sin(a)),
    "sinx2": Feature("sin(X₂)", lambda a, b: np.sin(b)),
}


def features(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(N, 2) points -> (N, len(names)) float32 feature matrix."""
    a, b = points[:, 0], points[:, 1]
    return np.stack([FEATURES[n].fn(a, b) for n in names], 1).astype(np.float32)


class ToyData(NamedTuple):
    points_train: np.ndarray  # (N_train, 2)
    y_train: np.ndarray  # (N_train,) float32; int32 class indices for multi-class
    points_test: np.ndarray
    y_test: np.ndarray


def make_toy_data(name: str, noise: float, train_ratio: float, seed: int, classes: int = 3) -> ToyData:
    """Generate a data set and split it; ``noise`` and ``train_ratio`` are fractions (0.1 = 10 %);
    ``classes`` (3 to 6) is used by the multi-class sets only."""
    ds = DATASETS[name]
    rng = np.random.default_rng(seed)
    pts, y = ds.make(rng, ds.n_points, noise, classes) if ds.multiclass else ds.make(rng, ds.n_points, noise)
    order = rng.permutation(len(y))
    pts, y = pts[order].astype(np.float32), y[order].astype(np.int32 if ds.multiclass else np.float32)
    k = int(len(y) * train_ratio)
    return ToyData(pts[:k], y[:k], pts[k:], y[k:])


def grid_points(resolution: int = 100, domain: float = DOMAIN) -> np.ndarray:
    """(resolution², 2) points on a regular grid over [-domain, domain]², row-major from the top."""
    xs = np.linspace(-domain, domain, resolution, dtype=np.float32)
    ys = xs[::-1]
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1)
