"""Real-browser helpers shared by the end-to-end tests and the UI benchmarks.

Starts the app with ``streamlit run`` on a free port and drives Debian's Chromium through
Playwright (``playwright install`` cannot download a browser here).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from playground.server.cli import command, free_port  # noqa: E402  (the app starts as nn-playground starts it)

CHROMIUM = os.environ.get("NN_PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
SHOTS = ROOT / "assets" / "screenshots"  # screenshots the browser tests leave to look at


def browser_marks() -> list:
    """``pytestmark`` of a module of browser tests: marked, and skipped (saying why) without Chromium."""
    import pytest
    return [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")]


@contextlib.contextmanager
def app_server(env: dict | None = None, timeout: float = 60.0, info: dict | None = None, workers: int = 1,
               base_path: str = "", port: int | None = None):
    """Run the app (``workers`` > 1: that many processes behind ``nn-playground``'s proxy; under
    ``base_path``, as ``--server.baseUrlPath``; on ``port``, else a free one); yield its URL; stop
    it afterwards. ``info`` receives the server's pid."""
    port = port or free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    args = ["--server.port", str(port), "--server.address", "127.0.0.1"]
    args += ["--server.baseUrlPath", base_path] if base_path else []
    cmd = command(["--server.headless", "true", *args])
    if workers > 1:
        cmd = [sys.executable, "-m", "playground.server.cli", "--workers", str(workers), *args]
        timeout = max(timeout, 120.0)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path else "")
    if info is not None:
        info["pid"] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"the app did not start:\n{log.read()}")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, wait: float = 10.0) -> None:
    """Ask a server to stop; kill it if it has not within ``wait`` seconds."""
    proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the current script run (not a fragment tick) has finished."""
    page.wait_for_selector(IDLE, timeout=timeout)


def pause(page, settle: float = 0.6) -> int:
    """Click Pause and return the epoch once the run has stopped: the button reads Play again, the
    script run is over and the counter holds still (a frame already on its way may land first)."""
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=60_000)
    wait_idle(page)
    last = epoch(page)
    for _ in range(20):
        time.sleep(settle)
        now = epoch(page)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the epoch counter kept moving after Pause (last {last})")


def stat(page, name: str) -> str:
    """A number from the stats block ('Epoch', 'Train loss', 'Test loss', 'Test accuracy')."""
    return page.locator(f"[data-stat='{name}']").first.inner_text()


def epoch(page) -> int:
    return int(stat(page, "Epoch").replace(",", ""))


def count_updates(page, seconds: float) -> tuple[float, int, int]:
    """Watch the page for ``seconds``: (distinct epoch values seen per second, first, last epoch).

    Counts each redraw of the whole live view once: the epoch counter is redrawn with it.
    """
    result = page.evaluate(
        """async (ms) => {
            const read = () => { const e = document.querySelector("[data-stat='Epoch']");
                                 return e ? parseInt(e.textContent.replace(/,/g, '')) : null; };
            const seen = new Set(); const first = read(); const t0 = performance.now();
            const obs = new MutationObserver(() => seen.add(read()));
            obs.observe(document.body, {subtree: true, childList: true, characterData: true});
            await new Promise(r => setTimeout(r, ms));
            obs.disconnect();
            seen.delete(first);
            return [seen.size + 1, first, read(), performance.now() - t0];
        }""", seconds * 1000)
    distinct, first, last, ms = result
    last = last if last is not None else epoch(page)  # read between two redraws: read again
    return (distinct - 1) / (ms / 1000), first, last


def no_traceback(page) -> None:
    exc = page.locator("[data-testid=stException]")
    assert exc.count() == 0, exc.first.inner_text()
    # Nor the one sentence an unexpected error becomes (a failed live frame, a guarded bug).
    said = page.locator("[data-testid=stAlert]", has_text="unexpected error")
    assert said.count() == 0, said.first.inner_text()


def open_toy(page, url, query=""):
    page.goto(f"{url}/?{query}")
    wait_idle(page)
    page.wait_for_selector("[data-stat='Epoch']")


def wait_for(predicate, timeout=30.0):
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False). Playwright's sync
    API hears the page only during its own calls: a predicate must call it (``page.url`` alone is stale)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False
