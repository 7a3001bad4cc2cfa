"""Shared fixtures and helpers. Tests run from a checkout without installing: the project goes on
the path here. Test modules import helpers from here and from ``tests/browser.py``, never from
each other."""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "playground" / "app.py")

os.environ.setdefault("NN_PLAYGROUND_STRICT", "1")  # a bug fails the test instead of becoming a message

# The default digits model is trained once per test session, then loaded from the file the app
# saves (by this process and by the app servers the browser tests start): never the user's cache.
if "NN_PLAYGROUND_MODELS" not in os.environ:
    os.environ["NN_PLAYGROUND_MODELS"] = tempfile.mkdtemp(prefix="nn-playground-models-")
    atexit.register(shutil.rmtree, os.environ["NN_PLAYGROUND_MODELS"], True)


# --- the app's pages, as its navigation lists them -----------------------------------------------
# url_path -> (file relative to app.py, title); the default page (the toy lab) first.
PAGES = {path: (f"{folder}/page.py", title) for folder, title, path in re.findall(
    r'st\.Page\(HERE / "(\w+)" / "page\.py", title="([^"]+)".*?url_path="(\w+)"', Path(APP).read_text())}


def every_pair(pages) -> list:
    """A walk from the first page through every ordered pair of pages once (each page to every
    other page), back to the first (an Euler circuit of the complete directed graph)."""
    pages = list(pages)
    unused = {a: [b for b in reversed(pages) if b != a] for a in pages}
    stack, walk = [pages[0]], []
    while stack:
        if unused[stack[-1]]:
            stack.append(unused[stack[-1]].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


# --- AppTest: the whole script, headless (no clock, no browser) ---------------------------------
def open_page(page: str | None = None, **query):
    """The app as a link opens it: ``page`` ("digits", "draw", "lessons"; the toy lab if None)
    with ``query``."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=180)
    if page and page != "toy":
        # AppTest finds a page by its url_path only once the navigation has run once.
        at.run()
        at.switch_page(f"{page}/page.py")
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def live_data(at, name: str = "nn_playground_html") -> dict:
    """The data a page sent its HTML view element (AppTest never runs the element's JS)."""
    [data] = [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == name]
    return data


def html(at) -> str:
    """What the page shows: its Markdown, and the live view's HTML."""
    live = [json.loads(e.proto.json)["html"] for e in at.get("bidi_component")
            if e.proto.component_name in ("nn_playground_html", "nn_playground_draw")]
    return "".join(m.value for m in at.markdown) + "".join(live)


def notice(at) -> str:
    """The warnings a page shows, as the reader sees them: Markdown escapes and the invisible
    joiners that keep addresses from becoming links taken out."""
    return " ".join(re.sub(r"\\(.)", r"\1", w.value).replace("\u2060", "") for w in at.warning)


def shown_epoch(at) -> int:
    """The epoch the toy lab's live view shows."""
    return int(re.search(r'data-stat="Epoch">([\d,]+)<', html(at)).group(1).replace(",", ""))


# --- real browser: one app server and one Chromium per test module (Playwright's sync API keeps an
# event loop running in this thread while a browser is open: closed with the module, it stays out of
# the way of the tests after it that run asyncio themselves) ----------------------------------------
@pytest.fixture(scope="module")
def server():
    from tests.browser import app_server
    with app_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from tests.browser import chromium
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A 1280×800 tab; the test fails if it shows a traceback or an unexpected-error sentence."""
    from tests.browser import no_traceback
    p = browser.new_page(viewport={"width": 1280, "height": 800})
    yield p
    no_traceback(p)
    p.close()
