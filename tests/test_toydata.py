"""Toy data sets and input features."""
from __future__ import annotations

import numpy as np
import pytest

from engine.toydata import DATASETS, FEATURES, features, grid_points, make_toy_data


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_shapes_labels_and_split(name):
    ds = DATASETS[name]
    d = make_toy_data(name, 0.1, 0.3, 0)
    assert len(d.y_train) + len(d.y_test) == ds.n_points
    assert len(d.y_train) == int(ds.n_points * 0.3)
    assert d.points_train.shape == (len(d.y_train), 2) and d.points_train.dtype == np.float32
    y = np.concatenate([d.y_train, d.y_test])
    if ds.problem == "classification":
        assert set(np.unique(y)) == {-1.0, 1.0}
        assert 0.3 < (y > 0).mean() < 0.7
    elif ds.problem == "multiclass":  # the default 3 classes, a third each, as class indices
        assert y.dtype == np.int32 and np.bincount(y).tolist() == [ds.n_points // 3] * 3
    else:
        assert y.min() >= -1 and y.max() <= 1 and y.std() > 0.1
    pts = np.concatenate([d.points_train, d.points_test])
    assert np.abs(pts).max() < 8


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_without_noise_labels_follow_the_rule(name):
    d = make_toy_data(name, 0.0, 0.9, 1)
    p, y = d.points_train, d.y_train
    rule = np.hypot(p[:, 0], p[:, 1]) < 2.5 if name == "circle" else p[:, 0] * p[:, 1] >= 0
    assert np.array_equal(y > 0, rule)


@pytest.mark.parametrize("name,f", [("sine", lambda x: 3 * np.sin(x)), ("cubic", lambda x: x ** 3 / 20),
                                    ("abs", lambda x: np.abs(x) - 2.5)])
def test_without_noise_the_curves_label_points_above_them_blue(name, f):
    """TF Playground #252: points above y = f(x) are +1, below −1 (the curve written out here)."""
    d = make_toy_data(name, 0.0, 0.9, 1)
    p, y = d.points_train, d.y_train
    assert np.array_equal(y > 0, p[:, 1] >= f(p[:, 0]))
    assert 0.25 < (y > 0).mean() < 0.75


def test_noise_flips_labels_near_the_boundary():
    clean = make_toy_data("circle", 0.0, 0.9, 2)
    noisy = make_toy_data("circle", 0.5, 0.9, 2)
    rule = lambda d: np.hypot(d.points_train[:, 0], d.points_train[:, 1]) < 2.5
    assert np.mean((noisy.y_train > 0) != rule(noisy)) > 0.05
    assert np.mean((clean.y_train > 0) != rule(clean)) == 0


def test_gaussian_noise_widens_the_clusters():
    tight = make_toy_data("gauss", 0.0, 0.9, 0).points_train
    wide = make_toy_data("gauss", 0.5, 0.9, 0).points_train
    assert wide.std() > tight.std() * 1.3


def test_same_seed_same_data():
    a, b = make_toy_data("spiral", 0.3, 0.5, 7), make_toy_data("spiral", 0.3, 0.5, 7)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_features():
    p = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    f = features(p, tuple(FEATURES))
    expected = [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)], [-3, 0.5, 9, 0.25, -1.5, np.sin(-3), np.sin(0.5)]]
    np.testing.assert_allclose(f, expected, rtol=1e-6)


def test_grid_runs_left_to_right_top_to_bottom():
    g = grid_points(5)
    assert g.shape == (25, 2)
    assert g[0].tolist() == [-6, 6] and g[4].tolist() == [6, 6] and g[-1].tolist() == [6, -6]
