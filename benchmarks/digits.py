"""Digits lab quality bar: the default model, trained only on the 5,000 embedded MNIST digits,
scored on the official 10,000-image MNIST test set; scikit-learn's MLPClassifier with the same
hidden sizes on the same data as the peer, in the same run.

Run with ``make bench``. Needs ``../shared/mnist/`` (the official test set) beside the project.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.default_model import DEFAULT_MODEL  # noqa: E402
from engine.digits_data import load_mnist_5k, load_mnist_test  # noqa: E402
from engine.inspect import predict  # noqa: E402
from engine.default_model import default_config, default_hparams  # noqa: E402
from engine.train import Data, init_state, train_chunk  # noqa: E402

TEST_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "mnist"


def train_jax(d, seed=0):
    m = DEFAULT_MODEL
    cfg, hp = default_config(recipe=DEFAULT_MODEL), default_hparams(DEFAULT_MODEL)
    # In-loop metrics on a small training slice only; the test set is scored once, at the end.
    data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_train[:256], d.y_train[:256])))
    state = init_state(jax.random.key(seed), cfg)
    t = time.perf_counter()
    state, _ = train_chunk(state, data, hp, config=cfg, n_epochs=m["epochs"])
    jax.block_until_ready(state.params)
    return state.params, cfg.spec, time.perf_counter() - t


def main():
    if not TEST_SET.exists():
        print(f"skipped: the official MNIST test set is not at {TEST_SET}")
        return
    d = load_mnist_5k()
    x_test, y_test = load_mnist_test(TEST_SET)
    _, _, first = train_jax(d, seed=1)  # includes compiling the chunk
    params, spec, seconds = train_jax(d)
    acc = float((np.argmax(np.asarray(predict(params, spec, x_test)), 1) == y_test).mean())

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    m = DEFAULT_MODEL
    peer = MLPClassifier(hidden_layer_sizes=m["hidden"], activation="relu", solver="adam",
                         learning_rate_init=m["learning_rate"], batch_size=m["batch_size"], max_iter=m["epochs"],
                         random_state=0, early_stopping=False, n_iter_no_change=m["epochs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        peer.fit(d.x_train, d.y_train)
        peer_seconds = time.perf_counter() - t
    peer_acc = float(peer.score(x_test, y_test))

    print(f"default model {m['hidden']} {m['activation']}, {m['optimiser']}, {m['epochs']} epochs, "
          f"dropout {m['dropout']}, shift augmentation; 5,000 training digits; 10,000 official test digits")
    print("\n| model | test accuracy | training seconds | seconds vs peer |\n|---|---:|---:|---:|")
    print(f"| nn-playground (JAX) | {acc:.2%} | {seconds:.1f} (first run, compiling: {first:.1f}) | "
          f"{seconds / peer_seconds:.2f}× |")
    print(f"| scikit-learn MLPClassifier, same sizes and epochs, no augmentation | {peer_acc:.2%} | "
          f"{peer_seconds:.1f} | 1× |")


if __name__ == "__main__":
    main()
