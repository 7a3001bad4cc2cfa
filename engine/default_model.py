"""The model that reads drawings, trained from the embedded 5,000 MNIST digits.

It is the digits lab's default network trained longer and on warped digits (rotation, scale,
shear, stroke width, serifs: ``engine.augment``), because a drawing on a canvas is further from
MNIST's scanned pens than MNIST's own test set is. 250 of the digits are held out of training:
the temperature that calibrates its probabilities (``engine.calibrate``) is fitted on them."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine import augment
from engine.cache import cache_dir
from engine.calibrate import fit_temperature
from engine.digits_data import Digits, load_mnist_5k
from engine.model import MLPSpec, Params, forward
from engine.train import Data, TrainConfig, init_state, make_hparams, train_chunk


# The digits lab's default model: what `benchmarks/digits.py` measures (≥ 97 % on the official
# test set from the 5,000 embedded digits, in about 7 s of training on two cores).
DEFAULT_MODEL = dict(hidden=(512,), activation="relu", optimiser="adam", learning_rate=2e-3, batch_size=128,
                     epochs=40, dropout=0.2, augment="shift", schedule="cosine")
# The model that reads drawings: the same network, trained longer on warped digits.
DRAW_MODEL = {**DEFAULT_MODEL, "augment": "warp", "epochs": 60}
# The digits it never trains on, to fit its temperature on: this many of each digit, drawn with this seed.
CALIBRATION = dict(per_digit=25, seed=0)  # 250 digits: enough for one number, little taken from training


def calibration_split(d: Digits) -> tuple[Digits, np.ndarray, np.ndarray]:
    """``d``'s training digits in two: a Digits to train on, and the held-out images (N, 784) and
    labels (N,) to fit the temperature on (``CALIBRATION``: 25 of each digit, 250 in all)."""
    order = np.random.default_rng(CALIBRATION["seed"]).permutation(len(d.y_train))
    held = np.concatenate([order[d.y_train[order] == c][:CALIBRATION["per_digit"]] for c in range(10)])
    keep = np.setdiff1d(order, held)  # sorted: the order training sees is the same as before
    train = Digits(d.x_train[keep], d.y_train[keep], d.x_test, d.y_test, d.side)
    return train, d.x_train[held], d.y_train[held]


def held_out_temperature(params: Params, spec: MLPSpec, digits: Digits | None = None) -> float:
    """The temperature that calibrates ``params`` on the held-out digits of ``digits`` (the
    embedded 5,000 by default): one forward pass over 250 digits and a 1-D fit, a few milliseconds."""
    _, x, y = calibration_split(digits or load_mnist_5k())
    return fit_temperature(np.asarray(forward(params, spec, jnp.asarray(x))), y)


def default_config(n_in: int = 784, recipe: dict | None = None) -> TrainConfig:
    m = recipe or DRAW_MODEL
    return TrainConfig(MLPSpec(n_in, m["hidden"], 10, m["activation"], "softmax_ce"), m["optimiser"],
                       m["batch_size"], dropout=m["dropout"] > 0, augment=m["augment"])


def default_hparams(recipe: dict | None = None):
    m = recipe or DRAW_MODEL
    return make_hparams(learning_rate=m["learning_rate"], momentum=0.9, dropout=m["dropout"],
                        schedule=m["schedule"], schedule_period=m["epochs"])


def train_default(digits: Digits | None = None, seed: int = 0, chunk: int = 5,
                  progress: Callable[[float], None] | None = None) -> tuple[Params, MLPSpec, float]:
    """Train the drawing-reading model on ``digits`` (the embedded 5,000 by default) less its
    calibration digits, ``chunk`` epochs at a time, reporting the fraction done to ``progress``;
    then fit its temperature on the calibration digits. Returns (params, spec, temperature)."""
    full = digits or load_mnist_5k()
    d = calibration_split(full)[0]
    cfg = default_config(d.x_train.shape[1])
    # In-loop metrics on a small training slice: nothing here is scored on a test set.
    data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_train[:256], d.y_train[:256])))
    state, hp, epochs = init_state(jax.random.key(seed), cfg), default_hparams(), DRAW_MODEL["epochs"]
    for done in range(0, epochs, chunk):
        state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=min(chunk, epochs - done))
        if progress:
            progress(min(1.0, (done + chunk) / epochs))
    params = jax.block_until_ready(state.params)
    return params, cfg.spec, held_out_temperature(params, cfg.spec, full)


def model_dir() -> Path:
    """Where the app keeps the models it trained for itself (``engine.cache.cache_dir("models")``)."""
    return cache_dir("models")


def recipe_id(seed: int = 0) -> str:
    """A short fingerprint of everything that decides the default model: its recipe, the
    augmentation's ranges, the seed. A changed recipe never loads an old file."""
    recipe = json.dumps({"model": DRAW_MODEL, "warp": augment.WARP, "calibration": CALIBRATION, "seed": seed,
                         "v": 2},
                        sort_keys=True, default=list)
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


