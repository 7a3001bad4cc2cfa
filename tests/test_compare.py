"""Compare: every run trained in the batch is the run trained alone, from the start it claims."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from engine.model import init_params
from engine.train import BLEW_UP, NOT_FINITE, init_state, train_chunk
from playground.compare.run import CompareRun
from playground.compare.settings import CompareSettings, VARIED
from playground.shared.fields import SettingsError
from playground.toy.run import ToyRun, config_of, hparams_of

EPOCHS = 30
TOL = dict(rtol=2e-5, atol=2e-6)


def leaves(params):
    return [np.asarray(a) for a in jax.tree.leaves(params)]


def alone(settings: CompareSettings, values: dict, epochs: int):
    """Run ``values`` of the comparison trained alone with train_chunk, from the state built by hand:
    init_state's weights for its weight seed, the shuffling key a run of its order seed would have."""
    ts = settings.run_settings(values)
    config = config_of(ts)
    w_seed, o_seed = values.get("seed", settings.seed), values.get("order_seed", settings.seed)
    state = init_state(jax.random.key(w_seed), config)
    state = state._replace(key=jax.random.split(jax.random.key(o_seed))[1])
    return train_chunk(state, CompareRun(settings).data, hparams_of(ts), config=config, n_epochs=epochs)


CASES = {
    "learning_rate": "0.003,0.1,1",
    "seed": "0,4,11",
    "reg_rate": "0,0.01,0.3",
    "momentum": "0,0.5,0.9",
    "order_seed": "0,2,7",
    "activation": "relu,tanh,sine",
}


def test_every_varied_setting_has_a_case():
    assert set(CASES) == set(VARIED)


@pytest.mark.parametrize("vary", CASES)
def test_each_run_in_the_batch_equals_the_same_run_trained_alone(vary):
    s = CompareSettings(vary=vary, values=tuple(CASES[vary].split(",")), regularisation="l2"
                        if vary == "reg_rate" else "none", optimiser="momentum" if vary == "momentum" else "sgd")
    run = CompareRun(s)
    assert run.train(EPOCHS) == EPOCHS
    assert len(run.lanes) == 3
    for i, lane in enumerate(run.lanes):
        state, m = alone(s, lane.values, EPOCHS)
        m = jax.device_get(m)
        for k in ("train_loss", "test_loss", "train_acc"):
            np.testing.assert_allclose(lane.history.series(k)[1:], m[k], **TOL, err_msg=f"{vary} run {i} {k}")
        for a, b in zip(leaves(run.params(i)), leaves(state.params)):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("vary", ["learning_rate", "seed"])
def test_five_classes_in_the_batch_equal_each_run_trained_alone(vary):
    """The toy lab's 3 to 6 classes (softmax, cross-entropy) compare as two classes do."""
    s = CompareSettings(problem="multiclass", dataset="blobs", head="softmax_ce", classes=5, hidden=(6,),
                        vary=vary, values=tuple(CASES[vary].split(",")))
    run = CompareRun(s)
    assert run.train(EPOCHS) == EPOCHS
    for i, lane in enumerate(run.lanes):
        state, m = alone(s, lane.values, EPOCHS)
        m = jax.device_get(m)
        for k in ("train_loss", "test_loss", "test_acc"):
            np.testing.assert_allclose(lane.history.series(k)[1:], m[k], **TOL, err_msg=f"{vary} run {i} {k}")
    maps = run.maps()
    assert maps[0].shape[2:] == (5,) and np.allclose(maps[0].sum(-1), 1, atol=1e-5)  # probabilities per point


@pytest.mark.parametrize("vary", ["learning_rate", "reg_rate", "momentum", "activation"])
def test_a_hyperparameter_run_is_the_toy_lab_run_of_that_value(vary):
    """Where only a hyperparameter or the activation varies, run i is exactly what the toy lab trains
    for those settings (its own ToyRun, trained in two chunks as a page would)."""
    s = CompareSettings(vary=vary, values=tuple(CASES[vary].split(",")))
    run = CompareRun(s)
    run.train(10), run.train(10)
    for lane in run.lanes:
        toy = ToyRun(s.run_settings(lane.values))
        toy.train(10), toy.train(10)
        np.testing.assert_allclose(lane.history.series("test_loss"), toy.history.series("test_loss"), **TOL)


def test_same_start_is_the_same_start():
    s = CompareSettings(seed=5)
    run = CompareRun(s)
    assert len(run.lanes) == 9
    expected = init_params(jax.random.split(jax.random.key(5))[0], config_of(s.base()).spec)  # init_state's draw
    for i in range(9):
        for a, b in zip(leaves(run.params(i)), leaves(expected)):
            np.testing.assert_array_equal(a, b)
        assert run.lanes[i].history.series("train_loss")[0] == run.lanes[0].history.series("train_loss")[0]
    # Varying the batch order keeps the weights too; varying the weight seed is the one that does not.
    order = CompareRun(CompareSettings(seed=5, vary="order_seed"))
    assert all(np.array_equal(a, b) for i in range(9) for a, b in zip(leaves(order.params(i)), leaves(expected)))
    seeds = CompareRun(CompareSettings(vary="seed", values=("3", "4")))
    for i, v in enumerate((3, 4)):
        assert all(np.array_equal(a, b) for a, b in zip(leaves(seeds.params(i)), leaves(ToyRun(s.base().changed(
            seed=v)).state.params)))
    assert not np.array_equal(leaves(seeds.params(0))[0], leaves(seeds.params(1))[0])


