"""A biased training set: "keep only x % of the training examples of digit d". The filter keeps
exactly that many of d (counted) and every other example; validation stays whole; the per-class
accuracy bars and the sentence under them read the confusion matrix right."""
from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from engine import digits_data as dd
from playground.digits import charts as dc
from playground.digits.run import DigitsRun
from playground.digits.settings import DigitsSettings
from tests.conftest import open_page


def _labels(counts: dict[int, int], seed: int = 0) -> np.ndarray:
    y = np.concatenate([np.full(n, d) for d, n in counts.items()]).astype(np.int32)
    return np.random.default_rng(seed).permutation(y)


@pytest.mark.parametrize("percent,n,expected", [(10, 450, 45), (2, 450, 9), (5, 450, 22.5), (50, 7, 3.5),
                                                (0, 450, 0), (100, 450, 450), (1, 49, 0.49), (33, 300, 99)])
def test_exactly_the_stated_fraction_of_the_digit_and_all_of_the_others(percent, n, expected):
    y = _labels({0: 40, 3: 35, 5: n, 9: 50})
    x = np.arange(len(y), dtype=np.float32)[:, None]  # each row names itself
    xs, ys = dd.keep_fraction(x, y, 5, percent, jax.random.key(1))
    kept = int(np.floor(expected + 0.5))  # halves rounded up: 22.5 → 23, 3.5 → 4, 0.49 → 0
    assert (ys == 5).sum() == kept
    for d, count in [(0, 40), (3, 35), (9, 50)]:
        assert (ys == d).sum() == count  # every other digit, all of it
    rows = xs[:, 0].astype(int)
    assert len(set(rows)) == len(rows) and np.array_equal(y[rows], ys)  # real rows, each once, labels intact
    assert np.all(np.diff(rows) > 0)  # in their order
    assert set(rows[ys != 5]) == set(np.flatnonzero(y != 5))


def test_the_key_decides_which_examples_are_kept():
    y = _labels({5: 400, 1: 100})
    x = np.arange(len(y), dtype=np.float32)[:, None]
    pick = lambda k: set(dd.keep_fraction(x, y, 5, 10, jax.random.key(k))[0][:, 0].tolist())
    assert pick(0) == pick(0) and pick(0) != pick(1)


def test_the_run_trains_on_the_stated_fraction_and_validates_on_every_digit():
    fair = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,)))
    biased = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,), bias_digit=3, bias_keep=20))
    before = np.bincount(fair.digits.y_train, minlength=10)
    assert np.array_equal(biased.train_counts, before)
    after = np.bincount(biased.digits.y_train, minlength=10)
    assert after[3] == int(np.floor(before[3] * 20 / 100 + 0.5))
    assert np.array_equal(np.delete(after, 3), np.delete(before, 3))
    assert np.array_equal(biased.digits.y_val, fair.digits.y_val)  # the harm shows on all of them
    assert np.array_equal(biased.digits.x_val, fair.digits.x_val)


def test_the_bias_with_a_subset_counts_the_digit_and_not_its_output_number():
    run = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,), classes=(7, 8, 9), bias_digit=8, bias_keep=10))
    counts = np.bincount(run.digits.y_train, minlength=3)
    assert counts[1] == int(np.floor(run.train_counts[8] * 10 / 100 + 0.5))  # output 1 is the 8s
    assert counts[0] == run.train_counts[7] and counts[2] == run.train_counts[9]
    outside = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,), classes=(7, 8, 9), bias_digit=5, bias_keep=10))
    assert outside.settings.bias is None  # no 5s to remove
    assert np.array_equal(np.bincount(outside.digits.y_train), [run.train_counts[d] for d in (7, 8, 9)])


def test_changing_the_bias_starts_again_and_says_so():
    run = DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,), epochs=5))
    run.train(2)
    said = run.apply(run.settings.changed(bias_keep=10))
    assert run.epoch == 0 and "training examples kept" in said
    run.train(1)
    assert run.apply(run.settings.changed(bias_digit=4)) and run.epoch == 0  # another digit is short now
    run.apply(run.settings.changed(bias_keep=100))
    run.train(1)
    assert run.apply(run.settings.changed(bias_digit=6)) is None and run.epoch == 1  # nothing is removed


