"""The big-picture page headless (AppTest): the experiment runs from its button and its charts and
sentences carry the measured numbers; a second visit shows them at once; "Why did it answer that?"
reads a digit as a NumPy forward pass of the same model does; the lesson goals tick."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine import experiment as X
from tests.conftest import open_page


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("NN_PLAYGROUND_EXPERIMENTS", str(tmp_path_factory.getbasetemp() / "bp-experiments"))


def text(at) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


def figures(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def measured() -> X.Experiment:
    pool = X.digits_pool(0)
    return X.cached(X.cache_key("digits", pool, X.sizes_for(len(pool.y), 100), 0))


def test_the_experiment_runs_and_the_page_says_what_it_measured():
    at = open_page("bigpicture", up_to="100")
    assert "Not measured yet" in at.info[0].value and not figures(at)
    at.button(key="run").click().run()
    assert not at.exception
    e = measured()
    assert e is not None and e.complete and e.sizes == [50, 100]
    acc, secs = figures(at)
    for trace in acc["data"]:
        model = next(m for m, label in X.LABELS.items() if label.lower() == trace["name"].lower())
        assert trace["x"] == [50, 100]
        assert trace["y"] == pytest.approx([e.get(model, n).accuracy for n in (50, 100)])
    assert acc["layout"]["xaxis"]["type"] == "log"
    assert {t["name"].lower() for t in secs["data"]} == {label.lower() for label in X.LABELS.values()}
    said = text(at)
    # every "(a % against b %, c % and d %" in the sentence: the network's accuracy against classical models'
    pairs = re.findall(r"\((\d+\.\d) % against ([^;)]+)", said)
    theirs = [float(t) for _, rest in pairs for t in re.findall(r"(\d+\.\d) %", rest)]
    assert pairs and len(theirs) >= 3
    for ours, _ in pairs:
        assert any(abs(r.accuracy * 100 - float(ours)) < 0.051 for r in e.results if r.model == "network")
    for t in theirs:
        assert any(abs(r.accuracy * 100 - t) < 0.051 for r in e.results if r.model != "network")
    net = e.get("network", 100)
    assert f"the network trained for {net.train_seconds:.2f} s" in said


def test_a_second_visit_shows_the_saved_results_at_once():
    if measured() is None:  # this test may run alone
        X.run("digits", 100)
    at = open_page("bigpicture", up_to="100")
    assert not at.info and len(figures(at)) == 2
    assert "Saved results" in text(at)


def numpy_answer(params, x: np.ndarray) -> np.ndarray:
    """The default model's scores written out: ReLU hidden layer, then the output layer."""
    (w1, b1), (w2, b2) = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in params]
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def test_why_reads_the_digit_as_the_model_does_and_draws_four_maps():
    from engine.default_model import load_or_train_default
    from playground.bigpicture.why import validation_digits
    at = open_page("bigpicture", view="why", number="179", other="9")
    x, y = validation_digits()
    model = load_or_train_default()
    answer = int(np.argmax(numpy_answer(model.params, x[179].astype(np.float64))))
    said = text(at)
    assert f"**It says {answer}**" in said and "compared with 9" in said
    assert "rather than 9" in said and "a 7" in said
    assert len(at.get("image")) == 4
    assert at.selectbox(key="other").value == 9
    at.selectbox(key="other").set_value(-1).run()  # the runner-up
    assert not at.exception


def test_the_drawing_from_the_draw_page_is_explained():
    from playground.bigpicture.why import validation_digits
    at = open_page("bigpicture", view="why", which="drawn")
    assert "Nothing drawn yet" in at.info[0].value
    at.session_state["draw_img"] = validation_digits()[0][30].reshape(28, 28)  # as the draw page leaves it
    at.run()
    assert not at.info and "**Your drawing:**" in text(at)


def test_the_lesson_goals_tick_when_the_page_shows_them():
    at = open_page("bigpicture", view="why", number="0", lesson="19-why-did-it-say-7")
    goal = lambda: " ".join(h.proto.body for h in at.get("html") if "Goal" in h.proto.body)
    assert "not yet" in goal()
    at.number_input(key="number").set_value(179).run()
    at.selectbox(key="other").set_value(9).run()
    assert "✓ Achieved" in goal()


def test_a_bad_link_is_named_in_one_sentence_and_the_rest_still_counts():
    at = open_page("bigpicture", view="why", number="999")
    assert len(at.warning) == 1 and "number" in at.warning[0].value
    assert "It says" in text(at)


def test_lesson_18_ticks_once_both_experiments_ran_to_the_end():
    at = open_page("bigpicture", up_to="100", lesson="18-more-data-or-a-better-model")
    goal = lambda: " ".join(h.proto.body for h in at.get("html") if "Goal" in h.proto.body)
    if at.info:  # not measured yet in this test session
        at.button(key="run").click().run()
    assert "not yet" in goal()  # the digits alone are not the goal
    at.radio(key="data").set_value("spiral").run()
    assert "Not measured yet" in at.info[0].value
    at.button(key="run").click().run()
    assert not at.exception and len(figures(at)) == 2
    assert "✓ Achieved" in goal()
