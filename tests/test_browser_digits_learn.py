"""The digits lab in real Chromium: one first-layer neuron's weighted sum, as pictures, for the
digit and the neuron a student chooses."""
from __future__ import annotations



from tests.browser import browser_marks, SHOTS, wait_for, wait_idle

pytestmark = browser_marks()


def choose(page, label: str, value: int) -> None:
    """Type ``value`` into the number input labelled ``label`` and wait for the page to redraw."""
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_choosing_a_digit_and_a_neuron_shows_its_weighted_sum(page, server):
    page.goto(f"{server}/digits?source=sklearn8&hidden=16&epochs=3")
    wait_idle(page, 120_000)
    assert page.get_by_text("64×16 + 16 + 16×10 + 10 = 1,210 weights and biases").count() == 1
    page.get_by_role("button", name="Train").click()
    assert wait_for(lambda: "Epoch 3 of 3" in page.locator("[data-testid=stProgress]").inner_text(), 120)
    wait_idle(page, 60_000)
    view = page.locator(".nn-ws")
    formula = view.locator(".sum")

    def pictures():
        return [img.get_attribute("src") for img in view.locator("img").all()]

    choose(page, "Validation digit to look inside (0 to 179)", 5)
    assert wait_for(lambda: "digit #5's pixels" in view.inner_text(), 30)
    choose(page, "First-layer neuron to look at (1 to 16)", 3)
    assert wait_for(lambda: formula.get_attribute("data-neuron") == "3", 30)
    before, said = pictures(), formula.inner_text()
    assert len(before) == 3 and "Σ pixel × weight =" in said and "= z =" in said and "ReLU → a =" in said
    choose(page, "First-layer neuron to look at (1 to 16)", 7)
    assert wait_for(lambda: formula.get_attribute("data-neuron") == "7", 30)
    after = pictures()
    assert after[1] == before[1]  # the same digit's pixels
    assert after[0] != before[0] and after[2] != before[2]  # another neuron's weights, so other products
    assert formula.inner_text() != said
    assert page.get_by_text("How neuron 7 of layer 1 adds up digit #5").count() == 1
    # The explanation under the pictures at the bottom of the screen: the digit going through the
    # layers stays in view above them.
    page.get_by_text("Each pixel's brightness").evaluate("e => e.scrollIntoView({block: 'end'})")
    page.wait_for_timeout(400)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "digits-weighted-sum-1280x800.png"))
