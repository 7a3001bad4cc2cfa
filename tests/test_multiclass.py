"""Three to six classes: the engine's softmax and cross-entropy gradients against finite
differences of a NumPy network written out here, the decision map's colours for a network whose
weights are set by hand, the confusion matrix counted by hand, and the pictures' parts."""
from __future__ import annotations

import base64
import io
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from engine.model import MLPSpec, init_params
from engine.train import data_loss
from playground.toy import charts, classes, network
from playground.toy.run import ToyRun
from playground.toy.settings import ToySettings


def _numpy_loss(flat: np.ndarray, shapes, x: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of a tanh network, in float64: −log softmax(z)[y], written out."""
    params, k = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        params.append(flat[k:k + size].reshape(shape))
        k += size
    h = x
    for i in range(0, len(params) - 2, 2):
        h = np.tanh(h @ params[i] + params[i + 1])
    z = h @ params[-2] + params[-1]  # (N, K)
    z = z - z.max(1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


@pytest.mark.parametrize("k,hidden", [(3, ()), (5, (4, 2)), (6, (3,))])
def test_softmax_cross_entropy_gradients_match_finite_differences(k, hidden):
    spec = MLPSpec(2, hidden, k, "tanh", "softmax_ce")
    params = init_params(jax.random.key(k), spec)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (12, 2)).astype(np.float32)
    y = rng.integers(0, k, 12).astype(np.int32)
    grads = jax.grad(data_loss)(params, spec, jnp.asarray(x), jnp.asarray(y))
    leaves = [np.asarray(a, np.float64) for pair in params for a in pair]
    shapes = [a.shape for a in leaves]
    flat = np.concatenate([a.ravel() for a in leaves])
    eps = 1e-6
    fd = np.array([(_numpy_loss(flat + eps * e, shapes, x, y) - _numpy_loss(flat - eps * e, shapes, x, y)) / (2 * eps)
                   for e in np.eye(len(flat))])
    got = np.concatenate([np.asarray(a, np.float64).ravel() for pair in grads for a in pair])
    assert np.allclose(got, fd, rtol=1e-3, atol=2e-5), np.abs(got - fd).max()
    assert _numpy_loss(flat, shapes, x, y) == pytest.approx(float(data_loss(params, spec, x, y)), rel=1e-5)


def _pixels(svg: str) -> np.ndarray:
    uri = re.search(r'<image href="data:image/png;base64,([^"]+)"', svg).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))).convert("RGB"))


def test_the_decision_map_of_a_hand_set_network_has_the_colours_of_its_probabilities():
    """No hidden layer, three classes: z = (x1, x2, 0) over the plane. At (x1, x2) the winner is the
    largest of x1, x2 and 0, with probability e^max / (e^x1 + e^x2 + 1); the map mixes that class's
    colour with white by how far that probability is above 1/3, at half strength."""
    run = ToyRun(ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce", hidden=(), classes=3))
    w = jnp.asarray([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    run.state = run.state._replace(params=[(w, jnp.zeros(3))])
    svg = charts.decision_map_svg(run.maps()[-1], *run.toy)
    img = _pixels(svg)
    grid = np.linspace(-6, 6, 100)  # columns left to right, rows top to bottom from +6
    palette = {0: (0, 114, 178), 1: (230, 159, 0), 2: (0, 158, 115)}  # Okabe–Ito blue, orange, green
    for col, row in [(99, 50), (50, 0), (0, 99), (80, 30), (60, 45), (40, 70), (55, 55)]:
        x1, x2 = grid[col], grid[::-1][row]
        z = [x1, x2, 0.0]
        p = [math.exp(v) / sum(math.exp(u) for u in z) for v in z]
        win = int(np.argmax(z))
        t = 0.5 * (max(p) - 1 / 3) / (1 - 1 / 3)
        expected = [round(255 - (255 - c) * t) for c in palette[win]]
        assert np.abs(img[row, col].astype(int) - expected).max() <= 1, (x1, x2, img[row, col], expected)
    # Where the three sums are equal (x1 = x2 = 0) every class has 1/3: white.
    run.state = run.state._replace(params=[(jnp.zeros((2, 3)), jnp.zeros(3))])
    assert (_pixels(charts.decision_map_svg(run.maps()[-1], *run.toy)) == 255).all()
    # Discretised: every place in its winner's colour at the map's strength, however unsure.
    run.state = run.state._replace(params=[(w * 1e-3, jnp.zeros(3))])
    img = _pixels(charts.decision_map_svg(run.maps()[-1], *run.toy, discretise=True))
    assert img[50, 99].tolist() == [round(255 - (255 - c) * 0.5) for c in palette[0]]
    assert img[0, 50].tolist() == [round(255 - (255 - c) * 0.5) for c in palette[1]]


def test_each_output_neuron_has_its_own_map_and_name():
    run = ToyRun(ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce", classes=4))
    maps = run.maps()
    assert maps[-1].shape == (100, 100, 4) and np.allclose(maps[-1].sum(-1), 1, atol=1e-5)  # softmax adds to 1
    svg = network.network_svg(["X₁", "X₂"], run.input_maps(), maps[:-1], maps[-1], run.weights(),
                              class_names=run.class_names())
    for i in range(4):
        assert f'data-pick="n:3:{i}"' in svg and f">class {i + 1}</text>" in svg
    assert 'data-pick="n:3:4"' not in svg
    # Output neuron 2's own map: white where its probability is 0, its colour where it is 1.
    assert classes.neuron_rgb(np.array([0.0, 1.0]), 2).tolist() == [[255, 255, 255], [0, 158, 115]]


def test_the_confusion_matrix_counts_by_hand():
    truth = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    chosen = np.array([0, 1, 1, 1, 0, 2, 2, 0, 2])
    assert classes.confusion(truth, chosen, 3).tolist() == [[1, 1, 0], [1, 2, 0], [1, 0, 3]]
    table = classes.confusion_html(classes.confusion(truth, chosen, 3), ["a", "b", "<c>"])
    assert "&lt;c&gt;" in table and "<c>" not in table  # names from a user's file are escaped
    assert "3 &lt;c&gt; points taken for &lt;c&gt;" in table


def test_a_softmax_layer_alone_separates_five_blobs_and_the_run_reports_it():
    """Blobs on a circle are separated by straight lines: a network with no hidden layer gets them all."""
    run = ToyRun(ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce", hidden=(), classes=5))
    assert run.config.spec.n_out == 5 and run.history.last("test_acc") < 0.9
    run.train(60)
    assert run.history.last("test_acc") > 0.99
    which, counts = run.confusion()
    assert which == "test" and counts.sum() == len(run.toy.y_test) and np.trace(counts) >= 0.99 * counts.sum()


def test_the_palette_keeps_tf_playgrounds_two_colours_and_okabe_ito_for_more():
    two = ToyRun(ToySettings(dataset="gauss"))
    svg = charts.decision_map_svg(two.maps()[-1], *two.toy)
    assert 'fill="#f59322"' in svg.lower() or "#f59322" in svg  # orange points
    three = ToyRun(ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce"))
    svg = charts.decision_map_svg(three.maps()[-1], *three.toy)
    assert {"#0072b2", "#e69f00", "#009e73"} <= set(re.findall(r'fill="(#[0-9a-f]{6})"', svg))


def test_a_softmax_output_neurons_curve_is_its_probability_with_the_other_sums_held():
    """The weighted-sum view plots p = e^z / (e^z + Σ others e^zⱼ) against this output's z."""
    from playground.toy import learn_view, learning as L
    others = [0.4, -1.3]
    shift = math.log(sum(math.exp(v) for v in others))
    zs, ps = learn_view._act_curve("softmax", "softmax_ce", 3.0, round(shift, 3))
    for z, p in list(zip(zs, ps))[::10]:
        assert p == pytest.approx(math.exp(z) / (math.exp(z) + sum(math.exp(v) for v in others)), abs=2e-3)
    run = ToyRun(ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce", hidden=(), classes=3))
    lg = L.Learning(view="sum", neuron=(1, 2))
    _, panel, _ = learn_view.view(run, lg)
    assert "Softmax turns the 3 output sums into probabilities that add up to 1" in panel
