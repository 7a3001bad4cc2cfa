"""Toy-lab speed as a user sees it: redraws per second and epochs per second in real Chromium.

Run with ``make bench``. For each case the page is opened from a link that sets the network and
the speed (epochs per frame), Play is pressed, and the page is watched for a few seconds: every
change of the epoch counter is one redraw of the whole live view (network, map, charts).
For scale, TF Playground trains one epoch per animation frame: at most 60 epochs per second.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import app_server, chromium, count_updates, epoch, no_traceback, wait_for, wait_idle  # noqa: E402

FIVE = "default network [2→4→2→5], 5 classes, 50 epochs/frame"
CASES = [  # (name, link, target redraws per second, "How it learns" view opened before Play)
    ("default network [2→4→2→1], 50 epochs/frame", "speed=50", 20, None),
    ("default network [2→4→2→1], 100 epochs/frame", "speed=100", 20, None),
    ("largest network [7→8×6→1], 20 epochs/frame", "features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&hidden=8,8,8,8,8,8"
                                                   "&speed=20", 10, None),
    ("default network, 50 epochs/frame, The loss along one weight open", "speed=50", 15,
     "The loss along one weight"),
    ("default network, 50 epochs/frame, Gradients open", "speed=50", 15, "Gradients"),
    # Five classes: five output neurons, each with its own map, the map coloured by class, the
    # confusion matrix; its peer is the first case (two classes), measured in the same run.
    (FIVE, "problem=multiclass&dataset=blobs&head=softmax_ce&classes=5&speed=50", 15, None),
]


def measure(browser, url, query, seconds=8.0, size=(1280, 800), view=None):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{url}/?{query}")
    wait_idle(page)
    if view:  # one of "How it learns"'s views: its panel redraws with every frame
        page.get_by_role("radio", name=view).click()
        wait_idle(page)
        page.locator(".nn-learn").first.wait_for()
    page.get_by_role("button", name="Play").click()
    # Compile and settle: a network of new shapes (five classes, say) first compiles its chunks,
    # several seconds each, unless the disk cache already holds them; count only after that.
    wait_for(lambda: epoch(page) >= 300, timeout=90)
    time.sleep(1.0)
    rate, first, last = count_updates(page, seconds)
    eps = (last - first) / seconds
    no_traceback(page)
    page.close()
    return rate, eps


def main(only: str = ""):
    """Every case, or those whose name contains ``only`` (and the first case, their peer)."""
    rows = []
    cases = [c for i, c in enumerate(CASES) if not only or i == 0 or only in c[0]]
    with app_server() as url, chromium() as browser:
        for name, query, target, view in cases:
            rate, eps = measure(browser, url, query, view=view)
            rows.append((name, rate, eps, target))
            print(f"{name}: {rate:.1f} updates/s, {eps:,.0f} epochs/s", flush=True)
    print("\n| case | redraws per second (target) | epochs per second |\n|---|---:|---:|")
    for name, rate, eps, target in rows:
        print(f"| {name} | {rate:.1f} (≥ {target}) | {eps:,.0f} |")
    rates = {name: rate for name, rate, _, _ in rows}
    if FIVE in rates:
        print(f"\n5 classes against 2 classes on the default network: {rates[FIVE] / rates[CASES[0][0]]:.2f}× the redraws")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
