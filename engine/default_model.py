"""The default digits model, trained from the embedded 5,000 MNIST digits."""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from engine.digits_data import DEFAULT_MODEL, Digits, load_mnist_5k
from engine.model import MLPSpec, Params
from engine.train import Data, TrainConfig, init_state, make_hparams, train_chunk


def default_config(n_in: int = 784) -> TrainConfig:
    m = DEFAULT_MODEL
    return TrainConfig(MLPSpec(n_in, m["hidden"], 10, m["activation"], "softmax_ce"), m["optimiser"],
                       m["batch_size"], dropout=m["dropout"] > 0, augment=m["augment"])


def default_hparams():
    m = DEFAULT_MODEL
    return make_hparams(learning_rate=m["learning_rate"], momentum=0.9, dropout=m["dropout"],
                        schedule=m["schedule"], schedule_period=m["epochs"])


def train_default(digits: Digits | None = None, seed: int = 0, chunk: int = 5,
                  progress: Callable[[float], None] | None = None) -> tuple[Params, MLPSpec]:
    """Train the default model on ``digits`` (the embedded 5,000 by default), ``chunk`` epochs at
    a time, reporting the fraction done to ``progress``."""
    d = digits or load_mnist_5k()
    cfg = default_config(d.x_train.shape[1])
    # In-loop metrics on a small training slice: nothing here is scored on a test set.
    data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_train[:256], d.y_train[:256])))
    state, hp, epochs = init_state(jax.random.key(seed), cfg), default_hparams(), DEFAULT_MODEL["epochs"]
    for done in range(0, epochs, chunk):
        state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=min(chunk, epochs - done))
        if progress:
            progress(min(1.0, (done + chunk) / epochs))
    return jax.block_until_ready(state.params), cfg.spec
