"""The Compare page, headless (AppTest): what it shows, what its buttons do, what a link carries."""
from __future__ import annotations

import base64
import re
import struct
import zlib

import numpy as np
import pytest

from playground.compare.charts import loss_overlay_svg, small_map_uri
from playground.shared.png import LUT, MAP_LUT
from tests.conftest import live_data, open_page


def view(at) -> str:
    return live_data(at, "nn_playground_compare")["html"]


def maps(html: str) -> int:
    return len(re.findall(r'class="nn-run[ "]', html))


def epoch(at) -> int:
    return int(re.search(r"data-stat='Epoch'>([\d,]+)<", view(at)).group(1).replace(",", ""))


def test_nine_learning_rates_by_default_each_map_labelled_and_the_table_full():
    at = open_page("compare")
    html = view(at)
    assert maps(html) == 9 and html.count("data-reached") == 9
    for label in ("0.0001", "0.003", "0.3", "3"):
        assert f"</i>{label}" in html
    assert html.count("<polyline") == 9  # one curve per run (epoch 0 only, so far)
    assert "same weights" in " ".join(c.value for c in at.caption)


def test_step_trains_every_run_one_epoch_and_reset_goes_back_to_the_same_start():
    at = open_page("compare")
    first = view(at)
    at.button(key="step").click().run()
    assert epoch(at) == 1 and view(at) != first
    at.button(key="reset").click().run()
    assert epoch(at) == 0
    again = view(at)
    assert re.findall(r'href="(data:[^"]+)"', again) == re.findall(r'href="(data:[^"]+)"', first)


def test_a_link_sets_the_comparison_and_the_page_writes_it_back():
    at = open_page("compare", vary="activation", values="relu,tanh,sine", dataset="xor", target="0.05")
    html = view(at)
    assert maps(html) == 3 and "ReLU" in html and "Sine" in html
    assert "the same random draws" in " ".join(c.value for c in at.caption)
    assert at.query_params["vary"] == "activation" and at.query_params["values"] == "relu,tanh,sine"
    assert "&lt; 0.05" in html


def test_several_classes_from_a_link_train_and_show_their_maps():
    at = open_page("compare", problem="multiclass", dataset="arms", head="softmax_ce", classes="4", hidden="6")
    assert not at.exception and maps(view(at)) == 9
    at.button(key="step").click().run()
    assert not at.exception and epoch(at) == 1
    assert "the colour of the class it chooses" in " ".join(c.value for c in at.caption)
    assert at.query_params["classes"] == "4" and at.query_params["problem"] == "multiclass"
    assert not any("Show test data" == t.label for t in at.toggle)  # the small maps show training points only


def test_a_grid_of_two_settings():
    at = open_page("compare", vary="learning_rate", values="0.01,0.1,1", vary2="seed", values2="0,1,2")
    html = view(at)
    assert maps(html) == 9 and "rate 0.1 · seed 2" in html
    assert "its own weights" in " ".join(c.value for c in at.caption)


def test_choosing_another_setting_to_vary_brings_its_values():
    at = open_page("compare")
    at.selectbox(key="vary").set_value("momentum").run()
    assert not at.exception
    assert at.multiselect(key="values").value == ["0", "0.3", "0.5", "0.7", "0.8", "0.9", "0.95", "0.97", "0.99"]
    assert "SGD + momentum" in " ".join(c.value for c in at.caption)
    assert at.query_params["vary"] == "momentum"


def test_a_bad_link_says_what_it_skipped_and_the_page_still_works():
    at = open_page("compare", vary="colour", values="0.01,0.02")
    assert any("vary" in w.value for w in at.warning)
    assert maps(view(at)) == 9


def test_a_lesson_opens_set_up_and_its_goal_is_ticked_live_when_the_best_run_reaches_it():
    at = open_page("compare", lesson="13-nine-learning-rates", dataset="circle", hidden="4,2", vary="learning_rate",
                   speed="5")
    assert "Goal · Nine learning rates at once" in view(at) and "✓" not in view(at)
    for _ in range(16):
        at.button(key="step").click().run()
    assert epoch(at) == 16
    assert "✓ Achieved at epoch" in view(at)


