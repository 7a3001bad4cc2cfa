"""The hostile probe's faults, in real Chromium, done as a person (or a mischievous one) does
them: leaving a lab and coming back, sharing a stream's address, opening links that carry
Markdown, huge values or values the widgets could not show, uploading lying model files,
restarting the server under an open tab, changing the data while playing, and links too long
for the server. ``tests/test_reliability.py`` has the same faults through AppTest."""
from __future__ import annotations

import io
import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import numpy as np
import pytest

from tests.browser import app_server, browser_marks, epoch, free_port, no_traceback, open_toy, pause, wait_for, wait_idle
from tests.conftest import PAGES, every_pair

pytestmark = browser_marks()

WALK = every_pair(PAGES)  # every page to every other page once, from the toy lab back to it
TOY_LINK = {"dataset": "xor", "hidden": "3,2", "learning_rate": "0.1", "seed": "7"}
ALERT = "[data-testid=stAlert]"
JOINER = "\u2060"  # invisible; keeps an address in a notice from becoming a link


@pytest.fixture
def context(browser, server):
    """A browser of its own (its own cookies), closed after the test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    yield p
    no_traceback(p)


def to_example(url: str) -> bool:
    """Whether a request goes to example.com (not merely names it in its query)."""
    return (urlsplit(url).hostname or "").endswith("example.com")


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def slider(page, key: str):
    """A slider's (or select-slider's) input: its value, or for a select-slider its label in
    aria-valuetext."""
    return page.locator(f".st-key-{key} input[type=range]")


def open_sidebar(page) -> None:
    button = page.locator("[data-testid=stExpandSidebarButton]")
    if button.count() and button.first.is_visible():
        button.first.click()
    page.locator("[data-testid=stSidebarContent]").wait_for()


def go(page, name: str) -> None:
    """Follow the navigation's link to a page (at the top of the page, or in the sidebar) and wait
    until it has run (the draw page trains its default model on its first visit: about a minute)."""
    top = page.locator("[data-testid=stTopNavLink]", has_text=PAGES[name][1])
    if not top.count():
        open_sidebar(page)
    page.locator("[data-testid=stTopNavLink], [data-testid=stSidebarNavLink]", has_text=PAGES[name][1]).first.click()
    path = {"toy": ("", "/toy")}.get(name, (f"/{name}",))  # the toy lab is the default page: "/"
    page.wait_for_url(lambda u: urlsplit(u).path.rstrip("/") in path, timeout=60_000)
    wait_idle(page, 300_000)
    no_traceback(page)
    assert page.locator(ALERT, has_text="Something went wrong").count() == 0


# --- 1 ------------------------------------------------------------------------------------------
def test_every_page_to_every_other_page_and_back_through_the_navigation_keeps_the_run(page, server):
    """The probe: toy lab, Step, the Digits lab in the navigation, back: "Something went wrong
    (AttributeError)" and the run lost. Twice round every pair of pages: the same epoch, the same
    settings (in the widgets and in the address), and no error anywhere."""
    open_toy(page, server, urlencode(TOY_LINK))
    for expected in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == expected)
    wait_idle(page)
    for _ in range(2):
        for name in WALK[1:]:
            go(page, name)
            if name == "toy":
                page.wait_for_selector("[data-stat='Epoch']")
                assert epoch(page) == 3 and query(page) == TOY_LINK, (epoch(page), page.url)
                assert page.locator(".st-key-hidden_0 input").input_value() == "3"
                assert page.locator(".st-key-hidden input").input_value() == "2"
                assert page.locator(".st-key-seed input").input_value() == "7"
                assert slider(page, "learning_rate").get_attribute("aria-valuetext") == "0.1"
            assert page.locator(ALERT, has_text="Ignored in the link").count() == 0
    page.get_by_role("button", name="Step").click()  # and it goes on from where it was
    assert wait_for(lambda: epoch(page) == 4)


# --- 2 ------------------------------------------------------------------------------------------
def test_a_streams_address_serves_only_the_browser_that_owns_it(page, server, browser):
    """The probe: the live route trusted its token alone, so anyone holding a stream's address
    (a bare client, another browser) got its frames and trained someone else's run."""
    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/nn-live/" in r.url else None)
    open_toy(page, server)
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 20 and streams, 60), epoch(page)  # (epoch() lets the events in)
    url = streams[0]
    # (a) a bare HTTP client with the address
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=10)
    assert e.value.code == 403
    # (b) another browser: first with no cookie at all, then one that has opened the app itself
    other = browser.new_context()
    try:
        assert other.request.get(url).status == 403
        stranger = other.new_page()
        open_toy(stranger, server)
        assert stranger.evaluate("u => fetch(u, {cache: 'no-store'}).then(r => r.status)", url) == 403
        assert epoch(stranger) == 0
    finally:
        other.close()
    # … while the owner's page goes on training
    now = epoch(page)
    assert wait_for(lambda: epoch(page) > now, 30)
    assert page.get_by_role("button", name="Pause").is_visible()
    paused = pause(page)
    # After Pause, the owner's own requests for that address train nothing.
    for _ in range(5):
        status, body = page.evaluate("u => fetch(u, {cache: 'no-store'}).then(async r => [r.status, await r.text()])",
                                     url)
        assert status in (200, 429)
        if status == 200:
            assert f'data-stat="Epoch">{paused:,}<' in body
    assert epoch(page) == paused


