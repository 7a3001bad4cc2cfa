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

With ``--class sqlite`` or ``--class redis`` the server serves a class (``nn-playground --class``:
its store a SQLite file, or a Redis server this benchmark starts): every session also ticks its
class bar as a browser does (a report to the store each second), and one more tab holds the
teacher's page open, refreshing its cards every second. Prints besides: the teacher's refreshes
per second, the cards it shows, and the store's writes per second.

Run with ``make bench`` (or ``python benchmarks/classroom.py --sessions 30 --seconds 30``;
``--sessions 100 --class sqlite`` for a year group).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
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
        try:
            return await self._get(path)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed a kept-alive connection that sat idle (while a class of 100 opened
            # its pages, say): a browser opens a new one and asks again, so does this tab.
            self.close()
            self.writer = None
            return await self._get(path)

    async def _get(self, path: str) -> tuple[int, dict[str, str], bytes]:
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
        self.bar: tuple[str, float] | None = None  # (fragment id, interval) of the class bar, in a class
        self.ticks = 0  # class-bar reruns done
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

    def tick(self, fragment_id: str) -> bytes:
        """A fragment's timed rerun as the browser sends it: the widgets' states (no click in them)."""
        msg = BackMsg()
        msg.ParseFromString(self.play_msg)
        keep = [w for w in msg.rerun_script.widget_states.widgets if not w.HasField("trigger_value")]
        del msg.rerun_script.widget_states.widgets[:]
        msg.rerun_script.widget_states.widgets.extend(keep)
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = True
        return msg.SerializeToString()

    async def tick_bar(self, ws, until: float) -> None:
        """The class bar's timer, as the browser runs it: one rerun of it every interval."""
        import websockets
        while self.bar and time.perf_counter() < until:
            fid, interval = self.bar
            await asyncio.sleep(interval)
            try:
                await ws.send(self.tick(fid))
            except websockets.ConnectionClosed:
                return  # the tab is closed
            self.ticks += 1

    def on_message(self, data: bytes) -> None:
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "script_finished":
            self.finished.set()
        elif kind == "auto_rerun":
            if fwd.auto_rerun.interval >= 0.5:  # the class bar (the live view's is 0.05 s)
                self.bar = (fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
            else:
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
        bar = asyncio.create_task(self.tick_bar(ws, until))
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
        bar.cancel()
        reader.cancel()

    async def _read(self, ws) -> None:
        import websockets
        try:
            async for data in ws:
                self.on_message(data)
        except websockets.ConnectionClosed:
            pass  # the session is over


class Teacher:
    """The teacher's page held open (with the key): its cards' refreshes, as a browser runs them."""

    def __init__(self, port: int, key: str):
        self.port, self.key = port, key
        self.refreshes: list[float] = []
        self.cards = 0
        self.cards_fragment: tuple[str, float] | None = None
        self.error: str | None = None

    def on_message(self, data: bytes) -> None:
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "auto_rerun" and fwd.auto_rerun.interval < 2.0:  # the cards (the board's is slower)
            self.cards_fragment = (fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            if el.WhichOneof("type") == "bidi_component" and el.bidi_component.component_name == "nn_playground_class":
                html = json.loads(el.bidi_component.json).get("html", "")
                if "nn-cards" in html or "nn-empty" in html:
                    self.refreshes.append(time.perf_counter())
                    self.cards = html.count('class="nn-card')

    async def run(self, until: float) -> None:
        import websockets
        http = Http(self.port)
        try:
            await http.get("/")
            await http.get("/_stcore/health")
            cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None, ping_interval=None, origin=f"http://127.0.0.1:{self.port}",
                                          additional_headers={"cookie": cookie}) as ws:
                msg = BackMsg()
                msg.rerun_script.query_string = f"key={self.key}"
                msg.rerun_script.page_name = "class"
                await ws.send(msg.SerializeToString())
                reader = asyncio.create_task(self._read(ws))
                while time.perf_counter() < until:
                    await asyncio.sleep(self.cards_fragment[1] if self.cards_fragment else 0.2)
                    if self.cards_fragment:
                        tick = BackMsg()
                        tick.rerun_script.page_name = "class"
                        tick.rerun_script.fragment_id = self.cards_fragment[0]
                        tick.rerun_script.is_auto_rerun = True
                        await ws.send(tick.SerializeToString())
                reader.cancel()
        except Exception as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            http.close()

    async def _read(self, ws) -> None:
        import websockets
        try:
            async for data in ws:
                self.on_message(data)
        except websockets.ConnectionClosed:
            pass


class StoreWatch:
    """Counts the store's writes from outside: every student record carries the time it was
    reported, so each new (student, time) pair seen is one write (records come once a second per
    student and are read four times a second: none is missed)."""

    def __init__(self, spec: str):
        from playground.classroom.store import open_store
        self.store = open_store(spec)
        self.seen: set[tuple[str, float]] = set()
        self.counts: list[tuple[float, int]] = []

    async def run(self, until: float) -> None:
        while time.perf_counter() < until:
            records = await asyncio.to_thread(self.store.students)
            self.seen |= {(sid, r.get("at", 0.0)) for sid, r in records.items()}
            self.counts.append((time.perf_counter(), len(self.seen)))
            await asyncio.sleep(0.25)

    def rate(self, t0: float, t1: float) -> float:
        inside = [n for t, n in self.counts if t0 <= t <= t1]
        return (inside[-1] - inside[0]) / (t1 - t0) if len(inside) > 1 else 0.0


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
                    heavy_recorded=None, key: str = "", store: str = "") -> dict:
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
    teacher = watch = None
    if key:
        teacher, watch = Teacher(port, key), StoreWatch(store)
        tasks += [asyncio.create_task(teacher.run(until)), asyncio.create_task(watch.run(until))]
    await asyncio.gather(*(e.wait() for e in started))  # everyone has the page open
    await asyncio.sleep(2 if key else 0)  # every class bar ticking
    t0, cpu0, own0 = time.perf_counter(), cpu_seconds(pid), time.process_time()
    await asyncio.sleep(seconds)
    full = rss_mb(pid)
    t1, cpu1, own1 = time.perf_counter(), cpu_seconds(pid), time.process_time()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"sessions": sessions, "base": base, "full": full, "window": (t0, t1), "teacher": teacher, "watch": watch,
            "server_cores": (cpu1 - cpu0) / (t1 - t0), "client_cores": (own1 - own0) / (t1 - t0)}


