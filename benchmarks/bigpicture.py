"""The big picture's costs: the whole experiment (network against classical models) up to 5,000
digits, with each model's share of the time; and each explanation map on the default model against
a peer measured in the same run (NumPy backpropagation written out; occlusion one patch at a time).

Run with ``make bench``. With ``../shared/mnist/`` (the official test set) beside the project, all
5,000 embedded digits are training material and 1,000 official test digits are held out, so the
sizes run to 5,000; without it, 1,000 embedded digits are held out and the sizes stop at 4,000.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import experiment as X  # noqa: E402
from engine import explain as ex  # noqa: E402

TEST_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "mnist"
TARGET_S, MAP_TARGET_MS = 60.0, 50.0


def digits_pool() -> X.Pool:
    if not TEST_SET.exists():
        return X.digits_pool(0, full=False)
    from engine.digits_data import load_mnist_5k, load_mnist_test
    d = load_mnist_5k()
    x_test, y_test = load_mnist_test(TEST_SET)
    rng = np.random.default_rng(0)
    order, held = rng.permutation(len(d.y_train)), rng.permutation(len(y_test))[:1_000]
    return X.Pool(d.x_train[order], d.y_train[order], x_test[held], y_test[held],
                  "5,000 embedded digits; 1,000 official test digits held out", "bench")


def experiment(dataset: str, pool: X.Pool) -> None:
    t = time.perf_counter()
    e = X.run(dataset, 5_000, pool=pool, use_cache=False)
    total = time.perf_counter() - t
    share = {m: sum(r.train_seconds + r.predict_seconds + r.compile_seconds for r in e.results if r.model == m)
             for m in X.LABELS}
    target = f" (target ≤ {TARGET_S:.0f} s)" if dataset == "digits" else ""
    print(f"\n{dataset}: {e.what}; sizes {', '.join(f'{n:,}' for n in e.sizes)}")
    comp = sum(r.compile_seconds for r in e.results)
    print(f"  whole experiment: {total:.1f} s{target}; {total - comp:.1f} s without the network's compiling")
    for m, s in share.items():
        if m == X.NETWORK:
            print(f"  {'the network: compiling':30s} {comp:6.1f} s  {comp / total:5.1%}  (once per size; the "
                  "persistent cache keeps it for the next run)")
            s, m_label = s - comp, "the network: training, answering"
        else:
            m_label = X.LABELS[m]
        print(f"  {m_label:30s} {s:6.1f} s  {s / total:5.1%}")
    rest = total - sum(share.values())
    print(f"  {'the rest (imports, set-up)':30s} {rest:6.1f} s  {rest / total:5.1%}")
    last = e.sizes[-1]
    print(f"  accuracy at {last:,}: " + ", ".join(f"{X.LABELS[m]} {e.get(m, last).accuracy:.1%}" for m in X.LABELS))


# --- the maps against their peers ------------------------------------------------------------------
def numpy_grad(params, x, a, b=None):
    """∂(z_a − z_b)/∂x for a one-hidden-layer ReLU MLP, backpropagation written out in NumPy."""
    (w1, b1), (w2, b2) = params
    h = x @ w1 + b1
    dz = w2[:, a] - (w2[:, b] if b is not None else 0.0)  # (hidden,)
    return w1 @ (dz * (h > 0))


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def maps(rounds: int) -> None:
    from engine.default_model import load_or_train_default
    from playground.bigpicture.why import validation_digits
    m = load_or_train_default()
    params, spec, T = m.params, m.spec, m.temperature
    npp = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in params]
    x = jnp.asarray(validation_digits()[0][179])
    xn = np.asarray(x, np.float64)
    sal, c = ex.saliency(params, spec, x)
    c = int(c)
    other = 9 if c != 9 else 4
    assert np.allclose(sal, numpy_grad(npp, xn, c), atol=1e-4), "saliency and NumPy disagree"
    assert np.allclose(ex.contrast(params, spec, x, c, other), numpy_grad(npp, xn, c, other), atol=1e-4)
    prob = jax.jit(lambda img: jax.nn.softmax(ex.scores(params, spec, img) / T))
    masks = ex.patch_masks(28, 4)

    def one_at_a_time():
        p0 = prob(x)[c]
        return jnp.stack([p0 - prob(jnp.where(mk, ex.GREY, x))[c] for mk in masks]).reshape(7, 7)
    drop, _ = ex.occlusion(params, spec, x, temperature=T)
    assert np.allclose(drop, one_at_a_time(), atol=1e-5), "occlusion and one-at-a-time disagree"
    rows = [("saliency (jax.grad)", lambda: ex.saliency(params, spec, x), "NumPy backprop",
             lambda: numpy_grad(npp, xn, c)),
            ("occlusion, 49 patches (vmap)", lambda: ex.occlusion(params, spec, x, temperature=T),
             "49 jitted calls", one_at_a_time),
            (f"why {c} and not {other} (jax.grad)", lambda: ex.contrast(params, spec, x, c, other), "NumPy backprop",
             lambda: numpy_grad(npp, xn, c, other))]
    print(f"\nexplanation maps on the default model (784→512→10), validation digit 179; median of {rounds} calls")
    print(f"  {'map':34s} {'ours':>9s}  {'peer':>26s}  peer/ours  (target ≤ {MAP_TARGET_MS:.0f} ms)")
    for name, ours, peer_name, peer in rows:
        a, b = timed(ours, rounds), timed(peer, rounds)
        print(f"  {name:34s} {a:7.2f} ms  {peer_name:>16s} {b:7.2f} ms  {b / a:8.1f}×")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--skip-experiment", action="store_true")
    args = ap.parse_args()
    from playground.server.jaxsetup import configure_jax
    configure_jax()  # the app's persistent compilation cache: as the page runs it
    with tempfile.TemporaryDirectory() as cache:  # measured afresh, never the user's saved results
        import os
        os.environ["NN_PLAYGROUND_EXPERIMENTS"] = cache
        maps(args.rounds)
        if not args.skip_experiment:
            experiment("digits", digits_pool())
            experiment("spiral", X.spiral_pool(0))


if __name__ == "__main__":
    main()
