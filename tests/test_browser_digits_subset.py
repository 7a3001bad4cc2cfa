"""The digits lab in real Chromium: choosing only 7, 8 and 9 (three probability bars, a 3×3
confusion matrix, and the draw page reading with only those digits), and a training set short of
one digit (the per-class bars show the harm)."""
from __future__ import annotations

import math
import re

import pytest

from tests.browser import SHOTS, browser_marks, no_traceback, wait_for, wait_idle

pytestmark = browser_marks()


def trained(page, epochs: int) -> None:
    page.get_by_role("button", name="Train").click()
    assert wait_for(lambda: f"Epoch {epochs} of {epochs}" in page.locator("[data-testid=stProgress]").inner_text(), 180)
    wait_idle(page, 60_000)
    page.get_by_text("Confusion matrix").wait_for(timeout=60_000)


def ticks(page, key: str, axis: str) -> list[str]:
    """A chart's tick labels, once Plotly has drawn it (charts are drawn as they scroll into view)."""
    loc = page.locator(f".st-key-{key} .{axis}tick text")
    wait_for(lambda: loc.count() > 0, 30)
    return loc.evaluate_all("els => els.map(e => e.textContent)")  # SVG text has no innerText


def chosen(page) -> list[int]:
    """The digits the link says are chosen (read from the page: ``page.url`` alone is stale)."""
    query = page.evaluate("Object.fromEntries(new URLSearchParams(location.search))")
    return [int(d) for d in query.get("classes", "0,1,2,3,4,5,6,7,8,9").split(",")]


def choose_only(page, digits) -> None:
    """Click the "Digits to learn" pills until only ``digits`` are chosen."""
    for d in range(10):
        pill = page.locator(".st-key-classes button").filter(has_text=re.compile(f"^{d}$"))
        if (pill.get_attribute("aria-pressed") == "true") != (d in digits):
            pill.click()
            # the link follows each choice once the page has taken it: then the next click
            assert wait_for(lambda: (d in chosen(page)) == (d in digits), 60), page.url
            wait_idle(page, 120_000)


def set_slider(page, label: str, target: int) -> None:
    """Move the slider to its lowest value with Home, then up to ``target`` one arrow key at a time,
    each key once the page has taken the last (keys pressed during a rerun can be lost)."""
    thumb = page.get_by_role("slider", name=label)
    for key in ["Home"] + ["ArrowRight"] * target:
        before = thumb.input_value()
        thumb.focus()
        page.keyboard.press(key)
        wait_for(lambda: thumb.input_value() != before, 10)
        page.wait_for_timeout(300)
        wait_idle(page, 120_000)
    assert thumb.input_value() == str(target)


