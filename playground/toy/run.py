"""One toy-lab run: data, network, optimiser state and history. No Streamlit here.

The page keeps one ``ToyRun`` per browser session and calls ``apply`` with the settings the
widgets give; ``apply`` decides what a change means (new data, new network, new optimiser
state, or only new hyperparameters) and says so.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from engine.inspect import neuron_maps, predict
from engine.learn import set_bias, set_weight
from engine.model import MLPSpec
from engine.toydata import ToyData, features, grid_points, make_toy_data
from engine.train import Data, HParams, TrainConfig, evaluate_jit, make_hparams
from playground.shared.fields import SettingsError
from playground.shared.run import Run
from playground.toy.classes import confusion
from playground.toy.owndata import MAX_LINK_POINTS, OWN, OwnData, all_names, decode, empty, encode, n_classes, \
    resplit
from playground.toy.settings import DATA_FIELDS, LABELS, NETWORK_FIELDS, ToySettings, head_for

GRID = 100  # the decision map's resolution


def spec_of(s: ToySettings) -> MLPSpec:
    return MLPSpec(len(s.features), s.hidden, s.n_classes, s.activation, s.head, s.init)


def config_of(s: ToySettings) -> TrainConfig:
    return TrainConfig(spec_of(s), s.optimiser, s.batch_size)


def hparams_of(s: ToySettings) -> HParams:
    return make_hparams(s.learning_rate, s.momentum, s.weight_decay, s.reg_l1, s.reg_l2, 0.0,
                        s.schedule, s.schedule_period, s.schedule_rate)


def bucket(n: int) -> int:
    """The padded size of a set of n points: 16, 32, 64 … 1,024 (few sizes, so that drawing point
    by point seldom compiles), then at most a quarter more than n (so that a large file does not
    train on much padding)."""
    if n <= 1024:
        return max(16, 1 << max(n - 1, 0).bit_length())
    step = 2 ** (int(np.log2(n)) - 2)
    return -(-n // step) * step


def padded(d: Data) -> Data:
    """``d`` padded with zero-weight examples to ``bucket`` sizes (see ``engine.train.Data``)."""
    def pad(x, y):
        n, m = len(y), bucket(len(y))
        w = jnp.asarray(np.arange(m) < n, jnp.float32)
        return (jnp.concatenate([x, jnp.zeros((m - n, x.shape[1]), x.dtype)]),
                jnp.concatenate([y, jnp.zeros(m - n, y.dtype)]), w)
    xtr, ytr, wtr = pad(d.x_train, d.y_train)
    xte, yte, wte = pad(d.x_test, d.y_test)
    return Data(xtr, ytr, xte, yte, wtr, wte)


def real(d: Data) -> Data:
    """``d`` without its padding (for the "how it learns" views, which take every example)."""
    if d.w_train is None:
        return d
    n, m = int(d.w_train.sum()), int(d.w_test.sum())
    return Data(d.x_train[:n], d.y_train[:n], d.x_test[:m], d.y_test[:m])


class ToyRun(Run):
    KIND = "toy"

    @classmethod
    def default_settings(cls) -> ToySettings:
        return ToySettings()

    def __init__(self, settings: ToySettings):
        self.settings = settings
        self._owns: dict[str, OwnData] = {}  # your own data (drawn, uploaded or from a link), per problem type
        self.grid_x = grid_points(GRID)  # (GRID², 2)
        self._new_data()
        self.reset()

    # --- what a settings change means -------------------------------------------------------
    def apply(self, s: ToySettings) -> str | None:
        """Adopt new settings; return a sentence when the change started the run again.

        New data or a new architecture resets the network; a new data seed (Regenerate) only
        replaces the data; anything else (learning rate, optimiser, regularisation, batch size,
        schedule) keeps the network and its history.
        """
        own = self._owns.get(s.problem)
        if s.dataset == OWN and s.problem == "multiclass" and own is not None and s.points == self.settings.points \
                and n_classes(own) > s.classes:
            raise SettingsError(f"classes must be at least {n_classes(own)}: your data has that many")
        if s.dataset != OWN and s.points:  # the link carries your points only while they are in use
            s = s.changed(points="")
        old, self.settings = self.settings, s
        data = {n for n in DATA_FIELDS if getattr(old, n) != getattr(s, n)}
        net = {n for n in NETWORK_FIELDS if getattr(old, n) != getattr(s, n)}
        if "train_ratio" in data:
            self._owns = {p: resplit(o, s.train_ratio) for p, o in self._owns.items()}
        if data or "features" in net or old.data_seed != s.data_seed:
            self._new_data()
        if data or net:
            self.reset()
            what = "data" if data else "network"
            changed = ", ".join(LABELS[n] for n in sorted(data | net))
            return f"The {what} changed ({changed}): training starts again from epoch 0."
        self.keep_network(old)
        return None

    def _new_data(self) -> None:
        s = self.settings
        if s.dataset == OWN:
            self.toy = self._own_data()
            s = self.settings
        else:
            self.toy: ToyData = make_toy_data(s.dataset, s.noise / 100, s.train_ratio / 100, s.data_seed, s.classes)
        f = s.features
        self.data = Data(jnp.asarray(features(self.toy.points_train, f)), jnp.asarray(self.toy.y_train),
                         jnp.asarray(features(self.toy.points_test, f)), jnp.asarray(self.toy.y_test))
        if s.dataset == OWN:  # drawn points: a few fixed sizes, so that a new point does not recompile
            self.data = padded(self.data)
        self.grid_features = jnp.asarray(features(self.grid_x, f))

    # --- your own data ------------------------------------------------------------------------
    @property
    def own(self) -> OwnData | None:
        """Your own data of the current problem type (kept while another data set is in use)."""
        return self._owns.get(self.settings.problem)

    @own.setter
    def own(self, own: OwnData) -> None:
        self._owns[own.problem] = own

    def _own_data(self) -> ToyData:
        """Your own points, split as their flags say. A link's points replace the ones in hand;
        with none, the plane starts empty. The settings' ``points`` then say what the link carries."""
        s = self.settings
        if s.points and (self.own is None or encode(self.own) != s.points):
            self.own = decode(s.points)
        if self.own is None:
            self.own = empty(s.problem)
        o = self.own
        link = encode(o) if o.n <= MAX_LINK_POINTS else ""
        classes = max(s.classes, n_classes(o)) if s.problem == "multiclass" else s.classes  # a link's points say how many
        if (link, classes) != (s.points, s.classes):
            self.settings = s.changed(points=link, classes=classes)
        return ToyData(o.points[~o.test], o.y[~o.test], o.points[o.test], o.y[o.test])

    def current_data(self) -> OwnData:
        """The data in use as one set (generated, drawn or uploaded): training points first."""
        if self.settings.dataset == OWN:
            return self.own
        t, s = self.toy, self.settings
        return OwnData(s.problem, np.concatenate([t.points_train, t.points_test]), np.concatenate([t.y_train, t.y_test]),
                       np.arange(len(t.y_train) + len(t.y_test)) >= len(t.y_train))

    def set_own(self, own: OwnData, keep_network: bool = True) -> ToySettings:
        """Train on ``own`` from now on: drawn points keep the network (it goes on learning on
        them), an uploaded file starts again. Returns the new settings (the link carries up to
        200 points)."""
        self.own = own
        old = self.settings
        head = old.head if own.problem == old.problem else head_for(own.problem)
        s = old.changed(dataset=OWN, problem=own.problem, head=head,
                        points=encode(own) if own.n <= MAX_LINK_POINTS else "",
                        **({"classes": max(old.classes if keep_network else 3, n_classes(own))}
                           if own.problem == "multiclass" else {}))
        self.settings = s
        self._new_data()
        if keep_network and (s.problem, s.n_classes) == (old.problem, old.n_classes):
            self.keep_network(old)
            self.history.replace_last(jax.device_get(evaluate_jit(self.state.params, self.config.spec, self.data)))
        else:
            self.reset()
        return self.settings

    def class_names(self) -> list[str]:
        """The classes' names: from your file if it named them, else "class 1" … (3 to 6 classes)."""
        k = self.settings.n_classes
        own = self.own if self.settings.dataset == OWN else None
        return list(all_names(own.names if own is not None else (), k))

    def two_names(self) -> tuple[str, ...]:
        """A file's names for two classes (orange's, then blue's), or () when they have none."""
        own = self.own if self.settings.dataset == OWN and self.settings.problem == "classification" else None
        return own.names if own is not None and len(own.names) == 2 else ()

    def confusion(self, params=None) -> tuple[str, np.ndarray]:
        """(which points, (k, k) counts: true class × the class the network chose), on the test
        points, or the training points when there are no test points."""
        params = self.state.params if params is None else params
        which, x, y = ("test", self.data.x_test, self.toy.y_test) if len(self.toy.y_test) else \
            ("training", self.data.x_train, self.toy.y_train)
        k = self.settings.n_classes
        if not len(y):
            return which, np.zeros((k, k), np.int64)
        # All rows, padding too (a shape that stays the same as points are drawn: no new compile).
        chosen = np.asarray(predict(params, self.current()[0].spec, x)).argmax(-1)[:len(y)]
        return which, confusion(y, chosen, k)

    def train(self, n_epochs: int) -> int:
        if len(self.toy.y_train) == 0:  # an empty plane: nothing to learn from yet
            return 0
        return super().train(n_epochs)

    # --- training ------------------------------------------------------------------------------
    @property
    def config(self) -> TrainConfig:
        return config_of(self.settings)

    @property
    def hparams(self) -> HParams:
        return hparams_of(self.settings)

    def new_weights(self) -> ToySettings:
        """Reset, as TF Playground's button does: the next weight seed, so new starting weights
        (a link records the seed, so a shared link still reproduces the run)."""
        self.apply(self.settings.changed(seed=(self.settings.seed + 1) % 2**31))
        return self.settings

    # --- views -----------------------------------------------------------------------------------
    def maps(self, params=None) -> list[np.ndarray]:
        """Every neuron over the GRID×GRID plane: one (GRID, GRID, width) array per hidden layer,
        then the output (GRID, GRID). Of ``params`` if given, else of the run's own weights."""
        params = self.state.params if params is None else params
        outs = jax.device_get(neuron_maps(params, self.current()[0].spec, self.grid_features))
        last = outs[-1].reshape(GRID, GRID, -1) if outs[-1].ndim == 2 else outs[-1].reshape(GRID, GRID)
        return [o.reshape(GRID, GRID, -1) for o in outs[:-1]] + [last]

    def input_maps(self) -> np.ndarray:
        """Each input feature over the plane: (GRID, GRID, n_features). Fetched from the device
        once per set of features (the grid's features change only with the data)."""
        if getattr(self, "_input_maps_of", None) is not self.grid_features:
            self._input_maps = np.asarray(self.grid_features).reshape(GRID, GRID, -1)
            self._input_maps_of = self.grid_features
        return self._input_maps

    def weights(self, params=None) -> list[tuple[np.ndarray, np.ndarray]]:
        """The weights as NumPy arrays: of ``params`` if given, else of the run's own weights
        (fetched from the device once per state: a frame's diagram and its weight trail share them)."""
        if params is not None:
            return [(np.asarray(w), np.asarray(b)) for w, b in jax.device_get(params)]
        if getattr(self, "_host_of", None) is not self.state.params:
            self._host = [(np.asarray(w), np.asarray(b)) for w, b in jax.device_get(self.state.params)]
            self._host_of = self.state.params
        return self._host

    def edit(self, layer: int, i: int | None, j: int, value: float) -> None:
        """Set one weight by hand (w[layer][i, j]; with ``i`` None the bias b[layer][j], layer
        counted from 1): the network changes at the current epoch, whose numbers are measured
        again, so the maps and the loss follow at once."""
        params = (set_bias(self.state.params, layer - 1, j, value) if i is None
                  else set_weight(self.state.params, layer - 1, i, j, value))
        self.state = self.state._replace(params=params)
        self.history.replace_last(jax.device_get(evaluate_jit(params, self.config.spec, self.data)))
