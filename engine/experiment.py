"""More data or a better model: the digits lab's network against classical models, by training-set size.

Every model trains on the first n examples of one shuffled pool (so each size's training set holds
the smaller ones) and is scored on the same held-out examples, which no model ever trains on.
The network is the digits lab's default recipe (``engine.default_model.DEFAULT_MODEL``); the
classical models are scikit-learn's. The same runs on the toy spiral (two classes, points in
the plane). Results are cached per settings as JSON (``engine.cache.cache_dir("experiments")``).

No Streamlit here: the page hears progress through ``progress`` and stops the runner through
``cancelled``.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from threadpoolctl import threadpool_limits

from engine.cache import cache_dir
from engine.default_model import DEFAULT_MODEL
from engine.model import MLPSpec
from engine.train import Data, TrainConfig, _epoch, init_state, make_hparams

VERSION = 2  # part of every cache key: bump when a change makes old results wrong
SIZES = (50, 100, 300, 1_000, 3_000, 5_000, 60_000)
HELD_OUT = 1_000  # examples scored, from the embedded digits or the spiral
MIN_UPDATES = {"digits": 800, "spiral": 4_000}  # a small training set trains more epochs: at least this many updates
CHUNKS = 10  # the network trains in this many equal chunks: progress and Cancel between them

# The network for the spiral: the digits lab's recipe scaled to two inputs and two classes.
SPIRAL_MODEL = dict(hidden=(32, 32), activation="tanh", optimiser="adam", learning_rate=1e-2, batch_size=32,
                    epochs=40, dropout=0.0, augment="none", schedule="cosine")
SPIRAL_NOISE = 0.3  # each point jittered by up to ±0.3 in x and y (the arms lie about 1.4 apart)


class Pool(NamedTuple):
    """The examples to train on (sizes are taken from the front) and the held-out ones to score on."""
    x: np.ndarray  # (N, n_in) float32
    y: np.ndarray  # (N,) int32 classes 0..K-1
    x_held: np.ndarray
    y_held: np.ndarray
    what: str  # a phrase for the page: where the examples come from
    key: str  # identifies the pool in the cache key


class Classical(NamedTuple):
    label: str
    make: Callable[[int], object]  # seed -> an unfitted scikit-learn classifier


def _logreg(seed):
    from sklearn.linear_model import LogisticRegression
    # Regularised more than scikit-learn's default (C = 1): on 4,000 digits it is both more
    # accurate (90.8 % against 89.1 %) and converges in a third of the time.
    return LogisticRegression(C=0.05, tol=1e-3, max_iter=100)


def _knn(seed):
    from sklearn.neighbors import KNeighborsClassifier
    return KNeighborsClassifier(n_neighbors=3)


def _forest(seed):
    from sklearn.ensemble import RandomForestClassifier
    return RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=seed)


CLASSICAL: dict[str, Classical] = {
    "logreg": Classical("logistic regression", _logreg),
    "knn": Classical("k-nearest neighbours (k = 3)", _knn),
    "forest": Classical("random forest (100 trees)", _forest),
}
NETWORK = "network"
LABELS = {NETWORK: "the network", **{k: c.label for k, c in CLASSICAL.items()}}


@dataclass
class Result:
    model: str  # NETWORK or a CLASSICAL key
    size: int  # training examples
    accuracy: float  # on the held-out examples
    train_seconds: float  # fitting only (for the network: its training steps, compiling apart)
    predict_seconds: float  # answering the held-out examples
    compile_seconds: float = 0.0  # the network's one-off compilation for this size
    epochs: int = 0  # the network's epochs


@dataclass
class Experiment:
    dataset: str  # "digits" or "spiral"
    what: str
    sizes: list[int]
    held_out: int
    results: list[Result] = field(default_factory=list)
    complete: bool = False

    def get(self, model: str, size: int) -> Result | None:
        return next((r for r in self.results if r.model == model and r.size == size), None)

    def series(self, model: str, attr: str = "accuracy") -> tuple[list[int], list[float]]:
        rs = sorted((r for r in self.results if r.model == model), key=lambda r: r.size)
        return [r.size for r in rs], [getattr(r, attr) for r in rs]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Experiment":
        d = json.loads(text)
        return cls(d["dataset"], d["what"], list(d["sizes"]), int(d["held_out"]),
                   [Result(**r) for r in d["results"]], bool(d["complete"]))


# --- the pools ---------------------------------------------------------------------------------
def full_mnist_cached(folder: Path | None = None) -> bool:
    """Whether full MNIST's four files are in the data cache, intact (nothing is downloaded)."""
    from engine.digits_data import SHA256, data_dir, sha256
    folder = folder or data_dir()
    return all((folder / n).exists() and sha256(folder / n) == h for n, h in SHA256.items())