def test_choosing_7_8_9_trains_three_outputs_and_the_draw_page_reads_only_those(page, server):
    page.goto(f"{server}/digits?hidden=64&epochs=4")
    wait_idle(page, 180_000)
    assert ticks(page, "dg_probs", "x") == [str(d) for d in range(10)]
    choose_only(page, (7, 8, 9))
    assert chosen(page) == [7, 8, 9]
    assert page.get_by_text("784×64 + 64 + 64×3 + 3 = 50,435 weights and biases").count() == 1
    trained(page, 4)
    assert ticks(page, "dg_probs", "x") == ["7", "8", "9"]  # three probability bars
    assert page.locator(".st-key-dg_probs g.point").count() == 3
    assert ticks(page, "dg_confusion", "x") == ["7", "8", "9"]  # 3 × 3: three answers, three true digits
    assert sorted(ticks(page, "dg_confusion", "y")) == ["7", "8", "9"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for w, h in [(1280, 800), (1024, 768)]:  # the answer's three bars, then the 3 × 3 results
        page.set_viewport_size({"width": w, "height": h})
        for name, text, where in [("", "The network's answer", "center"), ("-results", "Confusion matrix", "start")]:
            page.get_by_text(text).first.evaluate(f"e => e.scrollIntoView({{block: '{where}'}})")
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / f"digits-789{name}-{w}x{h}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    # The draw page with this model: only its three digits.
    page.get_by_role("link", name="Draw a digit").first.click()
    wait_idle(page, 300_000)
    page.get_by_text("Use my digits-lab model").click(timeout=300_000)  # after the default model trained, once
    wait_idle(page, 60_000)
    assert wait_for(lambda: page.get_by_text("Draw a digit, 7, 8 or 9").count() == 1, 30)
    draw_ring(page)
    guess = lambda: page.locator("[data-draw-guess]").evaluate_all(  # noqa: E731
        "els => els.length ? els[0].getAttribute('data-draw-guess') : null")
    assert wait_for(lambda: guess() is not None, 30)
    assert guess() in ("7", "8", "9")  # a 0 drawn, but it knows only three digits
    assert page.locator(".nn-bars .nn-bar span").all_inner_texts() == ["7", "8", "9"]
    assert page.locator("[data-draw-classes='7,8,9']").count() == 1
    page.screenshot(path=str(SHOTS / "draw-789-1280x800.png"))


def draw_ring(page) -> None:
    """A "0" on the canvas: one oval stroke."""
    ring = [(140 + 55 * math.sin(t / 24 * 2 * math.pi), 140 - 95 * math.cos(t / 24 * 2 * math.pi)) for t in range(26)]
    canvas = page.locator(".canvas-root canvas").last
    canvas.wait_for(timeout=60_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + ring[0][0], box["y"] + ring[0][1])
    page.mouse.down()
    for x, y in ring[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    page.mouse.up()


def test_a_model_file_saved_from_the_digits_lab_reads_drawings_with_only_its_digits(page, server, tmp_path):
    from playground.digits.run import DigitsRun
    from playground.digits.settings import DigitsSettings
    run = DigitsRun(DigitsSettings(classes=(7, 8, 9), hidden=(32,), epochs=2))
    run.train(2)
    good = tmp_path / "seven-eight-nine.npz"
    good.write_bytes(run.to_file())
    small = tmp_path / "eight-by-eight.npz"
    small.write_bytes(DigitsRun(DigitsSettings(source="sklearn8", hidden=(8,))).to_file())
    page.goto(f"{server}/draw")
    wait_idle(page, 300_000)
    if page.locator("[data-testid=stExpandSidebarButton]").count():
        page.locator("[data-testid=stExpandSidebarButton]").click()
    upload = page.locator("[data-testid=stSidebar] input[type=file]")
    upload.set_input_files(str(small))
    said = page.locator("[data-testid=stSidebar] [data-testid=stAlert]")
    assert wait_for(lambda: said.count() == 1, 60)
    assert said.inner_text().startswith("This model reads 8×8 digits, and a drawing is prepared as 28×28 pixels")
    upload.set_input_files(str(good))
    assert wait_for(lambda: page.get_by_text("it knows the digits 7, 8, 9").count() == 1, 60)
    wait_idle(page, 60_000)
    assert page.get_by_text("Draw a digit, 7, 8 or 9").count() == 1
    draw_ring(page)
    assert wait_for(lambda: page.locator(".nn-bars .nn-bar span").count() == 3, 30)
    assert page.locator(".nn-bars .nn-bar span").all_inner_texts() == ["7", "8", "9"]
    assert page.locator("[data-draw-guess]").get_attribute("data-draw-guess") in ("7", "8", "9")
    page.screenshot(path=str(SHOTS / "draw-789-file-1280x800.png"))
    page.get_by_role("button", name="Back to the built-in model").click()
    wait_idle(page, 60_000)
    assert wait_for(lambda: page.locator(".nn-bars .nn-bar span").count() in (0, 10), 30)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_a_training_set_short_of_5s_shows_the_harm_in_the_per_class_bars(browser, server, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{server}/digits?hidden=64&epochs=6")
    wait_idle(page, 180_000)
    page.locator(".st-key-bias_digit", has_text="Fewer examples of").wait_for(timeout=120_000)
    assert page.locator(".st-key-bias_digit input").input_value() == "5"  # by default
    set_slider(page, "Keep only this % of the 5s", 2)
    assert wait_for(lambda: "bias_keep=2" in page.evaluate("location.search"), 30), page.url
    progress = page.locator("[data-testid=stProgress]")
    assert wait_for(lambda: "4,065 training digits (only 9 of the 444 5s)" in progress.inner_text(), 30)
    trained(page, 6)
    bars = page.locator(".st-key-dg_class_acc")
    assert sorted(ticks(page, "dg_class_acc", "y")) == [str(d) for d in range(10)]
    assert bars.locator("g.point").count() == 10
    orange = bars.locator("g.point path[style*='rgb(245, 147, 34)']")
    assert orange.count() == 1  # one bar in orange: the 5s, level with the tick "5"
    tick = bars.locator(".ytick text").filter(has_text=re.compile("^5$")).bounding_box()
    bar = orange.bounding_box()
    assert abs((bar["y"] + bar["height"] / 2) - (tick["y"] + tick["height"] / 2)) < bar["height"] / 2
    said = page.get_by_text("The training set kept 9 of its 444 5s")
    assert said.count() == 1
    text = said.inner_text()
    right = int(text.split("gets ")[1].split("%")[0])
    others = int(text.split("against ")[1].split("%")[0])
    assert right < others - 20, text  # the 5s suffer, and the sentence says so from the numbers
    assert "answers most often in their place" in text
    bars.scroll_into_view_if_needed()
    page.get_by_text("Right answers for each digit").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(600)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"digits-bias-{size[0]}x{size[1]}.png"))
    no_traceback(page)
    page.close()
