"""Chart builders: what they draw, checked on the strings and images they return."""
from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from playground.shared import png
from playground.toy import charts, network
from playground.toy.settings import ToySettings
from playground.toy.run import ToyRun


def decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def test_png_encoder_writes_the_orange_white_blue_scale():
    img = decode(png.png_uri(np.array([[-1.0, 0.0, 1.0]])))
    assert img.shape == (1, 3, 3)
    assert img[0, 0].tolist() == [245, 147, 34] and img[0, 2].tolist() == [8, 119, 189]
    assert abs(int(img[0, 1, 0]) - 232) <= 2
    assert decode(png.png_uri(np.array([[0.2, -0.3]]), discretise=True))[0].tolist() == \
        [[8, 119, 189], [245, 147, 34]]


def test_png_encoder_round_trips_random_images():
    rgb = np.random.default_rng(0).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png.png_bytes(rgb)))), rgb)


def _svg_for(settings):
    run = ToyRun(settings)
    maps = run.maps()
    return run, network.network_svg(list(settings.features), run.input_maps(), maps[:-1], maps[-1], run.weights())


def test_network_diagram_draws_every_neuron_and_every_weight():
    run, svg = _svg_for(ToySettings(features=("x1", "x2", "x1x2"), hidden=(4, 3)))
    assert svg.count('class="node"') == 3 + 4 + 3 + 1
    assert svg.count('class="w"') == 3 * 4 + 4 * 3 + 3 * 1
    assert svg.count("<image") == 2 * 3 + 1  # each input (and its zoom), one sprite for every neuron
    assert svg.count("<use") == 2 * (4 + 3 + 1)
    assert svg.count('class="zoom"') == 3 + 4 + 3 + 1  # a large copy of each map, shown on hover
    assert svg.count('class="bias"') == 4 + 3 + 1
    w = run.weights()[0][0]
    assert f"weight {w[0, 0]:.3f}" in svg  # a weight's value is its hover text
    widths = [float(x) for x in re.findall(r'stroke-width="([\d.]+)"/><line class="hit"', svg)]
    big, small = np.argmax(np.abs(w)), np.argmin(np.abs(w))
    assert widths[big] > widths[small]  # width follows |w| (first layer's lines come first)


def test_network_diagram_without_hidden_layers():
    _, svg = _svg_for(ToySettings(features=("x1sq", "x2sq"), hidden=()))
    assert svg.count('class="node"') == 3 and svg.count('class="w"') == 2
    assert "Output" in svg and "Layer 1" not in svg
    # Drawn at most 1.5× its own size: a small network is not blown up to fill the column.
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    assert f"max-width:{1.5 * width:g}px" in svg


def test_decision_map_draws_train_and_optionally_test_points():
    run = ToyRun(ToySettings())
    out = run.maps()[-1]
    svg = charts.decision_map_svg(out, *run.toy)
    count = lambda cls, colour: sum(d.count("M") for c, d in re.findall(
        rf'class="{cls}" fill="({colour})" d="([^"]*)"', svg))
    assert count("tr", "#0877bd") == int((run.toy.y_train > 0).sum())
    assert count("tr", "#f59322") == int((run.toy.y_train < 0).sum())
    assert 'class="te"' not in svg
    svg = charts.decision_map_svg(out, *run.toy, show_test=True)
    assert count("te", "#[0-9a-f]{6}") == len(run.toy.y_test)


def test_loss_chart_downsamples_and_hovers():
    n = 50_000
    loss = np.linspace(1, 0.1, n)
    svg = charts.loss_svg(loss, loss * 1.1, np.linspace(0.5, 1, n), np.linspace(0.5, 0.9, n))
    lines = re.findall(r'points="([^"]*)"', svg)
    assert len(lines) == 4
    for line in lines:
        xy = np.array(line.split(), float).reshape(-1, 2) / 10  # tenths of a pixel, drawn at scale .1
        assert len(xy) <= charts.LOSS_POINTS
        assert xy[0, 0] == 44 and xy[-1, 0] == 360 - 40  # first and last epoch at the plot's edges (its padding)
        assert np.all(np.diff(xy[:, 0]) > 0)
    train = np.array(lines[0].split(), float).reshape(-1, 2) / 10
    assert train[0, 1] < train[-1, 1]  # the loss falls: its line goes down the chart (y grows)
    assert svg.count("<title>epoch") == charts.BANDS
    assert "epoch 49999: train loss 0.1000" in svg
    assert "test accuracy" in svg


def test_loss_chart_with_one_epoch_and_without_accuracy():
    svg = charts.loss_svg(np.array([0.5]), np.array([0.6]))
    assert "acc" not in svg and svg.count("<title>") == 1


def test_downsample_keeps_the_last_point():
    x, y = charts.downsample(np.arange(10_001.0), 100)
    assert len(x) <= 101 and x[-1] == 10_000 and y[-1] == 10_000


def test_stats_block():
    html = charts.stats_html(1234, 0.1234, 0.2345, 0.987)
    assert "1,234" in html and "0.123" in html and "98.7%" in html
    assert "accuracy" not in charts.stats_html(5, 0.1, 0.2, None)
