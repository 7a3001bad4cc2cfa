"""Your own data and three classes, in real Chromium as a student would use them: click ten
points of two classes onto the map and train until they are separated; upload a CSV file (and a
bad one, whose one sentence is read on the page while the data stay), download it back; reach the
three-class lesson's goal. Screenshots of the drawing mode and the three-class map are saved to
look at, at 1280×800 and at a projector's 1024×768."""
from __future__ import annotations

import time
from urllib.parse import parse_qs

import numpy as np
import pytest

from playground.toy.csvdata import read_csv, write_csv
from playground.toy.owndata import decode
from tests.browser import SHOTS, browser_marks, epoch, open_toy, pause, stat, wait_for, wait_idle

pytestmark = browser_marks()


def query(page) -> dict:
    """The address bar's parameters, read from the page now (``page.url`` alone may be stale)."""
    return {k: v[0] for k, v in parse_qs(page.evaluate("location.search").lstrip("?")).items()}


def click_plane(page, x: float, y: float) -> None:
    """Click the output map at (x, y) of the plane (measured afresh: the page may have moved)."""
    # In one call: the live view may redraw the map (a new element, same place) at any moment.
    box = page.evaluate("""() => { const img = document.querySelector('.nn-map image');
        const r0 = img.getBoundingClientRect();
        if (r0.top < 0 || r0.bottom > innerHeight) img.scrollIntoView({block: 'center'});
        const r = img.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height}; }""")
    page.mouse.click(box["x"] + (x + 6) / 12 * box["width"], box["y"] + (6 - y) / 12 * box["height"])


def tool(page, name: str) -> None:
    page.locator(".st-key-draw_tool button", has_text=name).click()
    wait_idle(page)


