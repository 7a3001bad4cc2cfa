"""Draw a digit: the default model on drawings, teaching it, and the page through AppTest."""
from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.default_model import fine_tune
from engine.inspect import predict
from engine.model import MLPSpec, init_params
from tests.conftest import ROOT


def test_fine_tuning_on_a_users_drawings_changes_the_answer():
    """Teach a model that a shape it reads as one digit is another: afterwards it says so, and
    it still reads ordinary digits."""
    import jax
    from engine.digits_data import Digits, load_mnist_5k
    five = load_mnist_5k()
    pick = np.random.default_rng(0).permutation(5000)[:1500]  # the embedded set is sorted by digit
    base = Digits(five.x_train[pick], five.y_train[pick], five.x_test, five.y_test, 28)
    spec = MLPSpec(784, (64,), 10, "relu", "softmax_ce")
    params = fine_tune(init_params(jax.random.key(0), spec), spec, np.zeros((0, 784)), np.zeros(0), epochs=15,
                       base=base, repeat=1)
    box = np.zeros((28, 28), np.float32)
    box[6:22, 6:8] = box[6:22, 20:22] = box[6:8, 6:22] = box[20:22, 6:22] = 1.0  # a square: no digit
    box = box.reshape(1, -1)
    before = int(np.argmax(predict(params, spec, box)))
    target = (before + 3) % 10
    taught = fine_tune(params, spec, box, np.array([target]), epochs=5, base=base, repeat=40)
    assert int(np.argmax(predict(taught, spec, box))) == target
    rest = np.random.default_rng(1).permutation(5000)[:1000]
    acc = float((np.argmax(np.asarray(predict(taught, spec, five.x_train[rest])), 1) == five.y_train[rest]).mean())
    assert acc > 0.85


