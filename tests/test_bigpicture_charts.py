"""The big picture's pictures and charts: the colours mean what the page says (blue for the
answer, orange against it, over the dimmed digit), each patch of the occlusion map covers its own
4×4 pixels, and the charts plot the results on a log axis."""
from __future__ import annotations

import struct

import numpy as np

from engine import experiment as X
from playground.bigpicture import charts as bc
from playground.shared.png import BLUE, ORANGE


def test_overlay_colours_blue_for_positive_orange_for_negative_over_the_dim_digit():
    img = np.zeros((28, 28))
    img[5, 5] = 1.0
    m = np.zeros((28, 28))
    m[0, 0], m[0, 1], m[0, 2] = 2.0, -2.0, 1.0  # the strongest value is 2
    rgb = bc.overlay(img, m)
    assert (rgb[0, 0] == BLUE).all() and (rgb[0, 1] == ORANGE).all()
    np.testing.assert_array_equal(rgb[0, 2], np.round((40 + BLUE) / 2))  # half strength: half-way to blue
    assert (rgb[1, 1] == 40).all() and (rgb[5, 5] == 150).all()  # no colour: the digit dimmed, ink 40 + 110


def test_each_patch_covers_its_own_four_by_four_pixels():
    drop = np.arange(49, dtype=float).reshape(7, 7)
    px = bc.patches_to_pixels(drop, 28)
    assert px.shape == (28, 28)
    assert (px[8:12, 12:16] == drop[2, 3]).all() and (px[24:, 24:] == drop[6, 6]).all()


def test_the_map_picture_is_the_digit_eight_times_larger():
    png = bc.map_png(np.zeros((28, 28)), np.ones((28, 28)))
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (224, 224)


def test_the_charts_plot_every_model_on_a_log_axis():
    e = X.Experiment("spiral", "test", [50, 100, 300], 1_000, complete=True)
    for i, m in enumerate(X.LABELS):
        for n in e.sizes:
            e.results.append(X.Result(m, n, 0.5 + i / 10 + n / 1e4, n / 100, 0.01))
    acc, secs = bc.accuracy_figure(e), bc.seconds_figure(e)
    assert acc.layout.xaxis.type == "log" and secs.layout.yaxis.type == "log"
    assert [t.name.lower() for t in acc.data] == [label.lower() for label in X.LABELS.values()]
    for trace, m in zip(acc.data, X.LABELS):
        assert list(trace.x) == [50, 100, 300] and list(trace.y) == [e.get(m, n).accuracy for n in e.sizes]
    assert list(secs.data[0].y) == [0.5, 1.0, 3.0]
    assert "training points" in acc.layout.xaxis.title.text
