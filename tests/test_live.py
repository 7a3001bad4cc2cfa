"""The live-frame route, its locking, the sockets it speeds up, and the class proxy's stickiness."""
from __future__ import annotations

import gc
import re
import socket
import threading

import asyncio

import pytest
from starlette.requests import Request

from playground.server import connections, live, proxy


SECRET = b"the owner's token"  # what Streamlit's XSRF cookie carries for the session's own browser


def cookie(secret: bytes) -> str:
    """Streamlit's XSRF cookie as a browser holding ``secret`` sends it (masked afresh each time)."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
    return f"_streamlit_xsrf={generate_xsrf_token_string(secret)}"


def request(path: str, secret: bytes | None = SECRET) -> Request:
    headers = [(b"cookie", cookie(secret).encode())] if secret else []
    return Request({"type": "http", "method": "GET", "path": path, "headers": headers,
                    "path_params": {"token": path.rsplit("/", 1)[1]}})


class Answer:
    def __init__(self, response):
        self.status_code, self.headers, self.text = response.status_code, response.headers, response.body.decode()


class Client:
    """Requests straight to the route's endpoint, as the server's router hands them over; from
    the owner's browser unless told otherwise."""

    def get(self, path: str, secret: bytes | None = SECRET) -> Answer:
        return Answer(asyncio.run(live.endpoint(request(path, secret))))


def feed_of(frame) -> live.Feed:
    return live.Feed(frame, owner=SECRET)


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def mounting(monkeypatch):
    """``live.mount()`` sets a module flag and patches the server's HTTP protocol classes: both
    are put back after the test, so that the tests after it see the module as they found it."""
    monkeypatch.setattr(live, "_mounted", live._mounted)
    for module, name in (("uvicorn.protocols.http.h11_impl", "H11Protocol"),
                         ("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol")):
        try:
            proto = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
        for attr in ("connection_made", "data_received"):
            monkeypatch.setattr(proto, attr, getattr(proto, attr))
    return live.mount


def test_the_route_is_mounted_where_the_page_points(mounting):
    [route] = mounting()
    assert live.mounted() and route.path == "/nn-live/{token}" and live.url("abc") == "/nn-live/abc"


def test_under_a_base_url_path_the_route_and_the_page_follow_it(mounting):
    from streamlit import config
    config.set_option("server.baseUrlPath", "/class/")
    try:
        [route] = mounting()
        assert route.path == "/class/nn-live/{token}" and live.url("abc") == "/class/nn-live/abc"
    finally:
        config.set_option("server.baseUrlPath", "")


def test_a_feed_answers_with_its_frames_and_says_whether_it_still_plays(client):
    frames = iter([("<p>1</p>", True), ("<p>2</p>", False)])
    feed = feed_of(lambda: next(frames))
    first = client.get(f"/nn-live/{feed.token}")
    assert first.status_code == 200 and first.text == "<p>1</p>" and first.headers["x-nn-playing"] == "1"
    assert first.headers["cache-control"] == "no-store"
    second = client.get(f"/nn-live/{feed.token}")
    assert second.text == "<p>2</p>" and second.headers["x-nn-playing"] == "0"


def test_a_failing_frame_answers_500_and_leaves_its_error_for_the_page_once(client, caplog):
    calls = iter([ZeroDivisionError, None])

    def frame():
        error = next(calls)
        if error:
            raise error("boom")
        return "<p>fine</p>", True
    feed = feed_of(frame)
    failed = client.get(f"/nn-live/{feed.token}")
    assert failed.status_code == 500 and failed.text == "" and failed.headers["cache-control"] == "no-store"
    assert "a live frame failed" in caplog.text and "boom" in caplog.text  # the details: in the server's log
    assert feed.take_error() == "ZeroDivisionError" and feed.take_error() == ""
    assert client.get(f"/nn-live/{feed.token}").text == "<p>fine</p>"  # the next frame goes on as usual
    assert live._asked == 0 and not feed.lock._is_owned()


def test_an_unknown_or_closed_session_gets_410_not_someone_elses_frames(client):
    feed = feed_of(lambda: ("<p>mine</p>", True))
    token = feed.token
    assert client.get("/nn-live/not-a-token").status_code == 410
    del feed
    gc.collect()  # the session's state is gone: its feed leaves the registry with it
    assert client.get(f"/nn-live/{token}").status_code == 410