# --- 3 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["[click me](https://example.com)", "![i](https://example.com/x.png)"])
def test_markdown_in_a_link_is_shown_as_typed_and_fetches_nothing(page, server, value):
    asked = []
    page.on("request", lambda r: asked.append(r.url) if to_example(r.url) else None)
    open_toy(page, server, "dataset=" + quote(value))
    notice = page.locator(ALERT, has_text="Ignored in the link")
    notice.wait_for()
    assert value in notice.inner_text().replace(JOINER, "")  # as typed (the word joiners are invisible)
    assert notice.locator("a[href*=example]").count() == 0 and notice.locator("img[src*=example]").count() == 0
    assert page.locator("a[href*='example.com'], img[src*='example.com']").count() == 0
    assert asked == []


# --- 4/9 ----------------------------------------------------------------------------------------
def _model_file(header: str) -> bytes:
    """A toy model file whose header is ``header`` (its weights are fine)."""
    from engine.model import MLPSpec
    from engine.modelio import save_model
    spec = MLPSpec(2, (4, 2), 1, "tanh", "tanh_mse")
    params = [(np.zeros((a, b), np.float32), np.zeros(b, np.float32)) for a, b in zip(spec.sizes[:-1], spec.sizes[1:])]
    good = save_model(params, spec, kind="toy", settings={"seed": "1"}, history={"train_loss": [0.5]})
    with np.load(io.BytesIO(good)) as z:
        arrays = {k: z[k] for k in z.files if k != "header"}
    buf = io.BytesIO()
    np.savez_compressed(buf, header=np.frombuffer(header.encode(), np.uint8), **arrays)
    return buf.getvalue()


PREFIX = "This file cannot be loaded as an nn-playground model: "


def _header(**changes) -> str:
    from engine.model import MLPSpec
    from engine.modelio import save_model
    spec = MLPSpec(2, (4, 2), 1, "tanh", "tanh_mse")
    good = save_model([(np.zeros((a, b), np.float32), np.zeros(b, np.float32))
                       for a, b in zip(spec.sizes[:-1], spec.sizes[1:])], spec, kind="toy", settings={},
                      history={"train_loss": [0.5]})
    with np.load(io.BytesIO(good)) as z:
        return json.dumps({**json.loads(z["header"].tobytes()), **changes})


LINK = "[k](https://example.com)"
HOSTILE_FILES = {  # name -> (header, what the page says)
    "nested 200,000 deep": ('{"format": "nn-playground-model", "version": 1, "spec": ' + "[" * 200_000 + "]" * 200_000
                            + "}", PREFIX + "its header is nested more than 32 levels deep."),
    "a setting that is a number": (_header(settings={"seed": 5}),
                                   PREFIX + "its setting 'seed' is damaged (it is not text)."),
    "a kind that is a Markdown link": (_header(kind=LINK),
                                       f"This is a {LINK} model; load it in the {LINK} lab, not here."),
}


