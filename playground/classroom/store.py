"""Where a class lives: the students' progress, their drawings and the teacher's controls, in a
store shared by every app process, so that the class outlives any one of them.

One interface (``Store``), two backends:

- ``SQLiteStore``: a file in the cache directory (``engine/cache.py``, kind "class") in WAL mode,
  shared by the workers of one host. Each write is one committed transaction, so a worker that is
  killed loses nothing it had stored.
- ``RedisStore``: a Redis server (``--store redis://host:port/db``), shared by hosts behind a load
  balancer. Keys live under ``nnp:``.

A student's record is a small JSON object (nickname, page, lesson, goal, epoch, test loss, a tiny
picture); a drawing is 28×28 bytes with the digit meant. Anything the store cannot do raises
``StoreError`` with one sentence for the teacher's page. No Streamlit here.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from engine.cache import cache_dir

SIDE = 28  # a drawing as MNIST's digits are: 28×28, one byte a pixel


class StoreError(RuntimeError):
    """The class store cannot be used just now; the message is one sentence for a person."""


@dataclass(frozen=True)
class Drawing:
    seq: int  # the order drawings arrived in
    student: str
    nickname: str
    digit: int  # the digit the student meant
    pixels: np.ndarray  # (28, 28) float32 in [0, 1]
    at: float


def _said(e: Exception) -> str:
    """An error's own words, inside our sentence (without its full stop)."""
    return str(e).strip().rstrip(".") or type(e).__name__


def _pixels_bytes(img) -> bytes:
    a = np.asarray(img, np.float32).reshape(SIDE, SIDE)
    return (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8).tobytes()


def _pixels(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, np.uint8).reshape(SIDE, SIDE).astype(np.float32) / 255


