"""Many runs of one network at once: ``engine/train.py``'s training chunk, ``vmap``ped over runs.

Runs that share their static settings (the network's shape and activation, the optimiser kind,
the batch size) form a group, and one jitted chunk trains the whole group: ``vmap`` over each
run's traced hyperparameters (learning rate, momentum, regularisation) and its state (weights,
optimiser state, shuffling key). A varied activation gives one group, and so one compile, per
activation (the README's Compare section has the measurement that chose this over a traced
index into the activation table).

A run that diverges stops alone: the chunk keeps its last good state (as ``train_chunk`` does
for one run), and from then on its ``alive`` flag is False, so later chunks leave it as it is
while the others go on.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from engine.heads import HEADS
from engine.model import MLPSpec, Params, forward
from engine.train import BLEW_UP, NOT_FINITE, Data, HParams, TrainConfig, TrainState, _epoch, data_loss, evaluate, \
    init_state


def stack(trees: list):
    """A list of equal pytrees -> one pytree whose leaves have a leading run axis (R, ...)."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def unstack(tree, i: int):
    """Run ``i`` of a stacked pytree."""
    return jax.tree.map(lambda a: a[i], tree)


def start_state(config: TrainConfig, init_seed: int, order_seed: int) -> TrainState:
    """The weights that ``init_state`` gives for ``init_seed``, shuffled as a run whose seed is
    ``order_seed`` would be: with both seeds equal, exactly ``init_state(key(seed), config)``."""
    state = init_state(jax.random.key(init_seed), config)
    _, k_order = jax.random.split(jax.random.key(order_seed))
    return state._replace(key=k_order)


def _where(ok: jax.Array, a, b):
    """Per run: ``a`` where ``ok`` (R,), else ``b`` (pytrees with a leading run axis)."""
    return jax.tree.map(lambda x, y: jnp.where(ok.reshape(ok.shape + (1,) * (x.ndim - 1)), x, y), a, b)


def _compare_chunk(states: TrainState, data: Data, hps: HParams, alive: jax.Array, config: TrainConfig,
                   n_epochs: int, shared_order: bool):
    # train.py's _train_chunk, vmapped, with one difference: with ``shared_order`` the shuffling key
    # stays one key, not one per run (vmapping _train_chunk itself would batch it, since a run that
    # diverges keeps its own), and the data are shuffled once per epoch for every run: the
    # costliest part of a step for a toy network. The divergence rule is train.py's for data without
    # padding and with test points (Compare trains on generated sets only: no w_train, no empty test
    # set); tests/test_compare.py checks a diverging run against train_chunk alone.
    spec = config.spec
    zeros = jnp.zeros((data.x_train.shape[0], spec.n_out), jnp.float32)
    trivial = HEADS[spec.head].loss(zeros, data.y_train).mean()
    start = jax.vmap(lambda p: data_loss(p, spec, data.x_train, data.y_train))(states.params)  # (R,)
    ceiling = jnp.maximum(1.5 * trivial, 1.2 * start)
    first = jnp.argmax(alive)  # an alive run: its key and epoch are every alive run's
    ax = None if shared_order else 0
    epoch_of = jax.vmap(lambda p, o, h, k, e: _epoch(TrainState(p, o, k, e), data, h, config),
                        in_axes=(0, 0, 0, ax, None), out_axes=TrainState(0, 0, ax, None))
    metrics_of = jax.vmap(lambda p: evaluate(p, spec, data))

    def body(carry, _):
        params, opt_state, key, epoch, reason, bad = carry
        new = epoch_of(params, opt_state, hps, key, epoch)
        m = metrics_of(new.params)  # each (R,)
        finite = jnp.isfinite(m["train_loss"]) & jnp.isfinite(m["test_loss"])
        blew_up = finite & (m["train_loss"] > ceiling)
        now = jnp.where(alive, jnp.where(~finite, NOT_FINITE, jnp.where(blew_up, BLEW_UP, 0)), 0)
        bad = jnp.where((reason == 0) & (now > 0), m["train_loss"], bad)
        reason = jnp.where(reason > 0, reason, now)
        ok = alive & (reason == 0)
        params, opt_state = _where(ok, (new.params, new.opt_state), (params, opt_state))
        key = new.key if shared_order else _where(ok, new.key, key)
        m = {k: jnp.where(ok, v, jnp.nan) for k, v in m.items()}
        return (params, opt_state, key, new.epoch, reason, bad), m

    r = alive.shape[0]
    key = states.key[first] if shared_order else states.key
    init = (states.params, states.opt_state, key, states.epoch[first], jnp.zeros(r, jnp.int32),
            jnp.full(r, jnp.nan, jnp.float32))
    (params, opt_state, key, epoch, reason, bad), m = jax.lax.scan(body, init, None, length=n_epochs)
    if shared_order:
        key = jnp.broadcast_to(key, states.key.shape)
    # A run that diverged here keeps its last good weights (in the carry) and stops with them.
    states = _where(alive, TrainState(params, opt_state, key, jnp.broadcast_to(epoch, states.epoch.shape)), states)
    return states, {**{k: v.T for k, v in m.items()}, "diverged": reason, "diverged_loss": bad}


compare_chunk = jax.jit(_compare_chunk, static_argnames=("config", "n_epochs", "shared_order"))
compare_chunk.__doc__ = """Train R runs of one group for ``n_epochs`` epochs at once.

``states`` and ``hps`` are stacked over runs (``stack``); ``alive`` (R,) bool. Returns the new
stacked states and ``train_chunk``'s metrics with a leading run axis: ``train_loss`` etc. (R,
n_epochs), ``diverged`` and ``diverged_loss`` (R,). A run that is not alive keeps its state, and
its metrics are NaN (``diverged`` 0). Run r's numbers are those of ``train_chunk`` on run r alone.
With ``shared_order`` (every alive run has the same shuffling key, as when only hyperparameters
or the weight seed differ) the data are shuffled once per epoch for all of them.
"""


def _output_maps(params: Params, spec: MLPSpec, x: jax.Array) -> jax.Array:
    return jax.vmap(lambda p: HEADS[spec.head].output(forward(p, spec, x)))(params)


output_maps = jax.jit(_output_maps, static_argnums=1)
output_maps.__doc__ = """Each run's output at the points ``x`` (N, n_in): (R, N) for stacked
``params`` (the head's output: in [-1, 1] for binary classification and regression), or (R, N, k)
class probabilities for k classes."""
