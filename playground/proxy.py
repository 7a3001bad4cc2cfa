"""Serve one class from several Streamlit processes behind one address.

One Streamlit process runs its Python on one core at a time (the GIL), so on a machine with
several cores ``nn-playground --workers N`` starts N app processes on private ports and this
small reverse proxy on the public one. Sessions are sticky: a browser's first request picks a
worker (round robin) and a cookie keeps all its later requests, its websocket and its
reconnections on that worker, where its session lives.
"""
from __future__ import annotations

import asyncio
import itertools

import httpx
import websockets
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

COOKIE = "nn_playground_worker"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer",
              "host"}


def make_app(ports: list[int]) -> Starlette:
    turn = itertools.count()
    client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10.0))

    def worker(cookies) -> int:
        raw = cookies.get(COOKIE, "")
        return int(raw) if raw.isdigit() and int(raw) < len(ports) else next(turn) % len(ports)

    async def http(request: Request):
        w = worker(request.cookies)
        url = f"http://127.0.0.1:{ports[w]}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        try:
            upstream = await client.send(client.build_request(request.method, url, headers=headers,
                                                              content=await request.body()), stream=True)
        except httpx.HTTPError:
            return PlainTextResponse("This class server's worker is not answering; try again in a moment.", 502)
        response = StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code,
                                     background=BackgroundTask(upstream.aclose))
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in upstream.headers.multi_items()
                                if k.lower() not in HOP_BY_HOP]
        if request.cookies.get(COOKIE) != str(w):
            response.set_cookie(COOKIE, str(w), httponly=True, samesite="lax")
        return response

    async def stream(ws: WebSocket):
        w = worker(ws.cookies)
        port = ports[w]
        protocols = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        cookie = ws.headers.get("cookie")
        try:
            upstream = await websockets.connect(
                f"ws://127.0.0.1:{port}{ws.url.path}", subprotocols=protocols or None, max_size=None,
                ping_interval=None, origin=f"http://127.0.0.1:{port}",
                additional_headers={"cookie": cookie} if cookie else None)
        except (OSError, websockets.WebSocketException):
            await ws.close(code=1011)
            return
        await ws.accept(subprotocol=upstream.subprotocol)

        async def down():
            async for msg in upstream:
                await (ws.send_bytes(msg) if isinstance(msg, bytes) else ws.send_text(msg))

        async def up():
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return
                await upstream.send(msg["bytes"] if msg.get("bytes") is not None else msg["text"])

        tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except (WebSocketDisconnect, websockets.ConnectionClosed):
            pass
        finally:
            for t in tasks:
                t.cancel()
            await upstream.close()
            try:
                await ws.close()
            except RuntimeError:  # already closed by the browser
                pass

    return Starlette(routes=[WebSocketRoute("/_stcore/stream", stream), WebSocketRoute("/{path:path}/_stcore/stream", stream),
                             Route("/{path:path}", http, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                                                 "PATCH"])])