class Store:
    """The class's shared state."""

    where = ""  # where the class lives, in words (for the teacher's page)

    def report(self, records: dict[str, dict]) -> None:
        """Store each student's latest record (student id -> record), replacing the last one."""
        raise NotImplementedError

    def students(self) -> dict[str, dict]:
        """Every student's latest record, by student id."""
        raise NotImplementedError

    def student(self, sid: str) -> dict | None:
        raise NotImplementedError

    def add_drawing(self, sid: str, nickname: str, digit: int, img) -> None:
        raise NotImplementedError

    def drawings(self) -> list[Drawing]:
        """The class's drawings, oldest first."""
        raise NotImplementedError

    def set_control(self, **values) -> None:
        """The teacher's controls: ``paused`` (bool), ``message`` ({"id", "link", "label"})."""
        raise NotImplementedError

    def control(self) -> dict:
        raise NotImplementedError

    def clear(self) -> None:
        """Delete every student record and drawing (the teacher's controls go back to none)."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SQLiteStore(Store):
    """One connection for the process, used under a lock: Streamlit runs every script and fragment
    run in a thread of its own, so a connection per thread leaked one file handle per refresh of
    the teacher's page. A batch is one transaction (BEGIN … COMMIT): all of it or none."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.where = f"the file {self.path.name} on this machine"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        with self._lock:
            self._conn()  # fail now, in one sentence, if the file cannot be made

    def _conn(self) -> sqlite3.Connection:
        """The connection (opened on first use); call with the lock held."""
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # isolation_level=None: no transaction is opened behind our back; _do says BEGIN itself.
                conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
                conn.execute("PRAGMA synchronous=NORMAL")  # in WAL: a killed process loses no commit
                conn.executescript(
                    "CREATE TABLE IF NOT EXISTS students (id TEXT PRIMARY KEY, record TEXT NOT NULL, at REAL);"
                    "CREATE TABLE IF NOT EXISTS drawings (seq INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT,"
                    " nickname TEXT, digit INTEGER, pixels BLOB, at REAL);"
                    "CREATE TABLE IF NOT EXISTS control (key TEXT PRIMARY KEY, value TEXT);")
            except (sqlite3.Error, OSError) as e:
                raise StoreError(f"The class store ({self.path}) cannot be opened: {_said(e)}.") from None
            self._db = conn
        return self._db

    def _do(self, sql: str, rows=(), many: bool = False):
        return self._transaction([(sql, rows)]) if many else self._read(sql, rows)

    def _read(self, sql: str, args=()):
        try:
            with self._lock:
                return self._conn().execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"The class store ({self.path.name}) cannot be used just now: {_said(e)}.") from None

    def _transaction(self, statements: list[tuple[str, list]]) -> None:
        """Each (sql, rows) with executemany, all in one transaction."""
        try:
            with self._lock:
                conn = self._conn()
                conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock between two writers
                try:
                    for sql, rows in statements:
                        conn.executemany(sql, rows)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreError(f"The class store ({self.path.name}) cannot be used just now: {_said(e)}.") from None

    def report(self, records):
        now = time.time()
        self._do("INSERT OR REPLACE INTO students (id, record, at) VALUES (?, ?, ?)",
                 [(sid, json.dumps(r), now) for sid, r in records.items()], many=True)

    def students(self):
        return {sid: json.loads(r) for sid, r in self._do("SELECT id, record FROM students")}

    def student(self, sid):
        rows = self._do("SELECT record FROM students WHERE id = ?", (sid,))
        return json.loads(rows[0][0]) if rows else None

    def add_drawing(self, sid, nickname, digit, img):
        self._do("INSERT INTO drawings (student, nickname, digit, pixels, at) VALUES (?, ?, ?, ?, ?)",
                 [(sid, nickname, int(digit), _pixels_bytes(img), time.time())], many=True)

    def drawings(self):
        return [Drawing(seq, s, n, d, _pixels(p), at) for seq, s, n, d, p, at in
                self._do("SELECT seq, student, nickname, digit, pixels, at FROM drawings ORDER BY seq")]

    def set_control(self, **values):
        self._do("INSERT OR REPLACE INTO control (key, value) VALUES (?, ?)",
                 [(k, json.dumps(v)) for k, v in values.items()], many=True)

    def control(self):
        return {k: json.loads(v) for k, v in self._do("SELECT key, value FROM control")}

    def clear(self):
        self._transaction([("DELETE FROM students", [()]), ("DELETE FROM drawings", [()]),
                           ("DELETE FROM control", [()])])

    def close(self):
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class RedisStore(Store):
    PREFIX = "nnp:"

    def __init__(self, url: str):
        import redis
        self.url = url
        parts = urlsplit(url)
        self.where = f"the Redis server at {parts.hostname}:{parts.port or 6379}"
        # Short timeouts: a student's page never waits long on a store that went away.
        self.r = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._errors = (redis.RedisError, OSError)
        self._call(self.r.ping)

    def _key(self, name: str) -> str:
        return self.PREFIX + name

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except self._errors as e:
            raise StoreError(f"The class store ({self.where}) cannot be reached: {_said(e)}.") from None

    def report(self, records):
        if records:
            self._call(self.r.hset, self._key("students"), None, None, None,
                       [x for sid, r in records.items() for x in (sid, json.dumps(r))])

    def students(self):
        raw = self._call(self.r.hgetall, self._key("students"))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def student(self, sid):
        raw = self._call(self.r.hget, self._key("students"), sid)
        return json.loads(raw) if raw else None

    def add_drawing(self, sid, nickname, digit, img):
        seq = self._call(self.r.incr, self._key("drawing_seq"))
        self._call(self.r.rpush, self._key("drawings"), json.dumps(
            {"seq": seq, "student": sid, "nickname": nickname, "digit": int(digit),
             "pixels": _pixels_bytes(img).hex(), "at": time.time()}))

    def drawings(self):
        out = []
        for raw in self._call(self.r.lrange, self._key("drawings"), 0, -1):
            d = json.loads(raw)
            out.append(Drawing(d["seq"], d["student"], d["nickname"], d["digit"], _pixels(bytes.fromhex(d["pixels"])),
                               d["at"]))
        return out

    def set_control(self, **values):
        self._call(self.r.hset, self._key("control"), None, None, None,
                   [x for k, v in values.items() for x in (k, json.dumps(v))])

    def control(self):
        raw = self._call(self.r.hgetall, self._key("control"))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def clear(self):
        self._call(self.r.delete, self._key("students"), self._key("drawings"), self._key("control"))

    def close(self):
        self.r.close()


def default_path() -> Path:
    return cache_dir("class") / "class.sqlite3"


def open_store(spec: str | None = None) -> Store:
    """The store a spec names: ``redis://host:port/db``, ``sqlite:////absolute/path`` (or ``sqlite:///relative``), or (none) the
    SQLite file in the cache directory. Raises StoreError with one sentence."""
    spec = (spec or "").strip()
    if not spec or spec == "sqlite":
        return SQLiteStore(default_path())
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(spec)
    if spec.startswith("sqlite:///"):
        return SQLiteStore(spec[len("sqlite:///"):])  # as SQLAlchemy: four slashes for an absolute path
    raise StoreError(f"--store must be redis://host:port/db or sqlite:////path/to/file, got {spec!r}.")
