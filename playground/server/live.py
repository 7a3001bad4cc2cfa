"""Live frames on a route of the app's own server: training streams without a Streamlit rerun.

While a network trains, each frame (a chunk of epochs and a redraw) would otherwise be a
fragment rerun: Streamlit takes the widget states of the whole page, runs the fragment, and
sends its elements as deltas, which costs as much Python time as drawing the frame itself. A
class of 30 would share one interpreter's lock for all of that. Here the browser instead asks
``/nn-live/<token>`` for the next frame: one small HTTP request, answered by a thread that trains
and draws, with no script run in between. The page's script still owns the run: it holds the
session's lock while it runs, so a frame never trains a run that a click is changing.

A frame is served only to the browser that owns the session: the feed remembers the token of
Streamlit's XSRF cookie that the session's own websocket carried, and a request without that
cookie gets 403 and trains nothing. One frame per session is in flight at a time, and frames
come no closer than ``MIN_GAP`` apart, whoever asks.

This module also paces frames (``Pacer``): how many epochs one frame may train so that Pause
stays immediate and a class shares the machine fairly.

``playground/server/serve.py`` mounts the route (``nn-playground`` and ``make run`` start the
app through it); where no route is mounted (``AppTest``, a bare ``streamlit run app.py``) or the
session has no cookie to bind to, the pages fall back to ``st.fragment(run_every=...)``.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Mapping

from playground.server import connections

log = logging.getLogger("nn-playground")
PREFIX = "nn-live/"
_mounted = False
_feeds: "weakref.WeakValueDictionary[str, Feed]" = weakref.WeakValueDictionary()
# Two threads: one draws (Python) while the other waits on XLA (which releases the lock);
# more would only take turns at the interpreter lock. The queue is first come, first served, so
# every session gets its share.
THREADS = 2
_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="nn-live")
_asked = 0  # frames asked for and not yet answered (changed on the event loop's thread only)
_seen: dict[str, float] = {}  # token -> when it last asked for a frame
MAX_WAIT = 1.0  # seconds: the longest a fair share ever holds a frame back
MIN_GAP = 0.03  # seconds between two frames of one session, however fast they are asked for
FRAME_BUDGET_MS = 100.0  # a frame trains no longer than this, so Pause answers at once
FIRST_CHUNK = 5  # epochs per frame until a network's chunks have been timed
XSRF_COOKIE = "_streamlit_xsrf"


def share() -> float:
    """How much of its usual time budget a frame may train for now: all of it on a quiet
    server, 1/n when n frames are waiting for each thread. Frames take turns first come, first
    served; this makes a turn short when many are waiting, so that a student training the
    biggest network at full speed costs the others little more than a small one would."""
    return 1.0 / max(1.0, _asked / THREADS)


def owner_of(cookies: Mapping[str, str]) -> bytes | None:
    """The browser's own secret in a request's cookies: the token inside Streamlit's XSRF cookie
    (its value is re-masked on every response; the token it carries stays the same)."""
    raw = cookies.get(XSRF_COOKIE) if cookies else None
    if not raw:
        return None
    try:
        from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string
        token, _ = decode_xsrf_token_string(raw)
    except Exception:  # a malformed cookie is no owner
        return None
    return token or None


class Feed:
    """One session's live view: ``frame()`` trains a chunk and returns (html, still playing).

    ``owner`` is the secret of the browser whose session this is (``owner_of`` its cookies);
    only requests carrying it get frames. Lives in the session's state; the registry only holds
    it weakly, so a closed session's feed goes with it."""

    def __init__(self, frame: Callable[[], tuple[str, bool]], owner: bytes | None = None):
        self.frame = frame
        self.owner = owner
        self.busy = False  # a frame of this feed is being made (changed on the event loop only)
        self.lock = threading.RLock()  # held by the page's script run and by each frame
        self.token = secrets.token_urlsafe(16)
        self.not_before = 0.0  # event-loop time before which its next frame waits (fair shares)
        self.cost = 0.0  # interpreter seconds its last frame took (at most 0.1: a compile is not a habit)
        self.error = ""  # the kind of error the last frame raised, until the page has said so
        _feeds[self.token] = self

    def next(self) -> tuple[str, bool]:
        with self.lock:
            started = time.thread_time()  # this thread's CPU time: Python's share, not XLA's
            try:
                return self.frame()
            except Exception as e:  # the stream stops; the page's rerun says so in one sentence
                log.exception("a live frame failed")
                self.error = type(e).__name__
                raise
            finally:
                self.cost = min(time.thread_time() - started, 0.1)

    def serves(self, cookies: Mapping[str, str]) -> bool:
        """Whether a request with these cookies comes from the browser that owns the session
        (compared in constant time)."""
        theirs = owner_of(cookies)
        return self.owner is not None and theirs is not None and hmac.compare_digest(self.owner, theirs)

    def take_error(self) -> str:
        """The error that stopped the stream, once (empty when there was none)."""
        error, self.error = self.error, ""
        return error