def test_one_sgd_step_moves_each_run_by_its_own_learning_rate():
    """Full batch, one epoch = one step w1 = w0 - lr * grad: the step divided by lr is the same gradient
    in every run (an independent check that run i got learning rate i)."""
    s = CompareSettings(batch_size=100, values=("0.001", "0.01", "0.1"), train_ratio=20)
    run = CompareRun(s)
    w0 = leaves(run.params(0))
    run.train(1)
    grads = [[(a - b) / -lr for a, b in zip(leaves(run.params(i)), w0)] for i, lr in enumerate((0.001, 0.01, 0.1))]
    for g in grads[1:]:
        for a, b in zip(g, grads[0]):
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-5)
    assert np.abs(grads[0][0]).max() > 1e-4  # a real step


def test_a_divergent_run_stops_alone_and_the_others_go_on():
    s = CompareSettings(dataset="spiral", hidden=(8, 8), values=("0.03", "10", "0.1"))
    run = CompareRun(s)
    run.train(40)
    bad = run.lanes[1]
    assert bad.divergence in (NOT_FINITE, BLEW_UP) and bad.diverged_at is not None
    stopped_at, weights = bad.epoch, leaves(run.params(1))
    _, m = alone(s, bad.values, 40)  # alone it diverges at the same epoch, with the same loss
    assert int(m["diverged"]) == bad.divergence
    assert np.isclose(float(m["diverged_loss"]), bad.diverged_at[1], rtol=1e-5)
    assert stopped_at == int(np.isfinite(jax.device_get(m["train_loss"])).sum())
    assert run.train(40) == 40
    assert bad.epoch == stopped_at and all(np.array_equal(a, b) for a, b in zip(leaves(run.params(1)), weights))
    for i in (0, 2):  # the others trained 80 epochs, as they would alone
        lane = run.lanes[i]
        assert lane.epoch == 80 and not lane.divergence
        _, m = alone(s, lane.values, 80)
        np.testing.assert_allclose(lane.history.series("test_loss")[1:], jax.device_get(m["test_loss"]), **TOL)
    assert run.best() in (0, 2)


def test_a_grid_is_every_pair_and_its_labels_say_both():
    s = CompareSettings(vary="learning_rate", values=("0.01", "0.1"), vary2="seed", values2=("1", "2", "3"))
    assert [tuple(r.values()) for r in s.runs()] == [(0.01, 1), (0.01, 2), (0.01, 3), (0.1, 1), (0.1, 2), (0.1, 3)]
    assert s.label(s.runs()[4]) == "rate 0.1 · seed 2"
    assert len(CompareSettings(vary2="seed").runs()) == 9  # three of each by default


@pytest.mark.parametrize("bad", [dict(vary2="learning_rate"), dict(values=("0.01", "0.01")),
                                 dict(values=("0.02",)), dict(vary2="seed", values=("0.01", "0.1", "1", "3")),
                                 dict(vary="activation", values=("swish",))])
def test_bad_comparisons_are_named(bad):
    with pytest.raises(SettingsError):
        CompareSettings(**bad)


def test_a_link_carries_the_comparison_and_a_bad_one_says_what_it_skipped():
    s = CompareSettings(vary="momentum", values=("0", "0.9"), vary2="learning_rate", values2=("0.01", "0.1"),
                        target=0.05, dataset="xor")
    back, notices = CompareSettings.from_query(s.to_query())
    assert back == s and notices == []
    _, notices = CompareSettings.from_query({"vary": "colour", "values": "1,2"})
    assert any("vary" in n for n in notices)


def test_what_the_varied_setting_needs_is_switched_on():
    s = CompareSettings(vary="momentum")
    assert s.run_settings(s.runs()[0]).optimiser == "momentum"
    s = CompareSettings(vary="reg_rate")
    assert s.run_settings(s.runs()[3]).regularisation == "l2" and s.run_settings(s.runs()[3]).reg_rate == 0.01


def test_the_table_and_the_goals_read_the_runs_histories_as_written_out_here():
    s = CompareSettings(dataset="spiral", hidden=(8, 8), values=("0.03", "10", "0.1"))
    run = CompareRun(s)
    run.train(60)
    tests = [lane.history.series("test_loss") for lane in run.lanes]
    for i, t in enumerate(tests):  # the first epoch below 0.5, found by hand
        first = next((e for e, v in enumerate(t) if v < 0.5), None)
        assert run.reached(i, 0.5) == first
    best, every = run.goal_history("best").series("test_loss"), run.goal_history("all").series("test_loss")
    stopped = run.lanes[1].epoch
    assert run.lanes[1].divergence and stopped < 60 and len(best) == len(every) == 61
    for e in range(61):
        alive = [t[e] for t in tests if e < len(t)]
        assert best[e] == pytest.approx(min(alive))
        assert every[e] == (pytest.approx(max(alive)) if e <= stopped else np.inf)  # a diverged run never arrives
    assert run.best() == min((0, 2), key=lambda i: tests[i][-1])
