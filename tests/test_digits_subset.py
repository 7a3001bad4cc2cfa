"""Choosing the digits to learn (e.g. only 7, 8 and 9): the data keep only those digits with their
labels mapped to the outputs, the network has one output per chosen digit, and every view, the
model file and the draw page follow."""
from __future__ import annotations

import io
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import digits_data as dd
from engine.model import MLPSpec, forward, init_params
from engine.modelio import ModelFileError, load_model, save_model
from engine.train import data_loss
from playground.digits import charts as dc
from playground.digits.run import DigitsRun
from playground.digits.settings import DigitsSettings
from playground.draw.charts import bars_html, draw_view_html, verdict
from tests.conftest import open_page

SUB = (7, 8, 9)


def test_keep_classes_keeps_the_chosen_rows_in_order_and_maps_their_labels():
    y = np.array([3, 7, 9, 1, 8, 7, 0, 9, 9, 2])
    x = np.arange(10, dtype=np.float32)[:, None] * 10  # row i holds 10·i: which rows survive is visible
    xs, ys = dd.keep_classes(x, y, SUB)
    assert xs[:, 0].tolist() == [10, 20, 40, 50, 70, 80]  # rows 1, 2, 4, 5, 7, 8, in their order
    assert ys.tolist() == [0, 2, 1, 0, 2, 2]  # 7 → 0, 8 → 1, 9 → 2
    xs, ys = dd.keep_classes(x, y, (0, 3))
    assert xs[:, 0].tolist() == [0, 60] and ys.tolist() == [1, 0]
    xs, ys = dd.keep_classes(x, y, dd.ALL_DIGITS)  # all ten: nothing changes
    assert np.array_equal(xs, x) and np.array_equal(ys, y)


def test_the_subset_of_real_digits_in_train_and_validation():
    whole = dd.split(dd.load_sklearn_8x8(), 0.2, 0)
    sub = dd.filtered(whole, SUB)
    for x0, y0, x1, y1 in [(whole.x_train, whole.y_train, sub.x_train, sub.y_train),
                           (whole.x_val, whole.y_val, sub.x_val, sub.y_val)]:
        mine = (y0 == 7) | (y0 == 8) | (y0 == 9)
        assert len(y1) == mine.sum() == sum((y0 == d).sum() for d in SUB)
        assert np.array_equal(x1, x0[mine])  # the same images, in the same order
        assert np.array_equal(np.array(SUB)[y1], y0[mine])  # label k is the digit SUB[k]
        assert set(y1.tolist()) == {0, 1, 2}


@pytest.fixture(scope="module")
def sub_run():
    run = DigitsRun(DigitsSettings(source="sklearn8", classes=SUB, hidden=(16,), epochs=6, batch_size=32))
    run.train(6)
    return run


def test_a_subset_model_has_one_output_per_chosen_digit(sub_run):
    assert sub_run.config.spec.n_out == 3 and sub_run.config.spec.sizes == (64, 16, 3)
    probs, pred = sub_run.predictions()
    assert probs.shape == (len(sub_run.digits.y_val), 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert [a.shape for a in sub_run.activations(0)] == [(16,), (3,)]
    cm = sub_run.confusion()
    assert cm.shape == (3, 3) and cm.sum() == len(sub_run.digits.y_val)
    assert np.trace(cm) == int((pred == sub_run.digits.y_val).sum())
    assert sub_run.history.last("test_acc") > 0.8  # 7, 8 and 9 told apart after 6 epochs
    for i, true, answered, _ in sub_run.worst_mistakes(5):  # said as digits, not as output numbers
        assert true in SUB and answered in SUB and true != answered and SUB[sub_run.digits.y_val[i]] == true


def test_the_source_test_set_keeps_only_the_chosen_digits(monkeypatch):
    import playground.digits.run as dr
    five = dd.load_mnist_5k()
    order = np.random.default_rng(0).permutation(5000)
    tr, te = order[:1500], order[4000:]
    with_test = dd.Digits(five.x_train[tr], five.y_train[tr], five.x_train[te], five.y_train[te], 28)
    monkeypatch.setattr(dr, "cached_source", lambda name: (with_test, None))
    run = DigitsRun(DigitsSettings(source="mnist", classes=(0, 1), hidden=(16,), epochs=3, batch_size=32))
    x, y = run.test_set
    wanted = (five.y_train[te] == 0) | (five.y_train[te] == 1)
    assert len(y) == wanted.sum() and np.array_equal(y, five.y_train[te][wanted])  # 0 → 0, 1 → 1
    assert np.array_equal(x, five.x_train[te][wanted])
    run.train(3)
    assert run.test_accuracy() > 0.95  # 0 against 1 is easy


def test_a_subset_networks_gradient_is_the_softmax_formula_and_finite_differences():
    """∂L/∂W for the output layer of a 3-output network is hᵀ(softmax(z) − onehot(y)) / N, written
    out in NumPy; and the whole gradient agrees with central finite differences."""
    spec = MLPSpec(6, (5,), 3, "tanh", "softmax_ce")
    params = init_params(jax.random.key(3), spec)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 6)).astype(np.float32)
    y = np.array([0, 1, 2, 2, 1, 0, 2, 1], np.int32)
    grads = jax.grad(data_loss)(params, spec, jnp.asarray(x), jnp.asarray(y))
    (w1, b1), (w2, b2) = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in params]
    h = np.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    delta = (p - np.eye(3)[y]) / len(y)  # (N, 3)
    assert np.allclose(grads[1][0], h.T @ delta, atol=1e-5)
    assert np.allclose(grads[1][1], delta.sum(0), atol=1e-5)
    assert np.allclose(grads[0][0], x.T @ ((delta @ w2.T) * (1 - h ** 2)), atol=1e-5)
    eps = 1e-3
    for layer, part, idx in [(0, 0, (2, 3)), (0, 1, (4,)), (1, 0, (1, 2)), (1, 1, (0,))]:
        def loss_at(d):
            moved = [list(p) for p in params]
            moved[layer][part] = moved[layer][part].at[idx].add(d)
            return float(data_loss([tuple(p) for p in moved], spec, jnp.asarray(x), jnp.asarray(y)))
        numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
        assert abs(float(grads[layer][part][idx]) - numeric) < 2e-3, (layer, part, idx)