PARTS = [  # (what, module file, function): where one live frame of the default network spends its time
    ("training a chunk", "shared/run.py", "train"), ("every neuron over the grid", "toy/run.py", "maps"),
    ("the weights fetched", "toy/run.py", "weights"), ("how-it-learns record", "toy/learning.py", "record"),
    ("the network diagram", "toy/network.py", "network_svg"), ("the loss chart", "toy/charts.py", "loss_svg"),
    ("the output map", "toy/charts.py", "decision_map_svg"), ("the numbers", "toy/charts.py", "stats_html"),
    ("the lesson's goal", "toy/session.py", "goal_line"), ("PNG encoding (in the two above)", "shared/png.py", "png_bytes"),
]


def profile_frame(frames: int = 300) -> None:
    """Where one live frame's interpreter time goes: the default network's frames made in this process
    (no server), timed by this thread's CPU clock, and profiled by part."""
    import cProfile
    import pstats

    from playground.server.jaxsetup import configure_jax
    configure_jax()
    from playground.toy.run import ToyRun
    from playground.toy.session import ToySession
    from playground.toy.settings import ToySettings
    session = ToySession(ToyRun(ToySettings()), owner=b"profile")
    session.playing = True
    for _ in range(30):  # compiled, timed, warm
        session.frame()
    runs = []
    for _ in range(3):
        t = time.thread_time()
        for _ in range(frames):
            session.frame()
        runs.append((time.thread_time() - t) / frames * 1e3)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(frames):
        session.frame()
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    print(f"One live frame of the default network: {min(runs):.2f}–{max(runs):.2f} ms of this thread's CPU "
          f"(three runs of {frames}; XLA's own threads not counted). Share of the profiled time by part:")
    for what, file, func in PARTS:
        cum = sum(ct for (f, _, name), (_, _, _, ct, _) in stats.items() if f.endswith(file) and name == func)
        print(f"  {what:34s} {100 * cum / total:5.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2, help="app processes behind nn-playground's proxy")
    ap.add_argument("--heavy", type=int, default=0,
                    help="how many of the sessions train the largest network at full speed instead")
    ap.add_argument("--class", dest="store", choices=["sqlite", "redis"], default=None,
                    help="serve a class, its store a SQLite file or a Redis server: class bars and the teacher's page")
    ap.add_argument("--profile", action="store_true", help="only profile one live frame, in this process")
    args = ap.parse_args()
    if args.profile:
        profile_frame()
        return
    info: dict = {}
    with contextlib.ExitStack() as stack:
        env, key, spec = {}, "", ""
        if args.store:
            import secrets
            import tempfile
            key = secrets.token_urlsafe(18)
            if args.store == "redis":
                from tests.classserver import redis_server
                spec = stack.enter_context(redis_server())
            else:
                spec = f"sqlite:///{tempfile.mkdtemp(prefix='nn-class-bench-')}/class.sqlite3"
            env = {"NN_PLAYGROUND_CLASS_KEY": key, "NN_PLAYGROUND_STORE": spec}
        url = stack.enter_context(app_server(env=env, info=info, workers=args.workers))
        port = int(url.rsplit(":", 1)[1])
        recorded = record_tab(url)
        heavy_recorded = record_tab(url, HEAVY) if args.heavy else None
        result = asyncio.run(classroom(port, info["pid"], args.sessions, args.seconds, recorded, args.heavy,
                                       heavy_recorded, key, spec))
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
          f"{len(sessions)}: {per_session:.1f} MB per added session (target ≤ {10 if args.store else 100})")
    print(f"  isolation: {'every session saw only its own data' if not leaks else f'LEAK in sessions {leaks}'}"
          f" ({sum(len(s.dots_seen) for s in sessions):,} live views checked)")
    frames = sum(len([t for t in s.updates if t0 <= t <= t1]) for s in sessions)
    print(f"  CPU: the server used {result['server_cores']:.2f} cores, this benchmark's {len(sessions)} simulated tabs "
          f"{result['client_cores']:.2f}; {frames / (t1 - t0):.0f} live frames a second in all, "
          f"{result['server_cores'] * 1e3 / max(frames / (t1 - t0), 1e-9):.1f} ms of server CPU per frame"
          + (" (class bars and the teacher's page included)" if args.store else ""))
    teacher, watch = result["teacher"], result["watch"]
    if teacher is not None:
        refresh = len([t for t in teacher.refreshes if t0 <= t <= t1]) / (t1 - t0)
        ticks = sum(s.ticks for s in sessions)
        print(f"  class ({args.store} store): the teacher's page refreshed {refresh:.2f} times a second (target ≥ 1), "
              f"showing {teacher.cards} cards (every tab that opened the app, the recording and warm-up ones too); "
              f"{ticks:,} class-bar reruns in all")
        print(f"  store: {watch.rate(t0, t1):.0f} student records written a second "
              f"({len(watch.seen):,} in all)")
        if teacher.error:
            errors.append(f"teacher: {teacher.error}")
    for e in errors:
        print("  " + e)


if __name__ == "__main__":
    main()
