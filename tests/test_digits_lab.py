"""The digits lab: its run semantics, its charts, and the page through AppTest."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.digits import charts as dc
from playground.digits.settings import DigitsSettings
from playground.digits.run import DigitsRun
from tests.conftest import open_page, notice

SMALL = DigitsSettings(source="sklearn8", hidden=(32, 16), epochs=15, batch_size=64)


@pytest.fixture(scope="module")
def trained():
    run = DigitsRun(SMALL)
    run.train(15)
    return run


def test_training_stops_at_the_planned_epochs_and_learns(trained):
    assert trained.epoch == 15 and trained.done and trained.train(3) == 0
    assert trained.history.last("test_acc") > 0.85
    assert len(trained.history.series("test_loss")) == 16


def test_looking_inside_a_digit(trained):
    acts = trained.activations(3)
    assert [a.shape for a in acts] == [(32,), (16,), (10,)]
    assert abs(acts[-1].sum() - 1) < 1e-5
    assert trained.first_layer_weights(64).shape == (32, 8, 8)


def test_confusion_matrix_and_mistakes_agree_with_the_predictions(trained):
    cm = trained.confusion()
    probs, pred = trained.predictions()
    assert cm.sum() == len(trained.digits.y_val)
    assert np.trace(cm) == int((pred == trained.digits.y_val).sum())
    mistakes = trained.worst_mistakes(5)
    confs = [c for *_, c in mistakes]
    assert confs == sorted(confs, reverse=True)
    assert all(t != p and trained.digits.y_val[i] == t for i, t, p, _ in mistakes)


def test_a_source_with_its_own_test_set_is_scored_on_it(monkeypatch):
    from engine import digits_data as dd
    import playground.digits.run as dr
    five = dd.load_mnist_5k()
    order = np.random.default_rng(0).permutation(5000)  # the embedded set is sorted by digit
    tr, te = order[:1000], order[4000:]
    with_test = dd.Digits(five.x_train[tr], five.y_train[tr], five.x_train[te], five.y_train[te], 28)
    monkeypatch.setattr(dr, "cached_source", lambda name: (with_test, None))
    run = DigitsRun(DigitsSettings(source="mnist", hidden=(32,), epochs=8, batch_size=32))
    assert len(run.digits.y_train) + len(run.digits.y_val) == 1000  # the test set is not in the split
    run.train(8)
    assert 0.75 < run.test_accuracy() <= 1.0


def test_a_source_without_a_test_set_reports_none(trained):
    assert trained.test_accuracy() is None


def test_learning_rate_change_keeps_progress_and_architecture_change_resets():
    run = DigitsRun(SMALL)
    run.train(2)
    assert run.apply(run.settings.changed(learning_rate=3e-4, epochs=20)) is None and run.epoch == 2
    message = run.apply(run.settings.changed(hidden=(20,)))
    assert "hidden" in message and run.epoch == 0


def test_digit_charts():
    assert dc.tile(np.ones((5, 3, 3)), 2).shape == (3 * 4 - 1, 2 * 4 - 1)
    assert dc.as_grid(np.arange(10.0)).shape == (3, 4)
    fig = dc.probabilities_figure(np.eye(10)[3] * 0.9 + 0.01, true=5)
    bar = fig.data[0]
    assert list(bar.x) == [str(d) for d in range(10)] and bar.marker.color[3] == "#0877bd"
    assert bar.marker.line.width[5] > 0 and bar.marker.line.width[3] == 0
    cm = np.diag(np.arange(10)) + 1
    heat = dc.confusion_figure(cm).data[0]
    assert np.array_equal(np.asarray(heat.z), cm)
    m = dc.metrics_figure(np.linspace(2, 0.1, 5000), np.linspace(2, 0.2, 5000), np.linspace(0, 1, 5000),
                          np.linspace(0, 0.9, 5000))
    assert len(m.data) == 4 and all(len(t.x) <= 2001 for t in m.data)
    assert m.layout.xaxis.dtick is None  # a long run: Plotly spaces the ticks
    short = dc.metrics_figure(*[np.linspace(1, 0, 4)] * 4)  # untrained + 3 epochs: one tick per epoch
    assert short.layout.xaxis.dtick == 1 and short.layout.xaxis2.dtick == 1
    img = dc.digit_figure(np.zeros((28, 28))).data[0]
    assert img.type == "image" and img.source.startswith("data:image/png;base64,")


def start(**query) -> AppTest:
    return open_page("digits", **query)


def test_digits_page_trains_and_shows_results():
    at = start(source="sklearn8", hidden="32", epochs="3")
    assert [b.label for b in at.button][:2] == ["Train", "Reset"]
    charts = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    assert any(t.get("type") == "image" for c in charts for t in c["data"])
    at.button(key="play").click().run()
    for _ in range(3):  # AppTest has no clock: each run is one tick of the live fragment
        at.run()
    run = at.session_state.digits.run
    assert not at.exception and run.epoch == 3 and not at.session_state.digits.playing
    assert any("confusion" in m.value.lower() for m in at.markdown)


def test_a_bad_digits_link_is_named_and_ignored():
    at = start(hidden="9999", epochs="0", source="nope")
    said = notice(at)
    assert "hidden" in said and "epochs" in said and "source" in said


# --- the network's size, and one neuron's weighted sum -------------------------------------------
def test_the_size_is_spelled_out_and_agrees_with_the_engine():
    from engine.model import MLPSpec, param_count
    from playground.digits.run import size_formula
    assert size_formula((784, 512, 10)) == "784×512 + 512 + 512×10 + 10 = 407,050 weights and biases"
    assert size_formula((784, 10)) == "784×10 + 10 = 7,850 weights and biases"
    # 64·32 + 32 = 2,080; 32·16 + 16 = 528; 16·10 + 10 = 170: 2,778 in all.
    assert size_formula((64, 32, 16, 10)) == "64×32 + 32 + 32×16 + 16 + 16×10 + 10 = 2,778 weights and biases"
    for hidden in [(), (1,), (512,), (128, 64), (512, 512, 512, 512)]:
        spec = MLPSpec(784, hidden, 10, "relu", "softmax_ce")
        said = size_formula(spec.sizes)
        assert int(said.split(" = ")[1].split()[0].replace(",", "")) == param_count(spec), said


def _by_hand_network():
    """4 pixels → 2 ReLU neurons → 3 outputs, with first-layer weights chosen by hand."""
    import jax.numpy as jnp
    from engine.model import MLPSpec
    spec = MLPSpec(4, (2,), 3, "relu", "softmax_ce")
    w = jnp.array([[0.2, 1.0], [-0.4, 1.0], [0.9, 1.0], [0.8, 1.0]], jnp.float32)  # (4 pixels, 2 neurons)
    b = jnp.array([-0.1, -5.0], jnp.float32)
    return spec, [(w, b), (jnp.ones((2, 3), jnp.float32), jnp.zeros(3, jnp.float32))]


def test_a_neurons_weighted_sum_worked_out_by_hand():
    import jax.numpy as jnp
    from engine.learn import neuron_sums
    spec, params = _by_hand_network()
    x = jnp.array([1.0, 0.5, 0.0, 0.25], jnp.float32)  # a 2×2 "digit"
    sums = neuron_sums(params, spec, x)[0]
    # Neuron 1: 1·0.2 + 0.5·(−0.4) + 0·0.9 + 0.25·0.8 = 0.2; + bias −0.1 = 0.1; relu(0.1) = 0.1.
    p = dc.neuron_parts(sums, 0, 2)
    np.testing.assert_allclose(p.product, [[0.2, -0.2], [0.0, 0.2]], atol=1e-6)
    assert p.total == pytest.approx(0.2, abs=1e-6) and p.z == pytest.approx(0.1, abs=1e-6)
    assert p.a == pytest.approx(0.1, abs=1e-6)
    assert dc.sum_lines(p, "relu") == ["Σ pixel × weight = 0.20", "+ bias −0.10 = z = 0.10",
                                       "→ ReLU → a = 0.10"]
    # Neuron 2: 1 + 0.5 + 0 + 0.25 = 1.75; + bias −5 = −3.25; relu(−3.25) = 0.
    q = dc.neuron_parts(sums, 1, 2)
    assert dc.sum_lines(q, "relu") == ["Σ pixel × weight = 1.75", "+ bias −5.00 = z = −3.25",
                                       "→ ReLU → a = 0.00"]


def test_the_printed_sum_always_adds_up():
    w = np.zeros((2, 2))
    p = dc.NeuronParts(w, w, w, total=0.8244, bias=0.0033, z=0.8277, a=0.8277)
    # Each rounded on its own: 0.82 + 0.00 = 0.83. The sum printed is z − bias as printed, within 0.01.
    assert dc.sum_lines(p, "relu") == ["Σ pixel × weight = 0.83", "+ bias 0.00 = z = 0.83", "→ ReLU → a = 0.83"]
    q = dc.NeuronParts(w, w, w, total=-1.2349, bias=-0.0049, z=-1.2398, a=0.0)
    assert dc.sum_lines(q, "relu") == ["Σ pixel × weight = −1.24", "+ bias 0.00 = z = −1.24",
                                       "→ ReLU → a = 0.00"]
    rng = np.random.default_rng(0)
    for total, bias in rng.normal(0, 3, (200, 2)):
        lines = dc.sum_lines(dc.NeuronParts(w, w, w, total, bias, total + bias, 0.0), "relu")
        shown_sum, shown_bias, shown_z = (float(t.replace("−", "-")) for t in
                                          (lines[0].split("= ")[1], lines[1].split()[2], lines[1].split()[-1]))
        assert shown_sum + shown_bias == pytest.approx(shown_z, abs=1e-9) and abs(shown_sum - total) <= 0.01 + 1e-9


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_the_pictures_add_up_to_the_engines_z_and_a(activation, trained):
    import jax.numpy as jnp
    from engine.activations import ACTIVATIONS
    run = trained if activation == "relu" else DigitsRun(SMALL.changed(activation=activation))
    for index in (0, 7, 33):
        sums = run.first_layer_sums(index)
        layer1 = run.activations(index)[0]  # the same layer through engine.inspect, another path
        np.testing.assert_array_equal(sums.inputs, run.digits.x_val[index])
        for j in (0, 5, int(np.argmax(sums.a))):
            p = dc.neuron_parts(sums, j, run.digits.side)
            assert p.pixels.shape == p.weights.shape == p.product.shape == (8, 8)
            assert p.total == pytest.approx(float((run.digits.x_val[index] * sums.w[:, j]).sum()), abs=1e-5)
            assert p.total + p.bias == pytest.approx(p.z, abs=1e-4)
            assert p.a == pytest.approx(float(ACTIVATIONS[activation].fn(jnp.float32(p.z))), abs=1e-5)
            assert p.a == pytest.approx(float(layer1[j]), abs=1e-5)


def test_the_weighted_sum_picture_and_words(trained):
    from engine.activations import ACTIVATIONS
    assert set(dc.ACTIVATION_WORDS) == set(ACTIVATIONS)
    p = dc.neuron_parts(trained.first_layer_sums(3), 4, 8)
    page = dc.weighted_sum_html(p, "relu", 5, 3)
    assert page.count("<img src=\"data:image/png;base64,") == 3
    assert 'data-neuron="5"' in page and "neuron 5's weights" in page and "digit #3's pixels" in page
    assert all(line in page for line in dc.sum_lines(p, "relu"))


def test_the_page_spells_out_the_size_and_adds_up_the_chosen_neuron():
    from engine.activations import ACTIVATIONS
    at = start(source="sklearn8", hidden="16", epochs="3")
    size = lambda: " ".join(c.value for c in at.sidebar.caption)
    assert "64×16 + 16 + 16×10 + 10 = 1,210 weights and biases" in size()
    assert "· 1,210 weights and biases" in at.get("progress")[0].proto.text  # the sidebar starts collapsed
    run = at.session_state.digits.run
    neuron = at.number_input(key="first_neuron")
    assert neuron.label == "First-layer neuron to look at (1 to 16)"
    assert neuron.value == int(np.argmax(run.first_layer_sums(0).a)) + 1  # the strongest for digit #0
    at.button(key="play").click().run()
    for _ in range(3):
        at.run()
    assert run.epoch == 3

    def shown():
        [view] = [h.value for h in at.html if "nn-ws" in h.value]
        return view

    for j in (2, 11):
        at.number_input(key="first_neuron").set_value(j).run()
        assert not at.exception
        p = dc.neuron_parts(run.first_layer_sums(0), j - 1, 8)
        assert f'data-neuron="{j}"' in shown() and all(line in shown() for line in dc.sum_lines(p, "relu"))
        assert any(f"How neuron {j} of layer 1 adds up digit #0" in m.value for m in at.markdown)
    assert ACTIVATIONS["relu"].label in shown()
    at.number_input(key="digit").set_value(9).run()  # a new digit starts at its own strongest neuron
    assert at.number_input(key="first_neuron").value == int(np.argmax(run.first_layer_sums(9).a)) + 1
    assert any("the highest output in layer 1 for this digit" in m.value for m in at.markdown)
    at.number_input(key="first_neuron").set_value(12).run()
    at.number_input(key="hidden_0").set_value(4).run()  # fewer neurons than the one chosen: a new network
    run = at.session_state.digits.run
    assert not at.exception and run.epoch == 0
    assert at.number_input(key="first_neuron").value == int(np.argmax(run.first_layer_sums(9).a)) + 1
    assert "64×4 + 4 + 4×10 + 10 = 310 weights and biases" in size()
    at.number_input(key="hidden").set_value(0).run()
    assert not at.exception and "64×10 + 10 = 650 weights and biases" in size()
    assert not [n for n in at.number_input if n.key == "first_neuron"]
    assert any("no hidden layer" in i.value for i in at.info)
