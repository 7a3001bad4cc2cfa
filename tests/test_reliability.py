"""The faults a hostile probe found, each as a test that failed before its fix: pages left and
come back to, links that carry Markdown, huge values, batch sizes and lessons that a lab cannot
use, and requests too long for the server to read. Through AppTest and plain Python; the same
faults in a real browser are in ``tests/test_browser_hostile.py``."""
from __future__ import annotations

import re
import socket
import string
import time

import pytest

from playground.digits.settings import BATCH_SIZES, DigitsSettings
from playground.lessons import catalogue as lessons
from playground.shared.fields import MAX_NAMED, MAX_SHOWN, names, shown
from playground.shared.links import JOINER, notice_text, plain, split_query
from playground.toy.settings import CONTROLS as TOY_CONTROLS, ToySettings
from tests.conftest import PAGES, every_pair, html, notice, open_page, shown_epoch

PUNCT = re.escape(string.punctuation)
WALK = every_pair(PAGES)  # every page to every other page once, from the toy lab back to it
TOY_LINK = {"dataset": "xor", "hidden": "3,2", "learning_rate": "0.1", "activation": "relu", "seed": "7",
            "optimiser": "adam", "batch_size": "20"}
DIGITS_LINK = {"source": "sklearn8", "hidden": "24,12", "learning_rate": "0.01", "batch_size": "32", "epochs": "5",
               "seed": "3"}


def test_the_walk_takes_every_page_to_every_other_page():
    assert {"toy", "digits", "draw", "lessons"} <= set(PAGES) and WALK[0] == WALK[-1] == "toy"
    pairs = list(zip(WALK, WALK[1:]))
    assert sorted(pairs) == sorted((a, b) for a in PAGES for b in PAGES if a != b)


# --- 1. leaving a lab and coming back ----------------------------------------------------------
def _go(at, page: str):
    """Follow the navigation's link to ``page``: as in a browser, the address loses the last
    page's parameters (AppTest would otherwise carry them over)."""
    at.query_params.clear()
    at.switch_page(PAGES[page][0]).run()
    assert not at.exception, (page, at.exception)
    assert not [e.value for e in at.error], (page, [e.value for e in at.error])
    return at


def test_every_page_to_every_other_page_and_back_keeps_the_toy_and_digits_runs():
    """The probe: toy lab, Step, the Digits lab, back: "Something went wrong (AttributeError)" and
    the run lost. Twice round every pair of pages, the toy run keeps its epoch, its weights'
    history and its settings, and both labs' widgets show their own settings (the labs share
    widget names: learning_rate, hidden, batch_size, seed …)."""
    at = open_page("toy", **TOY_LINK)
    for _ in range(3):
        at.button(key="step").click().run()
    toy = at.session_state.toy
    settings, losses = toy.run.settings, toy.run.history.series("train_loss").copy()
    assert shown_epoch(at) == 3 and settings == ToySettings.from_query(TOY_LINK)[0]
    _go(at, "digits")
    for k, v in DIGITS_LINK.items():
        at.query_params[k] = v
    at.run()
    digits = at.session_state.digits.run.settings
    assert digits == DigitsSettings.from_query(DIGITS_LINK)[0]
    _go(at, "toy")
    for _ in range(2):
        for page in WALK[1:]:
            _go(at, page)
            if page == "toy":
                assert at.session_state.toy is toy and toy.run.epoch == 3 and shown_epoch(at) == 3
                assert toy.run.settings == settings and (toy.run.history.series("train_loss") == losses).all()
                assert at.selectbox(key="dataset").value == "xor" and at.select_slider(key="learning_rate").value == 0.1
                assert at.number_input(key="hidden").value == 2 and at.number_input(key="hidden_0").value == 3
                assert at.slider(key="batch_size").value == 20 and at.number_input(key="seed").value == 7
                assert at.selectbox(key="activation").value == "relu"
                assert dict(at.query_params) == TOY_LINK
            elif page == "digits":
                assert at.session_state.digits.run.settings == digits
                assert at.select_slider(key="learning_rate").value == 0.01
                assert at.select_slider(key="batch_size").value == 32
                assert at.number_input(key="hidden").value == 2 and at.number_input(key="hidden_0").value == 24
                assert at.number_input(key="seed").value == 3
            assert not notice(at), (page, notice(at))
    at.button(key="step").click().run()  # and the run goes on from where it was
    assert shown_epoch(at) == 4 and toy.run.epoch == 4


