"""The class drawings board's numbers: what a model reads in the class's drawings, its accuracy,
the confusions, and a class model fine-tuned on some of the drawings and scored on the others.
No Streamlit here.
"""
from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from engine.default_model import fine_tune
from engine.model import forward

MIN_TUNE = 8  # drawings needed before a class model is worth fine-tuning (6 to train on, 2 held out)
HOLD_EVERY = 4  # every 4th drawing (in the order they came) is held out of the fine-tuning


def as_inputs(drawings) -> np.ndarray:
    """(N, 784) float32 in [0, 1], as the digits models read them."""
    if not drawings:
        return np.zeros((0, 784), np.float32)
    return np.stack([np.asarray(d.pixels, np.float32).reshape(-1) for d in drawings])


def read(params, spec, x: np.ndarray) -> np.ndarray:
    """The digit a model reads in each of ``x``: (N,) ints."""
    if len(x) == 0:
        return np.zeros(0, np.int64)
    return np.asarray(jnp.argmax(forward(params, spec, jnp.asarray(x, jnp.float32)), axis=-1))


def accuracy(meant: np.ndarray, got: np.ndarray) -> float:
    return float(np.mean(np.asarray(meant) == np.asarray(got))) if len(meant) else float("nan")


def confusions(meant, got) -> list[tuple[int, int, int]]:
    """(digit meant, digit read, how many times) for every mistake, the most frequent first."""
    pairs = Counter((int(m), int(g)) for m, g in zip(meant, got) if int(m) != int(g))
    return sorted(((m, g, c) for (m, g), c in pairs.items()), key=lambda t: (-t[2], t[0], t[1]))


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(fine-tuned on, held out): indices into n drawings; every ``HOLD_EVERY``-th is held out."""
    idx = np.arange(n)
    held = idx % HOLD_EVERY == HOLD_EVERY - 1
    return idx[~held], idx[held]


class Tuned(NamedTuple):
    params: list
    before: float  # the default model's accuracy on the held-out drawings
    after: float  # the class model's
    n_train: int
    n_held: int


def tune_class_model(params, spec, drawings, epochs: int = 5) -> Tuned:
    """Fine-tune ``params`` on the embedded digits plus the class's drawings (those not held out);
    score the model before and after on the held-out ones."""
    x, y = as_inputs(drawings), np.array([d.digit for d in drawings], np.int32)
    train, held = split(len(drawings))
    tuned = fine_tune(params, spec, x[train], y[train], epochs=epochs)
    return Tuned(tuned, accuracy(y[held], read(params, spec, x[held])), accuracy(y[held], read(tuned, spec, x[held])),
                 len(train), len(held))
