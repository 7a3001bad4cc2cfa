"""Compare: nine runs in one vmapped chunk against the same nine one after another, a varied
activation as a traced index against a compile per value, and the page's redraws in Chromium.

Run with ``make bench`` (or ``python benchmarks/compare.py [--no-browser]``). Times are the
fastest of a few repeats within each round, and each figure is given as a range over rounds: the
machine is shared and noisy.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import engine.model as model  # noqa: E402
from engine.activations import ACTIVATIONS, Activation  # noqa: E402
from engine.compare import compare_chunk, stack, start_state  # noqa: E402
from engine.train import TrainState, _epoch, evaluate, train_chunk  # noqa: E402
from playground.compare.run import CompareRun  # noqa: E402
from playground.compare.settings import VARIED, CompareSettings  # noqa: E402
from playground.toy.run import config_of, hparams_of  # noqa: E402

EPOCHS = 100  # per chunk
ROUNDS = 5


def best_of(fn, repeats=3) -> float:
    """Seconds of the fastest of ``repeats`` calls (each waits for its result)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t)
    return min(times)


def span(values, fmt="{:.3f}") -> str:
    return f"{fmt.format(min(values))}–{fmt.format(max(values))} (median {fmt.format(statistics.median(values))})"


def vmap_against_one_by_one() -> None:
    """The default network, nine learning rates, one chunk of EPOCHS epochs."""
    s = CompareSettings()
    run = CompareRun(s)
    [g] = run.groups
    lanes = [lane.values for lane in run.lanes]
    alone = [(start_state(g.config, *s.start_seeds(r)), hparams_of(s.run_settings(r))) for r in lanes]
    alive = jnp.ones(len(lanes), bool)
    batched = lambda: compare_chunk(g.states, run.data, g.hps, alive, config=g.config, n_epochs=EPOCHS,
                                    shared_order=True)
    one_by_one = lambda: [train_chunk(st, run.data, hp, config=g.config, n_epochs=EPOCHS) for st, hp in alone]
    batched(), one_by_one()  # compile both
    vm, seq = [], []
    for _ in range(ROUNDS):
        vm.append(best_of(batched) / EPOCHS * 1e3)
        seq.append(best_of(one_by_one) / EPOCHS * 1e3)
    ratios = [b / a for a, b in zip(vm, seq)]
    # XLA runs a single toy run's chunk on both cores part of the time: the CPU it burns, beside the clock.
    cpu = [cpu_of(one_by_one) / cpu_of(batched) for _ in range(ROUNDS)]
    print(f"nine runs of {list(s.base().features)}→{list(s.hidden)}→1, {len(run.data.y_train)} points, batch "
          f"{s.batch_size}, {EPOCHS}-epoch chunks, {ROUNDS} rounds")
    print(f"  one vmapped chunk:      {span(vm)} ms per epoch of all nine")
    print(f"  nine chunks in a row:   {span(seq)} ms per epoch of all nine")
    print(f"  vmapped is faster by    {span(ratios, '{:.1f}')}×  (target ≥ 4×)")
    print(f"  and uses less CPU by    {span(cpu, '{:.1f}')}×  (both cores' time, the same work)")


def cpu_of(fn, calls: int = 20) -> float:
    """Seconds of this process's CPU (every thread, both cores) per call of ``fn``."""
    t = os.times()
    for _ in range(calls):
        jax.block_until_ready(fn())
    u = os.times()
    return (u.user + u.system - t.user - t.system) / calls


# --- a varied activation: a traced index into the activation table, or a compile per value -------
_INDEX: list = []  # the traced index of the run being traced (benchmark only: one thread)


@contextmanager
def switch_activation(names: tuple[str, ...]):
    """For the benchmark only: the network's activation becomes ``lax.switch`` over ``names`` on the
    index in ``_INDEX`` (engine/model.py reads its table when it traces). The app never does this."""
    fns = [ACTIVATIONS[n].fn for n in names]
    saved = model.ACTIVATIONS
    model.ACTIVATIONS = {**saved, "tanh": Activation("switch", lambda x: jax.lax.switch(_INDEX[-1], fns, x), "glorot")}
    try:
        yield
    finally:
        model.ACTIVATIONS = saved