# --- 3. Markdown in a link's value is shown as typed -------------------------------------------
MARKDOWN = ["[click me](https://example.com)", "![i](https://example.com/x.png)", "**bold** _it_ `code`",
            "www.example.com", "HTTP://EXAMPLE.COM", "mail me@example.com",
            ":material/warning: :red[red] $x^2$", "<img src=x onerror=alert(1)>", "# heading\n- list",
            "\\[escaped\\](https://example.com)", "<https://example.com>", "https://example.com/auto"]


@pytest.mark.parametrize("text", MARKDOWN)
def test_plain_escapes_every_markdown_mark(text):
    escaped = plain(text)
    shown_text = re.sub(r"\\(.)", r"\1", escaped, flags=re.S)
    assert shown_text.replace(JOINER, "") == text  # unescaped, and without the invisible joiners: the text
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", shown_text)  # no address left to become a link
    # … and made only of escaped marks and characters that are no mark: nothing left to format
    assert re.fullmatch(rf"(?:\\[{PUNCT}]|[^{PUNCT}])*", escaped, re.S), escaped


@pytest.mark.parametrize("value", ["[click me](https://example.com)", "![i](https://example.com/x.png)"])
def test_a_link_value_with_markdown_is_repeated_literally_in_the_notice(value):
    at = open_page("toy", dataset=value)
    [warning] = at.warning
    assert value in notice(at)  # as typed …
    # … and with every mark escaped, so that Markdown draws no link and no image
    assert re.fullmatch(rf"(?:\\[{PUNCT}]|[^{PUNCT}])*", warning.value, re.S), warning.value


# --- 10. a huge value, or many unknown names, make a short notice -------------------------------
def test_shown_cuts_a_value_and_names_caps_a_list():
    assert shown("x" * 10_000) == repr("x" * (MAX_SHOWN - 1) + "…") and len(shown("x" * 10_000)) == MAX_SHOWN + 2
    assert shown("short") == "'short'" and shown(1e999) == "'inf'"
    listed = names([f"p{i}" for i in range(50)])
    assert listed.count("'p") == MAX_NAMED and listed.endswith(f"and {50 - MAX_NAMED} more")
    assert names(["a", "b"]) == "'a', 'b'"


def test_a_link_with_a_10000_character_value_and_50_unknown_names_makes_a_short_notice():
    query = {"dataset": "y" * 10_000, **{f"nope{i}": "1" for i in range(50)}}
    at = open_page("toy", **query)
    text = notice(at)
    assert "y" * (MAX_SHOWN - 1) + "…" in text and "y" * MAX_SHOWN not in text
    assert "and 42 more" in text and "nope49" not in text
    assert len(text) < 600 and "\n" not in text
    assert at.session_state.toy.run.settings == ToySettings()


# --- 11. every digits batch size a link may set, the widget offers, and no other ----------------
@pytest.mark.parametrize("size", [1, 8, 16, 32, 64, 128, 256, 512, 1024])
def test_a_digits_batch_size_from_the_link_is_the_one_used(size):
    at = open_page("digits", source="sklearn8", batch_size=str(size))
    assert at.session_state.digits.run.settings.batch_size == size
    assert at.select_slider(key="batch_size").value == size and not notice(at)
    assert list(at.select_slider(key="batch_size").options) == [str(b) for b in BATCH_SIZES]


