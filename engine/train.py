"""Training: one jitted chunk that runs many epochs with ``lax.scan``.

Only shapes are static (the network spec, batch size, chunk length, optimiser kind, whether
dropout and augmentation run); every number a user turns mid-run is a traced value in
:class:`HParams`, so turning it never recompiles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from engine.augment import AUGMENTATIONS
from engine.heads import HEADS
from engine.model import MLPSpec, Params, forward, init_params
from engine.optim import OPTIMISERS, SCHEDULE_INDEX, make_optimiser, schedule_factor, with_hyperparams


class Data(NamedTuple):
    x_train: jax.Array  # (N, n_in) float32
    y_train: jax.Array  # (N,) float32 labels ±1 or targets; int32 class indices for multi-class
    x_test: jax.Array
    y_test: jax.Array
    # Optional (N,) float32: 1 for a real example, 0 for padding. A set that grows point by point
    # (the toy lab's drawing) is padded to a few fixed sizes, so adding a point does not compile
    # the training chunk again; padding never counts in a loss, an accuracy or an update.
    w_train: jax.Array | None = None
    w_test: jax.Array | None = None


class HParams(NamedTuple):
    learning_rate: jax.Array
    momentum: jax.Array
    weight_decay: jax.Array
    l1: jax.Array
    l2: jax.Array
    dropout: jax.Array
    schedule: jax.Array  # int32 index into SCHEDULES
    schedule_period: jax.Array  # epochs: cosine length, or step-decay interval
    schedule_rate: jax.Array  # step-decay multiplier


def make_hparams(learning_rate=0.03, momentum=0.9, weight_decay=1e-4, l1=0.0, l2=0.0, dropout=0.0,
                 schedule="constant", schedule_period=100, schedule_rate=0.5) -> HParams:
    """Hyperparameters as float32 arrays (a weakly typed Python float would retrace)."""
    f = lambda v: jnp.asarray(v, jnp.float32)
    return HParams(f(learning_rate), f(momentum), f(weight_decay), f(l1), f(l2), f(dropout),
                   jnp.asarray(SCHEDULE_INDEX[schedule], jnp.int32), f(max(schedule_period, 1)),
                   f(schedule_rate))


@dataclass(frozen=True)
class TrainConfig:
    """The static part of training: changing any of it compiles a new chunk."""

    spec: MLPSpec
    optimiser: str = "sgd"
    batch_size: int = 10
    dropout: bool = False
    augment: str = "none"

    def __post_init__(self):
        if self.optimiser not in OPTIMISERS:
            raise ValueError(f"optimiser must be one of {', '.join(OPTIMISERS)}; got {self.optimiser!r}")
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}; got {self.augment!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")


class TrainState(NamedTuple):
    params: Params
    opt_state: optax.OptState
    key: jax.Array
    epoch: jax.Array  # int32 scalar: epochs completed


def init_state(key: jax.Array, config: TrainConfig) -> TrainState:
    """Fresh weights from ``key``; shuffling draws from a key split off it."""
    k_init, k_train = jax.random.split(key)
    params = init_params(k_init, config.spec)
    return TrainState(params, make_optimiser(config.optimiser).init(params), k_train,
                      jnp.zeros((), jnp.int32))


def new_optimiser(state: TrainState, config: TrainConfig) -> TrainState:
    """Keep the network, start a fresh optimiser state (after the optimiser kind changed)."""
    return state._replace(opt_state=make_optimiser(config.optimiser).init(state.params))


def penalty(params: Params, l1, l2):
    """L1 and L2 regularisation on weights, never biases (L2 as ½·w², like TF Playground)."""
    ws = [w for w, _ in params]
    return l1 * sum(jnp.abs(w).sum() for w in ws) + l2 * 0.5 * sum((w * w).sum() for w in ws)


def data_loss(params: Params, spec: MLPSpec, x, y, mask=None):
    """Mean per-example loss, over the examples where ``mask`` is 1."""
    per = HEADS[spec.head].loss(forward(params, spec, x), y)
    if mask is None:
        return per.mean()
    return (per * mask).sum() / mask.sum()


def objective(params, config: TrainConfig, hp: HParams, x, y, mask, key):
    """What gradient descent minimises: data loss (with dropout if on) plus the penalty.

    ``mask`` (B,) marks real examples in a padded batch; None means all are real.
    """
    spec = config.spec
    logits = forward(params, spec, x, key if config.dropout else None, hp.dropout)
    per = HEADS[spec.head].loss(logits, y)
    loss = per.mean() if mask is None else (per * mask).sum() / mask.sum()
    return loss + penalty(params, hp.l1, hp.l2)


def _mean(v, w):
    """The mean of ``v``, over the examples whose weight ``w`` is 1 (all if None; NaN if none)."""
    return v.mean() if w is None else (v * w).sum() / w.sum()


def _metrics(params, spec: MLPSpec, x, y, w=None):
    head = HEADS[spec.head]
    z = forward(params, spec, x)
    loss = _mean(head.loss(z, y), w)
    acc = _mean(head.correct(z, y), w) if head.correct else jnp.asarray(jnp.nan, jnp.float32)
    return loss, acc


def evaluate(params: Params, spec: MLPSpec, data: Data) -> dict[str, jax.Array]:
    """Data loss (no penalty) and accuracy on the train and test sets."""
    train_loss, train_acc = _metrics(params, spec, data.x_train, data.y_train, data.w_train)
    test_loss, test_acc = _metrics(params, spec, data.x_test, data.y_test, data.w_test)
    return dict(train_loss=train_loss, test_loss=test_loss, train_acc=train_acc, test_acc=test_acc)


evaluate_jit = jax.jit(evaluate, static_argnums=1)


def permutation(key: jax.Array, n: int) -> jax.Array:
    """A uniformly random order of ``range(n)``.

    For n up to 4,096 it sorts one array of random 32-bit words whose low bits carry the index
    (at least 20 random bits each), several times cheaper on CPU than a key-value argsort;
    the rare tie between equal random parts falls back to index order.
    """
    bits = max(1, (n - 1).bit_length())
    if bits > 12:
        return jax.random.permutation(key, n)
    words = jax.random.bits(key, (n,), jnp.uint32)
    packed = (words >> bits << bits) | jnp.arange(n, dtype=jnp.uint32)
    return (jnp.sort(packed) & ((1 << bits) - 1)).astype(jnp.int32)


def _epoch(state: TrainState, data: Data, hp: HParams, config: TrainConfig) -> TrainState:
    """One epoch: shuffle, then one update per mini-batch.

    The set is cut into ceil(N / B) batches of B; when B does not divide N, the last batch holds
    the N mod B remainder points (padded to B and masked out of the loss), so every point is
    seen exactly once per epoch.
    """
    n = data.x_train.shape[0]
    bs = min(config.batch_size, n)
    nb = -(-n // bs)
    pad = nb * bs - n
    key, k_perm, k_steps = jax.random.split(state.key, 3)
    perm = permutation(k_perm, n)
    weighted = data.w_train is not None
    if weighted:  # the real examples first, in random order; batches of padding only change nothing
        perm = perm[jnp.argsort(1.0 - data.w_train[perm], stable=True)]
    if pad:
        perm = jnp.concatenate([perm, perm[:pad]])
    xs = data.x_train[perm].reshape(nb, bs, -1)  # (nb, B, n_in)
    ys = data.y_train[perm].reshape(nb, bs)
    mask = (jnp.arange(nb * bs) < n).astype(jnp.float32).reshape(nb, bs) if pad else None
    if weighted:
        mask = data.w_train[perm].reshape(nb, bs) * (1.0 if mask is None else mask)
    lr = hp.learning_rate * schedule_factor(hp.schedule, state.epoch, hp.schedule_period, hp.schedule_rate)
    opt_state = with_hyperparams(state.opt_state, lr, hp.momentum, hp.weight_decay)
    tx = make_optimiser(config.optimiser)
    augment = AUGMENTATIONS[config.augment][1]
    random_steps = config.dropout or config.augment != "none"

    def step(carry, batch):
        params, opt_state = carry
        xb, yb, mb, k = batch
        k_aug, k_drop = jax.random.split(k) if random_steps else (None, None)
        if config.augment != "none":
            xb = augment(k_aug, xb)
        grads = jax.grad(objective)(params, config, hp, xb, yb, mb, k_drop)
        updates, new_opt = tx.update(grads, opt_state, params)
        new = (optax.apply_updates(params, updates), new_opt)
        if weighted:  # a batch of padding only: no step at all
            new = jax.tree.map(lambda a, b: jnp.where(mb.sum() > 0, a, b), new, (params, opt_state))
        return new, None

    keys = jax.random.split(k_steps, nb) if random_steps else None
    (params, opt_state), _ = jax.lax.scan(step, (state.params, opt_state), (xs, ys, mask, keys))
    return TrainState(params, opt_state, key, state.epoch + 1)


NOT_FINITE, BLEW_UP = 1, 2  # values of metrics["diverged"]


def _train_chunk(state: TrainState, data: Data, hp: HParams, config: TrainConfig, n_epochs: int):
    spec = config.spec
    # A bounded head (tanh) saturates instead of overflowing, so "diverged" also means the loss
    # blew up: above 1.5x the loss of always answering 0 and 1.2x where this chunk began.
    zeros = jnp.zeros((data.x_train.shape[0], spec.n_out), jnp.float32)
    trivial = _mean(HEADS[spec.head].loss(zeros, data.y_train), data.w_train)
    start = data_loss(state.params, spec, data.x_train, data.y_train, data.w_train)
    ceiling = jnp.maximum(1.5 * trivial, 1.2 * start)
    # No test examples: the test loss is NaN (a mean over nothing), which is no divergence.
    no_test = (data.x_test.shape[0] == 0) if data.w_test is None else (data.w_test.sum() == 0)

    def body(carry, _):
        state, reason, bad = carry
        new = _epoch(state, data, hp, config)
        m = evaluate(new.params, spec, data)
        finite = jnp.isfinite(m["train_loss"]) & (jnp.isfinite(m["test_loss"]) | no_test)
        blew_up = finite & (m["train_loss"] > ceiling)
        now = jnp.where(~finite, NOT_FINITE, jnp.where(blew_up, BLEW_UP, 0))
        bad = jnp.where((reason == 0) & (now > 0), m["train_loss"], bad)  # the loss that proved it
        reason = jnp.where(reason > 0, reason, now)
        ok = reason == 0
        # Once diverged, keep the last good state and report NaN for the remaining epochs.
        state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, state)
        m = {k: jnp.where(ok, v, jnp.nan) for k, v in m.items()}
        return (state, reason, bad), m

    init = (state, jnp.zeros((), jnp.int32), jnp.asarray(jnp.nan, jnp.float32))
    (state, reason, bad), metrics = jax.lax.scan(body, init, None, length=n_epochs)
    return state, dict(metrics, diverged=reason, diverged_loss=bad)


train_chunk = jax.jit(_train_chunk, static_argnames=("config", "n_epochs"))
train_chunk.__doc__ = """Run ``n_epochs`` epochs; return ``(state, metrics)``.

``metrics`` holds per-epoch ``train_loss``, ``test_loss``, ``train_acc``, ``test_acc``
(data loss without the penalty; accuracy NaN for regression) and ``diverged``: 0, or
``NOT_FINITE`` when a loss became NaN or infinite, or ``BLEW_UP`` when it rose far above where
the chunk began (a saturated tanh net never overflows); ``diverged_loss`` is the training loss
of the epoch that diverged (NaN when none did). Then the chunk stops updating: the
returned state is the last good one and the remaining epochs' metrics are NaN. It never raises.
"""


def run_epochs(state: TrainState, data: Data, hp: HParams, config: TrainConfig, n_epochs: int):
    """Convenience for scripts and tests: ``train_chunk`` with metrics as NumPy arrays."""
    state, m = train_chunk(state, data, hp, config=config, n_epochs=n_epochs)
    return state, jax.tree.map(jax.device_get, m)
