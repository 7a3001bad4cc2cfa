"""Hostile model files: how many the tests try, and what refusing the worst of them costs.

Run with ``.venv/bin/python benchmarks/modelfile.py``. Prints how many hostile cases
``tests/test_modelio_fuzz.py`` and ``tests/test_modelio.py`` try (Hypothesis examples from the
tests' own settings, plus the explicit cases), the reader's limits, and for each of the worst
files the time and peak memory ``engine.modelio.load_model`` takes to refuse it, against loading
a normal default digits-size model (784→512→10) in the same run; the largest network and the
longest history a file may hold are loaded too, for scale. Memory: the peak of Python's and
NumPy's allocations (tracemalloc), and how much the peak resident size of a fresh process that
has already read the file grows while it loads it (VmHWM, reset through /proc/self/clear_refs:
ru_maxrss cannot go below the peak of importing JAX).
"""
from __future__ import annotations

import inspect
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from engine import modelio  # noqa: E402
from engine.model import MAX_LAYERS, MAX_NEURONS, MLPSpec  # noqa: E402
from engine.modelio import ModelFileError, load_model, save_model  # noqa: E402


# --- the cases the tests try -------------------------------------------------------------------
def count_cases() -> list[tuple[str, int]]:
    import test_modelio
    import test_modelio_fuzz as fuzz
    examples, explicit, given = 0, 0, 0
    for name, fn in vars(fuzz).items():
        if not name.startswith("test_"):
            continue
        if hasattr(fn, "hypothesis"):
            given += 1
            examples += fn._hypothesis_internal_use_settings.max_examples
        elif re.search(r"\b_(refused|peak)\(", inspect.getsource(fn)):  # a file that must be refused
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            explicit += sum(len(m.args[1]) for m in marks) if marks else 1
    bad_files = len(test_modelio._bad_files())
    return [(f"Hypothesis examples ({given} tests)", examples),
            ("explicit hostile cases, tests/test_modelio_fuzz.py", explicit),
            ("bad files, tests/test_modelio.py", bad_files),
            ("total", examples + explicit + bad_files)]


# --- the files ---------------------------------------------------------------------------------
DIGITS = MLPSpec(784, (512,), 10, "relu", "softmax_ce")


def normal_model() -> bytes:
    rng = np.random.default_rng(0)
    params = [(rng.normal(0, 0.05, (a, b)).astype(np.float32), np.zeros(b, np.float32))
              for a, b in zip(DIGITS.sizes[:-1], DIGITS.sizes[1:])]
    history = {k: rng.random(41).astype(np.float32) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}
    return save_model(params, DIGITS, kind="digits", history=history,
                      settings={"hidden": "512", "activation": "relu", "epochs": "40", "seed": "0"})


def largest_network() -> bytes:
    spec = MLPSpec(4096, (MAX_NEURONS,) * MAX_LAYERS, 100, "relu", "softmax_ce")
    rng = np.random.default_rng(1)
    params = [(rng.normal(0, 0.05, (a, b)).astype(np.float32), np.zeros(b, np.float32))
              for a, b in zip(spec.sizes[:-1], spec.sizes[1:])]
    return save_model(params, spec, kind="digits", settings={}, history={})


def longest_history() -> bytes:
    rng = np.random.default_rng(2)
    n = modelio.MAX_EPOCHS + 1
    history = {k: (rng.random(n) * 10.0 ** rng.integers(-9, 3, n)).astype(np.float32)
               for k in ("train_loss", "test_loss", "train_acc", "test_acc")}
    spec = MLPSpec(2, (4, 2), 1)
    params = [(np.zeros((a, b), np.float32), np.zeros(b, np.float32)) for a, b in zip(spec.sizes[:-1], spec.sizes[1:])]
    return save_model(params, spec, kind="toy", settings={}, history=history)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def npy_header(shape, descr) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def archive(good: bytes, **replaced: bytes) -> bytes:
    parts = {**members(good), **{f"{k}.npy": v for k, v in replaced.items()}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def json_header(text: bytes) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(text, np.uint8))
    return buf.getvalue()


def header_bomb(good: bytes, size: int) -> bytes:
    """An archive whose header unpacks to ``size`` bytes of valid JSON (spaces after an object)."""
    buf = io.BytesIO()
    start = b'{"format": "nn-playground-model"}'
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("header.npy", "w", force_zip64=True) as f:
            f.write(npy_header((size,), "|u1") + start)
            chunk, left = b" " * 2 ** 24, size - len(start)
            while left > 0:
                f.write(chunk[:left])
                left -= len(chunk)
        for name, data in members(good).items():
            if name != "header.npy":
                zf.writestr(name, data)
    return buf.getvalue()