@pytest.mark.parametrize("size", ["17", "0", "2048", "16.5", "lots"])
def test_a_digits_batch_size_the_widget_cannot_show_is_named_not_silently_changed(size):
    at = open_page("digits", source="sklearn8", batch_size=size)
    assert "batch_size" in notice(at) and repr(size) in notice(at)
    assert at.session_state.digits.run.settings.batch_size == DigitsSettings().batch_size


# --- 12. a lesson id belongs to one lab --------------------------------------------------------
@pytest.mark.parametrize("page,other", [("toy", "digits"), ("digits", "toy")])
def test_a_lesson_of_the_other_lab_is_refused_with_a_notice(page, other):
    foreign = lessons.lesson_ids(other)[0]
    query = {"lesson": foreign, **({"source": "sklearn8"} if page == "digits" else {})}
    at = open_page(page, **query)
    assert f"lesson '{foreign}' belongs to the {other} lab, not this page" in notice(at)
    assert at.session_state[page].teacher.lesson is None and 'class="nn-goal"' not in html(at)
    own = lessons.lesson_ids(page)[0]
    at = open_page(page, **{**query, "lesson": own})
    assert not notice(at) and at.session_state[page].teacher.lesson == own


def test_split_query_names_a_lesson_of_another_lab_and_an_unknown_one_apart():
    toy, digits = lessons.lesson_ids("toy"), lessons.lesson_ids("digits")
    _, teacher, said = split_query({"lesson": digits[0]}, TOY_CONTROLS, toy, lessons.other_lessons("toy"))
    assert teacher.lesson is None and said == [f"lesson '{digits[0]}' belongs to the digits lab, not this page"]
    _, teacher, said = split_query({"lesson": "99-nope"}, TOY_CONTROLS, toy, lessons.other_lessons("toy"))
    assert teacher.lesson is None and said == ["no lesson called '99-nope'"]
    assert notice_text(said).startswith("Ignored in the link: no lesson called")


# --- 13. a link longer than the server reads ---------------------------------------------------
def _limit() -> int:
    from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # what uvicorn gives h11 (Streamlit sets none)
    return DEFAULT_MAX_INCOMPLETE_EVENT_SIZE


TOO_LONG = re.compile(r"This link is too long for the server to read \((at least )?[\d,]+ KB; the limit is 16 KB\): "
                      r"open the page without it, or ask for a shorter link\.")