def balanced_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order of ``range(len(y))`` in which every prefix holds the classes as evenly as
    it can: the first n examples hold n // K or n // K + 1 of each of the K classes (while a class
    lasts). So the 50 digits of the smallest training set are five of each digit, not whichever
    digits a plain shuffle happened to put first."""
    perm = rng.permutation(len(y))
    rank = np.empty(len(y), np.int64)
    for c in np.unique(y):
        where = np.flatnonzero(y[perm] == c)
        rank[where] = np.arange(len(where))  # the how-manieth of its class, in the shuffled order
    return perm[np.lexsort((rng.random(len(y)), rank))]  # by rank; classes in random order within one


def digits_pool(seed: int = 0, full: bool | None = None) -> Pool:
    """Full MNIST when it is cached (60,000 to train on; 2,000 of its official test digits held
    out), else the 5,000 embedded digits: 100 of each digit held out, 4,000 to train on. The
    training digits come in ``balanced_order``, so every size holds every digit equally often."""
    from engine.digits_data import load_full_mnist, load_mnist_5k
    rng = np.random.default_rng(seed)
    if full_mnist_cached() if full is None else full:
        d = load_full_mnist()
        order, held = balanced_order(d.y_train, rng), rng.permutation(len(d.y_test))[:2_000]
        return Pool(d.x_train[order], d.y_train[order], d.x_test[held], d.y_test[held],
                    "full MNIST (2,000 of its official test digits held out)", f"mnist-{seed}")
    d = load_mnist_5k()
    order = rng.permutation(len(d.y_train))
    per = HELD_OUT // 10
    held = np.concatenate([order[d.y_train[order] == c][:per] for c in range(10)])
    rest = order[~np.isin(order, held)]
    keep = rest[balanced_order(d.y_train[rest], rng)]
    return Pool(d.x_train[keep], d.y_train[keep], d.x_train[held], d.y_train[held],
                f"the 5,000 embedded MNIST digits ({HELD_OUT:,} held out, {len(keep):,} to train on)",
                f"mnist5k-{seed}")


def spiral_pool(seed: int = 0, n: int = 5_000) -> Pool:
    """``n`` spiral points to train on and HELD_OUT more from the same draw to score on."""
    from engine.toydata import DATASETS
    rng = np.random.default_rng(seed)
    pts, y = DATASETS["spiral"].make(rng, n + HELD_OUT, SPIRAL_NOISE)
    order = rng.permutation(len(y))
    pts, y = pts[order].astype(np.float32), (y[order] > 0).astype(np.int32)
    train = HELD_OUT + balanced_order(y[HELD_OUT:], rng)
    return Pool(pts[train], y[train], pts[:HELD_OUT], y[:HELD_OUT],
                f"spiral points, noise {SPIRAL_NOISE:g} ({HELD_OUT:,} held out)", f"spiral-{seed}-{n}")


POOLS: dict[str, Callable[[int], Pool]] = {"digits": digits_pool, "spiral": spiral_pool}
RECIPES = {"digits": DEFAULT_MODEL, "spiral": SPIRAL_MODEL}


def sizes_for(pool_size: int, up_to: int) -> list[int]:
    """The training-set sizes of SIZES up to ``up_to`` that the pool holds, and the whole pool
    when it is smaller than the next size asked for (4,000 embedded digits in place of 5,000)."""
    sizes = [s for s in SIZES if s <= min(pool_size, up_to)]
    if any(pool_size < s <= up_to for s in SIZES) and pool_size not in sizes:
        sizes.append(pool_size)
    return sizes


# --- the network -------------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("config", "n_epochs"))
def _train_epochs(state, data: Data, hp, config: TrainConfig, n_epochs: int):
    return jax.lax.scan(lambda s, _: (_epoch(s, data, hp, config), None), state, None, length=n_epochs)[0]


def network_epochs(n: int, recipe: dict, min_updates: int) -> int:
    """The recipe's epochs, or more for a small set: at least ``min_updates`` mini-batch updates;
    rounded up to a multiple of CHUNKS."""
    batches = -(-n // min(recipe["batch_size"], n))
    epochs = max(recipe["epochs"], -(-min_updates // batches))
    return -(-epochs // CHUNKS) * CHUNKS


def train_network(x, y, n_classes: int, recipe: dict, min_updates: int, seed: int = 0,
                  tick: Callable[[float], None] | None = None):
    """Train the recipe's MLP on (x, y). Returns (params, spec, train seconds, compile seconds,
    epochs). ``tick`` hears the fraction done after each of the CHUNKS chunks."""
    n = len(y)
    spec = MLPSpec(x.shape[1], recipe["hidden"], n_classes, recipe["activation"], "softmax_ce")
    config = TrainConfig(spec, recipe["optimiser"], min(recipe["batch_size"], n), dropout=recipe["dropout"] > 0,
                         augment=recipe["augment"])
    epochs = network_epochs(n, recipe, min_updates)
    hp = make_hparams(recipe["learning_rate"], 0.9, 0.0, dropout=recipe["dropout"], schedule=recipe["schedule"],
                      schedule_period=epochs)
    data = Data(jnp.asarray(x), jnp.asarray(y), jnp.asarray(x[:1]), jnp.asarray(y[:1]))  # only the training slots are read
    state = init_state(jax.random.key(seed), config)
    t = time.perf_counter()
    step = _train_epochs.lower(state, data, hp, config=config, n_epochs=epochs // CHUNKS).compile()
    compile_s, seconds = time.perf_counter() - t, 0.0
    for k in range(CHUNKS):
        t = time.perf_counter()
        state = jax.block_until_ready(step(state, data, hp))
        seconds += time.perf_counter() - t
        if tick:
            tick((k + 1) / CHUNKS)
    return state.params, spec, seconds, compile_s, epochs


def _predict_network(params, spec, x) -> np.ndarray:
    from engine.inspect import layer_activations
    return np.asarray(layer_activations(params, spec, jnp.asarray(x))[-1]).argmax(1)


# --- the runner --------------------------------------------------------------------------------
class Cancelled(Exception):
    """The runner was asked to stop; ``partial`` holds what it measured."""

    def __init__(self, partial: Experiment):
        super().__init__("cancelled")
        self.partial = partial


def cache_key(dataset: str, pool: Pool, sizes: list[int], seed: int) -> str:
    import sklearn
    what = json.dumps({"v": VERSION, "dataset": dataset, "pool": pool.key, "sizes": sizes, "seed": seed,
                       "recipe": RECIPES[dataset], "min_updates": MIN_UPDATES[dataset], "classical": list(CLASSICAL),
                       "sklearn": sklearn.__version__, "jax": jax.__version__, "held": len(pool.y_held)},
                      sort_keys=True, default=list)
    return f"{dataset}-{hashlib.sha256(what.encode()).hexdigest()[:16]}"


def cache_file(key: str) -> Path:
    return cache_dir("experiments") / f"{key}.json"


def cached(key: str) -> Experiment | None:
    """The results saved under ``key``, or None (never saved, or unreadable: then they run again)."""
    try:
        return Experiment.from_json(cache_file(key).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(key: str, e: Experiment) -> None:
    path = cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(e.to_json())
        tmp.replace(path)  # atomic: another process never reads half a file
    except OSError:
        pass  # a read-only cache: the next visit runs again


def run(dataset: str = "digits", up_to: int = 5_000, seed: int = 0, pool: Pool | None = None,
        progress: Callable[[float, str, Experiment], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False, use_cache: bool = True) -> Experiment:
    """Train the network and every classical model on each size of training set, score each on
    the pool's held-out examples, and time the training. A finished run is cached; a second call
    with the same settings returns it at once. ``progress(fraction, what is running, results so
    far)``; when ``cancelled()`` turns true the runner stops between two steps and raises
    ``Cancelled`` with the results so far. ``use_cache=False`` measures again (and saves)."""
    pool = pool or POOLS[dataset](seed)
    sizes = sizes_for(len(pool.y), up_to)
    key = cache_key(dataset, pool, sizes, seed)
    if use_cache and (saved := cached(key)) is not None:
        return saved
    e = Experiment(dataset, pool.what, sizes, len(pool.y_held))
    n_classes = int(max(pool.y.max(), pool.y_held.max())) + 1
    steps = [(n, m) for n in sizes for m in (NETWORK, *CLASSICAL)]
    weight = {NETWORK: 3.0, "logreg": 1.0, "knn": 0.3, "forest": 1.0}  # rough shares of the time, for the bar
    total = sum(weight[m] * (1 + n / 1_000) for n, m in steps)
    done = 0.0

    def say(frac_of_step: float, n: int, m: str) -> None:
        if cancelled():
            raise Cancelled(e)
        if progress:
            progress(min(1.0, (done + frac_of_step * weight[m] * (1 + n / 1_000)) / total),
                     f"{LABELS[m]} on {n:,} training examples", e)

    for n, m in steps:
        say(0.0, n, m)
        x, y = pool.x[:n], pool.y[:n]
        if m == NETWORK:
            params, spec, secs, comp, epochs = train_network(x, y, n_classes, RECIPES[dataset], MIN_UPDATES[dataset],
                                                             seed, lambda f: say(f, n, m))
            t = time.perf_counter()
            pred = _predict_network(params, spec, pool.x_held)
            r = Result(m, n, 0.0, secs, time.perf_counter() - t, comp, epochs)
        else:
            model = CLASSICAL[m].make(seed)
            # One BLAS/OpenMP thread: beside JAX's threads on a loaded two-core machine, two threads
            # each made logistic regression 10× slower (10.4 s against 1.0 s on 5,000 digits).
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")  # ConvergenceWarning: logistic regression stops at max_iter
                t = time.perf_counter()
                model.fit(x, y)
                secs = time.perf_counter() - t
                t = time.perf_counter()
                pred = model.predict(pool.x_held)
            r = Result(m, n, 0.0, secs, time.perf_counter() - t)
        r.accuracy = float((np.asarray(pred) == pool.y_held).mean())
        e.results.append(r)
        done += weight[m] * (1 + n / 1_000)
    e.complete = True
    _save(key, e)
    if progress:
        progress(1.0, "done", e)
    return e
