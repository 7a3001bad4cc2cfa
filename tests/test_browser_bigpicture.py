"""The big-picture page in Chromium: the experiment's button, progress bar and Cancel; the charts
and the sentence; "Why did it answer that?" for a validation digit and for a digit drawn on the
draw page. Screenshots at 1280×800 and 1024×768 are left in assets/screenshots to look at."""
from __future__ import annotations

import tempfile

import pytest

from tests.browser import SHOTS, app_server, browser_marks, no_traceback, wait_for, wait_idle

pytestmark = browser_marks()


@pytest.fixture(scope="module")
def server():
    """The app with an experiment cache of its own: nothing measured before this module."""
    with tempfile.TemporaryDirectory() as cache, app_server(env={"NN_PLAYGROUND_EXPERIMENTS": cache}) as url:
        yield url


def charts(page) -> int:
    return page.locator("[data-testid=stPlotlyChart]").count()


def test_run_shows_progress_then_the_charts_and_the_sentences(page, server):
    page.goto(f"{server}/bigpicture?up_to=100")
    wait_idle(page, 240_000)
    assert page.get_by_text("Not measured yet").count() == 1 and charts(page) == 0
    page.get_by_role("button", name="Run the experiment").click()
    page.locator("[data-testid=stProgress]").wait_for(timeout=60_000)  # the bar, while it runs
    assert page.get_by_role("button", name="Cancel").count() == 1
    page.get_by_text("The network is", exact=True).wait_for(timeout=240_000)
    wait_idle(page, 60_000)
    assert wait_for(lambda: charts(page) == 2) and page.get_by_text("What it cost:").count() == 1
    assert page.get_by_role("button", name="Run the experiment").count() == 1
    page.screenshot(path=str(SHOTS / "bigpicture-experiment-1280x800.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "bigpicture-experiment-1024x768.png"))
    page.reload()  # a second visit: the saved results at once
    wait_idle(page, 60_000)
    page.get_by_text("The network is", exact=True).wait_for(timeout=30_000)
    assert wait_for(lambda: charts(page) == 2)


def test_cancel_stops_the_run(page, server):
    page.goto(f"{server}/bigpicture?up_to=3000")
    wait_idle(page, 240_000)
    page.get_by_text("The toy spiral").click()  # the Data choice
    page.wait_for_url("**data=spiral**", timeout=60_000)
    wait_idle(page, 60_000)
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_role("button", name="Cancel").wait_for(timeout=60_000)
    page.get_by_text("training").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled.").wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    assert page.get_by_role("button", name="Run the experiment").count() == 1
    assert page.get_by_role("button", name="Cancel").count() == 0
    page.reload()  # nothing was saved: a cancelled run is not the experiment's result
    wait_idle(page, 60_000)
    assert page.get_by_text("Not measured yet").count() == 1


def test_why_explains_a_validation_digit_and_follows_the_second_class(page, server):
    page.goto(f"{server}/bigpicture?other=9")
    wait_idle(page, 300_000)
    page.locator("[data-testid=stButtonGroup]").get_by_text("Why did it answer that?").click()  # the view
    page.get_by_text("It says").first.wait_for(timeout=300_000)
    wait_idle(page)
    number = page.get_by_role("spinbutton", name="Validation digit (0 to 249)")
    number.fill("179")
    number.press("Enter")
    page.get_by_text("It says 7").wait_for(timeout=60_000)
    wait_idle(page)
    assert "number=179" in page.url and "view=why" in page.url
    assert wait_for(lambda: page.locator("[data-testid=stImage] img").count() == 4)
    assert page.get_by_text("Why 7 and not 9").count() == 1
    page.screenshot(path=str(SHOTS / "bigpicture-why-1280x800.png"))
    page.get_by_role("combobox", name="Why not…").click()  # the select box: choose 1 instead
    page.get_by_role("option", name="1", exact=True).click()
    wait_idle(page)
    assert wait_for(lambda: page.get_by_text("Why 7 and not 1").count() == 1)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / "bigpicture-why-1024x768.png"))


def test_a_drawn_digit_is_explained_from_the_draw_page(page, server):
    page.goto(f"{server}/draw")
    wait_idle(page, 300_000)
    canvas = page.locator(".canvas-root canvas").last
    canvas.wait_for(timeout=120_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 40)  # a 1: one stroke down the middle
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(box["x"] + 140, box["y"] + 40 + 10 * i, steps=3)
    page.mouse.up()
    page.locator("[data-draw-guess]").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("link", name="Why did it say that?").click()
    page.get_by_text("Your drawing:").wait_for(timeout=120_000)
    wait_idle(page)
    assert wait_for(lambda: page.locator("[data-testid=stImage] img").count() == 4)
    assert page.get_by_text("Nothing drawn yet").count() == 0
    page.screenshot(path=str(SHOTS / "bigpicture-why-drawn-1280x800.png"))
    no_traceback(page)
