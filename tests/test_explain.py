"""Explanations against independent truths: saliency and "why a and not b" against central finite
differences of a NumPy forward pass written out here; occlusion on a model whose answer depends on
one known patch, against the softmax computed by hand."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import explain as ex
from engine.model import MLPSpec, init_params

SPEC = MLPSpec(784, (24,), 10, "tanh", "softmax_ce")  # tanh: smooth, so finite differences are exact to O(eps²)


@pytest.fixture(scope="module")
def model():
    params = init_params(jax.random.key(3), SPEC)
    x = np.random.default_rng(0).random(784).astype(np.float32)
    return params, x


def numpy_scores(params, x: np.ndarray) -> np.ndarray:
    """z = tanh(x W1 + b1) W2 + b2, in float64."""
    (w1, b1), (w2, b2) = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in params]
    return np.tanh(x @ w1 + b1) @ w2 + b2


def finite_difference(f, x: np.ndarray, i: int, eps: float = 1e-4) -> float:
    up, down = x.astype(np.float64).copy(), x.astype(np.float64).copy()
    up[i] += eps
    down[i] -= eps
    return (f(up) - f(down)) / (2 * eps)


PIXELS = [0, 97, 300, 406, 783]


def test_saliency_is_the_winning_scores_gradient(model):
    params, x = model
    grad, c = ex.saliency(params, SPEC, jnp.asarray(x))
    z = numpy_scores(params, x.astype(np.float64))
    assert int(c) == int(np.argmax(z))
    for i in PIXELS:
        fd = finite_difference(lambda v: numpy_scores(params, v)[int(c)], x, i)
        assert float(grad[i]) == pytest.approx(fd, rel=2e-3, abs=2e-6), i


def test_why_a_and_not_b_is_the_gradient_of_the_difference(model):
    params, x = model
    a, b = 2, 7
    grad = np.asarray(ex.contrast(params, SPEC, jnp.asarray(x), a, b))
    for i in PIXELS:
        fd = finite_difference(lambda v: numpy_scores(params, v)[a] - numpy_scores(params, v)[b], x, i)
        assert grad[i] == pytest.approx(fd, rel=2e-3, abs=2e-6), i
    flipped = np.asarray(ex.contrast(params, SPEC, jnp.asarray(x), b, a))
    np.testing.assert_allclose(flipped, -grad, atol=1e-6)


def test_every_pixel_is_in_exactly_one_patch():
    masks = np.asarray(ex.patch_masks(28, 4))
    assert masks.shape == (49, 784)
    assert (masks.sum(0) == 1).all() and (masks.sum(1) == 16).all()
    # patch 10 is row 1, column 3 of the 7×7 grid: pixel rows 4-7, columns 12-15
    img = masks[10].reshape(28, 28)
    assert img[4:8, 12:16].all() and img.sum() == 16


ROW, COL = 8, 12  # the known patch: pixel rows 8-11, columns 12-15 (patch 2·7 + 3 = 17)


def one_patch_model():
    """No hidden layer: class 3's score is the sum of the known patch's pixels; class 5's is a
    constant 8; every other class scores 0. No other pixel counts."""
    spec = MLPSpec(784, (), 10, "relu", "softmax_ce")
    w = np.zeros((784, 10), np.float32)
    patch = np.zeros((28, 28), bool)
    patch[ROW:ROW + 4, COL:COL + 4] = True
    w[patch.reshape(-1), 3] = 1.0
    b = np.zeros(10, np.float32)
    b[5] = 8.0
    return [(jnp.asarray(w), jnp.asarray(b))], spec, patch


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_occlusion_finds_the_one_patch_the_answer_depends_on():
    params, spec, patch = one_patch_model()
    img = np.zeros((28, 28), np.float32)
    img[ROW:ROW + 4, COL:COL + 4] = 1.0  # the ink the answer depends on: z_3 = 16
    img[20:26, 2:5] = 1.0  # ink no weight looks at
    drop, c = ex.occlusion(params, spec, jnp.asarray(img.reshape(-1)), side=28, patch=4)
    drop = np.asarray(drop)
    assert int(c) == 3 and drop.shape == (7, 7)
    # Written out: before, z_3 = 16 and z_5 = 8; greyed (0.5 each), z_3 = 8.
    before = softmax(np.array([0, 0, 0, 16, 0, 8, 0, 0, 0, 0], float))[3]
    after = softmax(np.array([0, 0, 0, 8, 0, 8, 0, 0, 0, 0], float))[3]
    assert drop[ROW // 4, COL // 4] == pytest.approx(before - after, abs=1e-5)
    others = np.delete(drop.reshape(-1), (ROW // 4) * 7 + COL // 4)
    np.testing.assert_allclose(others, 0.0, atol=1e-6)  # hiding anything else changes nothing


def test_occlusion_with_black_and_a_temperature():
    params, spec, _ = one_patch_model()
    img = np.zeros((28, 28), np.float32)
    img[ROW:ROW + 4, COL:COL + 4] = 1.0
    drop, _ = ex.occlusion(params, spec, jnp.asarray(img.reshape(-1)), side=28, patch=4, fill=0.0, temperature=2.0)
    before = softmax(np.array([0, 0, 0, 16, 0, 8, 0, 0, 0, 0], float) / 2)[3]
    after = softmax(np.array([0, 0, 0, 0, 0, 8, 0, 0, 0, 0], float) / 2)[3]
    assert float(drop[ROW // 4, COL // 4]) == pytest.approx(before - after, abs=1e-5)


def test_occlusion_of_a_side_the_patch_does_not_divide():
    spec = MLPSpec(64, (), 10, "relu", "softmax_ce")  # 8×8 digits, 3×3 patches: a 3×3 grid, the last cut short
    w = np.zeros((64, 10), np.float32)
    w[7 * 8 + 7, 1] = 5.0  # only the bottom-right pixel counts, for class 1
    params = [(jnp.asarray(w), jnp.zeros(10, jnp.float32))]
    x = np.zeros(64, np.float32)
    x[63] = 1.0
    drop, c = ex.occlusion(params, spec, jnp.asarray(x), side=8, patch=3)
    assert int(c) == 1 and drop.shape == (3, 3)
    assert int(np.argmax(np.asarray(drop))) == 8 and np.count_nonzero(np.abs(np.asarray(drop)) > 1e-6) == 1


def test_the_page_never_compares_the_answer_with_itself(model):
    from playground.bigpicture.why import explain
    params, x = model
    e = explain(params, SPEC, x.reshape(28, 28), other=-1)
    assert e.other != e.answer and e.other == int(np.argsort(-e.probs)[1])
    same = explain(params, SPEC, x.reshape(28, 28), other=e.answer)
    assert same.other == e.other  # asking "why a and not a" compares with the runner-up instead
    assert np.isclose(e.probs.sum(), 1.0) and e.answer == int(np.argmax(numpy_scores(params, x)))
