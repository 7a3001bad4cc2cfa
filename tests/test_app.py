"""The toy lab through Streamlit's AppTest: the whole script, headless (no clock, no browser)."""
from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "playground" / "app.py")


def open_page(page: str | None = None, **query) -> AppTest:
    """The app as a link opens it: ``page`` (a file in views/, the toy lab if None) with ``query``."""
    at = AppTest.from_file(APP, default_timeout=180)
    if page:
        at.switch_page(f"views/{page}.py")  # opened directly, as a link to /<page> does
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def html(at) -> str:
    """What the page shows: its Markdown, and the live view's HTML (a component whose JS
    AppTest never runs, so its data is read from the element)."""
    live = [json.loads(e.proto.json)["html"] for e in at.get("bidi_component")
            if e.proto.component_name == "nn_playground_html"]
    return "".join(m.value for m in at.markdown) + "".join(live)


def epoch(at) -> int:
    return int(re.search(r'data-stat="Epoch">([\d,]+)<', html(at)).group(1).replace(",", ""))


def test_page_opens_on_the_default_network():
    at = open_page()
    page = html(at)
    assert page.count('class="node"') == 2 + 4 + 2 + 1  # X1, X2; 4 and 2 hidden; output
    assert 'class="nn-plot nn-map"' in page and "nn-loss" in page
    assert epoch(at) == 0
    assert [b.label for b in at.button][:3] == ["Play", "Step", "Reset"]


def test_step_trains_exactly_one_epoch():
    at = open_page()
    at.button(key="step").click().run()
    assert epoch(at) == 1
    at.button(key="step").click().run()
    assert epoch(at) == 2


def test_changing_the_learning_rate_keeps_the_network_and_history():
    at = open_page()
    for _ in range(3):
        at.button(key="step").click().run()
    run = at.session_state.toy_run
    losses = run.history.series("train_loss").copy()
    at.select_slider(key="lr").set_value(0.3).run()
    assert not at.exception
    assert epoch(at) == 3 and run.settings.learning_rate == 0.3
    assert (run.history.series("train_loss") == losses).all()


def test_adding_a_layer_resets_and_draws_it():
    at = open_page()
    at.button(key="step").click().run()
    at.number_input(key="n_layers").increment().run()
    assert epoch(at) == 0
    assert "Layer 3" in html(at)
    assert html(at).count('class="node"') == 2 + 4 + 2 + 4 + 1


def test_a_bad_link_is_named_and_ignored():
    at = open_page(hidden="200", noise="300", bogus="1", learning_rate="0.1")
    notice = " ".join(w.value for w in at.warning)
    assert "hidden" in notice and "noise" in notice and "bogus" in notice
    assert at.session_state.toy_run.settings.learning_rate == 0.1
    assert at.session_state.toy_run.settings.hidden == (4, 2)


def test_a_link_presets_the_widgets():
    at = open_page(dataset="spiral", hidden="8,8", features="x1,x2,sinx1", learning_rate="0.01", speed="100")
    assert at.selectbox(key="dataset").value == "spiral"
    assert at.number_input(key="n_layers").value == 2 and at.number_input(key="neurons_0").value == 8
    assert at.select_slider(key="lr").value == 0.01
    assert html(at).count('class="node"') == 3 + 8 + 8 + 1


def test_removing_every_feature_is_refused_and_the_last_settings_stay():
    at = open_page()
    at.button(key="step").click().run()
    at.pills(key="features").set_value([]).run()
    assert not at.exception
    assert any("features" in e.value and "Not applied" in e.value for e in at.error)
    assert at.session_state.toy_run.settings.features == ("x1", "x2") and epoch(at) == 1


def test_divergence_shows_a_banner_and_one_click_recovers():
    at = open_page(dataset="spiral", hidden="8,8", learning_rate="10")
    at.button(key="step").click().run()
    banner = " ".join(e.value for e in at.error)
    assert "diverged" in banner and "learning rate" in banner.lower()
    at.button(key="recover").click().run()
    assert not at.error and epoch(at) == 0
    assert at.session_state.toy_run.settings.learning_rate == pytest.approx(1.0)


