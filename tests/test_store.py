"""The class store: one contract, checked on a real SQLite file and a real Redis server; two
processes sharing one SQLite file; a worker killed mid-class; a store that cannot be reached."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from playground.classroom.hub import Hub
from playground.classroom.store import RedisStore, SQLiteStore, StoreError, open_store
from playground.server.cli import free_port
from tests.classserver import REDIS, redis_server, skip_without

ROOT = Path(__file__).resolve().parent.parent
needs_redis = skip_without(REDIS, "redis-server")


@pytest.fixture(scope="module")
def redis_url():
    if not Path(REDIS).exists():
        pytest.skip(f"no redis-server at {REDIS}")
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=needs_redis)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SQLiteStore(tmp_path / "class.sqlite3")
    else:
        s = RedisStore(request.getfixturevalue("redis_url"))
        s.clear()
    yield s
    s.clear()
    s.close()


def test_a_students_latest_record_replaces_the_last_one(store):
    store.report({"a": {"nickname": "blue heron", "epoch": 10}, "b": {"nickname": "red fox", "epoch": 3}})
    store.report({"a": {"nickname": "blue heron", "epoch": 250, "goal_at": 1.5}})
    assert store.students() == {"a": {"nickname": "blue heron", "epoch": 250, "goal_at": 1.5},
                                "b": {"nickname": "red fox", "epoch": 3}}
    assert store.student("b") == {"nickname": "red fox", "epoch": 3}
    assert store.student("nobody") is None


def test_a_drawing_comes_back_as_28_by_28_bytes_with_its_digit_in_order(store):
    rng = np.random.default_rng(0)
    imgs = [rng.random((28, 28), dtype=np.float32) for _ in range(3)]
    for k, img in enumerate(imgs):
        store.add_drawing(f"s{k}", f"nick {k}", 7 - k, img)
    got = store.drawings()
    assert [(d.student, d.nickname, d.digit) for d in got] == [("s0", "nick 0", 7), ("s1", "nick 1", 6),
                                                                ("s2", "nick 2", 5)]
    assert [d.seq for d in got] == sorted(d.seq for d in got)
    for d, img in zip(got, imgs):  # one byte a pixel: the nearest of 256 levels, written out
        assert d.pixels.shape == (28, 28)
        np.testing.assert_allclose(d.pixels, np.floor(img * 255 + 0.5) / 255, atol=1e-7)


def test_the_teachers_controls_and_clearing_the_class(store):
    assert store.control() == {}
    store.set_control(paused=True, message={"id": 5, "page": "toy", "query": {"lesson": "03-xor"}, "label": "x"})
    store.set_control(paused=False)
    assert store.control() == {"paused": False,
                               "message": {"id": 5, "page": "toy", "query": {"lesson": "03-xor"}, "label": "x"}}
    store.report({"a": {"nickname": "n"}})
    store.add_drawing("a", "n", 1, np.zeros((28, 28)))
    store.clear()
    assert store.students() == {} and store.drawings() == [] and store.control() == {}


def test_sqlite_is_in_wal_mode_in_the_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("NN_PLAYGROUND_CACHE", str(tmp_path))
    s = open_store(None)
    s.report({"a": {"epoch": 1}})
    assert s.path == tmp_path / "class" / "class.sqlite3"
    assert _pragma(s.path, "journal_mode") == "wal"
    s.close()


def _pragma(path, name: str):
    c = sqlite3.connect(path)
    try:
        return c.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        c.close()


def test_store_specs(tmp_path):
    with open_store(f"sqlite:///{tmp_path}/spec.sqlite3") as s:  # tmp_path starts with "/": four slashes
        assert isinstance(s, SQLiteStore) and s.path == tmp_path / "spec.sqlite3"
    with pytest.raises(StoreError, match="--store must be"):
        open_store("mysql://somewhere")


WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from playground.classroom.store import SQLiteStore
s = SQLiteStore({path!r})
name, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    s.report({{f"{{name}}-{{k}}": {{"epoch": k}}}})
    if k % 3 == 0:
        s.add_drawing(f"{{name}}-{{k}}", name, k % 10, [[k % 2] * 28] * 28)
    print(k, flush=True)  # only once the write is committed
"""


