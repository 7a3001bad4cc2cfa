"""One toy-lab run: data, network, optimiser state and history. No Streamlit here.

The page keeps one ``ToyRun`` per browser session and calls ``apply`` with the settings the
widgets give; ``apply`` decides what a change means (new data, new network, new optimiser
state, or only new hyperparameters) and says so.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from engine.inspect import neuron_maps
from engine.learn import set_bias, set_weight
from engine.model import MLPSpec
from engine.toydata import ToyData, features, grid_points, make_toy_data
from engine.train import Data, HParams, TrainConfig, evaluate_jit, make_hparams
from playground.shared.run import Run
from playground.toy.settings import DATA_FIELDS, LABELS, NETWORK_FIELDS, ToySettings

GRID = 100  # the decision map's resolution


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
            changed = ", ".join(LABELS[n] for n in sorted(data | net))
            return f"The {what} changed ({changed}): training starts again from epoch 0."
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
        return [o.reshape(GRID, GRID, -1) for o in outs[:-1]] + [outs[-1].reshape(GRID, GRID)]

    def input_maps(self) -> np.ndarray:
        """Each input feature over the plane: (GRID, GRID, n_features)."""
        return np.asarray(self.grid_features).reshape(GRID, GRID, -1)

    def weights(self, params=None) -> list[tuple[np.ndarray, np.ndarray]]:
        params = self.state.params if params is None else params
        return [(np.asarray(w), np.asarray(b)) for w, b in jax.device_get(params)]

    def edit(self, layer: int, i: int | None, j: int, value: float) -> None:
        """Set one weight by hand (w[layer][i, j]; with ``i`` None the bias b[layer][j], layer
        counted from 1): the network changes at the current epoch, whose numbers are measured
        again, so the maps and the loss follow at once."""
        params = (set_bias(self.state.params, layer - 1, j, value) if i is None
                  else set_weight(self.state.params, layer - 1, i, j, value))
        self.state = self.state._replace(params=params)
        self.history.replace_last(jax.device_get(evaluate_jit(params, self.config.spec, self.data)))
