"""Serve one class from several app processes behind one address.

One Streamlit process runs its Python on one core at a time (the interpreter lock), so on a
machine with several cores ``nn-playground --workers N`` starts N app processes on private ports
and this proxy on the public one. Sessions are sticky: a browser's first request picks a worker
(round robin) and a cookie keeps its later requests, its websocket, its live frames and its
reconnections on that worker, where its session lives.

The proxy works on connections, not requests: it reads the head of a connection's first
request to choose the worker, adds the cookie to the head of the first response if the browser
did not send it, and otherwise copies bytes both ways. A browser sends the same cookie on every
request of a connection, so a connection never needs to change worker. Copying bytes costs the
proxy far less than parsing every request and frame would.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import re

log = logging.getLogger("nn-playground")
COOKIE = "nn_playground_worker"
MAX_HEAD = 64 * 1024
# At most four digits: a longer number is no worker of ours (and int() of a huge one would raise).
_COOKIE_RE = re.compile(rb"^cookie:.*?\b" + COOKIE.encode() + rb"=(\d{1,4})(?![\d])", re.IGNORECASE | re.MULTILINE)


def choose(head: bytes, n: int, turn) -> tuple[int, bool]:
    """(worker, whether the browser already has the cookie) for a request head."""
    m = _COOKIE_RE.search(head)
    if m and int(m.group(1)) < n:
        return int(m.group(1)), True
    return next(turn) % n, False


def with_cookie(head: bytes, worker: int) -> bytes:
    """A response head with the cookie that keeps this browser on ``worker``."""
    line = f"set-cookie: {COOKIE}={worker}; Path=/; HttpOnly; SameSite=Lax\r\n".encode()
    end = head.index(b"\r\n") + 2  # after the status line
    return head[:end] + line + head[end:]


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """Bytes up to and including the blank line that ends an HTTP head (b"" if none comes)."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return b""


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(256 * 1024):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, RuntimeError):
            pass


def make_handler(ports: list[int]):
    turn = itertools.count()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            await _handle(client_r, client_w)
        except Exception:  # whatever a client sends, the proxy answers or closes; it never crashes
            log.exception("proxy: a connection failed")
            client_w.close()

    async def _handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        head = await _read_head(client_r)
        if not head:
            client_w.close()
            return
        chosen, has_cookie = choose(head, len(ports), turn)
        # A worker that does not answer (it died): the next one that does. A browser that was on
        # it has lost its session anyway; it gets the new worker's cookie and starts afresh there.
        for worker in [chosen, *((chosen + k) % len(ports) for k in range(1, len(ports)))]:
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", ports[worker], limit=MAX_HEAD)
                break
            except OSError:
                continue
        else:
            client_w.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n"
                           b"This class server's workers are not answering; try again in a moment.")
            await client_w.drain()
            client_w.close()
            return
        has_cookie = has_cookie and worker == chosen
        up_w.write(head)
        upstream = asyncio.create_task(_copy(client_r, up_w))
        try:
            if not has_cookie:
                first = await _read_head(up_r)
                client_w.write(with_cookie(first, worker) if first.startswith(b"HTTP/") else first)
            await _copy(up_r, client_w)
        finally:
            upstream.cancel()
            up_w.close()

    return handle


async def serve(ports: list[int], host: str, port: int, ready=None) -> None:
    """Listen on (host, port) and share the connections out to the workers on ``ports``."""
    server = await asyncio.start_server(make_handler(ports), host, port, limit=MAX_HEAD, backlog=512)
    if ready:
        ready()
    async with server:
        await server.serve_forever()
