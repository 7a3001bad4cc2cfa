"""The class proxy against hostile requests: whatever a client sends, the proxy picks a worker it
has or closes the connection, and goes on serving everyone else.

The probe's fault: a cookie ``nn_playground_worker=`` followed by 4,301 or more digits made
``int()`` raise (Python refuses to convert such long numbers), inside the connection's handler:
that connection got no answer at all."""
from __future__ import annotations

import asyncio
import itertools
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.server import proxy
from playground.server.cli import free_port

EXAMPLES = 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def head(*lines: bytes) -> bytes:
    return b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n"


# What a hostile client may put where the proxy looks; ``None`` in the expected column means a
# new worker (round robin) and no claim that the browser has the cookie.
HOSTILE_HEADS = {
    "cookie of 4,301 digits": (head(b"Cookie: nn_playground_worker=" + b"1" * 4301), None),
    "cookie of 60,000 digits": (head(b"Cookie: nn_playground_worker=" + b"9" * 60_000), None),
    "cookie of five digits": (head(b"Cookie: nn_playground_worker=00001"), None),
    "cookie naming no worker": (head(b"Cookie: nn_playground_worker=2"), None),
    "negative cookie": (head(b"Cookie: nn_playground_worker=-1"), None),
    "cookie in other digits": (head("Cookie: nn_playground_worker=١".encode()), None),
    "cookie without a value": (head(b"Cookie: nn_playground_worker="), None),
    "cookie inside another name": (head(b"Cookie: x_nn_playground_worker=1"), None),
    "cookie in another header": (head(b"X-Cookie: nn_playground_worker=1"), None),
    "huge then good cookie": (head(b"Cookie: nn_playground_worker=" + b"7" * 5000 + b"; nn_playground_worker=1"), 1),
    "two cookie headers": (head(b"Cookie: a=b", b"COOKIE: nn_playground_worker=1"), 1),
    "cookie as the request line": (b"cookie: nn_playground_worker=1\r\n\r\n", 1),
    "no line ends": (b"GET / HTTP/1.1 Cookie: nn_playground_worker=1", None),
    "binary": (bytes(range(256)) * 4, None),
    "nothing": (b"", None),
    "only line ends": (b"\r\n" * 5000, None),
    "a header of 60,000 cookies": (head(b"Cookie: " + b"; ".join(b"c%d=1" % i for i in range(6000))), None),
}


@pytest.mark.parametrize("name", list(HOSTILE_HEADS))
def test_choose_on_hostile_heads_picks_a_worker_it_has(name):
    data, expected = HOSTILE_HEADS[name]
    turn = itertools.count(5)
    worker, has_cookie = proxy.choose(data, 2, turn)
    if expected is None:
        assert (worker, has_cookie) == (5 % 2, False)  # round robin: the next turn
    else:
        assert (worker, has_cookie) == (expected, True)


COOKIE_VALUES = st.one_of(st.integers(-10, 10 ** 30).map(lambda n: str(n).encode()),
                          st.integers(1, 20_000).map(lambda n: b"9" * n), st.binary(max_size=50))
HEADS = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda pre, value, post: pre + b"Cookie: a=1; nn_playground_worker=" + value + post,
              st.binary(max_size=200), COOKIE_VALUES, st.binary(max_size=200)),
    st.builds(lambda value, more: head(b"cookie: nn_playground_worker=" + value + more), COOKIE_VALUES,
              st.sampled_from([b"", b"; x=1", b"0", b"\xff", b"\r\ncookie: nn_playground_worker=1"])),
)


@FUZZ
@given(HEADS, st.integers(1, 64))
def test_choose_on_any_head_returns_a_worker_in_range_and_never_raises(data, n):
    worker, has_cookie = proxy.choose(data, n, itertools.count())
    assert 0 <= worker < n and isinstance(has_cookie, bool)
    if has_cookie:  # only ever a worker that a cookie in the head names
        assert worker in {int(v) for v in re.findall(rb"nn_playground_worker=(\d{1,4})(?!\d)", data)}