def _epochs(states, data, hps, idx, config, n):
    """EPOCHS epochs and their metrics, vmapped over runs, each run's activation index in ``idx``."""
    def one(p, o, h, i, key, e):
        _INDEX.append(i)
        try:
            new = _epoch(TrainState(p, o, key, e), data, h, config)
            return new.params, new.opt_state, evaluate(new.params, config.spec, data)["train_loss"]
        finally:
            _INDEX.pop()

    def body(carry, _):
        p, o, key, e = carry
        p, o, loss = jax.vmap(one, in_axes=(0, 0, 0, 0, None, None))(p, o, hps, idx, key, e)
        return (p, o, jax.random.fold_in(key, 1), e + 1), loss
    carry = (states.params, states.opt_state, states.key[0], states.epoch[0])
    return jax.lax.scan(body, carry, None, length=n)


epochs_jit = jax.jit(_epochs, static_argnames=("config", "n"))


def traced_against_compiled() -> None:
    names = VARIED["activation"].nine
    s = CompareSettings(vary="activation")
    data = CompareRun(s).data
    runs = s.runs()
    configs = [config_of(s.run_settings(r)) for r in runs]
    states = [start_state(c, s.seed, s.seed) for c in configs]
    hps = [hparams_of(s.run_settings(r)) for r in runs]
    # Traced: one compile; the network is built as for tanh, its activation switched per run. Each
    # run starts from its own initialiser's weights, as the page starts it.
    tanh = config_of(s.base().changed(activation="tanh"))
    S, H, idx = stack(states), stack(hps), jnp.arange(len(names), dtype=jnp.int32)
    with switch_activation(names):
        t = time.perf_counter()
        jax.block_until_ready(epochs_jit(S, data, H, idx, config=tanh, n=EPOCHS))
        traced_compile = time.perf_counter() - t
        traced = [best_of(lambda: epochs_jit(S, data, H, idx, config=tanh, n=EPOCHS)) / EPOCHS * 1e3
                  for _ in range(ROUNDS)]
    # Compiled per value: nine groups of one, each its own compile.
    groups = [(stack([st]), stack([hp]), jnp.zeros(1, jnp.int32), c) for st, hp, c in zip(states, hps, configs)]
    t = time.perf_counter()
    for St, Ht, it, c in groups:
        jax.block_until_ready(epochs_jit(St, data, Ht, it, config=c, n=EPOCHS))
    compiled_compile = time.perf_counter() - t
    compiled = [best_of(lambda: [epochs_jit(St, data, Ht, it, config=c, n=EPOCHS) for St, Ht, it, c in groups])
                / EPOCHS * 1e3 for _ in range(ROUNDS)]
    print(f"nine activations ({', '.join(names)}), same network otherwise")
    print(f"  traced index (one vmap):  first call {traced_compile:.1f} s, then {span(traced)} ms per epoch of all nine")
    print(f"  a compile per value:      first calls {compiled_compile:.1f} s, then {span(compiled)} ms per epoch")
    print(f"  per epoch, traced / compiled: {span([a / b for a, b in zip(traced, compiled)], '{:.2f}')}")


# --- the page in Chromium ---------------------------------------------------------------------------
CASES = [("nine learning rates, 10 epochs/frame", "speed=10"),
         ("nine learning rates, 50 epochs/frame", "speed=50"),
         ("3×3 grid: learning rate × weight seed, 20 epochs/frame", "vary2=seed&speed=20")]


def browser() -> None:
    from tests.browser import app_server, chromium, count_updates, no_traceback, wait_idle  # noqa: E402
    rows = []
    with app_server() as url, chromium() as b:
        for name, query in CASES:
            page = b.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/compare?{query}")
            wait_idle(page)
            page.wait_for_selector("[data-stat='Epoch']")
            page.get_by_role("button", name="Play").click()
            time.sleep(4.0)  # compile and settle
            rates = []
            for _ in range(3):
                rate, first, last = count_updates(page, 4.0)
                rates.append(rate)
            no_traceback(page)
            page.close()
            rows.append((name, rates))
            print(f"{name}: {span(rates, '{:.1f}')} redraws/s", flush=True)
    print("\n| page with nine maps | redraws per second (target ≥ 10) |\n|---|---:|")
    for name, rates in rows:
        print(f"| {name} | {span(rates, '{:.1f}')} |")


def main() -> None:
    if "--browser-only" in sys.argv:
        return browser()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    vmap_against_one_by_one()
    traced_against_compiled()
    if "--no-browser" not in sys.argv:
        browser()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
