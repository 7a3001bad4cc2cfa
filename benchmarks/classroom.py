"""A whole class on one machine: N sessions (30 by default) against one server, each opening the
toy lab, pressing Play and training the default network, spoken to over Streamlit's own
websocket protocol (what a browser tab sends and receives, without drawing it).

What a tab sends is first recorded from a real Chromium tab (the widget states it reports with
its Play click and with each live-view frame); every simulated session then sends the same,
with its own data seed.

Prints, per session, the live-view updates per second it received; the server's memory per
added session; and checks that no session ever saw another's state: each session opens the
lab with its own data seed, and every live view it receives must show its own training points
and no one else's.

Run with ``make bench`` (or ``python benchmarks/classroom.py --sessions 30 --seconds 30``).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from tests.browser import app_server  # noqa: E402

TRAIN_DOTS = re.compile(r'<path class="tr"[^>]*/>')
EPOCH = re.compile(r'data-stat="Epoch">([\d,]+)<')


def expected_dots(data_seed: int) -> frozenset[str]:
    """The training points a session with this data seed must show (and only it)."""
    from playground.toy import charts
    from playground.toy.settings import ToySettings
    from playground.toy.run import GRID, ToyRun
    run = ToyRun(ToySettings(data_seed=data_seed))
    svg = charts.decision_map_svg(np.zeros((GRID, GRID), np.float32), *run.toy)
    return frozenset(TRAIN_DOTS.findall(svg))


# A student who asks the most of the machine: the largest network, every input feature, one
# example per step, the fastest speed.
HEAVY = ("hidden=16,16,16,16,16,16,16,16&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&batch_size=1"
         "&speed=1000")


def record_tab(url: str, query: str = "") -> tuple[bytes, bytes | None]:
    """The BackMsgs a real tab (opened with ``query``) sends when Play is pressed and, where the
    server has no live route, for a live-view frame (a fragment rerun)."""
    from tests.browser import chromium, wait_idle
    sent: list[bytes] = []
    live: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        page.on("request", lambda r: live.append(r.url) if "/nn-live/" in r.url else None)
        page.goto(f"{url}/?{_query(query, 1000)}")
        wait_idle(page, 120_000)
        page.wait_for_selector("[data-stat='Epoch']")
        page.get_by_role("button", name="Play").click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not live and not any(_is_frame(m) for m in sent):
            page.wait_for_timeout(100)
        page.get_by_role("button", name="Pause").click()
        wait_idle(page)
    play = next(m for m in sent if isinstance(m, bytes) and _widgets(m) and not _is_frame(m)
                and any(w.trigger_value for w in _widgets(m)))
    return play, next((m for m in sent if _is_frame(m)), None)


def _parse(raw) -> BackMsg | None:
    if not isinstance(raw, bytes):
        return None
    msg = BackMsg()
    msg.ParseFromString(raw)
    return msg if msg.WhichOneof("type") == "rerun_script" else None


def _widgets(raw) -> list[WidgetState]:
    msg = _parse(raw)
    return list(msg.rerun_script.widget_states.widgets) if msg else []


def _is_frame(raw) -> bool:
    msg = _parse(raw)
    return bool(msg and msg.rerun_script.fragment_id)


def _query(query: str, data_seed: int) -> str:
    return "&".join(filter(None, [query, f"data_seed={data_seed}"]))


def for_session(raw: bytes, k: int, query: str = "") -> bytes:
    """A recorded message, as session ``k`` (data seed ``k``) would send it."""
    msg = _parse(raw)
    msg.rerun_script.query_string = _query(query, k)
    for w in msg.rerun_script.widget_states.widgets:
        if w.id.endswith("-data_seed"):
            w.int_value = k
    return msg.SerializeToString()


class Http:
    """A browser's kept-alive HTTP/1.1 connection, as light as can be: this benchmark's 30 tabs
    share the server's two cores, so they must cost as little as possible."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 22)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"] + ([f"Cookie: {cookie}"] if cookie else [])
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status, headers = int(head[0].split()[1]), {}
        for line in head[1:]:
            if ":" in line:
                k, v = (part.strip() for part in line.split(":", 1))
                headers[k.lower()] = v
                if k.lower() == "set-cookie":
                    name, value = v.split(";")[0].split("=", 1)
                    self.cookies[name] = value
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return status, headers, body

    def close(self) -> None:
        if self.writer:
            self.writer.close()


