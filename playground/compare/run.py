"""A comparison: up to nine toy-lab runs on the same data, trained together. No Streamlit here.

Runs that share a network (all of them, unless the activation is what varies) are one group, and
one ``compare_chunk`` call trains a group: one ``vmap`` inside one jitted chunk. Each run keeps
its own history and divergence, so a run that diverges stops alone.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from engine.compare import compare_chunk, output_maps, stack, start_state, unstack
from engine.toydata import ToyData, features, grid_points, make_toy_data
from engine.train import BLEW_UP, NOT_FINITE, Data, TrainConfig, evaluate_jit
from playground.compare.settings import CompareSettings
from playground.shared.run import METRICS, History
from playground.toy.run import config_of, hparams_of

GRID = 50  # each small map's resolution


@dataclass
class Group:
    config: TrainConfig
    runs: list[int]  # indices into CompareRun.runs
    states: object = None  # TrainState stacked over the group's runs
    hps: object = None


@dataclass
class Lane:
    """One run of the comparison: its value(s), label, history and fate."""
    values: dict
    label: str
    history: History = field(default_factory=History)
    divergence: int = 0  # 0, or NOT_FINITE / BLEW_UP
    diverged_at: tuple[int, float] | None = None  # (epoch, training loss) that proved it

    @property
    def epoch(self) -> int:
        return len(self.history.series("train_loss")) - 1


class CompareRun:
    def __init__(self, settings: CompareSettings):
        self.settings = settings
        self._new_data()
        self.reset()

    def _new_data(self) -> None:
        s = self.settings
        self.toy: ToyData = make_toy_data(s.dataset, s.noise / 100, s.train_ratio / 100, s.data_seed, s.classes)
        f = s.features
        self.data = Data(jnp.asarray(features(self.toy.points_train, f)), jnp.asarray(self.toy.y_train),
                         jnp.asarray(features(self.toy.points_test, f)), jnp.asarray(self.toy.y_test))
        self.grid_features = jnp.asarray(features(grid_points(GRID), f))

    def apply(self, s: CompareSettings) -> str | None:
        """Adopt new settings; a change that trains differently starts every run again from epoch 0
        (a comparison is only fair from the same start), and a sentence says so."""
        old, self.settings = self.settings, s
        view_only = ("speed", "show_test", "discretise", "target")
        changed = [n for n in s.FIELDS if n not in view_only and getattr(old, n) != getattr(s, n)]
        if not changed:
            return None
        if any(getattr(old, n) != getattr(s, n) for n in ("problem", "dataset", "noise", "train_ratio",
                                                           "data_seed", "features", "classes")):
            self._new_data()
        self.reset()
        return "The comparison changed: every run starts again from epoch 0."

    def reset(self) -> None:
        """Every run back to its starting weights (the same for all where the varied setting allows)."""
        s = self.settings
        self.lanes = [Lane(r, s.label(r)) for r in s.runs()]
        groups: dict[TrainConfig, Group] = {}
        for i, lane in enumerate(self.lanes):
            config = config_of(s.run_settings(lane.values))
            groups.setdefault(config, Group(config, [])).runs.append(i)
        self.groups = list(groups.values())
        for g in self.groups:
            runs = [self.lanes[i].values for i in g.runs]
            g.states = stack([start_state(g.config, *s.start_seeds(r)) for r in runs])
            g.hps = stack([hparams_of(s.run_settings(r)) for r in runs])
            for i, r in zip(g.runs, range(len(g.runs))):
                m = evaluate_jit(unstack(g.states.params, r), g.config.spec, self.data)
                self.lanes[i].history.add(jax.device_get(m))
        self.epoch = 0

    # --- training ------------------------------------------------------------------------------
    @property
    def divergence(self) -> bool:
        """True when every run has diverged: nothing is left to train."""
        return all(lane.divergence for lane in self.lanes)

    def current(self):
        """What the live pacer times: the groups' networks (a new one is measured afresh)."""
        return tuple(g.config for g in self.groups), None

    def train(self, n_epochs: int) -> int:
        """Train every run that has not diverged for ``n_epochs``; return how many epochs ran (0 when
        all have diverged). A run that diverges keeps its last good weights and stops there."""
        if self.divergence or n_epochs <= 0:
            return 0
        shared = self.settings.shared_order()
        for g in self.groups:
            alive = np.array([not self.lanes[i].divergence for i in g.runs])
            if not alive.any():
                continue
            g.states, m = compare_chunk(g.states, self.data, g.hps, jnp.asarray(alive), config=g.config,
                                        n_epochs=n_epochs, shared_order=shared)
            m = jax.device_get(m)
            for r, i in enumerate(g.runs):
                if alive[r]:
                    self._record(self.lanes[i], {k: v[r] for k, v in m.items()})
        self.epoch += n_epochs
        return n_epochs

    @staticmethod
    def _record(lane: Lane, m: dict) -> None:
        ran = int(np.isfinite(m["train_loss"]).sum())
        if int(m["diverged"]):
            lane.divergence = int(m["diverged"])
            lane.diverged_at = (lane.epoch + ran + 1, float(m["diverged_loss"]))
        if ran:
            lane.history.add({k: m[k][:ran] for k in METRICS})

    # --- what the page shows --------------------------------------------------------------------
    def params(self, i: int):
        g = next(g for g in self.groups if i in g.runs)
        return unstack(g.states.params, g.runs.index(i))

    def maps(self) -> list[np.ndarray]:
        """Each run's output over the GRID×GRID plane, in run order: (GRID, GRID), or (GRID, GRID, k)
        class probabilities for k classes."""
        out: list = [None] * len(self.lanes)
        for g in self.groups:
            values = jax.device_get(output_maps(g.states.params, g.config.spec, self.grid_features))
            for r, i in enumerate(g.runs):
                out[i] = values[r].reshape(GRID, GRID, *values.shape[2:])
        return out

    def reached(self, i: int, target: float) -> int | None:
        """The first epoch at which run ``i``'s test loss was below ``target``."""
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(self.lanes[i].history.series("test_loss") < target)
        return int(hits[0]) if hits.size else None

    def best(self) -> int | None:
        """The run with the lowest test loss now, among those that did not diverge (none before training)."""
        if self.epoch == 0:
            return None
        scores = [(lane.history.last("test_loss"), i) for i, lane in enumerate(self.lanes)
                  if not lane.divergence and np.isfinite(lane.history.last("test_loss"))]
        return min(scores)[1] if scores else None

    def goal_history(self, runs: str = "best") -> History:
        """One history for a lesson's goal: at each epoch the best run's numbers ("best": some run
        reached it), or the worst's ("all": every run did; a run that diverged never counts as there)."""
        pick = np.nanmin if runs == "best" else np.nanmax
        out = History()
        n = self.epoch + 1
        merged = {}
        for k in METRICS:
            rows = np.full((len(self.lanes), n), np.nan, np.float32)
            for j, lane in enumerate(self.lanes):
                s = lane.history.series(k)
                rows[j, :len(s)] = s
                if runs != "best" and lane.divergence:
                    rows[j, len(s):] = -np.inf if k.endswith("acc") else np.inf
            if k.endswith("acc"):  # for accuracy, the best is the highest
                rows = -rows
            with warnings.catch_warnings():  # an epoch where no run has a number stays NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                merged[k] = pick(rows, axis=0) * (-1 if k.endswith("acc") else 1)
        out.add(merged)
        return out


DIVERGED = {NOT_FINITE: "the loss stopped being a number", BLEW_UP: "the loss jumped up"}
