"""The model that reads drawings, trained from the embedded 5,000 MNIST digits.

It is the digits lab's default network trained longer and on warped digits (rotation, scale,
shear, stroke width, serifs: ``engine.augment``), because a drawing on a canvas is further from
MNIST's scanned pens than MNIST's own test set is."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp

from engine import augment
from engine.cache import cache_dir
from engine.digits_data import Digits, load_mnist_5k
from engine.model import MLPSpec, Params
from engine.train import Data, TrainConfig, init_state, make_hparams, train_chunk


# The digits lab's default model: what `benchmarks/digits.py` measures (≥ 97 % on the official
# test set from the 5,000 embedded digits, in about 7 s of training on two cores).
DEFAULT_MODEL = dict(hidden=(512,), activation="relu", optimiser="adam", learning_rate=2e-3, batch_size=128,
                     epochs=40, dropout=0.2, augment="shift", schedule="cosine")
# The model that reads drawings: the same network, trained longer on warped digits.
DRAW_MODEL = {**DEFAULT_MODEL, "augment": "warp", "epochs": 60}


def default_config(n_in: int = 784, recipe: dict | None = None) -> TrainConfig:
    m = recipe or DRAW_MODEL
    return TrainConfig(MLPSpec(n_in, m["hidden"], 10, m["activation"], "softmax_ce"), m["optimiser"],
                       m["batch_size"], dropout=m["dropout"] > 0, augment=m["augment"])


def default_hparams(recipe: dict | None = None):
    m = recipe or DRAW_MODEL
    return make_hparams(learning_rate=m["learning_rate"], momentum=0.9, dropout=m["dropout"],
                        schedule=m["schedule"], schedule_period=m["epochs"])


def train_default(digits: Digits | None = None, seed: int = 0, chunk: int = 5,
                  progress: Callable[[float], None] | None = None) -> tuple[Params, MLPSpec]:
    """Train the drawing-reading model on ``digits`` (the embedded 5,000 by default), ``chunk`` epochs at
    a time, reporting the fraction done to ``progress``."""
    d = digits or load_mnist_5k()
    cfg = default_config(d.x_train.shape[1])
    # In-loop metrics on a small training slice: nothing here is scored on a test set.
    data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_train[:256], d.y_train[:256])))
    state, hp, epochs = init_state(jax.random.key(seed), cfg), default_hparams(), DRAW_MODEL["epochs"]
    for done in range(0, epochs, chunk):
        state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=min(chunk, epochs - done))
        if progress:
            progress(min(1.0, (done + chunk) / epochs))
    return jax.block_until_ready(state.params), cfg.spec


def model_dir() -> Path:
    """Where the app keeps the models it trained for itself (``engine.cache.cache_dir("models")``)."""
    return cache_dir("models")


def recipe_id(seed: int = 0) -> str:
    """A short fingerprint of everything that decides the default model: its recipe, the
    augmentation's ranges, the seed. A changed recipe never loads an old file."""
    recipe = json.dumps({"model": DRAW_MODEL, "warp": augment.WARP, "seed": seed, "v": 1},
                        sort_keys=True, default=list)
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def load_or_train_default(seed: int = 0, progress: Callable[[float], None] | None = None,
                          directory: Path | None = None) -> tuple[Params, MLPSpec, str]:
    """The default model from the file the app saved after training it once, or else trained
    now (``progress`` hears how far) and saved for next time. Returns (params, spec, how), how
    being "loaded" or "trained". A damaged or unwritable file only means training again."""
    from engine.modelio import ModelFileError, load_model, save_model
    path = (directory or model_dir()) / f"default-digits-{recipe_id(seed)}.npz"
    try:
        saved = load_model(path.read_bytes())
        if saved.kind == "default-digits":
            return [tuple(jnp.asarray(a) for a in layer) for layer in saved.params], saved.spec, "loaded"
    except (OSError, ModelFileError):
        pass
    params, spec = train_default(seed=seed, progress=progress)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(save_model(params, spec, kind="default-digits", settings=dict(DRAW_MODEL), history={}))
        tmp.replace(path)  # atomic: another process never reads half a file
    except OSError:
        pass  # a read-only cache: the next process trains again
    return params, spec, "trained"


def fine_tune(params: Params, spec: MLPSpec, extra_x, extra_y, epochs: int = 5, repeat: int = 40,
              base: Digits | None = None, seed: int = 0) -> Params:
    """Train ``params`` a few more epochs on the base digits plus ``extra`` ones (a user's own
    drawings, each repeated ``repeat`` times so that a handful of them count)."""
    import numpy as np
    from engine.optim import make_optimiser
    from engine.train import TrainState
    d = base or load_mnist_5k()
    x = np.concatenate([d.x_train] + [np.asarray(extra_x, np.float32)] * repeat)
    y = np.concatenate([d.y_train] + [np.asarray(extra_y, np.int32)] * repeat)
    cfg = default_config(x.shape[1])
    data = Data(*(jnp.asarray(a) for a in (x, y, x[:256], y[:256])))
    hp = make_hparams(learning_rate=1e-3, momentum=0.9, dropout=DRAW_MODEL["dropout"])
    state = TrainState(params, make_optimiser(cfg.optimiser).init(params), jax.random.key(seed), jnp.zeros((), jnp.int32))
    state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=epochs)
    return jax.block_until_ready(state.params)
