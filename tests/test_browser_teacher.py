"""The teacher's view in real Chromium: ``nn-playground --class`` started as a teacher starts it, the
teacher's page and three students' tabs (each its own browser: its own cookies). The cards appear, a
goal reached shows on the teacher's page, a sent link reaches the students, the pause stops their
training, and a drawing sent from the draw page appears on the class board."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from playground.classroom.store import SQLiteStore
from playground.server.cli import free_port
from tests.browser import SHOTS, browser_marks, no_traceback, wait_for, wait_idle

pytestmark = browser_marks()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
XOR_SOLVED = "?lesson=03-xor&dataset=xor&features=x1,x2,x1x2&hidden=&learning_rate=0.03&lock=hidden"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """(students' address, teacher's address) of ``nn-playground --class``, its store in a folder of
    the test's own."""
    folder = tmp_path_factory.mktemp("class")
    port = free_port()
    log = open(folder / "out.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "playground.server.cli", "--class", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NN_PLAYGROUND_CACHE": str(folder)})
    base = f"http://127.0.0.1:{port}"
    try:
        teacher = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = (folder / "out.log").read_text()
            found = re.search(r"teacher's page \(keep this address to yourself\): (http://\S+)", text)
            if found and teacher is None:
                teacher = found.group(1).replace("localhost", "127.0.0.1")
            try:
                if teacher and urllib.request.urlopen(base + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None, text
            time.sleep(0.2)
        assert teacher and teacher.startswith(base + "/class?key="), (folder / "out.log").read_text()
        yield base, teacher, folder
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture
def tabs(browser):
    contexts = []

    def new(width=1280, height=800):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()
    yield new
    for c in contexts:
        for p in c.pages:
            no_traceback(p)
        c.close()


def nickname(page) -> str:
    label = page.locator(".st-key-class_bar [data-testid=stPopover] button").first
    label.wait_for(timeout=60_000)
    return re.search(r"In class as (.+)", label.inner_text()).group(1).strip()


def card(teacher, nick: str):
    return teacher.locator(f".nn-card[data-nick='{nick}']")


def draw_a_one(page):
    canvas = page.locator(".canvas-root canvas").last
    canvas.wait_for(timeout=180_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 150, box["y"] + 40)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(box["x"] + 150, box["y"] + 40 + 10 * i, steps=3)
    page.mouse.up()


def _tried(action) -> bool:
    try:
        return action()
    except Exception:  # a Playwright timeout: the caller tries again
        return False


def test_a_teacher_and_three_students(classroom, tabs):
    base, teacher_url, folder = classroom
    # Without the key, or with a wrong one: one sentence, no cards.
    stranger = tabs()
    stranger.goto(base + "/class?key=not-the-key")
    wait_idle(stranger)
    assert stranger.get_by_text("This page is for the teacher").count() == 1
    assert stranger.locator(".nn-card").count() == 0 and stranger.get_by_text("The class, live").count() == 0

    a, b, c = tabs(), tabs(), tabs()
    a.goto(f"{base}/{XOR_SOLVED}")
    b.goto(f"{base}/glossary")
    c.goto(f"{base}/draw")
    for s in (a, b, c):
        wait_idle(s, 180_000)
    nicks = [nickname(s) for s in (a, b, c)]
    assert len(set(nicks)) == 3, nicks

    teacher = tabs()
    teacher.goto(teacher_url)
    wait_idle(teacher)
    assert "key=" not in teacher.url  # taken out of the address bar the projector shows
    assert wait_for(lambda: teacher.locator(".nn-card").count() == 3, 30), teacher.locator(".nn-card").count()
    assert "Glossary" in card(teacher, nicks[1]).inner_text()

    # A goal reached shows on the teacher's page.
    a.get_by_role("button", name="Play").click()
    assert wait_for(lambda: card(teacher, nicks[0]).get_attribute("class") == "nn-card done", 90), \
        card(teacher, nicks[0]).inner_text()
    assert "Goal at epoch" in card(teacher, nicks[0]).inner_text()
    assert "1 reached" in teacher.locator(".nn-sum").inner_text() or "<b>1</b>" in teacher.locator(".nn-sum").inner_html()

    # Pause everyone: the training student's Play button comes back; resume: it trains again.
    teacher.get_by_role("button", name="Pause everyone").click()
    wait_idle(teacher)
    assert wait_for(lambda: a.get_by_text("Your teacher paused the class").count() == 1, 15)
    assert wait_for(lambda: a.get_by_role("button", name="Play").count() == 1, 15)
    teacher.get_by_role("button", name="Resume everyone").click()
    wait_idle(teacher)
    assert wait_for(lambda: a.get_by_role("button", name="Pause").count() == 1, 15)

    # A sent link reaches every student at once; Open opens it.
    teacher.get_by_role("button", name="Send").first.click()  # the lesson chosen: 1. One neuron ...
    wait_idle(teacher)
    for s in (a, b, c):
        assert wait_for(lambda: s.get_by_text("Your teacher sent:").count() == 1, 15)
    b.get_by_role("link", name="Open").click()
    assert wait_for(lambda: "lesson=01-" in b.evaluate("location.href"), 30), b.evaluate("location.href")
    b.wait_for_selector("[data-stat='Epoch']", timeout=60_000)

    # A drawing sent from the draw page appears on the class board.
    draw_a_one(c)
    wait_idle(c)
    c.get_by_text("Send to the class board").click()
    wait_idle(c)
    option = c.get_by_role("option", name="1", exact=True)

    def choose_one() -> bool:  # the list may close if a rerun lands meanwhile: open it again
        if not option.count():
            c.get_by_label("The digit you meant").click()
            option.first.wait_for(timeout=3000)
        option.first.click()
        return True
    assert wait_for(lambda: _tried(choose_one), 30)
    wait_idle(c)
    c.screenshot(path=str(SHOTS / "draw-send-to-class-1280x800.png"))
    c.locator(".st-key-class_send_drawing button").click()
    assert wait_for(lambda: c.get_by_text("Sent your 1 to the class board.").count() == 1, 30)
    teacher.get_by_role("tab", name="Class drawings board").click()
    assert wait_for(lambda: teacher.locator(".nn-draw").count() == 1, 90)
    board = teacher.locator(".nn-draw").first
    assert board.get_attribute("data-digit") == "1" and nicks[2] in board.inner_text()
    assert teacher.get_by_text("1 drawing").count() >= 1

    # Seven more arrive while the board is open: its fine-tune button wakes up without a click.
    tune = ".st-key-class_tune button"  # (a fragment's rerun may briefly show its last copy beside the new one)
    assert teacher.locator(tune + "[disabled]").count() >= 1 and teacher.locator(tune + ":not([disabled])").count() == 0
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 13:16] = 1.0
    with SQLiteStore(folder / "class" / "class.sqlite3") as store:
        for k in range(7):
            store.add_drawing(f"x{k}", f"extra {k}", 1, bar)
    assert wait_for(lambda: teacher.locator(".nn-draw").count() == 8
                    and teacher.locator(tune + ":not([disabled])").count() >= 1, 30)

    teacher.get_by_role("tab", name="Students").click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    teacher.screenshot(path=str(SHOTS / "teacher-1280x800.png"))
    teacher.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(1.5)
    teacher.screenshot(path=str(SHOTS / "teacher-1024x768.png"))
    a.screenshot(path=str(SHOTS / "student-in-class-1280x800.png"))
