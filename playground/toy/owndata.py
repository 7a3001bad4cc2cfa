"""Your own data in the toy lab: points drawn on the plane or read from a CSV file, the rule that
splits them into training and test points, and their compact form in a link. No Streamlit here.

Labels follow the engine's conventions (``engine/heads.py``): two classes are -1 (orange) and
+1 (blue), 3 to 6 classes are indices 0 … k−1, regression targets are numbers in [-1, 1].
"""
from __future__ import annotations

import base64
import binascii
import struct
import zlib
from typing import NamedTuple

import numpy as np

from engine.toydata import DOMAIN, MAX_CLASSES

OWN = "own"  # the data set's name in the settings and in links
MAX_LINK_POINTS = 200  # a larger set does not travel in a link
PROBLEM_CODES = ("classification", "multiclass", "regression")


class OwnData(NamedTuple):
    problem: str  # "classification", "multiclass" or "regression"
    points: np.ndarray  # (N, 2) float32, in the plane [-6, 6]²
    y: np.ndarray  # (N,) float32 (-1/+1, or targets) or int32 class indices
    test: np.ndarray  # (N,) bool: a test point (else a training point)
    names: tuple[str, ...] = ()  # the classes' names (from a file), in class order; () for numbers

    @property
    def n(self) -> int:
        return len(self.y)


def empty(problem: str, names: tuple[str, ...] = ()) -> OwnData:
    dtype = np.int32 if problem == "multiclass" else np.float32
    return OwnData(problem, np.zeros((0, 2), np.float32), np.zeros(0, dtype), np.zeros(0, bool), names)


def next_is_test(n_test: int, n: int, train_ratio: int) -> bool:
    """Whether the point added to ``n`` points (``n_test`` of them test points) is a test point:
    yes when, with it, the test points would still be at most (100 − train_ratio) % of all.
    At 50 % every second point is a test point, at 80 % every fifth."""
    return (n_test + 1) * 100 <= (n + 1) * (100 - train_ratio)


def split_in_turn(n: int, train_ratio: int) -> np.ndarray:
    """The test flags of ``n`` points added one after another (``next_is_test`` for each)."""
    test = np.zeros(n, bool)
    k = 0
    for i in range(n):
        test[i] = next_is_test(k, i, train_ratio)
        k += test[i]
    return test


def resplit(own: OwnData, train_ratio: int) -> OwnData:
    return own._replace(test=split_in_turn(own.n, train_ratio))


def add_point(own: OwnData, x: float, y: float, label, train_ratio: int) -> OwnData:
    """``own`` with one more point at (x, y) (clipped to the plane), split by ``next_is_test``."""
    p = np.clip(np.array([[x, y]], np.float32), -DOMAIN, DOMAIN)
    test = next_is_test(int(own.test.sum()), own.n, train_ratio)
    if own.problem == "multiclass" and own.names and int(label) >= len(own.names):  # a class the file did not name
        own = own._replace(names=all_names(own.names, int(label) + 1))
    return own._replace(points=np.concatenate([own.points, p]),
                        y=np.concatenate([own.y, np.array([label], own.y.dtype)]),
                        test=np.append(own.test, test))


def erase_near(own: OwnData, x: float, y: float, radius: float = 0.6) -> OwnData:
    """``own`` without the point nearest to (x, y), if one lies within ``radius``."""
    if not own.n:
        return own
    d = np.hypot(own.points[:, 0] - x, own.points[:, 1] - y)
    i = int(np.argmin(d))
    if d[i] > radius:
        return own
    keep = np.arange(own.n) != i
    return own._replace(points=own.points[keep], y=own.y[keep], test=own.test[keep])


def all_names(names: tuple[str, ...], k: int) -> tuple[str, ...]:
    """``k`` names for the classes: a file's own names, then "class 4" … for any class beyond them
    (the Classes slider may add classes to a file's named ones)."""
    taken = set(names)
    extra = [f"class {i + 1}" for i in range(len(names), k)]
    extra = [n if n not in taken else f"{n} (new)" for n in extra]
    return tuple(names[:k]) + tuple(extra)


def n_classes(own: OwnData) -> int:
    if own.problem == "classification":
        return 2
    if own.problem == "multiclass":
        return max(len(own.names), int(own.y.max()) + 1 if own.n else 0)
    return 0


# --- in a link -------------------------------------------------------------------------------------
# base64url (no padding) of zlib of: problem code (1 byte), point count (2), the names' UTF-8
# length (2) and the names joined by "\x1f", then x and y as int16 over [-6, 6], the labels
# (int8 classes; int16 over [-1, 1] for regression) and the test flags as bits. Coordinates are
# thus kept to 0.0002, about a thousandth of a pixel of the map.
Q = 32767


def encode(own: OwnData) -> str:
    """``own`` as a link's value ("" for an empty set). 200 points: at most about 1,650 characters
    (regression's targets take two bytes a point, classes one; points drawn by hand compress)."""
    if not own.n:
        return ""
    names = "\x1f".join(own.names).encode()
    head = struct.pack(">BHH", PROBLEM_CODES.index(own.problem), own.n, len(names)) + names
    xy = np.rint(own.points / DOMAIN * Q).astype(">i2")
    labels = (np.rint(own.y * Q).astype(">i2") if own.problem == "regression"
              else np.where(own.y > 0, 1, 0).astype("i1") if own.problem == "classification"
              else own.y.astype("i1"))
    raw = head + xy.T.tobytes() + labels.tobytes() + np.packbits(own.test).tobytes()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode(text: str) -> OwnData:
    """The data a link's value carries; ValueError (saying what is wrong) if it is not one."""
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), 200_000)
        code, n, m = struct.unpack(">BHH", raw[:5])
        names = tuple(raw[5:5 + m].decode().split("\x1f")) if m else ()
        body = raw[5 + m:]
        problem = PROBLEM_CODES[code]
        lab = 2 if problem == "regression" else 1
        if len(body) != n * 4 + n * lab + (n + 7) // 8 or not 1 <= n <= 10_000:
            raise ValueError
        xy = np.frombuffer(body[:n * 4], ">i2").reshape(2, n).T
        labels = np.frombuffer(body[n * 4:n * 4 + n * lab], ">i2" if lab == 2 else "i1")
        test = np.unpackbits(np.frombuffer(body[n * 4 + n * lab:], np.uint8))[:n].astype(bool)
    except (binascii.Error, zlib.error, struct.error, UnicodeDecodeError, IndexError, ValueError):
        raise ValueError("must be a set of points written by this page") from None
    if problem == "regression":
        y = (labels / Q).astype(np.float32)
    elif problem == "classification":
        y = np.where(labels > 0, 1.0, -1.0).astype(np.float32)
    else:
        if labels.min() < 0 or labels.max() >= MAX_CLASSES or len(names) > MAX_CLASSES:
            raise ValueError("must be a set of points written by this page")
        y = labels.astype(np.int32)
    fits = (problem == "classification" and len(names) == 2
            or problem == "multiclass" and int(y.max()) < len(names) <= MAX_CLASSES)
    names = names if fits else ()
    return OwnData(problem, (xy / Q * DOMAIN).astype(np.float32), y, test, names)


def check_link_value(text) -> str | None:
    """The settings' check of the ``points`` field: None when fine."""
    if not isinstance(text, str):
        return "must be a set of points written by this page"
    if text == "":
        return None
    try:
        decode(text)
    except ValueError as e:
        return str(e)
    return None
