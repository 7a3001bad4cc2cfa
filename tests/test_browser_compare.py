"""The Compare page in real Chromium, as a person would use it."""
from __future__ import annotations

import time

from tests.browser import SHOTS, browser_marks, epoch, pause, wait_for, wait_idle

pytestmark = browser_marks()


def open_compare(page, url, query=""):
    page.goto(f"{url}/compare?{query}")
    wait_idle(page)
    page.wait_for_selector("[data-stat='Epoch']")


def maps(page) -> list[str]:
    """Each run's map, as the picture it shows."""
    return page.locator(".nn-run image").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def reached(page) -> list[str]:
    return page.locator("td[data-reached]").all_inner_texts()


def test_nine_learning_rates_train_live_every_map_changes_and_the_table_fills(page, server):
    open_compare(page, server)
    before = maps(page)
    assert len(before) == 9 and len(set(before)) == 1  # nine runs, one start: the same picture nine times
    assert reached(page) == ["–"] * 9
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 150, timeout=60), "the epoch counter did not move"
    after = maps(page)
    assert len(after) == 9 and all(a != b for a, b in zip(after, before)), "every map should have changed"
    assert len(set(after)) == 9, "nine learning rates, nine different pictures"
    filled = [t for t in reached(page) if t != "–"]
    assert len(filled) >= 4, reached(page)
    # The learning rate of 3 diverged, is marked, and stopped alone: the others went on.
    gone = page.locator(".nn-run.gone")
    assert gone.count() == 1 and "diverged at epoch" in gone.inner_text() and "3" in gone.locator(".lab").inner_text()
    assert page.locator(".nn-run.best").count() == 1 and page.locator("tr.best").count() == 1
    stopped = page.locator(".nn-run.gone image").get_attribute("href")
    paused_at = pause(page)
    assert paused_at > 150 and page.locator(".nn-run.gone image").get_attribute("href") == stopped
    page.screenshot(path=str(SHOTS / "compare-1280x800.png"))
    time.sleep(1.0)
    assert epoch(page) == paused_at  # paused means paused


def test_step_trains_every_run_one_epoch_and_reset_returns_to_the_start(page, server):
    open_compare(page, server, "vary=seed")
    start = maps(page)
    assert len(set(start)) == 9  # nine weight seeds: nine starting pictures
    for expected in (1, 2):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == expected)
        wait_idle(page)
    assert maps(page) != start
    page.get_by_role("button", name="Reset").click()
    assert wait_for(lambda: epoch(page) == 0)
    wait_idle(page)
    assert maps(page) == start


def test_choosing_what_varies_changes_the_runs_and_the_link_carries_it(page, server, browser):
    open_compare(page, server)
    page.locator(".st-key-vary input[role=combobox]").click()
    page.get_by_role("option", name="Momentum", exact=True).click()
    wait_idle(page)
    momenta = ["0", "0.3", "0.5", "0.7", "0.8", "0.9", "0.95", "0.97", "0.99"]
    # The choice's rerun may start after wait_idle saw the last one end: wait for its maps.
    labels = lambda: [t.strip() for t in page.locator(".nn-run .lab").all_inner_texts()]
    assert wait_for(lambda: labels() == momenta), labels()
    assert wait_for(lambda: "vary=momentum" in page.evaluate("location.href"))
    labels = page.locator(".nn-run .lab").all_inner_texts()
    assert "SGD + momentum" in page.locator("[data-testid=stCaptionContainer]").first.inner_text()
    link = page.url
    other = browser.new_page(viewport={"width": 1024, "height": 768})  # someone else, on a projector
    other.goto(link)
    wait_idle(other)
    other.wait_for_selector("[data-stat='Epoch']")
    assert other.locator(".nn-run .lab").all_inner_texts() == labels
    other.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(other) > 100, timeout=60)
    pause(other)
    other.screenshot(path=str(SHOTS / "compare-1024x768.png"))
    other.close()


def test_a_three_by_three_grid_of_five_classes_trains_and_every_label_shows_both_values(page, server):
    open_compare(page, server, "problem=multiclass&dataset=blobs&head=softmax_ce&classes=5&hidden=6"
                               "&vary=learning_rate&vary2=seed&speed=20")
    labels = page.locator(".nn-run .lab")
    assert labels.count() == 9
    assert labels.first.inner_text().strip() == "rate 0.003 · seed 0"
    for k in range(9):  # each label whole on the page: wrapped, never cut off with "…"
        box = labels.nth(k).evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert box[0] <= box[1], (k, box)
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: epoch(page) > 100, timeout=90)
    pause(page)
    page.screenshot(path=str(SHOTS / "compare-grid-classes-1280x800.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(0.8)
    page.screenshot(path=str(SHOTS / "compare-grid-classes-1024x768.png"))
