"""deploy/nginx.conf with Debian's real nginx on 127.0.0.1 in front of two app processes sharing one
Redis store: sticky sessions, websockets upgraded, the live route passed through, one class."""
from __future__ import annotations

import asyncio
import secrets
import time
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest

from playground.classroom.store import RedisStore
from tests.browser import app_server
from tests.classserver import NGINX, REDIS, Tab, nginx_conf, nginx_server, redis_server, skip_without

pytestmark = [skip_without(NGINX, "nginx"), skip_without(REDIS, "redis-server")]
KEY = secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def deployment():
    """Redis, two app processes in one class (same key, same store, same cookie secret), nginx."""
    with ExitStack() as stack:
        store = stack.enter_context(redis_server())
        env = {"NN_PLAYGROUND_CLASS_KEY": KEY, "NN_PLAYGROUND_STORE": store,
               "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}
        apps = [stack.enter_context(app_server(env=env)) for _ in range(2)]
        ports = [int(u.rsplit(":", 1)[1]) for u in apps]
        url, folder = stack.enter_context(nginx_server(ports))
        yield url, ports, store, folder


def test_the_config_is_valid_for_nginx(tmp_path):
    import subprocess
    conf = nginx_conf(8080, [9001, 9002], tmp_path)
    r = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _get(url: str, cookie: str = "") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_a_browser_gets_a_route_cookie_once_and_the_live_route_is_passed_through(deployment):
    url, _, _, _ = deployment
    status, headers, body = _get(url + "/")
    assert status == 200 and b"<html" in body.lower()
    route = headers["Set-Cookie"].split(";")[0]
    assert route.startswith("nn_route=") and len(route) > 20
    status, again, _ = _get(url + "/_stcore/health", route)
    assert status == 200 and "Set-Cookie" not in again  # it has one: no new route
    assert again["X-NN-Upstream"] == headers["X-NN-Upstream"]
    status, _, _ = _get(url + "/nn-live/no-such-session", route)
    assert status == 410  # the app's answer (a session it does not know), not nginx's 404
    assert headers["Referrer-Policy"] == "no-referrer"  # the teacher's key never leaves in a Referer


def test_students_through_nginx_land_on_both_processes_stay_there_and_report_to_one_class(deployment):
    url, ports, store, folder = deployment
    tabs = [Tab(url) for _ in range(8)]

    async def students():
        for t in tabs:
            t.load()
        return await asyncio.gather(*(t.open("glossary") for t in tabs))
    asyncio.run(students())
    for t in tabs:  # each shows the class bar: its websocket was upgraded through nginx
        assert any(s.startswith("In class as ") for s in t.texts), t.texts
    nicknames = {next(s for s in t.texts if s.startswith("In class as "))[len("In class as "):] for t in tabs}
    with RedisStore(store) as s:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(s.students()) < len(tabs):
            time.sleep(0.2)
        records = s.students()
    assert {r["nickname"] for r in records.values()} >= nicknames and len(records) == len(tabs)
    # Both processes served students, and each tab's requests all went to one of them.
    where = {t.headers["X-NN-Upstream"] for t in tabs}
    assert where == {f"127.0.0.1:{p}" for p in ports}, where
    for t in tabs:
        for _ in range(3):
            assert _get(url + "/_stcore/health", t.cookie())[1]["X-NN-Upstream"] == t.headers["X-NN-Upstream"]

    async def teacher():
        t = Tab(url)
        t.load()
        return await t.open("class", f"key={KEY}")
    shown = asyncio.run(teacher()).views.get("nn_playground_class", "")
    for nick in nicknames:  # one teacher's page, on one process, sees the students of both
        assert f'data-nick="{nick}"' in shown
    assert _get(url + f"/class?key={KEY}")[0] == 200  # the address a browser loads first
    log = (folder / "access.log").read_text()
    assert "GET /class" in log and KEY not in log and "key=" not in log  # the teacher's key is in no log
