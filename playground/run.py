"""What every lab's run has in common: a network training on data, with its history.
No Streamlit here."""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import numpy as np

from engine.train import Data, HParams, TrainConfig, TrainState, evaluate_jit, init_state, new_optimiser, \
    train_chunk

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


@dataclass
class History:
    """Per-epoch metrics; index 0 is the untrained network."""

    chunks: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in METRICS})

    def add(self, metrics: dict[str, np.ndarray]) -> None:
        for k in METRICS:
            self.chunks[k].append(np.atleast_1d(np.asarray(metrics[k], np.float32)))

    def series(self, name: str) -> np.ndarray:
        parts = self.chunks[name]
        if len(parts) > 1:  # compact, so that long runs stay cheap
            self.chunks[name] = parts = [np.concatenate(parts)]
        return parts[0] if parts else np.zeros(0, np.float32)

    def last(self, name: str) -> float:
        parts = self.chunks[name]
        return float(parts[-1][-1]) if parts else float("nan")


class Run:
    """A lab's run. Subclasses set ``settings`` (with a ``seed`` and an ``optimiser``) and
    ``data``, and say what ``config`` and ``hparams`` the settings mean."""

    settings: object
    data: Data

    @property
    def config(self) -> TrainConfig:
        raise NotImplementedError

    @property
    def hparams(self) -> HParams:
        raise NotImplementedError

    @property
    def epoch(self) -> int:
        return len(self.history.series("train_loss")) - 1

    def reset(self) -> None:
        """New weights from the seed, same data; history cleared."""
        self.state: TrainState = init_state(jax.random.key(self.settings.seed), self.config)
        self.history = History()
        self.history.add(jax.device_get(evaluate_jit(self.state.params, self.config.spec, self.data)))
        self.divergence = 0  # 0, or engine.train.NOT_FINITE / BLEW_UP

    def keep_network(self, old) -> None:
        """Settings changed without a reset: a new optimiser kind starts a fresh optimiser state."""
        if old.optimiser != self.settings.optimiser:
            self.state = new_optimiser(self.state, self.config)

    def train(self, n_epochs: int) -> int:
        """Train up to ``n_epochs``; return how many ran (fewer when the loss diverged)."""
        if self.divergence or n_epochs <= 0:
            return 0
        self.state, m = train_chunk(self.state, self.data, self.hparams, config=self.config, n_epochs=n_epochs)
        m = jax.device_get(m)
        ran = int(np.isfinite(m["train_loss"]).sum())
        self.divergence = int(m["diverged"])
        if ran:
            self.history.add({k: m[k][:ran] for k in METRICS})
        return ran