def test_the_model_file_carries_the_digits_and_refuses_a_damaged_list(sub_run):
    saved = load_model(sub_run.to_file())
    assert saved.classes == SUB and saved.spec.n_out == 3 and saved.settings["classes"] == "7,8,9"
    back, notices = DigitsRun.from_file(saved)
    assert notices == [] and back.classes == SUB and back.epoch == 6
    assert np.allclose(back.predictions()[0], sub_run.predictions()[0], atol=1e-6)
    full = load_model(DigitsRun(DigitsSettings(source="sklearn8", hidden=(4,))).to_file())
    assert full.classes == tuple(range(10))

    def with_classes(classes):
        spec = MLPSpec(4, (), 3, "relu", "softmax_ce")
        params = [(np.zeros((4, 3), np.float32), np.zeros(3, np.float32))]
        data = save_model(params, spec, kind="digits", settings={}, history={})
        npz = dict(np.load(io.BytesIO(data)))
        header = json.loads(npz["header"].tobytes())
        header["classes"] = classes
        npz["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **npz)
        return buf.getvalue()

    assert load_model(with_classes([7, 8, 9])).classes == SUB
    lying = load_model(sub_run.to_file())
    lying.classes = (1, 2, 3)  # the header says 1, 2, 3 where the settings say 7, 8, 9
    with pytest.raises(ModelFileError, match="differ from the digits its settings choose"):
        DigitsRun.from_file(lying)
    for bad in ([7, 8], [7, 8, 9, 1], [7, 7, 9], [7, 8, 10], [7, 8, -1], [7, 8, "9"], [7, 8, 9.0], [7, 8, True],
                "7,8,9", {"7": 8}):
        with pytest.raises(ModelFileError, match="digits its outputs stand for is damaged"):
            load_model(with_classes(bad))


def test_the_charts_name_the_chosen_digits():
    fig = dc.probabilities_figure(np.array([0.1, 0.7, 0.2]), true=2, labels=["7", "8", "9"])
    bar = fig.data[0]
    assert list(bar.x) == ["7", "8", "9"] and bar.marker.color[1] == "#0877bd"
    assert list(bar.marker.line.width) == [0, 0, 2.5]  # the true one (a 9) outlined
    heat = dc.confusion_figure(np.array([[5, 1, 0], [0, 4, 2], [1, 0, 6]]), ["7", "8", "9"]).data[0]
    assert list(heat.x) == ["7", "8", "9"] and list(heat.y) == ["7", "8", "9"]


def test_the_draw_page_names_only_the_models_digits():
    p = np.array([0.15, 0.05, 0.8])
    v = verdict(p, calibrated=False, classes=SUB)
    assert v.digit == 9 and "a 9" in v.text
    unsure = verdict(np.array([0.45, 0.4, 0.15]), classes=SUB)
    assert unsure.digit == 7 and "or an 8?" in unsure.text
    bars = bars_html(p, SUB)
    assert bars.count("<span>") == 3 and [f"<span>{d}</span>" in bars for d in SUB] == [True] * 3
    assert "<span>0</span>" not in bars and 'title="9: about 80 %"' in bars
    html = draw_view_html(np.zeros((28, 28)), [np.ones(4), p], None, "relu", False, SUB)
    assert "data-draw-guess='9'" in html and "knows only the digits 7, 8 and 9" in html
    ten = draw_view_html(np.zeros((28, 28)), [np.eye(10)[3]], None)
    assert bars_html(np.eye(10)[3]).count("<span>") == 10 and "knows only" not in ten


# --- the page (AppTest) --------------------------------------------------------------------------
def _figure(at, key):
    [el] = [e for e in at.get("plotly_chart") if e.proto.id and key in e.proto.id]
    return json.loads(el.proto.spec)


def test_the_page_learns_only_the_chosen_digits_and_shows_them():
    at = open_page("digits", source="sklearn8", hidden="16", epochs="3", classes="7,8,9")
    assert at.button_group(key="classes").value == [7, 8, 9]
    run = at.session_state.digits.run
    assert run.classes == SUB and run.config.spec.n_out == 3
    assert [d["x"] for d in _figure(at, "dg_probs")["data"]] == [["7", "8", "9"]]
    at.button(key="play").click().run()
    for _ in range(3):
        at.run()
    assert not at.exception and at.session_state.digits.run.epoch == 3
    heat = _figure(at, "dg_confusion")["data"][0]
    assert heat["x"] == heat["y"] == ["7", "8", "9"] and heat["z"]["shape"] == "3, 3"  # Plotly's packed array
    bars = _figure(at, "dg_class_acc")["data"][0]
    assert bars["y"] == ["7", "8", "9"]
    # Choosing another digit too: a fourth output, and training starts again.
    at.button_group(key="classes").set_value([1, 7, 8, 9]).run()
    run = at.session_state.digits.run
    assert run.classes == (1, 7, 8, 9) and run.config.spec.n_out == 4 and run.epoch == 0
    assert set(run.digits.y_train.tolist()) == {0, 1, 2, 3}
    assert at.query_params.get("classes") in (["1,7,8,9"], "1,7,8,9")


def test_one_digit_alone_is_refused_in_one_sentence_and_loses_nothing():
    at = open_page("digits", source="sklearn8", hidden="16", classes="7,8,9")
    at.button_group(key="classes").set_value([8]).run()
    assert not at.exception
    assert any("at least two digits" in w.value for w in at.warning)
    assert at.session_state.digits.run.classes == SUB


def test_a_bad_classes_link_is_named_and_ignored():
    from tests.conftest import notice
    at = open_page("digits", source="sklearn8", classes="7")
    assert "classes" in notice(at) and at.session_state.digits.run.classes == tuple(range(10))


def test_a_model_file_read_on_the_draw_page_keeps_its_digits_and_a_wrong_one_is_refused_in_one_sentence():
    from playground.draw.modelfile import drawing_reader
    run = DigitsRun(DigitsSettings(classes=(3, 5), hidden=(8,), epochs=1))
    m = drawing_reader(load_model(run.to_file()))
    assert m.classes == (3, 5) and m.spec.n_out == 2 and m.temperature is None
    x = np.asarray(run.digits.x_val[:4])
    assert np.allclose(np.asarray(forward(m.params, m.spec, jnp.asarray(x))),
                       np.asarray(forward(run.state.params, run.config.spec, jnp.asarray(x))), atol=1e-6)
    ten = drawing_reader(load_model(DigitsRun(DigitsSettings(hidden=(8,))).to_file()))
    assert ten.classes == tuple(range(10))
    small = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,)))
    with pytest.raises(ModelFileError, match=r"^This model reads 8×8 digits, and a drawing is prepared as 28×28"):
        drawing_reader(load_model(small.to_file()))
    toy = save_model([(np.zeros((2, 1), np.float32), np.zeros(1, np.float32))], MLPSpec(2, (), 1), kind="toy",
                     settings={}, history={})
    with pytest.raises(ModelFileError, match="This is a toy model, not a digits model"):
        drawing_reader(load_model(toy))
    spec = MLPSpec(784, (), 3, "relu", "softmax_ce")  # three outputs and no word of which digits
    unnamed = save_model([(np.zeros((784, 3), np.float32), np.zeros(3, np.float32))], spec, kind="digits",
                         settings={"temperature": "0.8"}, history={})
    with pytest.raises(ModelFileError, match="has 3 outputs and does not say which digits"):
        drawing_reader(load_model(unnamed))
    calibrated = save_model([(np.zeros((784, 10), np.float32), np.zeros(10, np.float32))],
                            MLPSpec(784, (), 10, "relu", "softmax_ce"), kind="default-digits",
                            settings={"temperature": "0.8"}, history={})
    assert drawing_reader(load_model(calibrated)).temperature == 0.8
