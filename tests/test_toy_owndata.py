"""Your own data in the toy lab: how new points are split, the compact form a link carries, what
a link opens, and the padding that keeps a growing set from recompiling (it must never count)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine.train import TrainConfig, evaluate, init_state, make_hparams, run_epochs
from playground.toy.owndata import OwnData, add_point, decode, empty, encode, erase_near, split_in_turn
from playground.toy.owndata_ui import link_note, split_sentence
from playground.toy.run import ToyRun, bucket, padded, spec_of
from playground.toy.settings import ToySettings
from tests.conftest import notice, open_page


@pytest.mark.parametrize("ratio", [10, 30, 50, 70, 80, 90])
def test_points_added_one_by_one_keep_the_test_share_at_or_under_the_ratio(ratio):
    """After n points, exactly floor(n · (100 − ratio) / 100) are test points."""
    test = split_in_turn(57, ratio)
    assert [int(test[:n].sum()) for n in range(58)] == [n * (100 - ratio) // 100 for n in range(58)]


def test_the_split_is_said_as_it_is_done():
    assert split_in_turn(6, 50).tolist() == [False, True] * 3
    assert "every second point you add is a test point" in split_sentence(50)
    assert split_in_turn(10, 80).tolist() == [False] * 4 + [True] + [False] * 4 + [True]
    assert "test points at 20 % of all or fewer" in split_sentence(80)


def test_points_are_added_clipped_to_the_plane_and_the_eraser_takes_the_nearest():
    own = empty("multiclass")
    for i, (x, y) in enumerate([(1, 1), (2, 2), (9, -9)]):
        own = add_point(own, x, y, i % 3, 50)
    assert own.points.tolist() == [[1, 1], [2, 2], [6, -6]] and own.y.tolist() == [0, 1, 2]
    assert own.test.tolist() == [False, True, False]
    assert erase_near(own, 1.9, 2.2).points.tolist() == [[1, 1], [6, -6]]
    assert erase_near(own, -4, -4) is own  # nothing near: nothing erased


def _random_own(problem: str, n: int, seed: int = 0) -> OwnData:
    rng = np.random.default_rng(seed)
    y = {"classification": lambda: rng.choice([-1.0, 1.0], n).astype(np.float32),
         "multiclass": lambda: rng.integers(0, 5, n).astype(np.int32),
         "regression": lambda: rng.uniform(-1, 1, n).astype(np.float32)}[problem]()
    return OwnData(problem, rng.uniform(-6, 6, (n, 2)).astype(np.float32), y, split_in_turn(n, 70),
                   ("a", "b", "c", "d", "e") if problem == "multiclass" else ())


@pytest.mark.parametrize("problem", ["classification", "multiclass", "regression"])
def test_a_link_carries_200_points_compactly_to_a_ten_thousandth(problem):
    """Six bytes a point at most (two coordinates and a regression target as 16-bit numbers), in base64."""
    own = _random_own(problem, 200)
    text = encode(own)
    assert len(text) <= 1700 and all(c.isalnum() or c in "-_" for c in text)  # URL-safe as it is
    back = decode(text)
    assert back.problem == problem and back.names == own.names and np.array_equal(back.test, own.test)
    assert np.abs(back.points - own.points).max() <= 6 / 32767  # a thousandth of a pixel of the map
    if problem == "regression":
        assert np.abs(back.y - own.y).max() <= 1 / 32767
    else:
        assert np.array_equal(back.y, own.y) and back.y.dtype == own.y.dtype


@pytest.mark.parametrize("bad", ["hello", "eNpjYGBgYAAAAAUAAQ", "", "!!", "eNo" + "A" * 40])
def test_anything_else_in_the_link_is_refused(bad):
    if bad == "":
        assert encode(empty("classification")) == ""
        return
    with pytest.raises(ValueError, match="written by this page"):
        decode(bad)


def test_a_link_with_points_opens_them_and_a_bad_one_is_named():
    own = _random_own("multiclass", 30)
    at = open_page("toy", problem="multiclass", dataset="own", head="softmax_ce", points=encode(own))
    run = at.session_state.toy.run
    assert run.own.n == 30 and run.settings.classes == 5 and run.config.spec.n_out == 5
    assert run.class_names() == ["a", "b", "c", "d", "e"]
    assert dict(at.query_params)["points"] == encode(own) and not notice(at)
    at = open_page("toy", dataset="own", points="not-points")
    assert "points='not-points' is not readable" in notice(at) or "points" in notice(at)
    assert at.session_state.toy.run.own.n == 0  # an empty plane to draw on


def test_more_than_200_points_stay_out_of_the_link_and_the_copy_button_says_so():
    run = ToyRun(ToySettings())
    settings = run.set_own(_random_own("classification", 200))
    assert settings.points == encode(run.own) and link_note(run) == ""
    settings = run.set_own(add_point(run.own, 0, 0, 1.0, 70))
    assert settings.points == "" and settings.dataset == "own"
    assert link_note(run) == ("The link does not include your 201 points (a link carries up to 200): download them "
                              "as CSV and share the file.")


def test_a_drawn_point_keeps_the_network_and_its_history_and_an_upload_starts_again():
    run = ToyRun(ToySettings(dataset="gauss"))
    run.set_own(run.current_data())
    run.train(5)
    params, epochs = jax.device_get(run.state.params), run.epoch
    run.set_own(add_point(run.own, 1, 1, -1.0, 50))
    assert run.epoch == epochs and all(np.array_equal(a, b) for a, b in
                                       zip(jax.tree.leaves(params), jax.tree.leaves(jax.device_get(run.state.params))))
    run.set_own(_random_own("classification", 40), keep_network=False)
    assert run.epoch == 0


def test_a_class_drawn_beyond_a_files_named_classes_gets_a_name_everywhere():
    """A file's ant, bee and cat; the Classes slider at 5; a point of the fifth class drawn. The
    download raised IndexError on every render from then on, and the link dropped the names."""
    from playground.toy.csvdata import read_csv, write_csv
    run = ToyRun(ToySettings())
    own, _ = read_csv(b"x1,x2,label\n1,1,ant\n2,2,bee\n3,3,cat\n4,4,ant\n")
    run.set_own(own, keep_network=False)
    run.apply(run.settings.changed(classes=5))
    run.set_own(add_point(run.own, -1, -1, 4, 50))
    assert run.class_names() == ["ant", "bee", "cat", "class 4", "class 5"]
    assert read_csv(write_csv(run.current_data()))[0].y.tolist() == [0, 1, 2, 0, 4]
    assert decode(run.settings.points).names == ("ant", "bee", "cat", "class 4", "class 5")


def test_two_named_classes_say_which_is_orange_and_which_blue():
    from playground.toy.csvdata import read_csv
    from playground.toy.owndata_ui import _tool_label
    from playground.toy.session import ToySession
    run = ToyRun(ToySettings())
    run.set_own(read_csv(b"x1,x2,label\n1,1,dog\n2,2,cat\n3,3,dog\n4,4,cat\n")[0], keep_network=False)
    assert run.own.y.tolist() == [1, -1, 1, -1]  # names in alphabetical order: cat is -1 (orange), dog +1 (blue)
    html = ToySession(run).html()
    legend = html[html.index("nn-legend"):]
    assert legend.index("#f59322") < legend.index("cat") < legend.index("#0877bd") < legend.index("dog")
    assert [_tool_label(run)(t) for t in (1, -1)] == ["dog (blue)", "cat (orange)"]


def test_switching_problem_type_keeps_each_types_own_points():
    run = ToyRun(ToySettings())
    run.set_own(_random_own("classification", 12))
    run.apply(run.settings.changed(problem="regression", dataset="plane", head="linear_mse"))
    run.set_own(_random_own("regression", 7))
    run.apply(run.settings.changed(problem="classification", dataset="circle", head="tanh_mse"))  # as the page does
    run.apply(run.settings.changed(dataset="own"))
    assert run.own.n == 12 and run.own.problem == "classification" and run.settings.points == encode(run.own)
    run.apply(run.settings.changed(dataset="circle"))
    assert run.settings.points == ""  # the link carries points only while they are in use


def test_padding_never_counts():
    """Padded to a fixed size, the set trains and scores exactly as without padding: the loss and
    accuracy are the real points' means, a full-batch epoch takes the same step, and whatever
    the padding holds changes nothing."""
    assert [bucket(n) for n in (0, 5, 16, 17, 33, 100, 1024, 1025, 5000)] == [16, 16, 16, 32, 64, 128, 1024, 1280, 5120]
    run = ToyRun(ToySettings(dataset="xor", hidden=(3,)))
    real = run.data._replace(x_train=run.data.x_train[:37], y_train=run.data.y_train[:37],
                             x_test=run.data.x_test[:11], y_test=run.data.y_test[:11])
    pad = padded(real)
    assert pad.x_train.shape[0] == bucket(37) and float(pad.w_train.sum()) == 37
    spec, params = spec_of(run.settings), run.state.params
    for k, v in evaluate(params, spec, real).items():
        assert float(evaluate(params, spec, pad)[k]) == pytest.approx(float(v), rel=1e-5), k
    config = TrainConfig(spec, "sgd", batch_size=100)  # one batch: every order gives the same step
    hp = make_hparams(0.1, 0.0, 0.0)
    state = init_state(jax.random.key(3), config)
    a, _ = run_epochs(state, real, hp, config, 3)
    b, _ = run_epochs(state, pad, hp, config, 3)
    assert all(np.allclose(u, v, atol=1e-6) for u, v in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)))
    # Mini-batches: padding filled with wild values instead of zeros trains to the same weights.
    config = TrainConfig(spec, "adam", batch_size=5)
    state = init_state(jax.random.key(4), config)
    wild = pad._replace(x_train=jnp.where(pad.w_train[:, None] > 0, pad.x_train, 1e3),
                        y_train=jnp.where(pad.w_train > 0, pad.y_train, -7.0))
    a, ma = run_epochs(state, pad, hp, config, 4)
    b, mb = run_epochs(state, wild, hp, config, 4)
    assert all(np.array_equal(u, v) for u, v in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)))
    assert np.array_equal(ma["train_loss"], mb["train_loss"])


def test_an_empty_plane_trains_nothing_and_shows_no_numbers():
    run = ToyRun(ToySettings(dataset="own"))
    assert run.own.n == 0 and run.train(10) == 0 and run.epoch == 0
    own = add_point(add_point(empty("classification"), 1, 1, 1.0, 50), -1, -1, -1.0, 50)  # one train, one test
    run.set_own(own)
    assert run.train(20) == 20 and not run.divergence
    only_train = OwnData("classification", own.points, own.y, np.array([False, False]))
    run.set_own(only_train)
    assert run.train(20) == 20 and not run.divergence  # no test points: a NaN test loss is no divergence
    assert np.isnan(run.history.last("test_loss"))
