"""What a settings change means for a running toy-lab session."""
from __future__ import annotations

import jax
import numpy as np

from playground.toy.settings import LABELS, ToySettings
from playground.toy.run import GRID, ToyRun


def weights(run):
    return [np.asarray(a) for a in jax.tree.leaves(run.state.params)]


def test_history_starts_at_epoch_zero_and_grows():
    run = ToyRun(ToySettings())
    assert run.epoch == 0 and len(run.history.series("test_loss")) == 1
    assert run.train(5) == 5 and run.epoch == 5
    assert run.train(1) == 1 and run.epoch == 6
    assert len(run.history.series("train_acc")) == 7


def test_learning_rate_optimiser_and_regularisation_changes_keep_the_network():
    run = ToyRun(ToySettings())
    run.train(10)
    before = weights(run)
    for change in [dict(learning_rate=0.3), dict(optimiser="adam"), dict(regularisation="l2", reg_rate=0.01),
                   dict(batch_size=25), dict(schedule="cosine"), dict(speed=100), dict(show_test=True)]:
        assert run.apply(run.settings.changed(**change)) is None
    assert run.epoch == 10 and len(run.history.series("train_loss")) == 11
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(run)))
    run.train(3)
    assert run.epoch == 13


def test_architecture_and_data_changes_reset_and_say_so():
    for change in [dict(hidden=(4, 2, 3)), dict(activation="relu"), dict(features=("x1", "x2", "x1x2")),
                   dict(dataset="xor"), dict(noise=20), dict(train_ratio=70), dict(seed=5)]:
        run = ToyRun(ToySettings())
        run.train(10)
        message = run.apply(run.settings.changed(**change))
        assert message and LABELS[next(iter(change))] in message  # in the page's own words
        assert run.epoch == 0


def test_regenerate_gives_new_data_and_keeps_the_network():
    run = ToyRun(ToySettings())
    run.train(10)
    before, pts = weights(run), run.toy.points_train.copy()
    assert run.apply(run.settings.changed(data_seed=1)) is None
    assert not np.array_equal(pts, run.toy.points_train)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(run)))
    assert run.epoch == 10


def test_new_weights_moves_the_seed_on_and_starts_again():
    """Reset on the page, as in TF Playground: new starting weights, which the next seed gives."""
    run = ToyRun(ToySettings(seed=3))
    first = weights(run)
    run.train(20)
    assert run.new_weights().seed == 4 and run.epoch == 0
    assert all(np.array_equal(a, b) for a, b in zip(weights(run), weights(ToyRun(ToySettings(seed=4)))))
    assert not any(np.array_equal(a, b) for a, b in zip(first[::2], weights(run)[::2]))  # the w of each (w, b)


def test_reset_draws_the_same_initial_weights_from_the_seed():
    run = ToyRun(ToySettings(seed=3))
    first = weights(run)
    run.train(20)
    run.reset()
    assert all(np.array_equal(a, b) for a, b in zip(first, weights(run)))
    assert run.epoch == 0


def test_maps_cover_every_neuron():
    run = ToyRun(ToySettings(hidden=(3, 5)))
    maps = run.maps()
    assert [m.shape for m in maps] == [(GRID, GRID, 3), (GRID, GRID, 5), (GRID, GRID)]
    assert np.abs(maps[-1]).max() <= 1
    assert run.input_maps().shape == (GRID, GRID, 2)


def test_divergence_stops_training_until_a_setting_changes_then_it_goes_on_from_the_last_good_weights():
    run = ToyRun(ToySettings(dataset="spiral", hidden=(8, 8), learning_rate=10.0))
    ran = run.train(100)
    assert run.divergence and ran < 100 and run.epoch == ran
    good = weights(run)
    assert run.train(10) == 0 and all(np.isfinite(w).all() for w in good)
    run.apply(run.settings.changed(learning_rate=0.03))
    assert run.divergence == 0 and run.epoch == ran
    assert all(np.array_equal(a, b) for a, b in zip(good, weights(run)))  # the last good weights
    assert run.train(5) == 5 and run.epoch == ran + 5


def test_the_decision_map_is_the_output_on_the_plane():
    """After learning the circle, the map is positive (blue) in the middle and negative outside."""
    run = ToyRun(ToySettings(features=("x1sq", "x2sq"), hidden=()))
    run.train(300)
    out = run.maps()[-1]
    c = GRID // 2
    assert out[c, c] > 0.5 and out[0, 0] < -0.5 and out[-1, -1] < -0.5


def test_a_frame_never_asks_for_more_than_fits_in_a_tenth_of_a_second():
    from playground.server.live import FIRST_CHUNK, Pacer
    from playground.toy.settings import SPEEDS
    run, pacer = ToyRun(ToySettings()), Pacer(SPEEDS)
    config = run.config
    assert pacer.epochs(config, 1000) == FIRST_CHUNK and pacer.epochs(config, 2) == 2  # nothing measured yet
    pacer.train(run, FIRST_CHUNK)  # a chunk size's first run may compile: not a measure of speed
    assert pacer.ms_per_epoch == 0
    pacer.train(run, FIRST_CHUNK)
    assert pacer.ms_per_epoch > 0 and run.epoch == 2 * FIRST_CHUNK
    pacer.ms_per_epoch = 0.3
    assert pacer.epochs(config, 1000) == 200 and pacer.epochs(config, 50) == 50
    pacer.ms_per_epoch = 500.0
    assert pacer.epochs(config, 1000) == 1
    # Another network is timed afresh: short chunks first, never the last network's speed (a
    # student who builds the biggest network and sets the top speed gets no multi-second frame).
    pacer.ms_per_epoch = 0.01
    run.apply(run.settings.changed(hidden=(16,) * 8, batch_size=1))
    assert pacer.epochs(run.config, 1000) == FIRST_CHUNK


def test_the_divergence_banner_gives_the_numbers_of_the_epoch_that_blew_up():
    """Lesson 5's banner said "blew up" beside the last good epoch's numbers; now it names the epoch
    that blew up and its loss: the loss of one more epoch from the last good weights."""
    from engine.train import _epoch, evaluate
    run = ToyRun(ToySettings(learning_rate=3.0))  # lesson 5: the circle at learning rate 3
    while not run.divergence and run.epoch < 400:
        run.train(1)
    assert run.divergence and run.epoch < 400
    config, hp = run.current()
    after = _epoch(run.state, run.data, hp, config)  # the epoch that diverged, from the last good state
    loss = float(evaluate(after.params, config.spec, run.data)["train_loss"])
    said = run.divergence_sentence()
    assert f"diverged at epoch {run.epoch + 1}" in said and f"jumped to {loss:.3g}" in said
    assert f"back at epoch {run.epoch}" in said and f"from {run.history.last('train_loss'):.3f}" in said
    assert loss > 1.2 * run.history.last("train_loss")
