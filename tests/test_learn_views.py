"""The toy lab's "How it learns" views, as the page shows them, against things known to be true:
jax.grad and a backpropagation written out here in NumPy, finite differences on the loss curve,
one SGD epoch of the trainer, sums worked out from the weights, the nearest point found by
brute force, and ``evaluate`` of a network edited by hand."""
from __future__ import annotations

import re

import jax
import numpy as np
import pytest

from engine.inspect import layer_activations
from engine.train import Data, TrainConfig, data_loss, evaluate, init_state, make_hparams, run_epochs
from playground.toy import learning as L
from tests.conftest import live_data, open_page

NUM = r"[−-]?\d+\.\d+"


def num(text: str) -> float:
    return float(text.replace("−", "-"))


def live(at) -> str:
    return live_data(at)["html"]


def view(at, name: str):
    at.segmented_control(key="learn_view").set_value(name).run()
    assert not at.exception, at.exception
    return at


def steps(at, n: int):
    for _ in range(n):
        at.button(key="step").click().run()
    return at


def click(at, what: str):
    """A click in the live view: what the page does with the pick its view element sends."""
    L.pick(at.session_state.toy.run, at.session_state.toy.learning, what)
    at.run()
    assert not at.exception, at.exception
    return at


def flat(params) -> np.ndarray:
    return np.concatenate([np.asarray(a).ravel() for a in jax.tree.leaves(params)])


def panel_text(at, hook: str) -> str:
    """The words of the panel element carrying ``hook`` (its tags taken out)."""
    inner = re.search(rf"{hook}>(.*?)</div>", live(at)).group(1)
    return re.sub(r"<[^>]+>", "", inner)


def stat(at, name: str) -> str:
    return re.search(rf'data-stat="{name}">([^<]*)<', live(at)).group(1)


def line_titles(h: str) -> dict[tuple[int, int, int], str]:
    """Each weight line's hover text, by (layer, i, j) as the page counts them."""
    found = re.findall(r'data-pick="w:(\d+):(\d+):(\d+)"><line [^>]*/><line class="hit" [^>]*/><title>([^<]*)</title>', h)
    return {(int(l), int(i), int(j)): t for l, i, j, t in found}


def np_forward(weights, x):
    """Every layer's output of a tanh network, in float64: [x, a₁, ..., tanh(z_out)]."""
    hs = [np.asarray(x, np.float64)]
    for w, b in weights:
        hs.append(np.tanh(hs[-1] @ np.asarray(w, np.float64) + np.asarray(b, np.float64)))
    return hs


def np_backprop(weights, x, y):
    """L = mean ½(tanh(z_out) − y)² of a tanh network of any depth, and [(∂L/∂w, ∂L/∂b)] per
    layer, by the chain rule in float64."""
    ws = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in weights]
    hs = np_forward(ws, x)  # hs[n] feeds layer n; hs[-1] is the output, (N, 1)
    out, y = hs[-1][:, 0], np.asarray(y, np.float64)
    d = ((out - y) * (1 - out ** 2) / len(y))[:, None]  # ∂L/∂z of the output: (N, 1)
    grads = []
    for n in reversed(range(len(ws))):
        grads.insert(0, (hs[n].T @ d, d.sum(0)))  # (n_in, n_out), (n_out,)
        if n:
            d = (d @ ws[n][0].T) * (1 - hs[n] ** 2)  # back through w, then tanh'(z) = 1 − a²
    return np.mean(0.5 * (out - y) ** 2), grads


