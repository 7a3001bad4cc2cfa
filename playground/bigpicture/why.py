"""Why did it answer that: the three maps for one digit, and what the page shows for a lesson's
goal. No Streamlit here."""
from __future__ import annotations

import time
from functools import lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import explain as ex
from engine.calibrate import softmax_t
from engine.model import MLPSpec, Params
from playground.bigpicture.settings import RUNNER_UP, BigPictureSettings


@lru_cache(maxsize=1)
def validation_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 250 embedded digits the default model never trained on (its calibration digits):
    images (250, 784) in [0, 1] and labels (250,)."""
    from engine.default_model import calibration_split
    from engine.digits_data import load_mnist_5k
    _, x, y = calibration_split(load_mnist_5k())
    return x, y


class Explanation(NamedTuple):
    image: np.ndarray  # (28, 28) the digit
    probs: np.ndarray  # (10,) softmax(scores / T)
    answer: int
    other: int  # the class it is compared with
    saliency: np.ndarray  # (28, 28) ∂ score_answer / ∂ pixel
    occlusion: np.ndarray  # (7, 7) drop in p_answer with each 4×4 patch greyed out
    contrast: np.ndarray  # (28, 28) ∂ (score_answer − score_other) / ∂ pixel
    ms: dict[str, float]  # milliseconds each map took


def runner_up(probs: np.ndarray) -> int:
    return int(np.argsort(-probs)[1])


def explain(params: Params, spec: MLPSpec, image: np.ndarray, other: int = RUNNER_UP,
            temperature: float = 1.0) -> Explanation:
    """All three maps for ``image`` (28, 28); ``other`` is the class to compare with (RUNNER_UP:
    the second most likely one; never the answer itself)."""
    x = jnp.asarray(np.asarray(image, np.float32).reshape(-1))
    side = int(round(np.sqrt(x.size)))
    ms = {}

    def timed(name, fn, *args, **kw):
        t = time.perf_counter()
        out = jax.block_until_ready(fn(*args, **kw))
        ms[name] = (time.perf_counter() - t) * 1000
        return out

    sal, c = timed("saliency", ex.saliency, params, spec, x)
    drop, _ = timed("occlusion", ex.occlusion, params, spec, x, side=side, temperature=temperature)
    probs = softmax_t(np.asarray(ex.scores(params, spec, x)), temperature)
    answer = int(c)
    if other == RUNNER_UP or other == answer:
        other = runner_up(probs)
    con = timed("contrast", ex.contrast, params, spec, x, answer, other)
    return Explanation(np.asarray(x).reshape(side, side), probs, answer, other, np.asarray(sal).reshape(side, side),
                       np.asarray(drop), np.asarray(con).reshape(side, side), ms)


def top_patch(drop: np.ndarray, patch: int = 4) -> tuple[int, int]:
    """The (row, column) pixel of the top-left corner of the patch whose hiding costs the most."""
    r, c = np.unravel_index(int(np.argmax(drop)), drop.shape)
    return int(r) * patch, int(c) * patch


def page_ui(view: str, e: Explanation | None, done: set[str], truth: int | None = None) -> dict[str, str]:
    """What the page shows, as a lesson's goal reads it (``catalogue.Goal.shows``): the view, the
    answer and the class it is compared with, the digit a validation digit really is (``truth``;
    none for a drawing), and which experiments have run to the end."""
    ui = {"view": view, **{d: "done" for d in done}}
    if e is not None and view == "why":
        ui.update(answer=str(e.answer), other=str(e.other))
        if truth is not None:
            ui["truth"] = str(truth)
    return ui


def headless_ui(settings: BigPictureSettings, run: tuple[str, ...] = ()) -> dict[str, str]:
    """What the page would show for ``settings`` after running the experiments ``run`` (their
    results come from the cache when they are there), with the default model and a validation
    digit (a lesson's reference solution, checked in a test)."""
    from engine import experiment as X
    done = {d for d in run if X.run(d, settings.up_to).complete}
    e = None
    if settings.view == "why":
        from engine.default_model import load_or_train_default
        m = load_or_train_default()
        x, y = validation_digits()
        e = explain(m.params, m.spec, x[settings.number].reshape(28, 28), settings.other, m.temperature)
        return page_ui(settings.view, e, done, int(y[settings.number]))
    return page_ui(settings.view, e, done)
