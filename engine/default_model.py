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
    hp = make_hparams(learning_rate=1e-3, momentum=0.9, dropout=DEFAULT_MODEL["dropout"])
    state = TrainState(params, make_optimiser(cfg.optimiser).init(params), jax.random.key(seed), jnp.zeros((), jnp.int32))
    state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=epochs)
    return jax.block_until_ready(state.params)
