"""Speed of the "how a network learns" views: the loss along one weight, in one vmapped call.

Run with ``.venv/bin/python benchmarks/learn.py``. For TF Playground's default network and its
largest one (250 training points of the circle), prints milliseconds per ``loss_along_weight``
call with 100 values (target: 5 ms and 20 ms), against a peer measured in the same run: the same
100 losses one value at a time, each a call of the jitted training loss. The peer is first
checked to give the same losses. Also times ``loss_gradients`` and ``next_update`` once each.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.learn import loss_along_weight, loss_gradients, next_update, set_weight  # noqa: E402
from engine.model import MLPSpec  # noqa: E402
from engine.toydata import FEATURES, features, make_toy_data  # noqa: E402
from engine.train import Data, TrainConfig, data_loss, init_state, make_hparams  # noqa: E402

N_VALUES, ROUNDS = 100, 5
loss_jit = jax.jit(data_loss, static_argnums=1)


def setup(feats, hidden):
    """Data as the toy lab builds it (playground's toy run), and a fresh state."""
    d = make_toy_data("circle", 0.0, 0.5, 0)
    data = Data(*(jnp.asarray(a) for a in (features(d.points_train, feats), d.y_train,
                                           features(d.points_test, feats), d.y_test)))
    cfg = TrainConfig(MLPSpec(len(feats), hidden, activation="tanh", head="tanh_mse"), "sgd", 10)
    return data, cfg, init_state(jax.random.key(0), cfg)


def per_call_ms(fn, calls):
    """Median ms per call in each of ROUNDS rounds (after a warm-up call): (median, min, max)."""
    jax.block_until_ready(fn())
    rounds = []
    for _ in range(ROUNDS):
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            jax.block_until_ready(fn())
            times.append(time.perf_counter() - t)
        rounds.append(statistics.median(times) * 1e3)
    return statistics.median(rounds), min(rounds), max(rounds)


def bench(name, feats, hidden, target_ms):
    data, cfg, state = setup(feats, hidden)
    spec, params, x, y = cfg.spec, state.params, data.x_train, data.y_train
    layer, i, j = 1, 0, 0  # a weight in the second layer
    values = params[layer][0][i, j] + jnp.linspace(-2.0, 2.0, N_VALUES)

    curve = lambda: loss_along_weight(params, spec, x, y, layer, i, j, values)
    one_at_a_time = lambda: [loss_jit(set_weight(params, layer, i, j, v), spec, x, y) for v in values]
    diff = float(np.max(np.abs(np.asarray(curve()) - np.array(jax.device_get(one_at_a_time())))))
    assert diff < 1e-5, f"the vmapped curve and the one-at-a-time losses disagree by {diff}"

    ours = per_call_ms(curve, 50)
    peer = per_call_ms(one_at_a_time, 3)
    rows = [(f"{name}: loss_along_weight, {N_VALUES} values", ours, peer, target_ms)]
    if hidden == (4, 2):
        hp = make_hparams()
        rows.append((f"{name}: loss_gradients", per_call_ms(lambda: loss_gradients(params, spec, data), 50),
                     None, None))
        rows.append((f"{name}: next_update (sgd)", per_call_ms(lambda: next_update(state, cfg, hp, data), 50),
                     None, None))
    return rows, diff


def main():
    rows = []
    for name, feats, hidden, target in [("default [2→4→2→1]", ("x1", "x2"), (4, 2), 5.0),
                                        ("largest [7→8×6→1]", tuple(FEATURES), (8,) * 6, 20.0)]:
        r, diff = bench(name, feats, hidden, target)
        print(f"{name}: one-at-a-time losses match the vmapped curve to {diff:.1e}")
        rows += r
    print(f"\nms per call: median over {ROUNDS} rounds of the median call, [min–max over rounds]")
    print("\n| measure | engine.learn | target | 100 separate jitted losses | peer / ours |")
    print("|---|---:|---:|---:|---:|")
    for label, (m, lo, hi), peer, target in rows:
        peer_s = f"{peer[0]:.2f} [{peer[1]:.2f}–{peer[2]:.2f}] | {peer[0] / m:.1f}×" if peer else "— | —"
        target_s = f"≤ {target:.0f}" if target else "—"
        print(f"| {label} | {m:.3f} [{lo:.3f}–{hi:.3f}] | {target_s} | {peer_s} |")
    print(f"\n{jax.devices()[0].device_kind}, jax {jax.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