class Session:
    """One student's browser tab, as far as the server can tell."""

    def __init__(self, k: int, port: int, recorded: tuple[bytes, bytes], query: str = ""):
        self.k, self.port, self.query = k, port, query
        self.play_msg, self.frame_msg = (for_session(m, k, query) if m else None for m in recorded)
        self.updates: list[float] = []  # arrival times of live views
        self.epochs: list[int] = []
        self.dots_seen: list[frozenset[str]] = []
        self.fragment: tuple[str, float] | None = None  # (fragment id, interval) of the live view
        self.stream: tuple[str, float] | None = None  # (URL, interval) of the live route, if any
        self.finished = asyncio.Event()
        self.error: str | None = None

    def opening(self) -> bytes:
        msg = BackMsg()
        msg.rerun_script.query_string = _query(self.query, self.k)
        return msg.SerializeToString()

    def frame(self, fragment_id: str) -> bytes:
        msg = BackMsg()
        msg.ParseFromString(self.frame_msg)
        msg.rerun_script.fragment_id = fragment_id
        return msg.SerializeToString()

    def on_message(self, data: bytes) -> None:
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "script_finished":
            self.finished.set()
        elif kind == "auto_rerun":
            self.fragment = (fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            which = el.WhichOneof("type")
            if which == "bidi_component" and el.bidi_component.component_name == "nn_playground_html":
                data = json.loads(el.bidi_component.json)
                self.view(data.get("html", ""))
                if data.get("stream"):
                    self.stream = (data["stream"], data.get("interval", 50) / 1000)

    def view(self, html: str) -> None:
        """A live view arrived (a frame from the live route, or a fragment's element)."""
        if "nn-map" in html:
            self.updates.append(time.perf_counter())
            self.epochs.append(int(EPOCH.search(html).group(1).replace(",", "")))
            self.dots_seen.append(frozenset(TRAIN_DOTS.findall(html)))

    async def run(self, until: float, started: asyncio.Event) -> None:
        import websockets
        base = f"http://127.0.0.1:{self.port}"
        http = Http(self.port)
        try:
            # As a browser does: load the page first (a class server's proxy answers with the
            # cookie that keeps this tab on one worker), then open the websocket with it.
            await http.get("/")
            await http.get("/_stcore/health")  # as the page's script does first: Streamlit's XSRF cookie,
            # the browser's own secret that its session's live frames are bound to
            cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None, ping_interval=None, origin=base,
                                          additional_headers={"cookie": cookie} if cookie else None) as ws:
                await self._session(ws, http, until, started)
        except Exception as e:  # reported per session, never hidden
            self.error = f"{type(e).__name__}: {e}"
        finally:
            http.close()

    async def _session(self, ws, http, until: float, started: asyncio.Event) -> None:
        reader = asyncio.create_task(self._read(ws))
        self.finished.clear()
        await ws.send(self.opening())
        await asyncio.wait_for(self.finished.wait(), 600)
        started.set()
        self.finished.clear()
        await ws.send(self.play_msg)
        await asyncio.wait_for(self.finished.wait(), 120)
        last = time.perf_counter()
        # The live route (what the page's element does): fetch the next frame once the
        # last one is drawn and the interval has passed.
        while self.stream and time.perf_counter() < until:
            url, interval = self.stream
            await asyncio.sleep(max(0.0, last + interval - time.perf_counter()))
            last = time.perf_counter()
            status, headers, body = await http.get(url)
            if status != 200:
                raise RuntimeError(f"the live route answered {status}")
            self.view(body.decode())
            if headers.get("x-nn-playing") != "1":
                raise RuntimeError("training stopped")
        # Without the route: the browser's part of run_every, a fragment rerun per frame.
        while time.perf_counter() < until:
            if self.fragment is None:
                raise RuntimeError("Play did not start the live view")
            fid, interval = self.fragment
            await asyncio.sleep(max(0.0, last + interval - time.perf_counter()))
            last = time.perf_counter()
            self.finished.clear()
            await ws.send(self.frame(fid))
            await asyncio.wait_for(self.finished.wait(), 60)
        reader.cancel()

    async def _read(self, ws) -> None:
        import websockets
        try:
            async for data in ws:
                self.on_message(data)
        except websockets.ConnectionClosed:
            pass  # the session is over


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    total = 0.0
    for p in _tree(pid):
        stat = _read(Path(f"/proc/{p}/stat"))
        if not stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / 100  # clock ticks (USER_HZ = 100 on Linux)
    return total


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (the proxy and its workers)."""
    out = [pid]
    try:
        for tid in Path(f"/proc/{pid}/task").iterdir():
            for child in _read(tid / "children").split():
                out += _tree(int(child))
    except FileNotFoundError:  # the process ended meanwhile
        pass
    return out


def _read(path: Path) -> str:
    """A /proc file, or "" if its thread or process has just ended."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def rss_mb(pid: int) -> float:
    total = 0.0
    for p in _tree(pid):
        for line in _read(Path(f"/proc/{p}/status")).splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