def test_only_the_browser_that_owns_the_session_gets_its_frames_and_no_one_else_trains_it(client):
    trained = []
    feed = feed_of(lambda: (trained.append(1) or "<p>mine</p>", True))
    path = f"/nn-live/{feed.token}"
    assert client.get(path, secret=None).status_code == 403  # a bare client with the token
    assert client.get(path, secret=b"another browser").status_code == 403  # another browser's cookie
    assert client.get(path.replace(feed.token, feed.token + "x")).status_code == 410
    assert trained == []  # none of those trained the run
    answer = client.get(path)  # the owner's browser (its cookie re-masked: the same token inside)
    assert answer.status_code == 200 and answer.text == "<p>mine</p>" and trained == [1]
    unbound = live.Feed(lambda: (trained.append(1) or "", True))  # a session with no cookie to bind to
    assert client.get(f"/nn-live/{unbound.token}").status_code == 403 and trained == [1]


def test_a_request_while_the_sessions_frame_is_being_made_trains_nothing_more():
    trained = []
    feed = feed_of(lambda: (trained.append(1) or "<p>frame</p>", True))
    path = f"/nn-live/{feed.token}"

    async def both():
        first = asyncio.ensure_future(live.endpoint(request(path)))
        await asyncio.sleep(0)  # the first one is under way: the feed is busy
        second = await live.endpoint(request(path))
        return (await first).status_code, second.status_code

    assert asyncio.run(both()) == (200, 429) and trained == [1]
    assert not feed.busy


def test_frames_of_one_session_are_never_closer_than_the_minimum_gap(client):
    feed = feed_of(lambda: ("<p>cheap</p>", True))
    feed.next = lambda: ("<p>cheap</p>", True)  # costs nothing at all
    assert client.get(f"/nn-live/{feed.token}").status_code == 200
    assert feed.not_before - live._seen[feed.token] == pytest.approx(live.MIN_GAP)


def test_tokens_are_long_and_distinct():
    tokens = {live.Feed(lambda: ("", False)).token for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 20 for t in tokens)


def test_a_frame_waits_while_the_page_script_holds_the_session(client):
    trained = []
    feed = feed_of(lambda: (trained.append(1) or "<p>frame</p>", True))
    done = threading.Event()
    with feed.lock:  # a script run is changing the run
        t = threading.Thread(target=lambda: (client.get(f"/nn-live/{feed.token}"), done.set()))
        t.start()
        assert not done.wait(0.3) and not trained
    assert done.wait(10) and trained == [1]
    t.join()


def test_accepted_connections_get_tcp_nodelay(mounting):
    """Streamlit's listening socket has protocol 0, so asyncio leaves Nagle's algorithm on;
    the server's HTTP protocol, once the route is mounted, switches it off for each connection."""
    from uvicorn.protocols.http.h11_impl import H11Protocol
    mounting()
    assert H11Protocol.connection_made.no_delay
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)  # protocol 0, as Streamlit binds it
    server.bind(("127.0.0.1", 0))
    server.listen()
    conn = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

    class Transport:
        def get_extra_info(self, name, default=None):
            return accepted if name == "socket" else default

    connections.set_no_delay(Transport())
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    for s in (conn, accepted, server):
        s.close()


def test_mounting_in_a_test_leaves_nothing_behind():
    """The tests above mounted the route: the module flag and the server's protocol are as before."""
    from uvicorn.protocols.http.h11_impl import H11Protocol
    assert not live.mounted()
    assert not getattr(H11Protocol.connection_made, "no_delay", False)
    assert not getattr(H11Protocol.data_received, "head_limit", False)


# --- the class proxy ---------------------------------------------------------------------------
def test_proxy_keeps_a_browser_with_the_cookie_on_its_worker_and_shares_out_the_others():
    import itertools
    turn = itertools.count()
    head = lambda cookie: (b"GET / HTTP/1.1\r\nHost: x\r\n" + (b"Cookie: a=1; " + cookie + b"\r\n" if cookie else b"")
                           + b"\r\n")
    assert proxy.choose(head(b"nn_playground_worker=1"), 2, turn) == (1, True)
    assert proxy.choose(head(b"nn_playground_worker=0"), 2, turn) == (0, True)
    assert [proxy.choose(head(None), 2, turn)[0] for _ in range(4)] == [0, 1, 0, 1]
    assert proxy.choose(head(b"nn_playground_worker=7"), 2, turn)[1] is False  # no such worker: a new one
    assert proxy.choose(head(b"other_nn_playground_worker=1"), 2, turn)[1] is False


