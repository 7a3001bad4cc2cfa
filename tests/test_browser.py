"""The toy lab in real Chromium, driven by Playwright, as a person would use it."""
from __future__ import annotations

import time

import pytest

from tests.browser import browser_marks, epoch, no_traceback, open_toy, pause, SHOTS, stat, wait_for, wait_idle

pytestmark = browser_marks()


def map_image(page) -> str:
    return page.locator(".nn-map image").first.get_attribute("href")


def test_play_trains_live_and_pause_stops_it(page, server):
    open_toy(page, server)
    first_map, first_loss = map_image(page), stat(page, "Train loss")
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 50), "the epoch counter did not move"
    assert map_image(page) != first_map and stat(page, "Train loss") != first_loss
    seen = {epoch(page)}
    time.sleep(0.5)
    seen.add(epoch(page))
    assert len(seen) == 2, "the counter should keep moving while playing"
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    wait_idle(page)
    time.sleep(0.5)
    paused_epoch, paused_map, paused_chart = epoch(page), map_image(page), page.locator(".nn-loss").inner_html()
    time.sleep(2.0)
    assert epoch(page) == paused_epoch
    assert map_image(page) == paused_map and page.locator(".nn-loss").inner_html() == paused_chart


def test_step_trains_exactly_one_epoch(page, server):
    open_toy(page, server)
    for expected in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == expected)
        wait_idle(page)
    time.sleep(1)
    assert epoch(page) == 3


def test_learning_rate_change_while_paused_keeps_epoch_and_history(page, server):
    open_toy(page, server)
    for expected in (1, 2):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == expected)
    wait_idle(page)
    chart = page.locator(".nn-loss polyline").first.get_attribute("points")
    slider = page.locator(".stSlider", has_text="Learning rate").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")  # 0.03 -> 0.1
    wait_idle(page)
    assert wait_for(lambda: page.locator(".stSlider", has_text="Learning rate").inner_text().count("0.1") > 0)
    time.sleep(0.5)
    assert epoch(page) == 2
    assert page.locator(".nn-loss polyline").first.get_attribute("points") == chart
    page.get_by_role("button", name="Step").click()
    assert wait_for(lambda: epoch(page) == 3)


def test_adding_a_layer_resets_and_the_diagram_shows_it(page, server):
    open_toy(page, server)
    page.get_by_role("button", name="Step").click()
    assert wait_for(lambda: epoch(page) == 1)
    assert page.locator(".nn-svg text", has_text="Layer 3").count() == 0
    page.locator("[data-testid=stNumberInput]", has_text="Hidden layers").get_by_test_id("stNumberInputStepUp").click()
    wait_idle(page)
    assert wait_for(lambda: page.locator(".nn-svg text", has_text="Layer 3").count() == 1)
    assert epoch(page) == 0
    assert page.locator(".nn-svg .node").count() == 2 + 4 + 2 + 4 + 1


def test_learning_rate_10_on_the_spiral_shows_the_divergence_banner(page, server):
    open_toy(page, server, "dataset=spiral&hidden=8,8&learning_rate=10")
    page.get_by_role("button", name="Play").click()
    banner = page.locator("[data-testid=stAlert]", has_text="diverged")
    banner.wait_for(timeout=30_000)
    assert "learning rate" in banner.inner_text().lower()
    page.get_by_role("button", name="Play").wait_for()  # never "Pause" while nothing trains
    stopped = epoch(page)
    page.get_by_role("button", name="Go on with learning rate 1").click()
    wait_idle(page)
    assert wait_for(lambda: page.locator("[data-testid=stAlert]", has_text="diverged").count() == 0)
    assert epoch(page) == stopped  # from the last good weights, not from the start
    page.get_by_role("button", name="Step").click()
    wait_idle(page)
    assert wait_for(lambda: epoch(page) == stopped + 1)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (1024, 768)])
def test_screenshots(browser, server, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    open_toy(page, server, "dataset=spiral&hidden=8,6&features=x1,x2,sinx1,sinx2&speed=50&show_test=true")
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 400)
    pause(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"toy-lab-{size[0]}x{size[1]}.png"))
    no_traceback(page)
    page.close()


def test_hovering_a_neuron_shows_its_map_large_and_weights_carry_their_values(page, server):
    open_toy(page, server)
    frame = page.locator(".nn-svg .node > rect[fill=transparent]").nth(3)  # layer 1, neuron 2
    zoom = "getComputedStyle(document.querySelector('#nn-z3')).display"
    assert page.evaluate(zoom) == "none"
    bb = frame.bounding_box()
    page.mouse.move(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2)
    assert wait_for(lambda: page.evaluate(zoom) == "inline", 5)
    big = page.locator("#nn-z3 > rect").bounding_box()
    assert big["width"] > 3 * bb["width"]
    page.mouse.move(5, 5)
    assert wait_for(lambda: page.evaluate(zoom) == "none", 5)
    assert page.locator(".nn-svg .w title").first.text_content().startswith("weight ")