def _get(url: str, target: bytes, pieces: int = 1) -> bytes:
    """A GET of ``target`` on a raw connection, as a browser on another page of the app sends it
    (in ``pieces`` writes, as a network may cut it up); everything the server answers until it
    closes (bounded: 30 s without a byte ends it)."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    request = (b"GET " + target + b" HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\nReferer: "
               + url.encode() + b"/lessons\r\nAccept: text/html\r\nUser-Agent: test\r\n\r\n")
    cut = [request[len(request) * k // pieces:len(request) * (k + 1) // pieces] for k in range(pieces)]
    got = b""
    with socket.create_connection((host, int(port)), timeout=30) as s:
        try:
            for k, part in enumerate(cut):
                s.sendall(part)
                if k < pieces - 1:
                    time.sleep(0.3)  # so that the server reads this piece on its own
        except OSError:  # the server answered and stopped reading before the rest was sent
            pass
        try:
            while chunk := s.recv(65536):
                got += chunk
        except (socket.timeout, ConnectionError):
            pass
    return got


@pytest.mark.parametrize("pieces", [1, 6])
def test_a_link_too_long_for_the_server_gets_one_sentence_not_a_bare_400(server, pieces):
    """The probe: a 120 KB link gave "Invalid HTTP request received." (400), or, when the whole
    request arrived in one piece, the page. Either way now: 414 and one sentence saying why."""
    got = _get(server, b"/toy?dataset=" + b"x" * 120_000, pieces)
    status, body = got.split(b"\r\n", 1)[0], got.split(b"\r\n\r\n", 1)[-1].decode()
    assert status == b"HTTP/1.1 414 URI Too Long", got[:200]
    assert TOO_LONG.search(body), body
    assert len(body) < 400 and "Invalid HTTP request" not in body


def test_a_link_within_the_limit_still_opens_the_page(server):
    got = _get(server, b"/toy?dataset=" + b"x" * (_limit() // 2), 2)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n") and b"<!doctype html>" in got.lower()


def test_the_servers_answer_to_a_head_over_the_limit_says_what_was_too_long():
    from playground.server.connections import too_long
    limit = _limit()
    link = b"GET /toy?dataset=" + b"x" * 120_000 + b" HTTP/1.1\r\nHost: h\r\n\r\n"
    answer = too_long(link, limit)
    assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n") and b"connection: close" in answer
    assert TOO_LONG.search(answer.decode()) and b"(120 KB; the limit is 16 KB)" in answer
    assert b"(at least 30 KB;" in too_long(link[:30_000], limit)  # as much as has arrived
    cookies = b"GET /toy HTTP/1.1\r\nHost: h\r\nCookie: " + b"c" * 40_000
    assert too_long(cookies, limit).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"clear this site's cookies" in too_long(cookies, limit)
    assert too_long(link[:limit], limit) is None  # not over the limit yet
    small = b"GET /toy?a=1 HTTP/1.1\r\nHost: h\r\n\r\n"
    assert too_long(small + b"x" * 100_000, limit) is None  # a short head, then its body
    assert too_long(link[:limit + 1], limit).startswith(b"HTTP/1.1 414")  # one byte over: refused


def test_no_link_the_app_writes_comes_near_the_servers_limit():
    """Every page's link holds its settings (each bounded) and the teacher's choices: the longest
    that can be written, with every setting at its widest and every control hidden and locked,
    is a small part of what the server reads."""
    from urllib.parse import urlencode

    from playground.digits.settings import CONTROLS as DIGITS_CONTROLS
    from playground.draw.settings import CONTROLS as DRAW_CONTROLS, DrawSettings
    from playground.shared.links import Teacher

    def widest(field) -> str:
        if field.options is not None:
            return max((field.show(v) for v in field.options), key=len)
        if field.lo is not None:
            k = round((field.hi - field.lo) / field.step) if field.step else 0
            grid = [field.lo + i * field.step for i in range(k + 1)] if field.step and k < 10_000 else []
            return max((field.show(v) for v in [field.lo, field.hi, *grid]), key=len)
        return "false"  # a flag (features and hidden are written out below)

    longest_lesson = max(lessons.lesson_ids(), key=len)
    for page, cls, controls in (("toy", ToySettings, TOY_CONTROLS), ("digits", DigitsSettings, DIGITS_CONTROLS),
                                ("draw", DrawSettings, DRAW_CONTROLS)):
        query = {name: widest(f) for name, f in cls.FIELDS.items()}
        if "features" in query:
            from engine.toydata import FEATURES
            query["features"] = ",".join(FEATURES)
        if "hidden" in query:
            layers, neurons = (8, 16) if page == "toy" else (4, 512)
            query["hidden"] = ",".join([str(neurons)] * layers)
        query |= Teacher(frozenset(controls), frozenset(controls), False, longest_lesson).to_query()
        query["restarted"] = "1"
        link = f"/{page}?{urlencode(query)}"
        assert len(link) < _limit() // 4, (page, len(link))


def test_a_paused_tab_that_comes_back_to_a_restarted_server_is_told_its_run_was_lost():
    """A tab paused during a restart sends its widgets' values to a new session on its next click:
    the run starts again from the link, and the page says so (it used to happen silently)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["learning_rate"] = 0.3  # what the tab's widgets send to the new session
    at.query_params["learning_rate"] = "0.3"
    at.run()
    assert "server restarted" in notice(at) and at.session_state.toy.run.epoch == 0
    at.run()
    assert "server restarted" not in notice(at)  # said once
    fresh = open_page()
    assert "server restarted" not in notice(fresh)  # a first visit is not a restart
