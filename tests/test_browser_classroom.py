"""Classroom features in real Chromium: copied links, teacher controls, lessons, model files."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_marks, epoch, no_traceback, open_toy, pause, SHOTS, wait_for, wait_idle

pytestmark = browser_marks()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  permissions=["clipboard-read", "clipboard-write"])
    p = context.new_page()
    yield p
    no_traceback(p)
    context.close()


def open_sidebar(page):
    button = page.locator("[data-testid=stExpandSidebarButton]")
    if button.count() and button.first.is_visible():
        button.first.click()
    page.locator("[data-testid=stSidebarContent]").wait_for()


def test_copy_link_copies_every_setting_and_the_link_reproduces_them(page, server, browser):
    open_toy(page, server, "dataset=xor&seed=4&hidden=3,2")
    page.get_by_role("button", name="Step").click()
    wait_idle(page)
    page.locator("button.nn-copy").click()
    assert wait_for(lambda: page.evaluate("window.__nnCopied || ''") != "", 10)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.evaluate("window.__nnCopied")
    from urllib.parse import parse_qs, urlsplit
    query = {k: v[0] for k, v in parse_qs(urlsplit(copied).query).items()}
    assert query == {"dataset": "xor", "seed": "4", "hidden": "3,2"}, copied
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(copied)
    wait_idle(other)
    other.wait_for_selector("[data-stat='Epoch']")
    assert other.locator(".st-key-ds_xor button[kind=primary]").count() >= 1  # the data set chosen
    assert other.get_by_text("Ignored in the link").count() == 0
    assert other.locator(".st-key-hidden_1 input").input_value() == "2"
    other.close()


def test_teacher_link_hides_and_locks_controls(page, server):
    open_toy(page, server, "hide=learning_rate&lock=dataset,play&explain=false")
    assert page.locator(".st-key-learning_rate").count() == 1  # there, but not shown
    assert not page.locator(".st-key-learning_rate").is_visible()
    assert page.locator(".st-key-noise").is_visible()
    assert page.locator(".st-key-play button").is_disabled()
    assert page.locator(".st-key-dataset input").is_disabled()
    assert page.get_by_text("Each square is one neuron").count() == 0


def test_a_lesson_opens_the_lab_and_ticks_its_goal(page, server):
    page.goto(f"{server}/lessons")
    wait_idle(page)
    lesson = page.locator(".st-key-lesson_03-xor")
    lesson.get_by_text("Start in the toy lab").click()
    page.wait_for_selector("[data-stat='Epoch']")
    wait_idle(page)
    assert "lesson=03-xor" in page.url
    assert page.locator(".nn-goal").inner_text().startswith("Goal · Exclusive or without a hidden layer")
    page.locator(".st-key-features").get_by_text("X₁X₂").click()  # the feature that solves it
    wait_idle(page)
    page.get_by_role("button", name="Play").click()
    assert wait_for(lambda: "Achieved" in page.locator(".nn-goal").inner_text(), 60), \
        page.locator(".nn-goal").inner_text()
    pause(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lesson-1280x800.png"))


def test_download_a_model_and_upload_it_to_continue_and_a_bad_file_changes_nothing(page, server, tmp_path):
    open_toy(page, server, "dataset=circle&hidden=3&seed=2")
    for k in range(4):
        page.get_by_role("button", name="Step").click()
        assert wait_for(lambda: epoch(page) == k + 1, 20)
    open_sidebar(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download this model (.npz)").click()
    saved = tmp_path / "model.npz"
    dl.value.save_as(saved)
    page.get_by_role("button", name="Reset").click()
    assert wait_for(lambda: epoch(page) == 0, 20)
    page.locator(".st-key-toy_upload input[type=file]").set_input_files(str(saved))
    assert wait_for(lambda: page.get_by_text("ready to continue training").count() == 1, 30)
    wait_idle(page)
    assert epoch(page) == 4  # the weights and the history came back
    bad = tmp_path / "broken.npz"
    bad.write_bytes(saved.read_bytes()[:200])
    page.locator(".st-key-toy_upload input[type=file]").set_input_files(str(bad))
    assert wait_for(lambda: page.get_by_text("The current model is unchanged").count() == 1, 30)
    wait_idle(page)
    assert epoch(page) == 4
    assert page.get_by_text("cannot be loaded as an nn-playground model").count() == 1


def test_two_workers_behind_one_address_each_tab_sticks_to_its_own(browser):
    """``nn-playground --workers 2``: two tabs land on different app processes (the proxy's
    cookie says which), both train live through the proxy's websocket, and a tab that goes on
    talking to the same address stays on its worker."""
    from tests.browser import app_server
    info: dict = {}
    with app_server(workers=2, info=info) as url:
        workers_pids = [int(c) for t in Path(f"/proc/{info['pid']}/task").iterdir()
                        for c in (t / "children").read_text().split()]
        assert len(workers_pids) == 2
        tabs = []
        for seed in (3, 4):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            p = context.new_page()
            open_toy(p, url, f"data_seed={seed}")
            p.get_by_role("button", name="Play").click()
            tabs.append((context, p))
        try:
            assert all(wait_for(lambda p=p: epoch(p) > 50, 120) for _, p in tabs)
            workers = [{c["name"]: c["value"] for c in ctx.cookies()}["nn_playground_worker"] for ctx, _ in tabs]
            assert sorted(workers) == ["0", "1"]
            for (context, p), worker in zip(tabs, workers):
                paused = pause(p)
                # A new run of the script: only the worker that holds this session knows its epoch.
                p.get_by_role("button", name="Step").click()
                assert wait_for(lambda p=p: epoch(p) == paused + 1, 30), (paused, epoch(p))
                assert {c["name"]: c["value"] for c in context.cookies()}["nn_playground_worker"] == worker
                no_traceback(p)
        finally:
            for context, _ in tabs:
                context.close()
    # Stopping the proxy stops its workers: none is left running on its own.
    assert wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in workers_pids), 20)


def test_under_a_base_url_path_live_frames_come_from_under_it_too(browser):
    """Served under ``--server.baseUrlPath`` (as behind a reverse proxy that forwards one path),
    with workers: the page streams from the route under that path and trains live."""
    from tests.browser import app_server
    with app_server(workers=2, base_path="class") as url:
        assert url.endswith("/class")
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        p = context.new_page()
        frames = []
        p.on("response", lambda r: frames.append((r.url, r.status)) if "/nn-live/" in r.url else None)
        try:
            open_toy(p, url)
            p.get_by_role("button", name="Play").click()
            assert wait_for(lambda: epoch(p) > 50, 120), epoch(p)
            assert frames and all(u.startswith(url + "/nn-live/") and s == 200 for u, s in frames[:20]), frames[:3]
            assert p.get_by_role("button", name="Pause").is_visible()  # still playing: no frame failed
            pause(p)
            no_traceback(p)
        finally:
            context.close()
