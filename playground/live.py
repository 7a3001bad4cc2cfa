"""Live frames on a route of the app's own server: training streams without a Streamlit rerun.

While a network trains, each frame (a chunk of epochs and a redraw) would otherwise be a
fragment rerun: Streamlit takes the widget states of the whole page, runs the fragment, and
sends its elements as deltas, which costs as much Python time as drawing the frame itself. A
class of 30 would share one interpreter's lock for all of that. Here the browser instead asks
``/nn-live/<token>`` for the next frame: one small HTTP request, answered by a thread that trains
and draws, with no script run in between. The page's script still owns the run: it holds the
session's lock while it runs, so a frame never trains a run that a click is changing.

``playground/serve.py`` mounts the route (``nn-playground`` and ``make run`` start the app
through it); where no route is mounted (``AppTest``, a bare ``streamlit run app.py``) the pages
fall back to ``st.fragment(run_every=...)``.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

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


def share() -> float:
    """How much of its usual time budget a frame may train for now: all of it on a quiet
    server, 1/n when n frames are waiting for each thread. Frames take turns first come, first
    served; this makes a turn short when many are waiting, so that a student training the
    biggest network at full speed costs the others little more than a small one would."""
    return 1.0 / max(1.0, _asked / THREADS)


class Feed:
    """One session's live view: ``frame()`` trains a chunk and returns (html, still playing).

    Lives in the session's state; the registry only holds it weakly, so a closed session's feed
    goes with it."""

    def __init__(self, frame: Callable[[], tuple[str, bool]]):
        self.frame = frame
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

    def take_error(self) -> str:
        """The error that stopped the stream, once (empty when there was none)."""
        error, self.error = self.error, ""
        return error


def mounted() -> bool:
    """Whether this server answers ``/nn-live/...`` (started through ``playground/serve.py``)."""
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
    _no_delay()
    return [Route(base_path() + PREFIX + "{token}", endpoint)]


def _no_delay() -> None:
    """Switch off Nagle's algorithm on the server's connections.

    Streamlit binds its listening socket itself, with protocol 0, so asyncio does not set
    TCP_NODELAY on the connections it accepts. A response then leaves in two writes (headers,
    body) and the body's last packet waits for the browser's delayed acknowledgement: 40 ms
    added to every frame on a kept-alive connection (measured: 44 ms instead of 1.5 ms for a
    50 kB response)."""
    for module, name in (("uvicorn.protocols.http.h11_impl", "H11Protocol"),
                         ("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol")):
        try:
            proto = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
        if not getattr(proto.connection_made, "no_delay", False):
            proto.connection_made = _with_no_delay(proto.connection_made)


def _with_no_delay(connection_made):
    def wrapper(self, transport):
        set_no_delay(transport)
        connection_made(self, transport)
    wrapper.no_delay = True
    return wrapper


def set_no_delay(transport) -> None:
    """TCP_NODELAY on a transport's TCP socket (nothing for any other kind)."""
    import socket
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _playing(now: float) -> int:
    """How many sessions asked for a frame in the last second (forgetting the others)."""
    for token in [t for t, seen in _seen.items() if now - seen > 1.0]:
        del _seen[token]
    return max(1, len(_seen))


NO_STORE = {"Cache-Control": "no-store"}


async def endpoint(request):
    from starlette.responses import Response
    feed = _feeds.get(request.path_params["token"])
    if feed is None:  # the session is gone (closed tab, restarted server): the page reruns
        return Response("", status_code=410, headers=NO_STORE)
    global _asked
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
    # this below the rate they ask for.
    feed.not_before = now + min(feed.cost * _playing(now), MAX_WAIT)
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={**NO_STORE, "X-NN-Playing": "1" if playing else "0",
                             # Sent as is: the server's gzip layer would spend more time
                             # compressing each frame (at level 9) than drawing it.
                             "Content-Encoding": "identity"})