def test_switching_to_regression_picks_a_regression_data_set_and_loss():
    at = open_page()
    at.radio(key="problem").set_value("regression").run()
    assert not at.exception
    run = at.session_state.toy_run
    assert run.settings.problem == "regression" and run.settings.dataset == "plane"
    assert run.settings.head == "linear_mse"
    at.button(key="step").click().run()
    assert epoch(at) == 1


def test_play_sets_the_live_fragment_running():
    at = open_page()
    at.button(key="play").click().run()
    assert at.session_state.playing and [b.label for b in at.button][0] == "Pause"
    at.button(key="play").click().run()
    assert not at.session_state.playing


def test_an_unexpected_error_becomes_one_sentence_not_a_traceback(monkeypatch):
    from playground.toyrun import ToyRun
    monkeypatch.setenv("NN_PLAYGROUND_STRICT", "0")
    monkeypatch.setattr(ToyRun, "maps", lambda self: 1 / 0)
    at = open_page()
    assert any("Something went wrong" in e.value and "ZeroDivisionError" in e.value for e in at.error)


def test_link_values_a_widget_cannot_show_are_refused_not_crashing():
    at = open_page(learning_rate="0.05", speed="37", batch_size="500", reg_rate="0.2", noise="7")
    notice = " ".join(w.value for w in at.warning)
    for name in ("learning_rate", "speed", "batch_size", "reg_rate"):
        assert name in notice
    assert at.session_state.toy_run.settings.noise == 7


def live_data(at) -> dict:
    [data] = [json.loads(e.proto.json) for e in at.get("bidi_component")
              if e.proto.component_name == "nn_playground_html"]
    return data


def test_with_the_live_route_play_streams_frames_that_train_and_pause_stops_them(monkeypatch):
    """Served by ``playground/serve.py``, Play hands the page's element a stream on the live
    route instead of a fragment timer; each frame from it trains this session's run."""
    import asyncio

    from starlette.requests import Request

    from playground import live
    monkeypatch.setattr(live, "_mounted", True)
    at = open_page()
    assert live_data(at)["stream"] == ""
    at.button(key="play").click().run()
    url = live_data(at)["stream"]
    assert url.startswith("/nn-live/") and not at.exception
    token = url.rsplit("/", 1)[1]

    def frame():
        request = Request({"type": "http", "method": "GET", "path": url, "headers": [],
                           "path_params": {"token": token}})
        response = asyncio.run(live.endpoint(request))
        return response.headers["x-nn-playing"], response.body.decode()

    run = at.session_state.toy_run
    playing, body = frame()
    first = run.epoch
    assert playing == "1" and first > 0 and f'data-stat="Epoch">{first:,}<' in body
    assert frame()[0] == "1" and run.epoch > first  # every frame trains a chunk
    at.button(key="play").click().run()  # Pause
    assert live_data(at)["stream"] == ""
    paused = run.epoch
    playing, body = frame()
    assert playing == "0" and run.epoch == paused  # a frame asked for after Pause trains nothing


def test_a_live_frame_that_fails_is_named_on_the_page_once(monkeypatch):
    """A frame that raises answers 500; the element then reruns the page, which says so."""
    import asyncio

    from starlette.requests import Request

    from playground import live
    from playground.toyrun import ToyRun
    monkeypatch.setattr(live, "_mounted", True)
    at = open_page()
    at.button(key="play").click().run()
    url = live_data(at)["stream"]
    monkeypatch.setattr(ToyRun, "maps", lambda self: 1 / 0)
    request = Request({"type": "http", "method": "GET", "path": url, "headers": [],
                       "path_params": {"token": url.rsplit("/", 1)[1]}})
    assert asyncio.run(live.endpoint(request)).status_code == 500
    monkeypatch.undo()
    monkeypatch.setattr(live, "_mounted", True)
    at.run()  # the rerun the element asks for
    assert not at.exception
    assert any("Training stopped on an unexpected error (ZeroDivisionError)" in e.value for e in at.error)
    at.run()
    assert not any("unexpected error" in e.value for e in at.error)  # said once