# --- gradients ------------------------------------------------------------------------------------
def test_the_gradients_shown_are_jax_grad_and_a_backpropagation_by_hand():
    at = view(steps(open_page(hidden="3", features="x1,x2"), 2), "gradients")
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    loss, by_hand = np_backprop(run.weights(), run.data.x_train, run.data.y_train)
    np.testing.assert_allclose(loss, run.history.last("train_loss"), rtol=1e-5)
    auto = jax.grad(data_loss)(run.state.params, run.config.spec, run.data.x_train, run.data.y_train)
    grads, update = L.gradients(run)
    for (gw, gb), (hw, hb), (aw, ab) in zip(grads, by_hand, auto):
        np.testing.assert_allclose(gw, hw, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(gb, hb, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(gw, aw, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(gb, ab, rtol=1e-5, atol=1e-8)
    # SGD, no penalty, a constant rate: one step on all points is −learning rate × the gradient
    for (uw, ub), (hw, hb) in zip(update, by_hand):
        np.testing.assert_allclose(uw, -0.03 * hw, rtol=1e-4, atol=1e-8)

    titles = line_titles(live(at))
    assert len(titles) == 2 * 3 + 3 * 1
    for (l, i, j), title in titles.items():
        shown = num(re.search(rf"∂L/∂w ({NUM})", title).group(1))
        assert abs(shown - by_hand[l - 1][0][i, j]) <= 0.5e-4 + 1e-7, (l, i, j, title)
        assert num(re.search(rf"^weight ({NUM})", title).group(1)) == pytest.approx(run.weights()[l - 1][0][i, j], abs=5e-4)
    # the panel: the chosen weight, then a bias chosen by a click on its square
    for what, want in [(None, by_hand[0][0][0, 0]), ("b:2:0", by_hand[1][1][0])]:
        if what:
            click(at, what)
            assert lg.weight == (2, None, 0) and lg.view == "gradients"
        panel = panel_text(at, "data-gradient")
        assert abs(num(re.search(rf"∂L/∂w = ({NUM})", panel).group(1)) - want) <= 0.5e-4 + 1e-7, panel
    assert "Bias of the output neuron" in panel


# --- the loss along one weight ----------------------------------------------------------------------
@pytest.mark.parametrize("which", ["the steepest weight", "a bias"])
def test_the_loss_curve_has_the_gradient_shown_as_its_slope_and_the_loss_shown_as_its_value(which):
    at = view(steps(open_page(), 3), "curve")
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    grads, _ = L.gradients(run)
    if which == "a bias":
        click(at, "b:2:1")
    else:
        l, i, j = max(((l, i, j) for l, (g, _) in enumerate(grads) for i, j in np.ndindex(g.shape)),
                      key=lambda k: abs(grads[k[0]][0][k[1], k[2]]))
        click(at, f"w:{l + 1}:{i}:{j}")
    assert lg.view == "curve"
    values, losses, w_now, _ = L.curve(run, lg)
    # a cubic through the six samples nearest the weight now: its slope and value there
    near = np.argsort(np.abs(values - w_now))[:6]
    cubic = np.polynomial.Polynomial.fit(values[near].astype(np.float64), losses[near].astype(np.float64), 3)
    slope, value = cubic.deriv()(w_now), cubic(w_now)

    text = panel_text(at, "data-curve")
    shown_slope = num(re.search(rf"∂L/∂w = ({NUM})", text).group(1))
    assert abs(shown_slope - slope) <= 0.5e-4 + 1e-3 * abs(slope), (slope, text)
    assert abs(slope - L.entry(grads, lg.weight)) <= 1e-3 * abs(slope) + 1e-6
    assert value == pytest.approx(run.history.last("train_loss"), rel=1e-4)
    assert abs(num(re.search(rf"training loss ({NUM})", text).group(1)) - value) <= 0.5e-4 + 1e-6
    assert abs(float(stat(at, "Train loss")) - value) <= 0.5e-3 + 1e-6

    # the orange dot sits on the drawn curve
    svg = re.search(r'<svg class="nn-plot nn-curve".*?</svg>', live(at)).group(0)
    pts = np.array([p.split(",") for p in re.search(r'<polyline points="([^"]*)"', svg).group(1).split()], float)
    cx, cy = (float(v) for v in re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*data-dot', svg).groups())
    assert abs(np.interp(cx, pts[:, 0], pts[:, 1]) - cy) < 1.5


# --- one update, step by step ---------------------------------------------------------------------
def test_one_update_step_by_step_is_one_sgd_step_of_the_trainer_on_the_pinned_point():
    # The run trains with Adam: the step-through still shows plain gradient descent, and says so.
    at = view(steps(open_page(hidden="3", features="x1,x2", optimiser="adam"), 2), "steps")
    at.number_input(key="learn_pin").set_value(8).run()
    session = at.session_state.toy
    run, lg = session.run, session.learning
    assert lg.pin == 7
    before = flat(run.state.params)
    seen = []
    while not at.button(key="learn_next").disabled:
        at.button(key="learn_next").click().run()
        seen.append(re.search(r'data-phase="(\w+)"', live(at)).group(1))
        if seen[-1] == "loss":  # the outputs written under the neurons, and the loss
            notes = [num(n) for n in re.findall(r'<text class="note"[^>]*>([^<]*)<', live(at))]
            shown_loss = num(re.search(r"data-loss>([^<]*)<", live(at)).group(1))
    assert seen == ["forward", "forward", "loss", "backward", "backward", "update"]
    assert "plain gradient descent" in live(at)

    _, x, y = L.pinned(run, lg)
    acts = np_forward(run.weights(), x[None])
    np.testing.assert_allclose(notes, np.concatenate([a[0] for a in acts[1:]]), atol=0.005 + 1e-6)
    assert shown_loss == pytest.approx(0.5 * (acts[-1][0, 0] - y) ** 2, abs=0.5e-4 + 1e-6)
    engine_acts = layer_activations(run.state.params, run.config.spec, x[None])
    np.testing.assert_allclose(lg.steps.a[0], engine_acts[0][0], rtol=1e-6)
    np.testing.assert_allclose(lg.steps.z[-1], engine_acts[-1][0], rtol=1e-6)

    # the update: one epoch of the trainer, plain SGD, on a data set holding exactly this point
    config = TrainConfig(run.config.spec, "sgd", batch_size=1)
    one = Data(x[None], np.float32([y]), x[None], np.float32([y]))
    state = init_state(jax.random.key(0), config)._replace(params=run.state.params)
    trained, _ = run_epochs(state, one, make_hparams(learning_rate=run.settings.learning_rate), config, 1)
    np.testing.assert_allclose(flat(lg.steps.new_params), flat(trained.params), rtol=1e-6, atol=1e-8)
    new = [np.asarray(w) for w, _ in lg.steps.new_params]
    for (l, i, j), title in line_titles(live(at)).items():  # the lines show the weights after the step
        assert num(re.search(rf"^weight ({NUM})", title).group(1)) == pytest.approx(new[l - 1][i, j], abs=5e-4)

    at.button(key="learn_back").click().run()
    assert re.search(r'data-phase="(\w+)"', live(at)).group(1) == "backward" and lg.phase == 5
    at.button(key="learn_done").click().run()
    assert lg.phase == 0 and lg.steps is None and "data-phase" not in live(at)
    assert np.array_equal(flat(run.state.params).view(np.uint32), before.view(np.uint32))  # nothing was kept
    assert run.epoch == 2


def test_step_leaves_the_step_through_and_another_pinned_point_takes_it_again():
    at = view(open_page(hidden="2"), "steps")
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    for _ in range(3):
        at.button(key="learn_next").click().run()
    first = lg.steps.loss
    click(at, "p:{:.3f}:{:.3f}".format(*run.toy.points_train[11]))
    assert lg.pin == 11 and lg.phase == 3 and lg.steps.loss != first
    _, x, y = L.pinned(run, lg)
    assert float(lg.steps.loss) == pytest.approx(0.5 * (np_forward(run.weights(), x[None])[-1][0, 0] - y) ** 2,
                                                 rel=1e-5)
    at.select_slider(key="learning_rate").set_value(0.3).run()  # the update is taken again with the new rate
    assert lg.phase == 3 and lg.steps_for[3] == 0.3
    np.testing.assert_allclose(flat(lg.steps.new_params), flat(run.state.params) - 0.3 * flat(lg.steps.grads),
                               rtol=1e-5, atol=1e-7)
    steps(at, 1)  # a real epoch: the numbers were for the weights before it
    assert lg.phase == 0 and lg.steps is None and "data-phase" not in live(at)


# --- a weight set by hand ---------------------------------------------------------------------------
def test_setting_a_weight_by_hand_changes_exactly_that_weight_and_the_numbers_at_once():
    at = view(open_page(), "curve")  # epoch 0: the starting network
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    chosen = (2, 3, 1)  # from layer 1's fourth neuron into layer 2's second
    at.selectbox(key="learn_weight").set_value(chosen).run()
    assert lg.weight == chosen
    assert at.number_input(key="learn_value").value == pytest.approx(round(L.entry(run.state.params, chosen), 4))
    before = flat(run.state.params)
    at.number_input(key="learn_value").set_value(1.25).run()
    assert not at.exception, at.exception
    after, k = flat(run.state.params), L.flat_index(run, chosen)
    assert after[k] == np.float32(1.25)
    others = np.arange(len(before)) != k
    assert np.array_equal(after[others].view(np.uint32), before[others].view(np.uint32))
    ev = jax.device_get(evaluate(run.state.params, run.config.spec, run.data))
    assert run.epoch == 0 and run.history.last("train_loss") == pytest.approx(float(ev["train_loss"]), rel=1e-6)
    assert stat(at, "Train loss") == f"{ev['train_loss']:.3f}" and stat(at, "Test loss") == f"{ev['test_loss']:.3f}"
    text = panel_text(at, "data-curve")
    assert f"w = 1.250" in text and f"training loss {ev['train_loss']:.4f}" in text

    # in the neuron's view, its bias: the formula prints the new bias
    view(at, "sum")
    click(at, "n:2:1")
    at.selectbox(key="learn_weight").set_value((2, None, 1)).run()
    at.number_input(key="learn_value").set_value(-0.5).run()
    assert run.weights()[1][1][1] == np.float32(-0.5)
    formula = panel_text(at, "data-formula")
    assert "+ (−0.50) =" in formula


# --- a neuron's sum ---------------------------------------------------------------------------------
def test_the_neuron_formula_is_its_inputs_times_its_weights_plus_its_bias():
    at = view(steps(open_page(), 2), "sum")
    at.number_input(key="learn_pin").set_value(6).run()
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    x = np.asarray(run.data.x_train[5], np.float64)
    ins = np_forward(run.weights(), x[None])  # what flows into each layer
    for layer, i in [(1, 0), (2, 1), (3, 0)]:  # a first-layer neuron, a second-layer one, the output
        click(at, f"n:{layer}:{i}")
        assert lg.neuron == (layer, i) and lg.view == "sum"
        assert f'<g class="node on" id="nn-n' in live(at) and f'data-pick="n:{layer}:{i}"><' in live(at)
        formula = panel_text(at, "data-formula")
        w, b = (np.asarray(a, np.float64) for a in run.weights()[layer - 1])
        inputs = ins[layer - 1][0]
        z = inputs @ w[:, i] + b[i]
        terms = re.findall(rf"\(?({NUM})\)?×\(?({NUM})\)?", formula)
        assert len(terms) == len(inputs)
        for (shown_in, shown_w), v, wv in zip(terms, inputs, w[:, i]):
            assert abs(num(shown_in) - v) <= 0.005 + 1e-6 and abs(num(shown_w) - wv) <= 0.005 + 1e-6
        shown_b, shown_z, name, shown_a = re.search(rf"\+ \(?({NUM})\)? = ({NUM}) → (\w+) → ({NUM})$", formula).groups()
        assert abs(num(shown_b) - b[i]) <= 0.005 + 1e-6
        assert abs(num(shown_z) - z) <= 0.005 + 1e-6, (formula, z)
        assert name == "tanh" and abs(num(shown_a) - np.tanh(z)) <= 0.005 + 1e-6


# --- pinning a point ----------------------------------------------------------------------------------
def test_a_click_on_the_map_pins_the_nearest_training_point_and_every_map_shows_it():
    at = view(open_page(), "sum")
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    for x, y in np.random.default_rng(0).uniform(-6, 6, (6, 2)):
        L.pick(run, lg, f"p:{x:.3f}:{y:.3f}")
        d = [np.hypot(px - round(x, 3), py - round(y, 3)) for px, py in run.toy.points_train.astype(np.float64)]
        assert lg.pin == int(np.argmin(d))
    at.run()
    h = live(at)
    nodes = sum(run.config.spec.sizes)  # 2 inputs + 4 + 2 + the output
    assert h.count('class="pin"') == nodes + 1 == 10  # every neuron's map, and the output map
    assert at.number_input(key="learn_pin").value == lg.pin + 1
    px, py = run.toy.points_train[lg.pin]
    out_map = re.search(r'<svg class="nn-plot nn-map".*?</svg>', h).group(0)
    x0, y0, side = (float(v) for v in re.search(r'<image href="[^"]*" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"',
                                                out_map).groups())  # the plane [−6, 6]² drawn here
    cx, cy = (float(v) for v in re.search(r'<circle class="pin" cx="([\d.]+)" cy="([\d.]+)"', out_map).groups())
    assert cx == pytest.approx(x0 + (px + 6) / 12 * side, abs=0.06)
    assert cy == pytest.approx(y0 + (6 - py) / 12 * side, abs=0.06)
    L.pick(run, lg, "p:nonsense")  # anything else is ignored
    L.pick(run, lg, "n:0:1")  # an input is not a neuron with a sum
    assert lg.neuron == (1, 0)


def test_clicks_open_the_view_they_belong_to():
    at = open_page()
    run, lg = at.session_state.toy.run, at.session_state.toy.learning
    click(at, "w:2:1:0")
    assert lg.view == "curve" and lg.weight == (2, 1, 0) and at.segmented_control(key="learn_view").value == "curve"
    click(at, "n:2:1")
    assert lg.view == "sum" and lg.neuron == (2, 1) and lg.weight == (2, 0, 1)  # the neuron's first weight
    click(at, "w:3:1:0")  # in the neuron's view a line into another neuron chooses both
    assert lg.view == "sum" and lg.neuron == (3, 0) and lg.weight == (3, 1, 0)
    assert at.selectbox(key="learn_weight").value == (3, 1, 0)
