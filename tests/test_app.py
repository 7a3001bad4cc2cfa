"""The toy lab through Streamlit's AppTest: the whole script, headless (no clock, no browser)."""
from __future__ import annotations

import pytest

from tests.conftest import html, live_data, open_page, shown_epoch as epoch, notice


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
    run = at.session_state.toy.run
    losses = run.history.series("train_loss").copy()
    at.select_slider(key="learning_rate").set_value(0.3).run()
    assert not at.exception
    assert epoch(at) == 3 and run.settings.learning_rate == 0.3
    assert (run.history.series("train_loss") == losses).all()


def test_adding_a_layer_resets_and_draws_it():
    at = open_page()
    at.button(key="step").click().run()
    at.number_input(key="hidden").increment().run()
    assert epoch(at) == 0
    assert "Layer 3" in html(at)
    assert html(at).count('class="node"') == 2 + 4 + 2 + 4 + 1


def test_a_bad_link_is_named_and_ignored():
    at = open_page(hidden="200", noise="300", bogus="1", learning_rate="0.1")
    said = notice(at)
    assert "hidden" in said and "noise" in said and "bogus" in said
    assert at.session_state.toy.run.settings.learning_rate == 0.1
    assert at.session_state.toy.run.settings.hidden == (4, 2)


def test_a_link_presets_the_widgets():
    at = open_page(dataset="spiral", hidden="8,8", features="x1,x2,sinx1", learning_rate="0.01", speed="100")
    assert at.selectbox(key="dataset").value == "spiral"
    assert at.number_input(key="hidden").value == 2 and at.number_input(key="hidden_0").value == 8
    assert at.select_slider(key="learning_rate").value == 0.01
    assert html(at).count('class="node"') == 3 + 8 + 8 + 1


def test_removing_every_feature_is_refused_and_the_last_settings_stay():
    at = open_page()
    at.button(key="step").click().run()
    at.pills(key="features").set_value([]).run()
    assert not at.exception
    assert any("features" in e.value and "Not applied" in e.value for e in at.error)
    assert at.session_state.toy.run.settings.features == ("x1", "x2") and epoch(at) == 1


def test_divergence_shows_a_banner_and_one_click_recovers():
    at = open_page(dataset="spiral", hidden="8,8", learning_rate="10")
    at.button(key="step").click().run()
    banner = " ".join(e.value for e in at.error)
    assert "diverged" in banner and "learning rate" in banner.lower()
    at.button(key="recover").click().run()
    assert not at.error and epoch(at) == 0
    assert at.session_state.toy.run.settings.learning_rate == pytest.approx(1.0)


def test_switching_to_regression_picks_a_regression_data_set_and_loss():
    at = open_page()
    at.radio(key="problem").set_value("regression").run()
    assert not at.exception
    run = at.session_state.toy.run
    assert run.settings.problem == "regression" and run.settings.dataset == "plane"
    assert run.settings.head == "linear_mse"
    at.button(key="step").click().run()
    assert epoch(at) == 1


def test_play_sets_the_live_fragment_running():
    at = open_page()
    at.button(key="play").click().run()
    assert at.session_state.toy.playing and [b.label for b in at.button][0] == "Pause"
    at.button(key="play").click().run()
    assert not at.session_state.toy.playing


def test_an_unexpected_error_becomes_one_sentence_not_a_traceback(monkeypatch):
    from playground.toy.run import ToyRun
    monkeypatch.setenv("NN_PLAYGROUND_STRICT", "0")
    monkeypatch.setattr(ToyRun, "maps", lambda self, params=None: 1 / 0)
    at = open_page()
    assert any("Something went wrong" in e.value and "ZeroDivisionError" in e.value for e in at.error)


def test_link_values_a_widget_cannot_show_are_refused_not_crashing():
    """The settings and the widgets share one table of ranges: what a link may set, the page can
    show (the probe's momentum=0.995 and schedule_rate=0.02 replaced the page with an error)."""
    at = open_page(learning_rate="0.05", speed="37", batch_size="500", reg_rate="0.2", noise="7",
                   momentum="0.995", schedule_rate="0.02", optimiser="momentum", schedule="step")
    said = notice(at)
    for name in ("learning_rate", "speed", "batch_size", "reg_rate", "noise", "momentum", "schedule_rate"):
        assert name in said
    s = at.session_state.toy.run.settings
    assert (s.noise, s.momentum, s.schedule_rate, s.optimiser, s.schedule) == (0, 0.9, 0.5, "momentum", "step")
    assert at.slider(key="momentum").value == 0.9 and at.slider(key="schedule_rate").value == 0.5


SECRET = b"this browser's own token"


def own(session) -> None:
    """Bind a session's frames to a browser, as the page does from its XSRF cookie in a real one."""
    session.owner = session.feed.owner = SECRET


def _cookie() -> bytes:
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
    return f"_streamlit_xsrf={generate_xsrf_token_string(SECRET)}".encode()


OWNER_COOKIE = _cookie()


def test_with_the_live_route_play_streams_frames_that_train_and_pause_stops_them(monkeypatch):
    """Served by ``playground/server/serve.py``, Play hands the page's element a stream on the live
    route instead of a fragment timer; each frame from it trains this session's run."""
    import asyncio

    from starlette.requests import Request

    from playground.server import live
    monkeypatch.setattr(live, "_mounted", True)
    at = open_page()
    assert live_data(at)["stream"] == ""
    at.button(key="play").click().run()
    assert live_data(at)["stream"] == ""  # no browser cookie to bind frames to (AppTest has none): no stream
    at.button(key="play").click().run()
    own(at.session_state.toy)
    at.button(key="play").click().run()
    url = live_data(at)["stream"]
    assert url.startswith("/nn-live/") and not at.exception
    token = url.rsplit("/", 1)[1]

    def frame():
        request = Request({"type": "http", "method": "GET", "path": url, "headers": [(b"cookie", OWNER_COOKIE)],
                           "path_params": {"token": token}})
        response = asyncio.run(live.endpoint(request))
        return response.headers["x-nn-playing"], response.body.decode()

    run = at.session_state.toy.run
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

    from playground.server import live
    from playground.toy.run import ToyRun
    monkeypatch.setattr(live, "_mounted", True)
    at = open_page()
    own(at.session_state.toy)
    at.button(key="play").click().run()
    url = live_data(at)["stream"]
    monkeypatch.setattr(ToyRun, "maps", lambda self, params=None: 1 / 0)
    request = Request({"type": "http", "method": "GET", "path": url, "headers": [(b"cookie", OWNER_COOKIE)],
                       "path_params": {"token": url.rsplit("/", 1)[1]}})
    assert asyncio.run(live.endpoint(request)).status_code == 500
    monkeypatch.undo()
    monkeypatch.setattr(live, "_mounted", True)
    at.run()  # the rerun the element asks for
    assert not at.exception
    assert any("Training stopped on an unexpected error (ZeroDivisionError)" in e.value for e in at.error)
    at.run()
    assert not any("unexpected error" in e.value for e in at.error)  # said once
