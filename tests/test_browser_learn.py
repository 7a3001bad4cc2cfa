"""How a network learns, in real Chromium at 1280×800, as a student would use it: pin a point on
the output map, click a neuron for its sum, switch on the gradients, step through one update,
click a weight for its loss curve and watch the dot move while training. Each view is saved as a
screenshot to look at."""
from __future__ import annotations

import time

import numpy as np
import pytest

from engine.toydata import make_toy_data
from tests.browser import browser_marks, epoch, open_toy, pause, SHOTS, wait_for, wait_idle

pytestmark = browser_marks()


def choose(page, view: str) -> None:
    """Open one of "How it learns"'s views."""
    page.get_by_role("radio", name=view).click()
    wait_idle(page)


def step(page, times: int) -> None:
    for n in range(1, times + 1):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == n)
        wait_idle(page)


def attr(page, selector: str, name: str) -> float:
    return float(page.locator(selector).first.get_attribute(name))


def shot(page, view: str) -> None:
    """The live view at the top of the window (the network, its panel, the numbers and the map),
    the pointer out of the way."""
    page.mouse.move(1270, 790)
    page.locator(".nn-live").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.wheel(0, -60)  # and a little of what is above it
    time.sleep(0.6)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"learn-{view}-1280x800.png"))


def test_a_click_on_the_output_map_pins_the_nearest_point(page, server):
    open_toy(page, server)
    choose(page, "A neuron's weighted sum")
    pin = ".nn-map circle.pin"
    page.locator(pin).wait_for()
    before = (attr(page, pin, "cx"), attr(page, pin, "cy"))
    box = page.locator(".nn-map image").first.bounding_box()
    u, v = 0.8, 0.55
    page.mouse.click(box["x"] + u * box["width"], box["y"] + v * box["height"])
    wait_idle(page)
    assert wait_for(lambda: (attr(page, pin, "cx"), attr(page, pin, "cy")) != before)
    # the training point nearest to where the click landed on the plane, from the same data
    where = np.array([12 * u - 6, 6 - 12 * v])
    points = make_toy_data("circle", 0.0, 0.5, 0).points_train
    k = int(np.argmin(((points - where) ** 2).sum(1)))
    image = ".nn-map image"  # the plane [−6, 6]² as drawn, in the map's own units
    x0, y0, side = attr(page, image, "x"), attr(page, image, "y"), attr(page, image, "width")
    assert attr(page, pin, "cx") == pytest.approx(x0 + (points[k, 0] + 6) / 12 * side, abs=0.06)
    assert attr(page, pin, "cy") == pytest.approx(y0 + (6 - points[k, 1]) / 12 * side, abs=0.06)
    assert page.get_by_role("spinbutton", name="Pinned point").input_value() == str(k + 1)
    assert page.locator(".nn-svg circle.pin").count() == 2 + 4 + 2 + 1  # and on every neuron's map


def test_a_click_on_a_neuron_shows_its_weighted_sum(page, server):
    open_toy(page, server)
    step(page, 3)
    page.locator(".nn-svg [data-pick='n:2:1'] rect.frame").click()
    wait_idle(page)
    formula = page.locator("[data-formula]")
    formula.wait_for()
    assert page.get_by_role("radio", name="A neuron's weighted sum").get_attribute("aria-checked") == "true"
    assert page.locator(".nn-learn-h").first.inner_text().startswith("Layer 2, neuron 2, for the pinned point")
    text = formula.inner_text()
    assert text.count("×") == 4 and "→ tanh →" in text  # four inputs from layer 1
    assert page.locator(".nn-svg g.node.on[data-pick='n:2:1']").count() == 1
    assert page.locator(".nn-act circle").count() == 1  # z and a marked on the activation
    shot(page, "sum")


def test_gradients_replace_the_weights_on_the_lines(page, server):
    open_toy(page, server)
    step(page, 3)
    titles = lambda: page.locator(".nn-svg g.w > title").all_text_contents()
    widths = lambda: [page.locator(".nn-svg g.w > line:first-child").nth(k).get_attribute("stroke-width")
                      for k in range(8)]
    assert all(t.startswith("weight ") and "∂L/∂w" not in t for t in titles())
    before = widths()
    choose(page, "Gradients")
    page.locator("[data-gradient]").wait_for()
    assert wait_for(lambda: all("∂L/∂w" in t for t in titles()))
    assert len(titles()) == 2 * 4 + 4 * 2 + 2 * 1
    assert widths() != before  # drawn by the size of the gradient now
    assert "∂L/∂w = " in page.locator("[data-gradient]").inner_text()
    shot(page, "gradients")


def test_step_through_one_update_to_the_end_and_back(page, server):
    open_toy(page, server)
    step(page, 2)
    choose(page, "One update, step by step")
    phase = lambda: page.locator("[data-phase]").first.get_attribute("data-phase")
    seen = []
    nxt = page.get_by_role("button", name="Next")
    while nxt.is_enabled():
        nxt.click()
        wait_idle(page)
        assert wait_for(lambda: page.locator("[data-phase]").count() == 1 and
                        page.locator(".nn-learn-h").first.inner_text().startswith(f"Step {len(seen) + 1} of"))
        seen.append(phase())
        if len(seen) == 6:  # backward through layer 2: the lines carry gradients, δ on the neurons
            assert page.locator(".nn-svg text.note", has_text="δ").count() == 2 + 1
            shot(page, "steps")
    assert seen == ["forward"] * 3 + ["loss"] + ["backward"] * 3 + ["update"]
    page.get_by_role("button", name="Back").click()
    wait_idle(page)
    assert wait_for(lambda: phase() == "backward")
    page.get_by_role("button", name="Done").click()
    wait_idle(page)
    assert wait_for(lambda: page.locator("[data-phase]").count() == 0)
    assert epoch(page) == 2  # nothing was trained


def test_a_weight_s_loss_curve_and_its_dot_moving_while_training(page, server):
    open_toy(page, server, "speed=5")
    step(page, 2)
    page.locator(".nn-svg g.w[data-pick='w:1:0:0'] line.hit").click()
    wait_idle(page)
    page.locator("[data-curve]").wait_for()
    assert page.get_by_role("radio", name="The loss along one weight").get_attribute("aria-checked") == "true"
    assert "weight from X₁ to layer 1, neuron 1" in page.locator(".nn-learn-h").first.inner_text()
    dot = lambda: (attr(page, "[data-dot]", "cx"), attr(page, "[data-dot]", "cy"))
    still = dot()
    page.get_by_role("button", name="Play").click()
    seen, epochs = {still}, {epoch(page)}
    end = time.monotonic() + 20
    while time.monotonic() < end and (len(seen) < 4 or len(epochs) < 4):
        time.sleep(0.25)
        seen.add(dot())
        epochs.add(epoch(page))
    assert len(epochs) >= 4, "the epoch did not advance"
    assert len(seen) >= 4, "the dot did not move while training"
    stopped = pause(page)
    held = dot()
    time.sleep(1.0)
    assert dot() == held and epoch(page) == stopped
    assert page.locator(".nn-curve circle.trail").count() >= 2  # where the weight was before
    shot(page, "curve")
