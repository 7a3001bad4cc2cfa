"""What a live frame keeps from one frame to the next (the run's NumPy copy of its weights and of
its input maps, the diagram's and the loss chart's fixed parts) is thrown away as soon as what it
was made from changes: checked against the device's own numbers, formulas written out here, and
pictures made afresh with every cache emptied."""
from __future__ import annotations

import re

import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from playground.toy import charts, network
from playground.toy.learning import Learning, record
from playground.toy.run import GRID, ToyRun
from playground.toy.session import ToySession
from playground.toy.settings import ToySettings

NUM = r"-?\d+\.\d+"


def _same_as_device(run: ToyRun) -> bool:
    fresh = jax.device_get(run.state.params)
    return all(np.array_equal(w, fw) and np.array_equal(b, fb) for (w, b), (fw, fb) in zip(run.weights(), fresh))


def test_the_weights_copy_follows_training_a_weight_set_by_hand_and_a_reset():
    run = ToyRun(ToySettings())
    before = [w.copy() for w, _ in run.weights()]
    assert _same_as_device(run)
    run.train(5)
    assert _same_as_device(run) and not np.array_equal(run.weights()[0][0], before[0])
    run.edit(1, 0, 0, 0.77)  # w[1][0, 0] by hand
    assert run.weights()[0][0][0, 0] == np.float32(0.77) and _same_as_device(run)
    run.edit(2, None, 1, -0.5)  # the bias of neuron 2 of layer 2
    assert run.weights()[1][1][1] == np.float32(-0.5) and _same_as_device(run)
    run.new_weights()
    assert _same_as_device(run)
    run.apply(run.settings.changed(hidden=(3,)))  # another network: other shapes
    assert [w.shape for w, _ in run.weights()] == [(2, 3), (3, 1)] and _same_as_device(run)


def test_the_weight_trail_is_every_weight_in_ravel_pytree_order():
    run, lg = ToyRun(ToySettings()), Learning()
    for _ in range(3):
        run.train(4)
        record(run, lg)
        assert np.array_equal(lg.trail[-1][1], np.asarray(ravel_pytree(run.state.params)[0]))
    run.edit(1, 1, 2, 1.5)
    run.train(1)
    record(run, lg)
    assert np.array_equal(lg.trail[-1][1], np.asarray(ravel_pytree(run.state.params)[0]))
    assert [e for e, _, _ in lg.trail] == [4, 8, 12, 13]


def test_the_input_maps_follow_the_features():
    run = ToyRun(ToySettings(features=("x1", "x2")))
    xs = np.linspace(-6, 6, GRID, dtype=np.float32)
    x1, x2 = np.meshgrid(xs, xs[::-1])  # the plane, row-major from the top
    assert np.array_equal(run.input_maps(), np.stack([x1, x2], -1))
    run.apply(run.settings.changed(features=("x1sq", "x1x2", "x2")))
    assert np.allclose(run.input_maps(), np.stack([x1 * x1, x1 * x2, x2], -1))


def _clear_caches():
    for cached in (network._zooms, network._lines_template, charts._loss_y_axis, charts._loss_legend,
                   charts._band_template, charts._map_axes, charts._dots):
        cached.cache_clear()
    network._input_cache.clear()


def _diagram(run: ToyRun, **kw) -> str:
    maps = run.maps()
    return network.network_svg(list(run.settings.features), run.input_maps(), maps[:-1], maps[-1], run.weights(), **kw)


def test_the_diagram_drawn_with_warm_caches_is_the_one_drawn_afresh():
    a = ToyRun(ToySettings(hidden=(4, 2)))
    _diagram(a)  # fills the caches for this network
    cases = [ToyRun(ToySettings(hidden=(4, 2), seed=7)),  # the same network, other weights
             ToyRun(ToySettings(hidden=(5,), features=("x1", "x2", "x1x2"))),  # another network
             ToyRun(ToySettings(problem="multiclass", dataset="blobs", classes=4, head="softmax_ce", hidden=(3,)))]
    for run in cases:
        for kw in ({}, {"overlay": network.Overlay(picked=("w", 1, 0, 1))}, {"discretise": True}):
            warm = _diagram(run, **kw)
            _clear_caches()
            assert warm == _diagram(run, **kw)
    # And what the lines show is the weights given now: hover value and width (0.6 + 5.5·|w|/max|w|).
    run = cases[0]
    svg = _diagram(run)
    ws = run.weights()
    flat = np.concatenate([w.ravel() for w, _ in ws]).astype(np.float64)
    shown = [float(v) for v in re.findall(rf"<title>weight ({NUM}) \(", svg)]
    widths = [float(v) for v in re.findall(rf'stroke-width="({NUM})"/><line class="hit"', svg)]
    assert np.allclose(shown, flat, atol=5e-4)
    assert np.allclose(widths, 0.6 + 5.5 * np.abs(flat) / np.abs(flat).max(), atol=5e-3)


def test_the_loss_charts_axis_follows_the_highest_loss():
    def ticks(svg):
        return re.findall(r'text-anchor="end">([^<]*)</text><line', svg)
    low = charts.loss_svg(np.linspace(1.0, 0.2, 50), np.linspace(0.9, 0.3, 50))
    high = charts.loss_svg(np.linspace(4.0, 0.2, 50), np.linspace(3.0, 0.3, 50))
    assert ticks(low) == ["0", "0.5", "1"]  # top 1.05: steps of 0.5
    assert ticks(high) == ["0", "2", "4"]  # top 4.2: steps of 2
    with_acc = charts.loss_svg(np.linspace(4.0, 0.2, 50), np.linspace(3.0, 0.3, 50), np.full(50, 0.5), np.full(50, 0.5))
    _clear_caches()
    assert high == charts.loss_svg(np.linspace(4.0, 0.2, 50), np.linspace(3.0, 0.3, 50))
    assert with_acc == charts.loss_svg(np.linspace(4.0, 0.2, 50), np.linspace(3.0, 0.3, 50),
                                       np.full(50, 0.5), np.full(50, 0.5))
    assert "accuracy" in with_acc and "accuracy" not in high


def _frame(session: ToySession) -> str:
    return re.sub(r'<div class="nn-rate">.*?</div>', "", session.html())


def test_a_whole_frame_after_changes_is_the_one_drawn_afresh():
    session = ToySession(ToyRun(ToySettings()))
    _frame(session)
    session.run.train(20)
    changes = [lambda r: None, lambda r: r.apply(r.settings.changed(hidden=(6, 3, 2))),
               lambda r: r.apply(r.settings.changed(features=("x1", "x2", "sinx1"))),
               lambda r: r.edit(1, 0, 0, 2.0), lambda r: r.apply(r.settings.changed(show_test=True, discretise=True))]
    for change in changes:
        change(session.run)
        session.run.train(10)
        warm = _frame(session)
        _clear_caches()
        assert warm == _frame(session)
