"""Real servers for the classroom tests and benchmark: Debian's ``redis-server`` and ``nginx``, each
started on 127.0.0.1 on a free port in a temporary folder, and stopped afterwards."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from playground.server.cli import free_port
from tests.browser import stop

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = Path(__file__).resolve().parent.parent


def skip_without(path: str, what: str):
    import pytest
    return pytest.mark.skipif(not Path(path).exists(), reason=f"no {what} at {path} (.ci/run installs it)")


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@contextlib.contextmanager
def redis_server(port: int | None = None):
    """A Redis server of its own (no persistence); yields its URL, redis://127.0.0.1:PORT/0."""
    port = port or free_port()
    folder = tempfile.mkdtemp(prefix="nn-redis-")
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder, "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_port(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)
        shutil.rmtree(folder, True)


def nginx_conf(listen: int, upstreams: list[int], folder: Path) -> Path:
    """The repository's ``deploy/nginx.conf`` with its listening port, its app servers and its
    temporary files put where a test can run it without root; each response also says which app
    server answered it (``X-NN-Upstream``), for the test to see where a browser went."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "".join(f"        server 127.0.0.1:{p};\n" for p in upstreams)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    text = text.replace("        server 127.0.0.1:8501;\n        server 127.0.0.1:8502;\n", servers)
    text = text.replace("pid /run/nginx-nn-playground.pid;", f"pid {folder}/nginx.pid;")
    text = text.replace("error_log stderr;", f"error_log {folder}/error.log;")
    temp = "".join(f"    {kind}_temp_path {folder}/{kind};\n" for kind in
                   ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("access_log /var/log/nginx/nn-playground.access.log", f"access_log {folder}/access.log")
    text = text.replace("http {\n", "http {\n" + temp + "    add_header X-NN-Upstream $upstream_addr always;\n", 1)
    text = text.replace("            add_header Set-Cookie $nn_route_cookie;\n",
                        "            add_header Set-Cookie $nn_route_cookie;\n"
                        "            add_header X-NN-Upstream $upstream_addr always;\n")
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


@contextlib.contextmanager
def nginx_server(upstreams: list[int]):
    """Debian's nginx, as a user's process, with ``deploy/nginx.conf`` in front of the app servers on
    ``upstreams``; yields its URL and its folder (the access log is ``access.log`` there)."""
    folder = Path(tempfile.mkdtemp(prefix="nn-nginx-"))
    port = free_port()
    conf = nginx_conf(port, upstreams, folder)
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        yield f"http://127.0.0.1:{port}", folder
    finally:
        stop(proc)
        shutil.rmtree(folder, True)


class Tab:
    """A browser tab as far as a Streamlit server can tell: its cookies (from loading the page, as a
    browser does first) and its websocket session; ``open(page, query)`` runs a page and collects
    what it shows: the texts of its alerts and Markdown, its popovers' labels, and the HTML of its
    views (by component name)."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.texts: list[str] = []
        self.views: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def load(self) -> None:
        with self.http.open(self.base + "/") as r:
            self.headers = dict(r.headers)
        self.http.open(self.base + "/_stcore/health").read()

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    async def open(self, page: str, query: str = "", timeout: float = 120.0) -> "Tab":
        import asyncio
        import json

        import websockets
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self.texts, self.views = [], {}
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        ws_url = "ws" + self.base[4:] + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=self.base, max_size=None,
                                      additional_headers={"cookie": self.cookie()}) as ws:
            await ws.send(msg.SerializeToString())
            async with asyncio.timeout(timeout):
                async for data in ws:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(data)
                    kind = fwd.WhichOneof("type")
                    if kind == "script_finished":
                        break
                    if kind != "delta":
                        continue
                    d = fwd.delta
                    if d.WhichOneof("type") == "add_block" and d.add_block.WhichOneof("type") == "popover":
                        self.texts.append(d.add_block.popover.label)
                    elif d.WhichOneof("type") == "new_element":
                        el = d.new_element
                        which = el.WhichOneof("type")
                        if which == "alert":
                            self.texts.append(el.alert.body)
                        elif which == "markdown":
                            self.texts.append(el.markdown.body)
                        elif which == "bidi_component":
                            self.views[el.bidi_component.component_name] = json.loads(el.bidi_component.json).get("html", "")
        return self