def test_proxy_adds_its_cookie_to_the_first_response_head():
    out = proxy.with_cookie(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", 1)
    assert out.startswith(b"HTTP/1.1 200 OK\r\nset-cookie: nn_playground_worker=1; Path=/; HttpOnly")
    assert out.endswith(b"content-length: 2\r\n\r\n")


def test_proxy_end_to_end_over_sockets():
    """Two tiny workers that say who they are; the proxy in front of them; two browsers."""
    async def scenario():
        async def worker(name):
            async def handle(r, w):
                try:
                    while await r.readuntil(b"\r\n\r\n"):
                        w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n" + name)
                        await w.drain()
                except (asyncio.IncompleteReadError, ConnectionError):
                    pass
                finally:
                    w.close()
            return await asyncio.start_server(handle, "127.0.0.1", 0)

        workers = [await worker(b"A"), await worker(b"B")]
        ports = [w.sockets[0].getsockname()[1] for w in workers]
        server = await asyncio.start_server(proxy.make_handler(ports), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def browser(cookie=b""):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            seen = []
            for _ in range(3):  # three requests on one kept-alive connection
                w.write(b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\n")
                head = await r.readuntil(b"\r\n\r\n")
                m = re.search(rb"nn_playground_worker=(\d)", head)
                if m:
                    cookie = b"Cookie: nn_playground_worker=" + m.group(1) + b"\r\n"
                seen.append((await r.readexactly(1), bool(m)))
            w.close()
            await w.wait_closed()
            return seen, cookie

        first, cookie1 = await browser()
        second, _ = await browser()
        again, _ = await browser(cookie1)  # a new connection of the first browser
        workers[0].close()  # worker A dies
        await workers[0].wait_closed()
        after = [await browser(cookie1), await browser(), await browser()]  # A's browser, then two new ones
        await asyncio.sleep(0.1)  # let the proxy and the workers see the connections close
        for s in [server, *workers[1:]]:
            s.close()
            await s.wait_closed()
        return first, second, again, after

    first, second, again, after = asyncio.run(scenario())
    assert [b for b, _ in first] == [b"A"] * 3 and first[0][1] and not first[1][1]  # cookie once
    assert [b for b, _ in second] == [b"B"] * 3
    assert [b for b, _ in again] == [b"A"] * 3 and not any(c for _, c in again)
    # With A dead, every browser is served by B: A's own browser is told its new worker once.
    (moved, cookie), *new = after
    assert [b for b, _ in moved] == [b"B"] * 3 and moved[0][1] and cookie.endswith(b"=1\r\n")
    assert all([b for b, _ in seen] == [b"B"] * 3 for seen, _ in new)


# --- fair shares: one heavy student slows their own frames, not everyone's ---------------------
def test_a_frames_training_budget_shrinks_with_the_frames_waiting(monkeypatch):
    monkeypatch.setattr(live, "_asked", 0)
    assert live.share() == 1.0
    monkeypatch.setattr(live, "_asked", live.THREADS * 4)
    assert live.share() == pytest.approx(0.25)
    from playground.toy.run import ToyRun
    from playground.toy.settings import SPEEDS, ToySettings
    config = ToyRun(ToySettings()).config
    pacer = live.Pacer(SPEEDS)
    pacer._config, pacer.ms_per_epoch = config, 0.3
    assert pacer.epochs(config, 1000) == 200 and pacer.epochs(config, 1000, budget_ms=25) == 50


def test_a_costly_frame_holds_back_that_sessions_next_one_in_proportion(monkeypatch):
    def costing(feed, seconds):
        def next_frame():  # a frame whose interpreter time was ``seconds`` (as Feed.next records it)
            feed.cost = seconds
            return "<p>frame</p>", True
        feed.next = next_frame
        return feed

    heavy, light, huge = (costing(feed_of(None), c) for c in (0.03, 0.0, 10.0))

    async def held(feed):
        loop = asyncio.get_running_loop()
        # four other sessions asked for a frame just now: five sessions are playing
        monkeypatch.setattr(live, "_seen", {f"other{k}": loop.time() for k in range(4)})
        await live.endpoint(request(f"/nn-live/{feed.token}"))
        return feed.not_before - live._seen[feed.token]  # from the moment the request came in

    assert asyncio.run(held(heavy)) == pytest.approx(5 * 0.03)  # five times its cost
    assert asyncio.run(held(light)) == pytest.approx(live.MIN_GAP)  # never held back below the gap
    assert asyncio.run(held(huge)) == pytest.approx(live.MAX_WAIT)  # never more than MAX_WAIT


def test_class_workers_each_run_on_their_own_core():
    """As ``nn-playground --workers`` starts them (from a process without JAX's threads)."""
    import os
    import subprocess
    import sys
    from tests.conftest import ROOT
    core = sorted(os.sched_getaffinity(0))[-1]
    script = ("import subprocess, sys; from playground.server.cli import _worker_setup; "
              "print(subprocess.run([sys.executable, '-c', 'import os; print(sorted(os.sched_getaffinity(0)))'], "
              f"capture_output=True, text=True, preexec_fn=_worker_setup({core}), check=True).stdout.strip())")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str([core]), out.stderr
