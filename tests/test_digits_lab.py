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
