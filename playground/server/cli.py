"""``nn-playground``: a thin wrapper around ``streamlit run`` for the app.

``nn-playground --workers N`` serves a class from N app processes behind one address (see
``proxy.py`` here): one Streamlit process uses about one core, so on a laptop with two
cores two workers carry twice the class.

``nn-playground --class`` also serves the teacher's page (``playground/classroom/``): it makes a
random teacher's key, prints the teacher's address carrying it, and hands the key and the store
(``--store redis://host:port/db``; by default a SQLite file in the cache directory) to every app
process through the environment.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).with_name("serve.py")  # app.py, plus the live-frame route


def command(args: list[str]) -> list[str]:
    """The ``streamlit run`` command line for the app, with the user's extra arguments."""
    # A full garbage collection after every run (Streamlit's default) costs ~50 ms with JAX
    # loaded: it would cap live training at a few frames per second.
    defaults = ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--runner.postScriptGC", "false", "--client.toolbarMode", "minimal"]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *defaults, *args]


def _option(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """The value of ``--name V`` or ``--name=V`` in ``args``, and ``args`` without it."""
    rest, value, skip = [], None, False
    for i, a in enumerate(args):
        if skip:
            skip = False
        elif a == name and i + 1 < len(args):
            value, skip = args[i + 1], True
        elif a.startswith(name + "="):
            value = a.split("=", 1)[1]
        else:
            rest.append(a)
    return value, rest


def _base(args: list[str]) -> str:
    """The path the app is served under (``--server.baseUrlPath``) as "/" or "/<path>/"."""
    from playground.server.live import as_base
    return as_base(_option(args, "--server.baseUrlPath")[0])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_setup(core: int | None):
    """What a worker process does before it starts: end with the proxy, and run on one core."""
    def setup() -> None:
        _die_with_parent()
        if core is not None:
            # XLA's CPU thread pool ignores the thread flags in JAX 0.10 (measured); pinning
            # each worker to its own core caps what one worker's computations can take, so a
            # student training a huge network slows only the sessions on their own worker.
            os.sched_setaffinity(0, {core})
    return setup


def _die_with_parent() -> None:
    """In a worker, before it starts: Linux ends it when the proxy process ends, however that
    ends (even killed outright), so that no worker is ever left running on its own."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the proxy's own shutdown still stops its workers


def serve_workers(n: int, args: list[str]) -> None:
    """N app processes on private ports, one proxy on the public address."""
    import asyncio

    from playground.server.proxy import serve
    port, args = _option(args, "--server.port")
    address, args = _option(args, "--server.address")
    _, args = _option(args, "--server.headless")
    ports = [free_port() for _ in range(n)]
    secret = secrets.token_hex(16)  # shared, so that any worker accepts the others' cookies
    env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secret}
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = os.environ.get("NN_PLAYGROUND_PIN", "1") != "0" and len(cores) >= 2
    procs = [subprocess.Popen(command([*args, "--server.port", str(p), "--server.address", "127.0.0.1",
                                       "--server.headless", "true"]), env=env,
                              preexec_fn=_worker_setup(cores[k % len(cores)] if pin else None))
             for k, p in enumerate(ports)]
    try:
        deadline = time.monotonic() + 120
        for p in ports:
            while True:
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{p}{_base(args)}_stcore/health",
                                              timeout=1).read() == b"ok":
                        break
                except OSError:
                    if time.monotonic() > deadline or any(pr.poll() is not None for pr in procs):
                        raise SystemExit("nn-playground: a worker did not start; see the messages above")
                    time.sleep(0.3)
        ready = lambda: print(f"nn-playground: {n} workers ready; open http://{address or 'localhost'}:"
                              f"{port or 8501}{_base(args)} (Ctrl+C stops it)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as Ctrl+C does, workers too
        try:
            asyncio.run(serve(ports, address or "0.0.0.0", int(port or 8501), ready))
        except KeyboardInterrupt:
            pass
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(10)
            except subprocess.TimeoutExpired:
                pr.kill()


def _flag(args: list[str], name: str) -> tuple[bool, list[str]]:
    return name in args, [a for a in args if a != name]


def start_class(args: list[str], store: str | None) -> str:
    """``--class``: a new random teacher's key and the store, in the environment every app process
    inherits; returns the line that tells the teacher their address."""
    from playground.classroom.hub import KEY_ENV, STORE_ENV
    from playground.classroom.store import StoreError, open_store
    key = secrets.token_urlsafe(18)
    os.environ[KEY_ENV] = key
    if store:
        os.environ[STORE_ENV] = store
    try:
        s = open_store(store)
        stored = f"the class is stored in {s.where}"
        s.close()
    except StoreError as e:  # the teacher's page says so too, and the students work on
        stored = f"{e} The students can work meanwhile; the teacher's page says so until it answers."
    port, _ = _option(args, "--server.port")
    address, _ = _option(args, "--server.address")
    host = address if address and address not in ("0.0.0.0", "::") else "localhost"
    return (f"nn-playground: {stored}\n"
            f"nn-playground: teacher's page (keep this address to yourself): "
            f"http://{host}:{port or 8501}{_base(args)}class?key={key}")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    teaching, args = _flag(args, "--class")
    store, args = _option(args, "--store")
    if store and not teaching:
        raise SystemExit("nn-playground: --store goes with --class (the class's store)")
    if teaching:
        print(start_class(args, store), flush=True)
    workers, args = _option(args, "--workers")
    if workers is not None:
        if not workers.isdigit() or not 1 <= int(workers) <= 64:
            raise SystemExit(f"nn-playground: --workers must be a whole number from 1 to 64, got {workers!r}")
        if int(workers) > 1:
            serve_workers(int(workers), args)
            return
    port, _ = _option(args, "--server.port")
    print(f"nn-playground: open http://localhost:{port or 8501}{_base(args)} in your browser (Ctrl+C stops it)",
          flush=True)
    cmd = command(args)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