def _writer(path: Path, name: str, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path)), name, str(n)],
                            stdout=subprocess.PIPE, text=True)


def test_two_workers_share_one_sqlite_file(tmp_path):
    path = tmp_path / "class.sqlite3"
    a, b = _writer(path, "a", 150), _writer(path, "b", 150)
    assert a.wait(120) == 0 and b.wait(120) == 0
    a.stdout.close(), b.stdout.close()
    with SQLiteStore(path) as s:
        students = s.students()
        assert set(students) == {f"{w}-{k}" for w in "ab" for k in range(150)}
        assert all(students[f"a-{k}"] == {"epoch": k} for k in range(150))
        assert len(s.drawings()) == 2 * 50  # k = 0, 3, ..., 147 from each


def test_a_worker_killed_mid_class_loses_nothing_it_stored(tmp_path):
    path = tmp_path / "class.sqlite3"
    other = _writer(path, "b", 100_000)  # another worker writing all along
    w = _writer(path, "a", 100_000)
    acked = [int(w.stdout.readline()) for _ in range(200)]
    os.kill(w.pid, signal.SIGKILL)  # no goodbye: mid-write, perhaps
    w.wait(10)
    acked += [int(line) for line in w.stdout.read().split()]  # whatever it had said before it died
    w.stdout.close()
    with SQLiteStore(path) as s:
        students = s.students()
        assert all(students.get(f"a-{k}") == {"epoch": k} for k in acked), "an acknowledged write was lost"
        assert _pragma(path, "integrity_check") == "ok"
        before = sum(k.startswith("b-") for k in s.students())
        time.sleep(0.3)
        assert sum(k.startswith("b-") for k in s.students()) > before  # the other worker goes on
    other.kill()
    other.wait(10)
    other.stdout.close()


@needs_redis
def test_a_worker_killed_mid_class_loses_nothing_it_stored_in_redis(redis_url):
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from playground.classroom.store import RedisStore\n"
            f"s = RedisStore({redis_url!r})\n"
            "for k in range(10**6):\n    s.report({f'r-{k}': {'epoch': k}}); print(k, flush=True)\n")
    w = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acked = [int(w.stdout.readline()) for _ in range(200)]
    os.kill(w.pid, signal.SIGKILL)
    w.wait(10)
    acked += [int(line) for line in w.stdout.read().split()]
    w.stdout.close()
    with RedisStore(redis_url) as s:
        students = s.students()
    assert all(students.get(f"r-{k}") == {"epoch": k} for k in acked)


def test_a_store_that_cannot_be_reached_says_so_in_one_sentence(tmp_path):
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError) as e:
        RedisStore(f"redis://127.0.0.1:{port}/0")
    assert str(e.value).startswith(f"The class store (the Redis server at 127.0.0.1:{port}) cannot be reached")
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot be opened"):
        SQLiteStore(tmp_path / "file" / "class.sqlite3")


@needs_redis
def test_the_hub_never_makes_a_student_wait_and_catches_up_when_the_store_is_back():
    port = free_port()
    hub = Hub(f"redis://127.0.0.1:{port}/0", flush=0.1)
    try:
        hub.report("a", {"epoch": 1})  # returns at once: memory only
        hub.report("a", {"epoch": 2})
        hub.report("b", {"epoch": 9})
        assert _eventually(lambda: hub.error.startswith("The class store"))
        with redis_server(port) as url, RedisStore(url) as direct:
            assert _eventually(lambda: hub.error == "" and direct.students() == {"a": {"epoch": 2}, "b": {"epoch": 9}})
            direct.set_control(paused=True)
            assert _eventually(lambda: hub.control == {"paused": True})
    finally:
        hub.stop()