def test_uploading_lying_model_files_gets_one_sentence_and_keeps_the_run(page, server, tmp_path):
    """The probe: a header nested 200,000 deep, a number where a setting's text belongs. Each file
    gets its one sentence (what the file says shown as typed, never as Markdown), no traceback,
    and the run stays as it was; a good file whose settings carry Markdown loads, and says so
    as plain text too."""
    asked = []
    page.on("request", lambda r: asked.append(r.url) if to_example(r.url) else None)
    open_toy(page, server)
    for expected in (1, 2):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == expected)
    wait_idle(page)
    open_sidebar(page)
    upload = page.locator(".st-key-toy_upload input[type=file]")
    for name, (header, sentence) in HOSTILE_FILES.items():
        path = tmp_path / f"{name}.npz"
        path.write_bytes(_model_file(header))
        upload.set_input_files(str(path))
        said = page.locator(ALERT, has_text="The current model is unchanged")
        expected = sentence + " The current model is unchanged."
        # (the last file's message stands until the page has read this one)
        assert wait_for(lambda: said.count() == 1 and said.inner_text().strip().replace(JOINER, "") == expected, 60), \
            (name, said.all_inner_texts())
        wait_idle(page)
        assert said.locator("a, img").count() == 0, name
        no_traceback(page)
        assert epoch(page) == 2, name
    page.get_by_role("button", name="Step").click()  # the run is the same one, and goes on
    assert wait_for(lambda: epoch(page) == 3)
    wait_idle(page)
    # A good file, named and set with Markdown: it loads, and the page repeats both as typed.
    from playground.toy.run import ToyRun
    from playground.toy.settings import ToySettings
    good = ToyRun(ToySettings()).to_file()
    with np.load(io.BytesIO(good)) as z:
        arrays = {k: z[k] for k in z.files if k != "header"}
        header = json.loads(z["header"].tobytes())
    header["settings"]["dataset"] = "![i](https://example.com/x.png)"
    buf = io.BytesIO()
    np.savez_compressed(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    path = tmp_path / "[model](www.example.com).npz"
    path.write_bytes(buf.getvalue())
    upload.set_input_files(str(path))
    said = page.locator(ALERT, has_text="ready to continue training")
    assert wait_for(lambda: said.count() == 1, 60), page.locator(ALERT).all_inner_texts()
    wait_idle(page)
    text = said.inner_text().replace(JOINER, "")
    assert "Loaded “[model](www.example.com).npz”: epoch 0" in text
    assert "got '![i](https://example.com/x.png)'" in text
    assert said.locator("a, img").count() == 0 and epoch(page) == 0
    assert asked == []


# --- 5 ------------------------------------------------------------------------------------------
def test_values_the_settings_once_accepted_and_the_widgets_did_not_open_the_page(page, server):
    """The probe: momentum=0.995 (and schedule_rate=0.02) passed the link reader, then the widget
    refused it and the lab was replaced by an error. Now refused with a notice, and the page works;
    the digits lab's epochs=150 and dropout=0.7 are in range for both."""
    open_toy(page, server, "momentum=0.995&optimiser=momentum&schedule=step&schedule_rate=0.02")
    notice = page.locator(ALERT, has_text="Ignored in the link")
    assert "momentum" in notice.inner_text() and "schedule_rate" in notice.inner_text()
    assert page.locator(ALERT, has_text="Something went wrong").count() == 0
    open_sidebar(page)
    assert float(slider(page, "momentum").input_value()) == 0.9
    assert float(slider(page, "schedule_rate").input_value()) == 0.5
    page.goto(f"{server}/digits?epochs=150&dropout=0.7")
    wait_idle(page, 120_000)
    slider(page, "epochs").wait_for()
    assert page.locator(ALERT).count() == 0
    assert float(slider(page, "epochs").input_value()) == 150
    assert float(slider(page, "dropout").input_value()) == pytest.approx(0.7)
    assert "Epoch 0 of 150" in page.locator("[data-testid=stProgress]").inner_text()


# --- 7 ------------------------------------------------------------------------------------------
def test_after_a_server_restart_the_open_tab_starts_again_from_its_link_and_says_so(browser):
    """The probe: the server restarted under a tab that was playing; the tab showed the old network
    frozen with "Pause" for 30 s and more. Now it reloads from its link, says why, and plays."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    port = free_port()
    link = {"dataset": "xor", "hidden": "3", "learning_rate": "0.1"}
    with app_server(port=port) as url:
        open_toy(page, url, urlencode(link))
        page.get_by_role("button", name="Play").click()
        assert wait_for(lambda: epoch(page) > 20, 60)
    with app_server(port=port) as url:
        said = page.locator(ALERT, has_text="The server restarted")
        assert wait_for(lambda: said.count() == 1, 90), page.url
        wait_idle(page)
        assert "it starts again from epoch 0 with the settings in the link" in said.inner_text()
        assert {k: v for k, v in query(page).items() if k != "restarted"} == link
        assert epoch(page) == 0 and page.get_by_role("button", name="Play").is_visible()
        assert page.locator(".st-key-hidden_0 input").input_value() == "3"
        page.get_by_role("button", name="Play").click()
        assert wait_for(lambda: epoch(page) > 20, 60)
        pause(page)
        no_traceback(page)
    context.close()


# --- 8 ------------------------------------------------------------------------------------------
def _holds(page, value: int, seconds: float = 1.5) -> bool:
    """The epoch reads ``value`` now and still after ``seconds`` (nothing trains)."""
    first = epoch(page)
    time.sleep(seconds)
    return first == epoch(page) == value


@pytest.mark.parametrize("change", ["data set", "layer"])
def test_a_change_that_resets_while_playing_leaves_play_that_trains_with_one_click(page, server, change):
    open_toy(page, server)
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 20, 60)
    if change == "data set":
        page.locator(".st-key-dataset input[role=combobox]").click()
        page.get_by_role("option", name="Exclusive or").click()
    else:
        page.locator(".st-key-hidden").get_by_test_id("stNumberInputStepUp").click()
    wait_idle(page)
    play = page.get_by_role("button", name="Play")
    play.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Pause").count() == 0
    assert wait_for(lambda: epoch(page) == 0)  # the live view redrawn from the new network (it may compile first)
    assert _holds(page, 0)
    play.click()
    assert wait_for(lambda: epoch(page) > 0, 30)
    assert page.get_by_role("button", name="Pause").is_visible()
    pause(page)


def test_after_a_divergence_the_button_reads_play(page, server):
    open_toy(page, server, "dataset=spiral&hidden=8,8&learning_rate=10")
    page.get_by_role("button", name="Play").click()
    page.locator(ALERT, has_text="diverged").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_role("button", name="Play").is_visible()
    assert page.get_by_role("button", name="Pause").count() == 0
    assert _holds(page, epoch(page))


# --- 10 -----------------------------------------------------------------------------------------
def test_a_link_with_a_huge_value_and_fifty_unknown_names_makes_a_short_notice(page, server):
    link = {"dataset": "x" * 10_000, **{f"unknown{i}": "1" for i in range(50)}}
    open_toy(page, server, urlencode(link))
    notice = page.locator(ALERT, has_text="Ignored in the link")
    box = notice.bounding_box()
    assert box["height"] < 200, box
    assert "and 42 more" in notice.inner_text() and "x" * 100 not in notice.inner_text()


# --- 13 -----------------------------------------------------------------------------------------
def test_a_link_too_long_for_the_server_opened_from_a_page_of_the_app_says_so(page, server):
    page.goto(f"{server}/lessons")
    wait_idle(page)
    answers = []
    page.on("response", lambda r: answers.append(r.status) if "dataset=" in r.url else None)
    page.evaluate("u => { window.location.href = u; }", f"{server}/toy?dataset=" + "x" * 120_000)
    text = page.get_by_text("This link is too long for the server to read")
    text.wait_for(timeout=30_000)
    assert re.fullmatch(r"This link is too long for the server to read \((at least )?[\d,]+ KB; the limit is 16 KB\): "
                        r"open the page without it, or ask for a shorter link\.", text.inner_text().strip())
    assert answers == [414]
