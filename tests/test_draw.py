"""Draw a digit: the default model on drawings, teaching it, and the page through AppTest."""
from __future__ import annotations

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


def test_default_model_is_trained_once_then_loaded_from_the_file_it_saved(tmp_path, monkeypatch):
    from engine import default_model as dm
    monkeypatch.setitem(dm.DRAW_MODEL, "hidden", (16,))
    monkeypatch.setitem(dm.DRAW_MODEL, "epochs", 2)
    seen = []
    params, spec, how = dm.load_or_train_default(directory=tmp_path, progress=seen.append)
    assert how == "trained" and seen[-1] == 1.0
    [saved] = tmp_path.glob("default-digits-*.npz")
    again, spec2, how2 = dm.load_or_train_default(directory=tmp_path, progress=seen.append)
    assert how2 == "loaded" and spec2 == spec and len(seen) == 1
    for (w, b), (w2, b2) in zip(params, again):
        np.testing.assert_array_equal(np.asarray(w), np.asarray(w2))
        np.testing.assert_array_equal(np.asarray(b), np.asarray(b2))
    saved.write_bytes(saved.read_bytes()[:200])  # damaged: trained again, and the file mended
    assert dm.load_or_train_default(directory=tmp_path)[2] == "trained"
    assert dm.load_or_train_default(directory=tmp_path)[2] == "loaded"
    monkeypatch.setitem(dm.DRAW_MODEL, "epochs", 3)  # another recipe never loads the old file
    assert dm.load_or_train_default(directory=tmp_path)[2] == "trained"
    assert len(list(tmp_path.glob("default-digits-*.npz"))) == 2


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
    assert not at.exception and any("Read by your digits-lab model" in c.value for c in at.caption)


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