async def classroom(port: int, pid: int, n: int, seconds: float, recorded, heavy: int = 0,
                    heavy_recorded=None) -> dict:
    # One session first, to warm the server (compile, caches) and measure its base memory.
    warm = Session(0, port, recorded)
    await warm.run(time.perf_counter() + 3, asyncio.Event())
    await asyncio.sleep(2)
    base = rss_mb(pid)
    sessions = [Session(k + 1, port, heavy_recorded, HEAVY) if k < heavy else Session(k + 1, port, recorded)
                for k in range(n)]
    until = time.perf_counter() + 1e9
    started = [asyncio.Event() for _ in sessions]
    tasks = [asyncio.create_task(s.run(until, e)) for s, e in zip(sessions, started)]
    await asyncio.gather(*(e.wait() for e in started))  # everyone has the page open
    t0, cpu0, own0 = time.perf_counter(), cpu_seconds(pid), time.process_time()
    await asyncio.sleep(seconds)
    full = rss_mb(pid)
    t1, cpu1, own1 = time.perf_counter(), cpu_seconds(pid), time.process_time()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"sessions": sessions, "base": base, "full": full, "window": (t0, t1),
            "server_cores": (cpu1 - cpu0) / (t1 - t0), "client_cores": (own1 - own0) / (t1 - t0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2, help="app processes behind nn-playground's proxy")
    ap.add_argument("--heavy", type=int, default=0,
                    help="how many of the sessions train the largest network at full speed instead")
    args = ap.parse_args()
    info: dict = {}
    with app_server(info=info, workers=args.workers) as url:
        port = int(url.rsplit(":", 1)[1])
        recorded = record_tab(url)
        heavy_recorded = record_tab(url, HEAVY) if args.heavy else None
        result = asyncio.run(classroom(port, info["pid"], args.sessions, args.seconds, recorded, args.heavy,
                                       heavy_recorded))
    sessions, (t0, t1) = result["sessions"], result["window"]
    rates, leaks, errors = [], [], []
    for s in sessions:
        inside = [t for t in s.updates if t0 <= t <= t1]
        rates.append(len(inside) / (t1 - t0))
        own = expected_dots(s.k)
        if any(seen != own for seen in s.dots_seen):
            leaks.append(s.k)
        if s.error:
            errors.append(f"session {s.k}: {s.error}")
    rates = np.array(rates)
    epochs = [s.epochs[-1] if s.epochs else 0 for s in sessions]
    per_session = (result["full"] - result["base"]) / len(sessions)
    light, heavy = rates[args.heavy:], rates[:args.heavy]
    who = (f"{len(light)} training the default toy network and {args.heavy} the largest network at full speed"
           if args.heavy else "each training the default toy network")
    print(f"{len(sessions)} sessions on one server ({args.workers} app process{'es' if args.workers > 1 else ''}), "
          f"{t1 - t0:.0f} s, {who}:")
    print(f"  live-view updates per second per session: min {light.min():.1f}, median {np.median(light):.1f}, "
          f"max {light.max():.1f} (target ≥ 5 for every one: {'met' if light.min() >= 5 else 'MISSED'})")
    if args.heavy:
        print(f"  the {args.heavy} heavy sessions: {', '.join(f'{r:.1f}' for r in heavy)} updates per second, "
              f"{', '.join(f'{e:,}' for e in epochs[:args.heavy])} epochs")
    print(f"  epochs reached: min {min(epochs[args.heavy:]):,}, median {int(np.median(epochs[args.heavy:])):,}")
    print(f"  server memory: {result['base']:.0f} MB with one session, {result['full']:.0f} MB with "
          f"{len(sessions)}: {per_session:.1f} MB per added session (target ≤ 100)")
    print(f"  isolation: {'every session saw only its own data' if not leaks else f'LEAK in sessions {leaks}'}"
          f" ({sum(len(s.dots_seen) for s in sessions):,} live views checked)")
    print(f"  CPU: the server used {result['server_cores']:.2f} cores, this benchmark's 30 simulated tabs "
          f"{result['client_cores']:.2f}")
    for e in errors:
        print("  " + e)


if __name__ == "__main__":
    main()