def test_per_class_scores_from_a_hand_written_confusion_matrix():
    cm = np.array([[50, 0, 0],    # 3s: all right
                   [12, 8, 20],   # 5s: 8 of 40 right; answered 8 twenty times, 3 twelve times
                   [1, 2, 47]])   # 8s: 47 of 50; answered 5 twice
    scores = dc.class_scores(cm, (3, 5, 8))
    assert [(s.digit, s.right, s.total) for s in scores] == [(3, 50, 50), (5, 8, 40), (8, 47, 50)]
    assert [(s.taker, s.taken) for s in scores] == [(None, 0), (8, 20), (5, 2)]
    assert scores[1].accuracy == 8 / 40
    fig = dc.class_accuracy_figure(scores, biased=5)
    bar = fig.data[0]
    assert list(bar.y) == ["3", "5", "8"] and np.allclose(bar.x, [1.0, 0.2, 0.94])
    assert list(bar.marker.color) == [dc.BAR_COLOUR, dc.BIAS_COLOUR, dc.BAR_COLOUR]
    assert list(bar.text) == ["100%", "20% · → 8", "94% · → 5"]
    said = dc.bias_sentence(scores, 5, 9, 444)
    assert "kept **9 of its 444 5s**" in said and "**20% of the 5s** right (8 of 40)" in said
    assert "against 97% on average for the other digits" in said  # (100 % + 94 %) / 2
    assert "**8** (20 times)" in said


# --- the page (AppTest) --------------------------------------------------------------------------
def test_the_bias_control_on_the_page_and_the_per_class_bars():
    at = open_page("digits", source="sklearn8", hidden="16", epochs="4", bias_digit="3", bias_keep="10")
    run = at.session_state.digits.run
    assert at.selectbox(key="bias_digit").value == 3 and at.slider(key="bias_keep").value == 10
    kept = int((run.digits.y_train == 3).sum())
    assert kept == int(np.floor(run.train_counts[3] * 0.1 + 0.5))
    assert run.bias_counts() == (3, kept, run.train_counts[3])
    [bar] = at.get("progress")
    assert f"training digits (only {kept} of the {run.train_counts[3]} 3s)" in bar.proto.text
    at.button(key="play").click().run()
    for _ in range(4):
        at.run()
    assert not at.exception and at.session_state.digits.run.epoch == 4
    [el] = [e for e in at.get("plotly_chart") if "dg_class_acc" in e.proto.id]
    bars = json.loads(el.proto.spec)["data"][0]
    assert bars["y"] == [str(d) for d in range(10)]
    assert bars["marker"]["color"][3] == dc.BIAS_COLOUR and bars["marker"]["color"][2] == dc.BAR_COLOUR
    assert any(f"kept **{kept} of its {run.train_counts[3]} 3s**" in m.value for m in at.markdown)
    # Another digit: the same share of it, and the slider says which digit.
    at.selectbox(key="bias_digit").set_value(7).run()
    run = at.session_state.digits.run
    assert at.slider(key="bias_keep").label == "Keep only this % of the 7s" and run.settings.bias == (7, 10)
    assert run.epoch == 0 and (run.digits.y_train == 3).sum() == run.train_counts[3]
    assert (run.digits.y_train == 7).sum() == int(np.floor(run.train_counts[7] * 0.1 + 0.5))
    # Turning the slider back to 100 %: a fair training set again, from epoch 0.
    at.slider(key="bias_keep").set_value(100).run()
    run = at.session_state.digits.run
    assert run.epoch == 0 and run.settings.bias is None and (run.digits.y_train == 3).sum() == run.train_counts[3]
    assert "bias_keep" not in at.query_params


def test_the_digits_own_accuracy_counts_its_validation_examples_answered_right():
    """Lesson 17's goal: of the validation 5s, the share the network answers as 5 (counted here
    from the predictions, not from the confusion matrix the run builds)."""
    run = DigitsRun(DigitsSettings(bias_digit=5, bias_keep=2, epochs=2, hidden=(16,)))
    run.train(2)
    _, pred = run.predictions()
    fives = run.digits.y_val == run.classes.index(5)
    assert run.digit_accuracy() == pytest.approx(float((pred[fives] == run.classes.index(5)).mean()))
    assert np.isnan(DigitsRun(DigitsSettings(epochs=1, hidden=(16,))).digit_accuracy())  # no biased digit