def mounted() -> bool:
    """Whether this server answers ``/nn-live/...`` (started through ``playground/server/serve.py``)."""
    return _mounted


def as_base(path: str | None) -> str:
    """A ``server.baseUrlPath`` value ("class", "/class/", "" …) as "/" or "/<path>/"."""
    path = (path or "").strip("/")
    return f"/{path}/" if path else "/"


def base_path() -> str:
    """The server's ``server.baseUrlPath``: the route lives under it, as the app's own pages do,
    so that a reverse proxy forwarding only that path forwards frames too."""
    from streamlit import config
    return as_base(config.get_option("server.baseUrlPath"))


def url(token: str) -> str:
    """Where the page's element asks for this session's frames."""
    return base_path() + PREFIX + token


def mount() -> list:
    """The Starlette routes to add to the app's server."""
    global _mounted
    from starlette.routing import Route
    _mounted = True
    connections.patch()
    return [Route(base_path() + PREFIX + "{token}", endpoint)]


def _playing(now: float) -> int:
    """How many sessions asked for a frame in the last second (forgetting the others)."""
    for token in [t for t, seen in _seen.items() if now - seen > 1.0]:
        del _seen[token]
    return max(1, len(_seen))


NO_STORE = {"Cache-Control": "no-store"}


async def endpoint(request):
    from starlette.responses import Response
    feed = _feeds.get(request.path_params["token"])
    if feed is None:  # the session is gone (closed tab, restarted server): the page reloads
        return Response("", status_code=410, headers=NO_STORE)
    if not feed.serves(request.cookies):  # someone else's browser, or a bare client with the token
        return Response("", status_code=403, headers=NO_STORE)
    if feed.busy:  # one frame at a time: asking twice never trains twice
        return Response("", status_code=429, headers=NO_STORE)
    global _asked
    feed.busy = True
    try:
        loop = asyncio.get_running_loop()
        now = _seen[feed.token] = loop.time()
        if feed.not_before > now:
            await asyncio.sleep(feed.not_before - now)
        _asked += 1
        try:
            html, playing = await loop.run_in_executor(_pool, feed.next)
        except Exception:  # logged by the feed; the page reruns and names it
            return Response("", status_code=500, headers=NO_STORE)
        finally:
            _asked -= 1
        # Fair shares of the interpreter: a session whose frame took c seconds of it waits until
        # c × (sessions playing) has passed before its next one, so the one who builds the biggest
        # network slows down their own frames, not everyone's. Small frames are never held back by
        # this below the rate they ask for; no session gets frames closer than MIN_GAP.
        feed.not_before = now + max(min(feed.cost * _playing(now), MAX_WAIT), MIN_GAP)
    finally:
        feed.busy = False
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={**NO_STORE, "X-NN-Playing": "1" if playing else "0",
                             # Sent as is: the server's gzip layer would spend more time
                             # compressing each frame (at level 9) than drawing it.
                             "Content-Encoding": "identity"})


class Pacer:
    """How many epochs a frame trains: the speed asked for, or fewer when that would take longer
    than the frame's budget on this machine (measured on earlier chunks of the same network; a
    few until it has been measured, so that no frame of a big network runs for seconds)."""

    def __init__(self, steps: tuple[int, ...]):
        self.steps = steps  # the chunk sizes there are (each compiles once)
        self.ms_per_epoch = 0.0  # 0: not measured yet for the current network
        self._timed: set = set()  # (config, chunk size) pairs already run: compiled, so timeable
        self._config = None  # the network and batch size that ms_per_epoch was measured for

    def epochs(self, config, speed: int, budget_ms: float = FRAME_BUDGET_MS) -> int:
        if not self.ms_per_epoch or self._config != config:
            return max(n for n in self.steps if n <= max(1, min(speed, FIRST_CHUNK)))
        fits = [n for n in self.steps if n <= speed and n * self.ms_per_epoch <= budget_ms]
        return max(fits, default=1)

    def train(self, run, speed: int, budget_ms: float = FRAME_BUDGET_MS) -> int:
        """Train ``run`` for one frame; return how many epochs ran. Times the chunk when its
        size has run before for this network (a first run includes compiling)."""
        config = run.current()[0]
        if config != self._config:  # another network or batch size: measure it afresh
            self.ms_per_epoch, self._config = 0.0, config
        n = self.epochs(config, speed, budget_ms)
        started = time.perf_counter()
        ran = run.train(n)
        elapsed_ms = (time.perf_counter() - started) * 1e3
        if ran and (config, n) in self._timed:
            per_epoch = elapsed_ms / ran
            self.ms_per_epoch = 0.7 * self.ms_per_epoch + 0.3 * per_epoch if self.ms_per_epoch else per_epoch
        self._timed.add((config, n))
        return ran
