"""The app server's own connections, patched where Streamlit's uvicorn server needs it: no Nagle
delay on responses, and one sentence (not a bare 400) for a request whose head is too long.
``live.mount()`` applies both when the app starts through ``serve.py``."""
from __future__ import annotations

import re


def patch() -> None:
    _no_delay()
    _head_limit()


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


def _head_limit() -> None:
    """Answer a request whose head is longer than the server reads with one sentence saying so.

    The server's HTTP protocol (uvicorn's h11 one: Streamlit's server runs uvicorn, and httptools
    is not installed) buffers at most 16 KB of an incomplete request head, and then answers a bare
    "Invalid HTTP request received." A head that happens to arrive in one piece is read whatever
    its size, so whether a 100 KB link opened depended on how the network cut it up. Here every
    head over the limit gets the same answer: a short page that says what went wrong."""
    try:
        from uvicorn.protocols.http.h11_impl import H11Protocol
    except ImportError:
        return
    if not getattr(H11Protocol.data_received, "head_limit", False):
        H11Protocol.data_received = _with_head_limit(H11Protocol.data_received)


def _with_head_limit(data_received):
    import h11
    from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # the limit uvicorn gives h11

    def wrapper(self, data: bytes) -> None:
        if getattr(self, "_refused", False):  # the rest of a refused request: dropped unread
            return
        if self.conn.their_state is h11.IDLE:  # reading the head of a request
            limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
            pending = self.conn.trailing_data[0]
            refusal = too_long(pending + data if pending else data, limit)
            if refusal:
                self._refused = True
                self.transport.write(refusal)
                # Closing with the request's bytes unread would reset the connection, which can
                # lose the answer on its way: stop writing, and close once the browser has read
                # it and closed (or after a few seconds).
                if self.transport.can_write_eof():
                    self.transport.write_eof()
                    self.loop.call_later(5.0, self.transport.close)
                else:
                    self.transport.close()
                return
        data_received(self, data)
    wrapper.head_limit = True
    return wrapper


def too_long(head: bytes, limit: int) -> bytes | None:
    """The whole HTTP response to a request whose head (as much of it as has arrived) is longer
    than ``limit`` bytes; None for a head within the limit."""
    if len(head) <= limit:
        return None
    end = re.search(rb"\r?\n\r?\n", head)
    if end and end.start() <= limit:
        return None
    kb = lambda n: f"{n / 1000:,.0f} KB"  # noqa: E731
    line = head.split(b"\n", 1)[0]
    if b"\n" in head and len(line) <= limit // 2:  # the link is fine; the headers (cookies) are not
        size = kb(end.start()) if end else f"at least {kb(len(head))}"
        status, sentence = b"431 Request Header Fields Too Large", (
            f"This request's headers are too long for the server to read ({size}; the limit is {kb(limit)}): "
            "clear this site's cookies and open the page again.")
    else:
        size = kb(len(line)) if b"\n" in head else f"at least {kb(len(line))}"
        status, sentence = b"414 URI Too Long", (
            f"This link is too long for the server to read ({size}; the limit is {kb(limit)}): open the page "
            "without it, or ask for a shorter link.")
    body = ('<!doctype html><meta charset="utf-8"><title>nn-playground</title>'
            f'<p style="font:18px sans-serif;margin:2em">{sentence}</p>').encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


def set_no_delay(transport) -> None:
    """TCP_NODELAY on a transport's TCP socket (nothing for any other kind)."""
    import socket
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