@pytest.fixture(scope="module")
def draw_page():
    at = AppTest.from_file(str(ROOT / "playground" / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("draw/page.py").run()
    return at


def test_draw_page_opens_with_a_model_a_canvas_and_a_hint(draw_page):
    at = draw_page
    assert not at.exception
    assert any(e.proto.component_name.endswith("streamlit_drawable_canvas") for e in at.get("bidi_component"))
    assert any("Draw a digit, 0 to 9" in i.value for i in at.info)  # empty canvas: a hint, not a guess
    assert [b.label for b in at.button][:1] == ["Clear"]
    [caption] = [c.value for c in at.caption if "Read by" in c.value]
    from engine.default_model import load_or_train_default
    saved = load_or_train_default()  # the file the page's first run saved
    assert saved.how == "loaded"
    assert caption.startswith("Read by the default model") and "How sure it says it is was checked" in caption
    assert f"divided by {saved.temperature:.2f} to fit them" in caption


def test_default_model_is_trained_once_then_loaded_from_the_file_it_saved(tmp_path, monkeypatch):
    from engine import default_model as dm
    from engine.modelio import load_model
    monkeypatch.setitem(dm.DRAW_MODEL, "hidden", (16,))
    monkeypatch.setitem(dm.DRAW_MODEL, "epochs", 2)
    seen = []
    params, spec, t, how = dm.load_or_train_default(directory=tmp_path, progress=seen.append)
    assert how == "trained" and seen[-1] == 1.0 and 0.01 <= t <= 100
    [saved] = tmp_path.glob("default-digits-*.npz")
    assert float(load_model(saved.read_bytes()).settings["temperature"]) == t  # stored as text, read back exactly
    again = dm.load_or_train_default(directory=tmp_path, progress=seen.append)
    assert again.how == "loaded" and again.spec == spec and again.temperature == t and len(seen) == 1
    for (w, b), (w2, b2) in zip(params, again.params):
        np.testing.assert_array_equal(np.asarray(w), np.asarray(w2))
        np.testing.assert_array_equal(np.asarray(b), np.asarray(b2))
    # the temperature is the one that fits the held-out digits of the loaded weights
    assert dm.held_out_temperature(again.params, spec) == pytest.approx(t, rel=1e-4)
    saved.write_bytes(saved.read_bytes()[:200])  # damaged: trained again, and the file mended
    assert dm.load_or_train_default(directory=tmp_path).how == "trained"
    assert dm.load_or_train_default(directory=tmp_path).how == "loaded"
    monkeypatch.setitem(dm.DRAW_MODEL, "epochs", 3)  # another recipe never loads the old file
    assert dm.load_or_train_default(directory=tmp_path).how == "trained"
    assert len(list(tmp_path.glob("default-digits-*.npz"))) == 2


def test_a_model_file_without_a_temperature_is_trained_again(tmp_path, monkeypatch):
    """A file saved before calibration (or with its temperature damaged) is not read with T = 1."""
    import jax
    from engine import default_model as dm
    from engine.modelio import save_model
    monkeypatch.setitem(dm.DRAW_MODEL, "hidden", (8,))
    monkeypatch.setitem(dm.DRAW_MODEL, "epochs", 1)
    spec = MLPSpec(784, (8,), 10, "relu", "softmax_ce")
    path = tmp_path / f"default-digits-{dm.recipe_id()}.npz"
    for settings in ({}, {"temperature": "nan"}, {"temperature": "-1.5"}, {"temperature": "warm"}):
        path.write_bytes(save_model(init_params(jax.random.key(0), spec), spec, kind="default-digits",
                                    settings=settings, history={}))
        assert dm.load_or_train_default(directory=tmp_path).how == "trained"


def test_the_calibration_digits_are_held_out_of_training():
    from engine.default_model import calibration_split
    from engine.digits_data import load_mnist_5k
    d = load_mnist_5k()
    train, x, y = calibration_split(d)
    assert len(train.y_train) == 4750 and np.bincount(y).tolist() == [25] * 10
    seen = {row.tobytes() for row in train.x_train}
    assert not any(row.tobytes() in seen for row in x)  # none of the 250 is trained on
    train2, x2, _ = calibration_split(d)
    np.testing.assert_array_equal(x, x2)  # the same 250 every time


@pytest.mark.parametrize("probs, calibrated, words", [
    ([0.02, 0.78, 0.2], True, "It looks like a 1 (about 80 % sure)"),
    ([0.003, 0.997], True, "It looks like a 1 (almost certain)"),
    ([1.0, 0.0], True, "It looks like a 0 (almost certain)"),
    ([0.015, 0.985], True, "It looks like a 1 (over 95 % sure)"),
    ([0.5, 0.5], True, "It looks like a 0 (about 50 % sure)"),  # a tie: the lower digit, as argmax
    ([0.0] * 8 + [0.62, 0.38], True, "It looks like an 8 (about 60 % sure)"),
    ([0.05, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.44, 0.16, 0.0], True, "Not sure: a 7 or a 1? (about 45 % and about 35 %)"),
    ([0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.3], True, "Not sure: a 0 or an 8? (about 40 % and about 30 %)"),
    ([0.001, 0.999], False, "It looks like a 1 (almost certain, not calibrated)"),
])
def test_the_sentence_says_how_sure_with_the_precision_it_deserves(probs, calibrated, words):
    from playground.draw.charts import verdict
    assert verdict(np.array(probs), calibrated).text == words


def test_the_sentence_never_says_100_or_0_percent_and_names_the_runner_up_when_unsure():
    from playground.draw.charts import bars_html, draw_view_html, verdict
    rng = np.random.default_rng(0)
    cases = [rng.dirichlet(np.full(10, a)) for a in (0.01, 0.1, 0.3, 1.0, 3.0) for _ in range(400)]
    cases += [np.eye(10)[3], np.r_[0.999999, np.full(9, 1e-6 / 9)], np.r_[0.975, np.full(9, 0.025 / 9)],
              np.r_[0.99, np.full(9, 0.01 / 9)], np.r_[0.4999, 0.4999, np.full(8, 0.0002 / 8)]]
    unsure = 0
    for p in cases:
        v = verdict(p)
        first, second = np.argsort(-p, kind="stable")[:2]
        assert "100 %" not in v.text and " 0 %" not in v.text and v.digit == first
        if p[first] < 0.5:
            unsure += 1
            assert v.text.startswith("Not sure") and f" {second}?" in v.after
        else:
            assert v.text.startswith("It looks like") and ("almost certain" in v.note) == (p[first] > 0.99)
        hover = re.findall(r'title="[0-9]: ([^"]*)"', bars_html(p))  # what each bar says of its digit
        assert len(hover) == 10 and not any("100" in h or h.startswith("about 0 ") for h in hover)
    assert unsure > 100  # the flat cases did reach the unsure branch
    view = draw_view_html(np.zeros((28, 28)), [np.eye(10)[3]], None, calibrated=False)
    assert "almost certain, not calibrated" in view and "not calibrated on digits it never trained on" in view


def test_each_layers_caption_counts_what_its_activation_means():
    from engine.activations import ACTIVATIONS
    from playground.draw.charts import RESPONSE, draw_view_html, layer_caption
    assert set(RESPONSE) == set(ACTIVATIONS)
    assert layer_caption(1, np.array([0.0, 1.5, 0.0, 2.0]), "relu") == "layer 1: 2 of 4 fire"
    # Sigmoid is above 0 everywhere: "fire" would count every neuron; the middle of its range is 0.5.
    sig = np.array([0.2, 0.6, 0.7, 0.1, 0.3])
    assert layer_caption(2, sig, "sigmoid") == "layer 2: 2 of 5 above 0.5, the middle of sigmoid's range"
    tanh = np.array([-0.9, 0.1, -0.2])
    assert layer_caption(1, tanh, "tanh") == "layer 1: 1 of 3 above 0, the middle of tanh's range"
    assert layer_caption(1, np.array([0.7, 3.0, 1.0]), "softplus") == "layer 1: strongest is neuron 2 (3.00)"
    probs = np.full(10, 0.1)
    view = draw_view_html(np.zeros((28, 28)), [sig, probs], None, "sigmoid")
    assert "2 of 5 above 0.5" in view and "fire" not in view
    assert "layer 1: 2 of 4 fire" in draw_view_html(np.zeros((28, 28)), [np.array([0.0, 1.5, 0.0, 2.0]), probs], None)


def test_the_draw_page_offers_the_model_trained_in_the_digits_lab():
    from tests.conftest import open_page
    at = open_page("digits", hidden="16", activation="sigmoid", epochs="1")
    run = at.session_state.digits.run
    run.train(1)
    at.switch_page("draw/page.py").run()
    assert not at.exception
    [switch] = [t for t in at.toggle if t.key == "draw_use_lab"]
    assert switch.label == f"Use my digits-lab model (1 epoch, {run.history.last('test_acc'):.0%} validation accuracy)"
    switch.set_value(True).run()
    assert not at.exception
    [caption] = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption if "Read by" in c.value]
    assert caption.startswith("Read by your digits-lab model.") and "not calibrated" in caption
    # "Teach it" tunes the built-in model: while the lab's model reads, it says so and does not offer to.
    at.session_state["draw_examples"] = [(np.zeros(784, np.float32), 7)]
    at.run()
    assert at.button(key="draw_tune").disabled
    assert any("reading with another one now" in c.value for c in at.caption)
    at.toggle(key="draw_use_lab").set_value(False).run()
    assert not at.button(key="draw_tune").disabled


def test_a_model_files_name_is_shown_as_typed_never_as_markdown():
    """The name of an uploaded file is the user's text: in the captions it must not become an image,
    a link or bold type (Streamlit renders captions as Markdown)."""
    from engine.modelio import load_model
    from playground.digits.run import DigitsRun
    from playground.digits.settings import DigitsSettings
    from playground.draw.modelfile import drawing_reader
    from tests.conftest import open_page
    at = open_page("draw", explain="true")
    model = drawing_reader(load_model(DigitsRun(DigitsSettings(classes=(7, 8, 9), hidden=(8,))).to_file()))
    at.session_state["draw_file"] = (model, "![x](https://example.org/a.png) **bold**.npz")
    at.run()
    assert not at.exception
    shown = [c.value for c in at.caption if "example" in c.value]
    assert len(shown) == 2  # "Read by the model file …" and the sidebar's "Reading with …"
    for text in shown:
        assert "![" not in text and "**" not in text and "](" not in text
        assert re.sub(r"\\(.)", r"\1", text.replace("\u2060", "")).count("![x](https://example.org/a.png) **bold**") == 1

def test_teach_it_never_labels_a_drawing_by_itself():
    """One click on Add used to file a drawn 7 as a 0 (the label's default)."""
    import numpy as np

    from tests.conftest import open_page
    at = open_page("draw")
    at.session_state["draw_img"] = np.zeros((28, 28), np.float32)
    assert at.selectbox(key="draw_label").value is None
    at.button(key="draw_add").click().run()
    assert at.session_state["draw_examples"] == [] and any("Choose which digit" in w.value for w in at.warning)
    at.selectbox(key="draw_label").set_value(7).run()
    at.session_state["draw_img"] = np.zeros((28, 28), np.float32)  # the canvas's last drawing (none in AppTest)
    at.button(key="draw_add").click().run()
    assert [y for _, y in at.session_state["draw_examples"]] == [7]
    assert at.selectbox(key="draw_label").value is None  # the next drawing is labelled afresh


def test_fine_tuning_on_the_page_refits_the_temperature_on_the_held_out_digits():
    from engine.default_model import held_out_temperature
    from tests.conftest import open_page
    at = open_page("draw")
    at.session_state["draw_examples"] = [(np.zeros(784, np.float32), 4)]
    at.run()  # the button is enabled once there is a drawing to tune on
    at.button(key="draw_tune").click().run()
    assert not at.exception
    params, spec, t = at.session_state["draw_model"]
    assert t == held_out_temperature(params, spec)
    [caption] = [c.value for c in at.caption if "Read by" in c.value]
    assert caption.startswith("Read by the fine-tuned model") and f"divided by {t:.2f} to fit them" in caption
