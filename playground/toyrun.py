"""One toy-lab run: data, network, optimiser state and history. No Streamlit here.

The page keeps one ``ToyRun`` per browser session and calls ``apply`` with the settings the
widgets give; ``apply`` decides what a change means (new data, new network, new optimiser
state, or only new hyperparameters) and says so.
"""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from engine.inspect import neuron_maps
from engine.model import MLPSpec
from engine.toydata import ToyData, features, grid_points, make_toy_data
from engine.train import Data, HParams, TrainConfig, make_hparams
from playground.run import Run
from playground.settings import DATA_FIELDS, NETWORK_FIELDS, SPEEDS, ToySettings

GRID = 100  # the decision map's resolution
FRAME_BUDGET_MS = 100.0  # a chunk no longer than this keeps Pause immediate
FIRST_CHUNK = 5  # epochs per frame until this run has timed a chunk of its network


def spec_of(s: ToySettings) -> MLPSpec:
    return MLPSpec(len(s.features), s.hidden, 1, s.activation, s.head, s.init)


def config_of(s: ToySettings) -> TrainConfig:
    return TrainConfig(spec_of(s), s.optimiser, s.batch_size)


def hparams_of(s: ToySettings) -> HParams:
    return make_hparams(s.learning_rate, s.momentum, s.weight_decay, s.reg_l1, s.reg_l2, 0.0,
                        s.schedule, s.schedule_period, s.schedule_rate)


class ToyRun(Run):
    KIND = "toy"

    @classmethod
    def default_settings(cls) -> ToySettings:
        return ToySettings()

    def __init__(self, settings: ToySettings):
        self.settings = settings
        self.grid_x = grid_points(GRID)  # (GRID², 2)
        self.ms_per_epoch = 0.0  # 0: not measured yet for the current network
        self._timed: set = set()  # (config, chunk size) pairs already run: compiled, so timeable
        self._timed_config = None  # the config that ms_per_epoch was measured for
        self._new_data()
        self.reset()

    # --- what a settings change means -------------------------------------------------------
    def apply(self, s: ToySettings) -> str | None:
        """Adopt new settings; return a sentence when the change started the run again.

        New data or a new architecture resets the network; a new data seed (Regenerate) only
        replaces the data; anything else (learning rate, optimiser, regularisation, batch size,
        schedule) keeps the network and its history.
        """
        old, self.settings = self.settings, s
        data = {n for n in DATA_FIELDS if getattr(old, n) != getattr(s, n)}
        net = {n for n in NETWORK_FIELDS if getattr(old, n) != getattr(s, n)}
        if data or "features" in net or old.data_seed != s.data_seed:
            self._new_data()
        if data or net:
            self.reset()
            what = "data" if data else "network"
            return f"The {what} changed ({', '.join(sorted(data | net))}): training starts again from epoch 0."
        self.keep_network(old)
        return None

    def _new_data(self) -> None:
        s = self.settings
        self.toy: ToyData = make_toy_data(s.dataset, s.noise / 100, s.train_ratio / 100, s.data_seed)
        f = s.features
        self.data = Data(jnp.asarray(features(self.toy.points_train, f)), jnp.asarray(self.toy.y_train),
                         jnp.asarray(features(self.toy.points_test, f)), jnp.asarray(self.toy.y_test))
        self.grid_features = jnp.asarray(features(self.grid_x, f))

    # --- training ------------------------------------------------------------------------------
    @property
    def config(self) -> TrainConfig:
        return config_of(self.settings)

    @property
    def hparams(self) -> HParams:
        return hparams_of(self.settings)

    def frame_epochs(self, speed: int, budget_ms: float = FRAME_BUDGET_MS) -> int:
        """Epochs to train in one frame: ``speed``, or fewer when that would take longer than
        ``budget_ms`` on this machine (measured on earlier chunks of this network; a few
        until it has been measured, so that no frame of a big network runs for seconds)."""
        if not self.ms_per_epoch or self._timed_config != self.current()[0]:
            return max(n for n in SPEEDS if n <= max(1, min(speed, FIRST_CHUNK)))
        fits = [n for n in SPEEDS if n <= speed and n * self.ms_per_epoch <= budget_ms]
        return max(fits, default=1)

    def train(self, n_epochs: int) -> int:
        """Train up to ``n_epochs``; return how many ran. Also measures the time per epoch, on
        chunks whose size this network has run before (a first run includes compiling)."""
        config = self.current()[0]  # built once per settings object, not per frame
        if config != self._timed_config:  # another network or batch size: measure it afresh
            self.ms_per_epoch, self._timed_config = 0.0, config
        started = time.perf_counter()
        ran = super().train(n_epochs)
        elapsed_ms = (time.perf_counter() - started) * 1e3
        if ran and (config, n_epochs) in self._timed:
            per_epoch = elapsed_ms / ran
            self.ms_per_epoch = 0.7 * self.ms_per_epoch + 0.3 * per_epoch if self.ms_per_epoch else per_epoch
        self._timed.add((config, n_epochs))
        return ran

    # --- views -----------------------------------------------------------------------------------
    def maps(self) -> list[np.ndarray]:
        """Every neuron over the GRID×GRID plane: one (GRID, GRID, width) array per hidden layer,
        then the output (GRID, GRID)."""
        outs = jax.device_get(neuron_maps(self.state.params, self.current()[0].spec, self.grid_features))
        return [o.reshape(GRID, GRID, -1) for o in outs[:-1]] + [outs[-1].reshape(GRID, GRID)]

    def input_maps(self) -> np.ndarray:
        """Each input feature over the plane: (GRID, GRID, n_features)."""
        return np.asarray(self.grid_features).reshape(GRID, GRID, -1)

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(np.asarray(w), np.asarray(b)) for w, b in jax.device_get(self.state.params)]
