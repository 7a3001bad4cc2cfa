"""Draw-a-digit quality bar: the default model reads digits rendered from the installed fonts
(several sizes, stroke widths, slants and positions on a 280×280 canvas), through the same
preparation code the page uses. No training step ever sees these images. Then its calibration:
the expected calibration error before and after temperature scaling, on those digits and on the
official MNIST test set.

Run with ``make bench``.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.digits import TEST_SET  # noqa: E402
from benchmarks.fontdigits import font_digits, installed_fonts  # noqa: E402
from engine.calibrate import expected_calibration_error, softmax_t  # noqa: E402
from engine.default_model import CALIBRATION, train_default  # noqa: E402
from engine.digits_data import load_mnist_test  # noqa: E402
from engine.mnistify import mnistify  # noqa: E402
from engine.model import forward  # noqa: E402


def calibration(sets: dict[str, tuple[np.ndarray, np.ndarray]], temperature: float) -> None:
    """Per set of (logits, labels): accuracy, ECE (15 bins) at T = 1 and at ``temperature``, and
    how often the page's "almost certain" (above 99 %) is said and right."""
    held = 10 * CALIBRATION["per_digit"]
    print(f"\ncalibration: temperature {temperature:.3f}, fitted on the {held} embedded digits held out of training; "
          "expected calibration error over 15 equal-width confidence bins")
    print(f"| digits | accuracy (any T) | ECE, T = 1 | ECE, T = {temperature:.2f} | mean confidence, T = 1 → scaled | "
          "read 'almost certain' (> 99 %, scaled): share, right |\n|---|---:|---:|---:|---:|---:|")
    for name, (z, y) in sets.items():
        before, after = softmax_t(z), softmax_t(z, temperature)
        sure = after.max(1) > 0.99
        right = after.argmax(1) == y
        print(f"| {name} | {right.mean():.2%} | {expected_calibration_error(before, y):.2%} | "
              f"{expected_calibration_error(after, y):.2%} | {before.max(1).mean():.1%} → {after.max(1).mean():.1%} | "
              f"{sure.mean():.0%}, {right[sure].mean():.2%} |")


def main():
    fonts = installed_fonts()
    if not fonts:
        print("skipped: fc-list finds no fonts on this machine")
        return
    t = time.perf_counter()
    params, spec, temperature = train_default()
    trained = time.perf_counter() - t
    images, labels, names = [], [], []
    for img, digit, name in font_digits(fonts=fonts):
        images.append(mnistify(img).reshape(-1))
        labels.append(digit)
        names.append(name)
    logits = np.asarray(forward(params, spec, jnp.asarray(np.stack(images))))  # (1200, 10)
    pred = logits.argmax(1)
    labels = np.array(labels)
    acc = float((pred == labels).mean())
    per_digit = {d: float((pred[labels == d] == d).mean()) for d in range(10)}
    confusions = Counter((int(a), int(b)) for a, b in zip(labels, pred) if a != b).most_common(5)
    held = 10 * CALIBRATION["per_digit"]
    print(f"default model trained in {trained:.1f} s on the 5,000 embedded digits less {held} held out to calibrate it")
    print(f"{len(labels)} font-rendered digits from {len(fonts)} fonts: {acc:.1%} read correctly (target ≥ 90 %)")
    print("per digit: " + ", ".join(f"{d}: {v:.0%}" for d, v in per_digit.items()))
    print("most common mistakes (true, read): " + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in confusions))
    sets = {}
    if TEST_SET.exists():
        x_test, y_test = load_mnist_test(TEST_SET)
        sets["official MNIST test set, 10,000"] = (np.asarray(forward(params, spec, jnp.asarray(x_test))), y_test)
    else:
        print(f"(the official MNIST test set is not at {TEST_SET}: calibration on the font digits only)")
    sets[f"font-rendered, {len(labels):,}"] = (logits, labels)
    calibration(sets, temperature)


if __name__ == "__main__":
    main()


SEEN = ".nn-draw .nn-fig img"


WS_HOOK = """window.__sent = []; const Orig = window.WebSocket;
window.WebSocket = function (...a) { const w = new Orig(...a); const send = w.send.bind(w);
  w.send = (d) => { window.__sent.push(performance.now()); send(d); }; return w; };
window.WebSocket.prototype = Orig.prototype; Object.assign(window.WebSocket, Orig);"""


def latency(strokes: int = 20) -> tuple[list[float], list[float]]:
    """Per stroke, in Chromium: milliseconds from the end of the stroke (mouse up) to the new
    reading on screen, and from the canvas sending the drawing to the new reading on screen."""
    from tests.browser import app_server, chromium, wait_idle
    times, ours = [], []
    with app_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.add_init_script(WS_HOOK)
        page.goto(f"{url}/draw")
        wait_idle(page, 180_000)
        canvas = page.locator(".canvas-root canvas").last
        canvas.wait_for(timeout=60_000)
        box = canvas.bounding_box()
        rng = np.random.default_rng(0)
        for k in range(strokes + 1):
            x, y = rng.uniform(40, 240, 2)
            before = page.locator(SEEN).first.get_attribute("src") if page.locator(SEEN).count() else None
            page.mouse.move(box["x"] + x, box["y"] + y)
            page.mouse.down()
            page.mouse.move(box["x"] + x + rng.uniform(-30, 30), box["y"] + y + 40, steps=4)
            page.evaluate("window.__sent = []; window.__up = performance.now()")
            t = time.perf_counter()
            page.mouse.up()
            page.wait_for_function(
                "prev => { const e = document.querySelector('.nn-draw .nn-fig img');"
                " return !!e && e.getAttribute('src') !== prev; }", arg=before, polling=5, timeout=30_000)
            done = page.evaluate("performance.now()")
            sent = page.evaluate("window.__sent.length ? window.__sent[0] : null")
            if k:  # the first stroke also starts the page's first reading: not counted
                times.append((time.perf_counter() - t) * 1e3)
                if sent is not None:
                    ours.append(done - sent)
            wait_idle(page)
    return times, ours


if __name__ == "__main__" and "--no-browser" not in sys.argv:
    ms, ours = latency()
    print(f"stroke end to new probabilities on screen, 20 strokes in Chromium: median {np.median(ms):.0f} ms "
          f"(target ≤ 150), fastest {min(ms):.0f}, slowest {max(ms):.0f}")
    print(f"  of which the app's part (drawing sent to new probabilities shown): median {np.median(ours):.0f} ms; "
          f"the rest is the canvas drawing and sending it (its own 200 ms wait is skipped: the page presses "
          f"its send button when the pen lifts)")