def test_emptying_the_values_keeps_the_runs_and_says_why():
    at = open_page("compare", values="0.01,0.1")
    at.multiselect(key="values").set_value([]).run()
    assert not at.exception
    assert maps(view(at)) == 2 and any("at least one learning rate" in i.value for i in at.info)


def test_to_the_toy_lab_and_back_keeps_each_page_its_own_settings_and_run():
    """The two pages share widget names (learning_rate, hidden, seed …): each keeps its own."""
    at = open_page("compare", vary="seed", values="1,2,3", learning_rate="0.1", hidden="3")
    at.button(key="step").click().run()
    at.button(key="step").click().run()
    at.query_params.clear()  # as the navigation's link does in a browser
    at.switch_page("toy/page.py").run()
    assert not at.exception
    assert at.select_slider(key="learning_rate").value == 0.03 and at.number_input(key="hidden").value == 2
    at.button(key="step").click().run()
    at.query_params.clear()
    at.switch_page("compare/page.py").run()
    assert not at.exception and not at.error
    assert epoch(at) == 2 and maps(view(at)) == 3
    assert at.selectbox(key="vary").value == "seed" and at.multiselect(key="values").value == ["1", "2", "3"]
    assert at.select_slider(key="learning_rate").value == 0.1 and at.number_input(key="hidden").value == 1
    assert at.number_input(key="hidden_0").value == 3


def _pixels(uri: str):
    """A PNG from playground/shared/png.py (8-bit RGB, filter 0 on every row) decoded by hand."""
    data = base64.b64decode(uri.split(",", 1)[1])
    w, h = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, w * 3 + 1)
    return rows[:, 1:].reshape(h, w, 3)


def test_a_small_map_draws_each_point_where_it_lies_in_its_labels_colour():
    out = np.zeros((50, 50), np.float32)  # the network says 0 everywhere: the map's middle shade
    px = _pixels(small_map_uri(out, np.array([[-5.99, 5.99], [5.99, -5.99]]), np.array([1.0, -1.0])))
    assert px.shape == (100, 100, 3)
    assert (px[0, 0] == LUT[255]).all() and (px[1, 1] == LUT[255]).all()  # top left: +1, blue
    assert (px[-1, -1] == LUT[0]).all()  # bottom right: -1, orange
    assert (px[50, 50] == MAP_LUT[127]).all()  # elsewhere the map


def test_a_small_map_of_several_classes_takes_the_winning_class_colour_and_its_points_theirs():
    from playground.toy.classes import CLASS_RGB
    probs = np.zeros((50, 50, 3), np.float32)
    probs[:, :25] = [1, 0, 0]  # left half: surely class 1
    probs[:, 25:] = [0, 0, 1]  # right half: surely class 3
    px = _pixels(small_map_uri(probs, np.array([[-5.99, 5.99]]), np.array([1])))
    assert (px[0, 0] == CLASS_RGB[1]).all()  # the point, in its class's colour
    # Sure of its class (confidence 1): the class's colour mixed with white, at the map's strength.
    from playground.toy.classes import MAP_STRENGTH
    full = lambda c: np.rint(255 - (255 - CLASS_RGB[c].astype(np.float32)) * MAP_STRENGTH)
    assert (px[60, 10] == full(0)).all() and (px[60, 90] == full(2)).all()


def test_the_loss_chart_is_a_log_scale():
    svg = loss_overlay_svg([np.array([0.1, 0.01, 0.001])], ["a"], best=None)
    ys = [float(v) for v in re.findall(r"[\d.]+,([\d.]+)", re.search(r'points="([^"]+)"', svg).group(1))]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.15)  # equal steps for equal ratios
    assert {"0.001", "0.01", "0.1"} <= set(re.findall(r">([\d.]+)</text>", svg))