@FUZZ
@given(st.binary(max_size=500).filter(lambda b: b"\r\n" not in b), st.binary(max_size=2000), st.integers(0, 9999))
def test_with_cookie_adds_one_line_after_the_status_line_and_changes_nothing_else(status, rest, worker):
    response = b"HTTP/1.1 " + status + b"\r\n" + rest + b"\r\n\r\n"
    out = proxy.with_cookie(response, worker)
    line = f"set-cookie: nn_playground_worker={worker}; Path=/; HttpOnly; SameSite=Lax\r\n".encode()
    assert out == b"HTTP/1.1 " + status + b"\r\n" + line + rest + b"\r\n\r\n"


# --- end to end: the proxy's own server on 127.0.0.1 in front of two tiny workers ---------------
async def _worker(name: bytes):
    """A worker that answers every head it reads with its name (and closes on anything else)."""
    async def handle(r, w):
        try:
            while await r.readuntil(b"\r\n\r\n"):
                w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n" + name)
                await w.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass  # (cancelled: the test is over)
        finally:
            w.close()
    return await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)


async def _ask(port: int, data: bytes, close_after_sending: bool = False) -> bytes:
    """Send ``data`` on a new connection (and end the sending side, if told: a client that
    stops); everything that comes back until the proxy closes it or a worker's answer is complete
    (bounded: at most 5 s)."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(data)
        await w.drain()
        if close_after_sending:
            w.write_eof()
        got = b""
        async with asyncio.timeout(5):
            while not (b"\r\n\r\n" in got and len(got.split(b"\r\n\r\n", 1)[1]) >= 1):
                chunk = await r.read(65536)
                if not chunk:
                    break
                got += chunk
        return got
    except ConnectionError:
        return b"<reset>"  # closed with the client's bytes unread: a close all the same
    except TimeoutError:
        return b"<silent>"
    finally:
        w.close()


SENT = {  # name -> (bytes a client sends, whether it then stops sending, whether a worker answers)
    "cookie of 4,301 digits": (head(b"Cookie: nn_playground_worker=" + b"1" * 4301), False, True),
    "cookie of 40,000 digits": (head(b"Cookie: nn_playground_worker=" + b"1" * 40_000), False, True),
    "malformed request line": (b"\x00\xff\xfe NOT HTTP AT ALL \x7f\r\n\r\n", False, True),
    "a head longer than the proxy reads": (head(b"Cookie: c=" + b"1" * (proxy.MAX_HEAD + 10)), False, False),
    "a head that never ends": (b"GET / HTTP/1.1\r\nHost: x\r\nCookie: nn_playground_worker=1", True, False),
    "nothing at all": (b"", True, False),
}


def test_the_proxy_answers_or_closes_every_hostile_connection_and_keeps_serving(caplog):
    """Each hostile connection gets a worker's answer or is closed at once (a clean end, not a
    hang), nothing is logged as a failure, and a normal browser is served after every one."""
    caplog.set_level(logging.ERROR)

    async def scenario():
        workers = [await _worker(b"A"), await _worker(b"B")]
        ports = [s.sockets[0].getsockname()[1] for s in workers]
        port, ready = free_port(), asyncio.Event()
        server = asyncio.create_task(proxy.serve(ports, "127.0.0.1", port, ready.set))
        await asyncio.wait_for(ready.wait(), 10)
        answers = {}
        try:
            for name, (data, stops, _) in SENT.items():
                answers[name] = await _ask(port, data, close_after_sending=stops)
                answers[name + ", then a browser"] = await _ask(port, head())
        finally:
            server.cancel()
            for s in workers:
                s.close()
                await s.wait_closed()
        return answers

    answers = asyncio.run(scenario())
    for name, (_, _, answered) in SENT.items():
        got = answers[name]
        if answered:
            assert got.startswith(b"HTTP/1.1 200 OK\r\n") and got[-1:] in (b"A", b"B"), (name, got[:80])
        else:
            assert got in (b"", b"<reset>"), (name, got[:80])  # closed at once, with nothing half-said
        browser = answers[name + ", then a browser"]
        assert browser.startswith(b"HTTP/1.1 200 OK\r\nset-cookie: nn_playground_worker="), (name, browser[:80])
    assert "proxy: a connection failed" not in caplog.text
    assert "Task exception was never retrieved" not in caplog.text
