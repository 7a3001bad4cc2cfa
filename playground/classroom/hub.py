"""This process's link to the class: whether a class is being served, the teacher's key, and the
store, written and read by one background thread so that no student's page ever waits on it.

``nn-playground --class`` puts the teacher's key (random, printed once) and the store's spec in
the environment of every app process it starts; a process without a key serves no class, and
its pages look exactly as they always did. No Streamlit here.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import threading
import time

from playground.classroom.store import Store, StoreError, open_store

KEY_ENV = "NN_PLAYGROUND_CLASS_KEY"  # set by `nn-playground --class`: the teacher's key
STORE_ENV = "NN_PLAYGROUND_STORE"  # set by `--store`: where the class lives (default: SQLite)
FLUSH = 0.5  # seconds between two batches of reports (and two reads of the teacher's controls)
log = logging.getLogger("nn-playground")


def class_key() -> str:
    return os.environ.get(KEY_ENV, "")


def in_class() -> bool:
    """Whether this server serves a class (started with ``nn-playground --class``)."""
    return bool(class_key())


def is_teacher_key(given: str | None) -> bool:
    """Whether ``given`` is the teacher's key, compared in constant time (False outside a class)."""
    key = class_key()
    return bool(key) and isinstance(given, str) and hmac.compare_digest(given.encode(), key.encode())


class Hub:
    """Reports are queued (each student's latest only) and written in one batch every ``FLUSH``
    seconds; the teacher's controls are read as often and kept here. Whatever the store does, a
    student's page only ever touches memory; ``error`` holds the store's last complaint ("" once
    it works again)."""

    def __init__(self, spec: str | None, flush: float = FLUSH):
        self.spec, self.flush = spec, flush
        self._store: Store | None = None
        self._pending: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._opening = threading.Lock()
        self.control: dict = {}
        self.error = ""
        self.read_at = 0.0  # when the controls were last read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nn-class-hub", daemon=True)
        self._thread.start()

    # --- for the pages --------------------------------------------------------------------------
    def report(self, sid: str, record: dict) -> None:
        with self._lock:
            self._pending[sid] = record

    def store(self) -> Store:
        """The store, opened on first use (raises StoreError with one sentence)."""
        with self._opening:
            if self._store is None:
                self._store = open_store(self.spec)
            return self._store

    def call(self, what: str, *args, **kwargs):
        """A store method now, in the caller's thread (the teacher's page, a drawing sent)."""
        return getattr(self.store(), what)(*args, **kwargs)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    # --- the background thread -----------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.flush)
        if self._store is not None:
            self._store.close()

    def tick(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
        try:
            store = self.store()
            if batch:
                store.report(batch)
            self.control = store.control()
            self.read_at = time.time()
            self.error = ""
        except StoreError as e:
            self.error = str(e)
            with self._lock:  # kept for when the store is back, unless a newer report came meanwhile
                self._pending = {**batch, **self._pending}
        except Exception:  # a bug here must never stop the class's thread, nor lose the others' reports
            log.exception("the class store's thread")
            with self._lock:  # keep every record that can be written; a record JSON cannot hold is dropped
                self._pending = {**{sid: r for sid, r in batch.items() if _writable(r)}, **self._pending}


def _writable(record: dict) -> bool:
    try:
        json.dumps(record)
        return True
    except (TypeError, ValueError):
        return False


_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub() -> Hub:
    """This process's hub (one per process, started on first use)."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub(os.environ.get(STORE_ENV))
        return _hub