def test_digits_lab_trains_and_the_layer_images_change(page, server):
    page.goto(f"{server}/digits?hidden=64&epochs=3")
    wait_idle(page, 120_000)
    charts = page.locator("[data-testid=stPlotlyChart]")
    charts.first.wait_for()

    def layer_image():  # the plot of layer 1's activations for the chosen digit
        return page.locator("[data-testid=stPlotlyChart]", has_text="layer 1").locator("image").first.get_attribute("href")

    def loss_curve():
        return page.locator("[data-testid=stPlotlyChart]", has_text="loss").locator("path.js-line").first.get_attribute("d")

    before_img, before_curve = layer_image(), loss_curve()
    page.get_by_role("button", name="Train").click()
    assert wait_for(lambda: "Epoch 3 of 3" in page.locator("[data-testid=stProgress]").inner_text(), 120)
    wait_idle(page, 60_000)
    assert wait_for(lambda: layer_image() != before_img and loss_curve() != before_curve, 30)
    page.get_by_text("Confusion matrix").wait_for(timeout=30_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "digits-lab-1280x800.png"), full_page=True)


def draw(page, strokes):
    """Draw ``strokes`` (lists of (x, y) in canvas pixels, 0 to 280) with the mouse."""
    canvas = page.locator(".canvas-root canvas").last
    canvas.wait_for(timeout=60_000)
    box = canvas.bounding_box()
    for points in strokes:
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
        page.mouse.up()


def guess(page):
    """The digit the page reads, or None: in one call (a count then a read could race a redraw
    that removes the element in between, and the read would then wait 30 s for it)."""
    return page.locator("[data-draw-guess]").evaluate_all(
        "els => els.length ? els[0].getAttribute('data-draw-guess') : null")


def test_draw_a_one_and_a_zero_and_see_them_read(page, server):
    import math
    page.goto(f"{server}/draw")
    wait_idle(page, 180_000)
    assert page.get_by_text("Draw a digit, 0 to 9").count() == 1  # an empty canvas shows a hint
    draw(page, [[(150, 40 + 10 * i) for i in range(21)]])  # a "1": one stroke down
    assert wait_for(lambda: guess(page) == "1", 30), guess(page)
    page.get_by_role("button", name="Clear").click()
    wait_idle(page)
    assert wait_for(lambda: guess(page) is None, 15)
    ring = [(140 + 60 * math.sin(t / 24 * 2 * math.pi), 140 - 95 * math.cos(t / 24 * 2 * math.pi)) for t in range(26)]
    draw(page, [ring])  # a "0": one oval
    assert wait_for(lambda: guess(page) == "0", 30), guess(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "draw-1280x800.png"))


def test_clicking_a_data_set_picture_chooses_that_data_set(page, server):
    open_toy(page, server)
    page.get_by_role("button", name="Exclusive or").first.click()
    page.wait_for_function("location.search.includes('dataset=xor')")  # the link follows the choice
    wait_idle(page)
    assert page.get_by_label("Data set").input_value() == "Exclusive or"
    assert page.locator(".st-key-ds_xor button[kind=primary]").count() >= 1 and epoch(page) == 0


def test_the_digits_progress_line_advances_with_the_epochs(page, server):
    """While training (not only once done): the bar said "Epoch 0 of 40" while the Epoch figure read 14."""
    import re
    page.goto(f"{server}/digits?source=sklearn8&hidden=16&epochs=60")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    metric = page.locator("[data-testid=stMetricValue]").first
    assert wait_for(lambda: metric.count() and int(metric.inner_text()) >= 3, 120)
    bar = page.locator("[data-testid=stProgress]")
    shown = int(re.search(r"Epoch (\d+) of 60", bar.first.inner_text()).group(1))
    assert shown >= 2 and bar.count() == 1  # it moves with the epochs, redrawn in place
    page.get_by_role("button", name="Pause").click()
    wait_idle(page)



def test_on_a_projector_the_toolbar_reads_in_full_and_the_network_and_map_are_on_screen(browser, server):
    """At 1024×768 the buttons read "P… S. R…" and the network and the output map were never on the
    screen together."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    open_toy(page, server)
    for name in ("Play", "Step", "Reset"):
        button = page.get_by_role("button", name=name)
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth")  # the words are not cut
        assert name in button.inner_text()
    for selector in (".nn-svg", ".nn-map", "[data-stat='Epoch']"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 768, selector  # in view, unscrolled
    page.close()


def test_on_a_phone_play_and_the_network_share_one_column(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    open_toy(page, server)
    play = page.get_by_role("button", name="Play").bounding_box()
    step = page.get_by_role("button", name="Step").bounding_box()
    assert abs(play["y"] - step["y"]) < 5  # side by side
    network = page.locator(".nn-svg").bounding_box()
    data = page.get_by_text("Data", exact=True).bounding_box()
    assert network["y"] < data["y"]  # the network before the data's settings
    assert network["x"] + network["width"] <= 390 + 1  # nothing runs off the right edge
    page.screenshot(path=str(SHOTS / "toy-lab-390x844.png"))
    page.close()