def hostile_files(good: bytes) -> list[tuple[str, bytes]]:
    header = json.loads(members(good)["header.npy"][128:])
    deep = b'{"format": "nn-playground-model", "version": 1, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    values = json.dumps({**header, "history": {"x": [0.123456789] * (modelio.MAX_VALUES - 50)}}).encode()
    return [
        ("60 MB of random bytes", b"PK\x03\x04" + np.random.default_rng(0).bytes(60_000_000)),
        ("w0 declared 100,000×100,000 float32 (37 GiB)", archive(good, w0=npy_header((100_000, 100_000), "<f4"))),
        ("header nested 200,000 deep", archive(good, header=json_header(deep))),
        ("header declared 10 GB (.npy header only)", archive(good, header=npy_header((10 ** 10,), "|u1"))),
        ("header unpacking to 1 GB (zip bomb)", header_bomb(good, 1_000_000_000)),
        (f"header of {len(values) / 1e6:.0f} MB, {modelio.MAX_VALUES:,} values: parsed, then refused",
         archive(good, header=json_header(values))),
        ("zip of 5,000 members", archive(good, **{f"x{i}": b"" for i in range(5000)})),
    ]


# --- measuring ---------------------------------------------------------------------------------
def best_of(fn, repeats=5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def attempt(data: bytes) -> str:
    try:
        load_model(data)
        return "loaded"
    except ModelFileError as e:
        return str(e).removeprefix("This file cannot be loaded as an nn-playground model: ")


def traced_peak(data: bytes) -> int:
    tracemalloc.start()
    try:
        attempt(data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


CHILD = """
import re, sys
sys.path.insert(0, sys.argv[1])
from engine.modelio import ModelFileError, load_model
data = open(sys.argv[2], "rb").read()
kb = lambda name: int(re.search(name + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))
open("/proc/self/clear_refs", "w").write("5")  # the peak resident size starts again from here (Linux)
before = kb("VmRSS")
try:
    load_model(data)
except ModelFileError:
    pass
print((kb("VmHWM") - before) * 1024)
"""


def rss_growth(data: bytes) -> int:
    """Bytes the peak resident size (VmHWM) grows by while a fresh process, the file already read,
    reads it."""
    with tempfile.NamedTemporaryFile(suffix=".npz") as f:
        f.write(data)
        f.flush()
        out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), f.name], capture_output=True, text=True,
                             check=True)
    return int(out.stdout)


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 10_000 else f"{n / 1e3:.1f} kB"


def main():
    print("| hostile cases the tests try | count |\n|---|---:|")
    for label, n in count_cases():
        print(f"| {label} | {n:,} |")

    print(f"\nLimits: a file over {modelio.MAX_BYTES / 1e6:.0f} MB is refused unread; a header over "
          f"{modelio.MAX_HEADER_BYTES / 1e6:.0f} MB is refused before it is unpacked; the header may nest "
          f"{modelio.MAX_DEPTH} deep, hold {modelio.MAX_LISTS:,} lists and {modelio.MAX_VALUES:,} values, a history "
          f"{modelio.MAX_EPOCHS:,} epochs; all arrays together unpack to at most "
          f"{(modelio.MAX_HEADER_BYTES + modelio.MAX_WEIGHT_BYTES) / 1e6:.0f} MB.")

    good = normal_model()
    assert attempt(good) == "loaded"
    hostile = hostile_files(good)
    cases = [("normal 784→512→10 model", good),
             (f"largest network, 4096→{MAX_NEURONS}×{MAX_LAYERS}→100", largest_network()),
             (f"longest history, {modelio.MAX_EPOCHS:,} epochs × 4", longest_history())] + hostile
    base = best_of(lambda: attempt(good))
    print(f"\n| file | size | result | time | × normal load | tracemalloc peak | peak RSS growth |\n"
          f"|---|---:|---|---:|---:|---:|---:|")
    for label, data in cases:
        result = attempt(data)
        t = best_of(lambda: attempt(data), 3)
        print(f"| {label} | {mb(len(data))} | {result} | {t * 1e3:.2f} ms | {t / base:.2f}× "
              f"| {mb(traced_peak(data))} | {mb(rss_growth(data))} |")
    label, data = max(hostile, key=lambda c: len(c[1]))
    print(f"\nLargest file refused here: {mb(len(data))} ({label}); largest header: 10 GB declared, "
          f"1 GB actually in the zip (both refused before a byte of it is unpacked).")
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
