"""Engine speed: JAX against a plain NumPy implementation of the same network and update rule.

Run with ``make bench``. Prints, for TF Playground's default network and its largest one,
milliseconds per training epoch (250 training points, batch 10, SGD) and per evaluation of every
neuron on a 100×100 grid, each with the NumPy reference measured in the same run and the ratio.
The NumPy reference is first checked to give the same losses as the engine.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.inspect import neuron_maps  # noqa: E402
from engine.model import MLPSpec  # noqa: E402
from engine.toydata import FEATURES, features, grid_points, make_toy_data  # noqa: E402
from engine.train import Data, TrainConfig, init_state, make_hparams, permutation, train_chunk  # noqa: E402

LR, BATCH = 0.03, 10


# --- the NumPy reference: tanh MLP, tanh output, ½·squared error, plain SGD ---------------------
def np_forward(params, x):
    hs = [x]
    for w, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ w + b))
    w, b = params[-1]
    return hs, np.tanh(hs[-1] @ w + b)[:, 0]


def np_sgd_step(params, x, y, lr):
    hs, out = np_forward(params, x)
    d = ((out - y) * (1 - out ** 2) / len(y))[:, None]  # dL/dz at the output
    grads = []
    for i in range(len(params) - 1, -1, -1):
        w, _ = params[i]
        grads.append((hs[i].T @ d, d.sum(0)))
        if i:
            d = (d @ w.T) * (1 - hs[i] ** 2)
    return [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads[::-1])]


def np_epoch(params, x, y, order, lr=LR, bs=BATCH):
    for i in range(0, len(order), bs):
        idx = order[i:i + bs]
        params = np_sgd_step(params, x[idx], y[idx], lr)
    return params


def np_loss(params, x, y):
    return float(np.mean(0.5 * (np_forward(params, x)[1] - y) ** 2))


def np_maps(params, x):
    hs, out = np_forward(params, x)
    return hs[1:] + [out]


# --- timing helpers ----------------------------------------------------------------------------
def best_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def setup(feats, hidden):
    d = make_toy_data("spiral", 0.0, 0.5, 0)
    data = Data(*(jnp.asarray(a) for a in (features(d.points_train, feats), d.y_train,
                                           features(d.points_test, feats), d.y_test)))
    cfg = TrainConfig(MLPSpec(len(feats), hidden, activation="tanh", head="tanh_mse"), "sgd", BATCH)
    return data, cfg, init_state(jax.random.key(0), cfg)


def orders(key, n, epochs):
    """The shuffles the engine draws, so the reference sees the same batches."""
    out = []
    for _ in range(epochs):
        key, k_perm, _ = jax.random.split(key, 3)
        out.append(np.asarray(permutation(k_perm, n)))
    return out


def check_same(data, cfg, state, epochs=10):
    hp = make_hparams(learning_rate=LR)
    _, m = train_chunk(state, data, hp, config=cfg, n_epochs=epochs)
    params = [(np.asarray(w), np.asarray(b)) for w, b in state.params]
    x, y = np.asarray(data.x_train), np.asarray(data.y_train)
    ref = []
    for order in orders(state.key, len(y), epochs):
        params = np_epoch(params, x, y, order)
        ref.append(np_loss(params, x, y))
    diff = float(np.max(np.abs(np.asarray(m["train_loss"]) - np.array(ref))))
    assert diff < 1e-3, f"NumPy reference and engine disagree by {diff}"
    return diff


def bench(name, feats, hidden, chunk=1000):
    data, cfg, state = setup(feats, hidden)
    diff = check_same(data, cfg, state)
    hp = make_hparams(learning_rate=LR)
    run = lambda: jax.block_until_ready(train_chunk(state, data, hp, config=cfg, n_epochs=chunk))
    run()  # compile
    jax_epoch = best_of(run) / chunk * 1e3
    params = [(np.asarray(w), np.asarray(b)) for w, b in state.params]
    x, y = np.asarray(data.x_train), np.asarray(data.y_train)
    order = np.random.default_rng(0).permutation(len(y))
    n_np = 50
    np_epoch_ms = best_of(lambda: [np_epoch(params, x, y, order) for _ in range(n_np)], 3) / n_np * 1e3

    g = jnp.asarray(features(grid_points(100), feats))
    gn = np.asarray(g)
    grid = lambda: jax.block_until_ready(neuron_maps(state.params, cfg.spec, g))
    grid()
    jax_grid = best_of(grid, 20) * 1e3
    np_grid = best_of(lambda: np_maps(params, gn), 20) * 1e3
    return [(f"{name}: ms per epoch", jax_epoch, np_epoch_ms), (f"{name}: ms per 100×100 grid", jax_grid, np_grid)], diff


def main():
    rows = []
    for name, feats, hidden in [("default [2→4→2→1]", ("x1", "x2"), (4, 2)),
                                ("largest [7→8×6→1]", tuple(FEATURES), (8,) * 6)]:
        r, diff = bench(name, feats, hidden)
        print(f"{name}: NumPy reference matches the engine's losses to {diff:.1e}")
        rows += r
    print("\n| measure | JAX engine | NumPy reference | NumPy / JAX |\n|---|---:|---:|---:|")
    for label, j, n in rows:
        print(f"| {label} | {j:.3f} | {n:.3f} | {n / j:.1f}× |")
    print(f"\n{jax.devices()[0].device_kind}, jax {jax.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