class DrawModel(NamedTuple):
    params: Params
    spec: MLPSpec
    temperature: float  # divides the logits: softmax(logits / temperature) is calibrated
    how: str  # "loaded" or "trained"


def _temperature(settings: dict[str, str]) -> float | None:
    try:
        t = float(settings["temperature"])
    except (KeyError, ValueError):
        return None
    return t if np.isfinite(t) and t > 0 else None


def load_or_train_default(seed: int = 0, progress: Callable[[float], None] | None = None,
                          directory: Path | None = None) -> DrawModel:
    """The default model and its temperature from the file the app saved after training it
    once, or else trained now (``progress`` hears how far) and saved for next time. A damaged or
    unwritable file (or one without a usable temperature) only means training again."""
    from engine.modelio import ModelFileError, load_model, save_model
    path = (directory or model_dir()) / f"default-digits-{recipe_id(seed)}.npz"
    try:
        saved = load_model(path.read_bytes())
        t = _temperature(saved.settings)
        if saved.kind == "default-digits" and t is not None:
            return DrawModel([tuple(jnp.asarray(a) for a in layer) for layer in saved.params], saved.spec, t, "loaded")
    except (OSError, ModelFileError):
        pass
    params, spec, t = train_default(seed=seed, progress=progress)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        # repr: the shortest text that reads back as the same float
        settings = {**DRAW_MODEL, "temperature": repr(t)}
        tmp.write_bytes(save_model(params, spec, kind="default-digits", settings=settings, history={}))
        tmp.replace(path)  # atomic: another process never reads half a file
    except OSError:
        pass  # a read-only cache: the next process trains again
    return DrawModel(params, spec, t, "trained")


def fine_tune(params: Params, spec: MLPSpec, extra_x, extra_y, epochs: int = 5, repeat: int = 40,
              base: Digits | None = None, seed: int = 0) -> Params:
    """Train ``params`` a few more epochs on the base digits (by default the embedded ones the
    default model trained on: its calibration digits stay held out, so ``held_out_temperature``
    can calibrate the result) plus ``extra`` ones (a user's own drawings, each repeated
    ``repeat`` times so that a handful of them count)."""
    from engine.optim import make_optimiser
    from engine.train import TrainState
    d = base or calibration_split(load_mnist_5k())[0]
    x = np.concatenate([d.x_train] + [np.asarray(extra_x, np.float32)] * repeat)
    y = np.concatenate([d.y_train] + [np.asarray(extra_y, np.int32)] * repeat)
    cfg = default_config(x.shape[1])
    data = Data(*(jnp.asarray(a) for a in (x, y, x[:256], y[:256])))
    hp = make_hparams(learning_rate=1e-3, momentum=0.9, dropout=DRAW_MODEL["dropout"])
    state = TrainState(params, make_optimiser(cfg.optimiser).init(params), jax.random.key(seed), jnp.zeros((), jnp.int32))
    state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=epochs)
    return jax.block_until_ready(state.params)