def shot(page, name: str, top: str = ".nn-live") -> None:
    """The page from ``top`` down (the live view; or the drawing tools above it), pointer out of the way."""
    page.locator(top).first.evaluate("e => e.scrollIntoView({block: 'start', behavior: 'instant'})")
    page.mouse.move(600, 400)  # over the main column: the wheel scrolls it, down to just under the navigation
    page.mouse.wheel(0, -80)
    time.sleep(0.5)
    page.mouse.move(5, 5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def test_ten_clicked_points_of_two_classes_are_learned_until_separated(server, page):
    open_toy(page, server)
    page.get_by_text("Draw data").click()
    wait_idle(page)
    # The circle's 500 points became yours: too many for a link, and the Copy-link button says so.
    note = page.locator(".nn-copy-note")
    assert wait_for(lambda: note.inner_text() == "without your points")
    assert "500 points" in note.get_attribute("title") and "points" not in query(page)
    page.get_by_role("button", name="Clear").click()
    wait_idle(page)
    assert wait_for(lambda: note.inner_text() == "")
    assert page.get_by_text("every second point you add is a test point").count() == 1
    clicks = [(-3.0, -4.0 + 2 * i, "Blue") for i in range(5)] + [(3.0, -4.0 + 2 * i, "Orange") for i in range(5)]
    for n, (x, y, colour) in enumerate(clicks, 1):
        if n == 6:  # Blue is chosen at first (a click on it would unchoose it); now Orange
            tool(page, colour)
        click_plane(page, x, y)
        assert wait_for(lambda: "points" in query(page) and decode(query(page)["points"]).n == n), n
        wait_idle(page)
    own = decode(query(page)["points"])  # the link carries them
    assert np.abs(own.points - [[x, y] for x, y, _ in clicks]).max() < 0.1
    assert own.y.tolist() == [1.0] * 5 + [-1.0] * 5  # blue is +1, orange -1
    assert own.test.tolist() == [False, True] * 5  # every second point a test point
    page.get_by_text("Show test data", exact=True).click()
    wait_idle(page)
    page.locator(".nn-map path.te").first.wait_for()  # the test points, outlined
    shot(page, "toy-draw-1280x800.png", ".st-key-draw_bar")
    page.get_by_role("button", name="Play").click()
    # Separated: every test point right, and a training loss below 0.1, which with ½(tanh z − y)²
    # over five points means each is on its own side (a point on the wrong side alone costs 0.5/5).
    assert wait_for(lambda: stat(page, "Test accuracy") == "100.0%" and float(stat(page, "Train loss")) < 0.1,
                    timeout=90), (stat(page, "Test accuracy"), stat(page, "Train loss"))
    # Live: a point added while it trains joins the data, and training goes on.
    tool(page, "Blue")
    click_plane(page, -4.5, 5.0)
    assert wait_for(lambda: decode(query(page)["points"]).n == 11)
    before = epoch(page)
    assert wait_for(lambda: epoch(page) > before + 50) and page.get_by_role("button", name="Pause").count() == 1
    pause(page)
    page.locator(".st-key-draw_tool button", has_text="Eraser").click()
    wait_idle(page)
    click_plane(page, -3.0, -4.0)  # the first blue point
    assert wait_for(lambda: decode(query(page)["points"]).n == 10)
    assert decode(query(page)["points"]).points[0].tolist() == pytest.approx([-3.0, -2.0], abs=0.1)
    page.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(0.5)
    shot(page, "toy-draw-1024x768.png", ".st-key-draw_bar")


CSV = "x1,x2,label\n" + "".join(f"{3 * np.cos(a + 2.1 * k):.3f},{3 * np.sin(a + 2.1 * k):.3f},{name}\n"
                                for a in np.linspace(0, 0.8, 20) for k, name in enumerate(["ant", "bee", "cat"]))


def test_a_csv_file_uploaded_downloaded_and_a_bad_one_refused(server, page, tmp_path):
    good, bad = tmp_path / "three.csv", tmp_path / "bad.csv"
    good.write_text(CSV)
    bad.write_text("x1,x2,label\n1,2,ant\n3,abc,bee\n5,6,cat\n7,8,ant\n")
    open_toy(page, server)
    page.get_by_text("CSV file").click()
    page.locator(".st-key-toy_csv input[type=file]") \
        .set_input_files(str(good))
    said = page.get_by_text("Loaded 60 points from three.csv: 3 classes (ant, bee, cat), 30 for training and 30 for "
                            "testing.")
    said.wait_for(timeout=60_000)
    wait_idle(page)
    assert query(page)["problem"] == "multiclass" and query(page)["dataset"] == "own"
    points = query(page)["points"]
    assert decode(points).names == ("ant", "bee", "cat")
    page.locator(".nn-confusion").first.wait_for()
    assert page.locator(".nn-svg text", has_text="bee").count() == 1  # an output neuron per class, named
    # A bad file: its one sentence, and the data stay as they were.
    page.locator(".st-key-toy_csv input[type=file]").set_input_files(str(bad))
    page.get_by_text("bad.csv was not loaded: row 3, column 2 (x2): 'abc' is not a number.").wait_for(timeout=60_000)
    wait_idle(page)
    assert query(page)["points"] == points and page.locator(".nn-svg text", has_text="bee").count() == 1
    # Download: the file is the data, and uploading it back changes nothing.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the data").click()
    downloaded = tmp_path / "back.csv"
    info.value.save_as(downloaded)
    back, _ = read_csv(downloaded.read_bytes())
    first, _ = read_csv(good.read_bytes())
    assert downloaded.read_bytes() == write_csv(back) and np.array_equal(back.points, first.points)
    assert np.array_equal(back.y, first.y) and np.array_equal(back.test, first.test)
    page.locator(".st-key-toy_csv input[type=file]").set_input_files(str(downloaded))
    page.get_by_text("Loaded 60 points from back.csv").wait_for(timeout=60_000)
    wait_idle(page)
    assert query(page)["points"] == points


def test_the_three_class_lesson_goal_is_reached(server, page):
    open_toy(page, server, "lesson=15-three-classes&problem=multiclass&dataset=arms&head=softmax_ce&hidden=")
    page.get_by_text("Goal · Three classes").first.wait_for()
    assert page.locator(".nn-svg text", has_text="class 3").count() == 1  # three output neurons
    for key, value, then in (("hidden", "2", "4,4"), ("hidden_0", "8", "8,4"), ("hidden_1", "8", "8,8")):
        box = page.locator(f".st-key-{key} input")  # two hidden layers, of 8 neurons each
        box.fill(value)
        box.press("Enter")
        assert wait_for(lambda: query(page).get("hidden") == then), (key, query(page))
        wait_idle(page)
    page.get_by_role("button", name="Play").click()
    page.locator(".nn-goal-done").first.wait_for(timeout=120_000)
    pause(page)
    shot(page, "toy-three-classes-1280x800.png")
    page.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(0.5)
    shot(page, "toy-three-classes-1024x768.png")


def test_a_click_while_drawing_on_a_generated_set_adds_to_its_points(server, page):
    """Drawing on, then a data set's picture chosen: a click on the map makes its points yours and
    adds one (nothing is lost, and the data set's choice says "Your data")."""
    open_toy(page, server, "dataset=xor")
    page.get_by_text("Draw data").click()
    wait_idle(page)
    page.locator(".st-key-ds_gauss button").first.click()  # the Gaussian data set, drawing still on
    assert wait_for(lambda: query(page).get("dataset") == "gauss")  # its rerun may start after a wait_idle
    wait_idle(page)
    click_plane(page, 0.0, 0.0)
    assert wait_for(lambda: query(page).get("dataset") == "own")
    wait_idle(page)
    assert page.locator(".st-key-ds_own button[kind=primary]").count() >= 1  # "Your data" is the one chosen
    time.sleep(1.0)
    assert query(page).get("dataset") == "own"  # and it stays so (the widgets followed the click)
    assert page.locator(".nn-copy-note").inner_text() == "without your points"  # 501 points