def _eventually(predicate, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except StoreError:
            pass
        time.sleep(0.05)
    return False


def test_a_batch_of_reports_is_one_transaction(tmp_path):
    """With isolation_level=None, `with conn:` never said BEGIN: each of 50 rows was its own commit."""
    s = SQLiteStore(tmp_path / "class.sqlite3")
    said = []
    s._conn().set_trace_callback(said.append)
    s.report({f"s{i}": {"epoch": i} for i in range(50)})
    s.clear()
    assert [q for q in said if q.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")] == ["BEGIN IMMEDIATE", "COMMIT"] * 2
    assert s.students() == {}
    s.close()


def test_reads_from_many_threads_open_no_file_per_thread(tmp_path):
    """Streamlit runs each refresh of the teacher's page in a new thread: a connection per thread
    leaked two file handles per refresh until the process ran out."""
    import threading
    s = SQLiteStore(tmp_path / "class.sqlite3")
    s.report({"a": {"epoch": 1}})
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        t = threading.Thread(target=s.students)
        t.start()
        t.join()
    assert len(os.listdir("/proc/self/fd")) <= before + 1
    s.close()


def test_one_record_the_store_cannot_hold_does_not_lose_the_others(tmp_path, caplog):
    hub = Hub(f"sqlite:///{tmp_path / 'class.sqlite3'}", flush=3600)  # ticked by hand below
    try:
        hub.report("a", {"epoch": 1})
        hub.report("bad", {"epoch": object()})  # JSON cannot hold it
        hub.report("b", {"epoch": 2})
        hub.tick()  # the batch fails on "bad"...
        hub.tick()  # ...and the next one writes the others
        assert hub.store().students() == {"a": {"epoch": 1}, "b": {"epoch": 2}}
    finally:
        hub.stop()


def test_a_class_on_two_real_workers_shares_one_sqlite_store_and_outlives_one_of_them(tmp_path):
    """``nn-playground --class --workers 2`` as a teacher starts it: students land on both workers,
    every report reaches the one SQLite file, and after worker 0 is killed the teacher's page, on
    worker 1, still shows every student, those of worker 0 too."""
    import asyncio
    import re

    from playground.server.proxy import COOKIE
    from tests.classserver import Tab
    port = free_port()
    log = open(tmp_path / "out.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "playground.server.cli", "--class", "--workers", "2",
                             "--server.port", str(port), "--server.address", "127.0.0.1"], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, "NN_PLAYGROUND_CACHE": str(tmp_path)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while "workers ready" not in (tmp_path / "out.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "out.log").read_text()
            time.sleep(0.3)
        key = re.search(r"class\?key=(\S+)", (tmp_path / "out.log").read_text()).group(1)
        worker = lambda tab: int(next(c.value for c in tab.jar if c.name == COOKIE))

        async def students():
            tabs = [Tab(base) for _ in range(4)]
            for t in tabs:
                t.load()
            return await asyncio.gather(*(t.open("glossary") for t in tabs))
        tabs = asyncio.run(students())
        assert sorted(worker(t) for t in tabs) == [0, 0, 1, 1]  # round robin: both workers serve students
        nicks = {next(x for x in t.texts if x.startswith("In class as "))[len("In class as "):] for t in tabs}
        path = tmp_path / "class" / "class.sqlite3"
        assert _eventually(lambda: {r["nickname"] for r in SQLiteStore(path).students().values()} == nicks)
        children = sorted(int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split())
        args = Path(f"/proc/{children[0]}/cmdline").read_bytes().split(b"\0")
        its_port = int(args[args.index(b"--server.port") + 1])
        os.kill(children[0], signal.SIGKILL)  # worker 0, mid-class
        assert _eventually(lambda: not _listening(its_port))  # gone (a signal takes a moment)

        async def teacher():
            t = Tab(base)
            t.load()  # the proxy's turn may name worker 0: it is not answering, so worker 1 serves
            return await t.open("class", f"key={key}"), worker(t)
        page, where = asyncio.run(teacher())
        shown = page.views.get("nn_playground_class", "")
        assert where == 1 and all(f'data-nick="{n}"' in shown for n in nicks), shown[:300]
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def _listening(port: int) -> bool:
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
