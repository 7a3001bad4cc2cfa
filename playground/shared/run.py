"""What every lab's run has in common: a network training on data, with its history.
No Streamlit here."""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from engine.modelio import ModelFileError, SavedModel, save_model
from engine.optim import make_optimiser
from engine.train import Data, HParams, TrainConfig, TrainState, evaluate_jit, init_state, new_optimiser, \
    train_chunk

METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


@dataclass
class History:
    """Per-epoch metrics; index 0 is the untrained network."""

    chunks: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in METRICS})

    def add(self, metrics: dict[str, np.ndarray]) -> None:
        for k in METRICS:
            self.chunks[k].append(np.atleast_1d(np.array(metrics[k], np.float32)))  # a copy: replace_last writes it

    def series(self, name: str) -> np.ndarray:
        parts = self.chunks[name]
        if len(parts) > 1:  # compact, so that long runs stay cheap
            self.chunks[name] = parts = [np.concatenate(parts)]
        return parts[0] if parts else np.zeros(0, np.float32)

    def replace_last(self, metrics: dict[str, np.ndarray]) -> None:
        """The latest epoch's metrics measured again (the network changed by hand)."""
        for k in METRICS:
            self.series(k)[-1] = np.float32(metrics[k])

    def last(self, name: str) -> float:
        parts = self.chunks[name]
        return float(parts[-1][-1]) if parts else float("nan")


class Run:
    """A lab's run. Subclasses set ``settings`` (with a ``seed`` and an ``optimiser``) and
    ``data``, and say what ``config`` and ``hparams`` the settings mean; ``KIND`` names the lab
    in model files."""

    KIND = ""
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

    def current(self) -> tuple[TrainConfig, HParams]:
        """``config`` and ``hparams``, built once per settings object: a live view asks for them
        many times a second, and making the hyperparameter arrays costs more than a chunk."""
        if getattr(self, "_current_for", None) is not self.settings:
            self._current = (self.config, self.hparams)
            self._current_for = self.settings
        return self._current

    def reset(self) -> None:
        """The starting weights the seed gives, same data; history cleared."""
        self.state: TrainState = init_state(jax.random.key(self.settings.seed), self.config)
        self.history = History()
        self.history.add(jax.device_get(evaluate_jit(self.state.params, self.config.spec, self.data)))
        self.divergence = 0  # 0, or engine.train.NOT_FINITE / BLEW_UP

    def keep_network(self, old) -> None:
        """Settings changed without a reset: a new optimiser kind starts a fresh optimiser state,
        and a run that diverged may go on from its last good weights (the state the engine kept)."""
        if old.optimiser != self.settings.optimiser:
            self.state = new_optimiser(self.state, self.config)
        if old != self.settings:
            self.divergence = 0

    def train(self, n_epochs: int) -> int:
        """Train up to ``n_epochs``; return how many ran (fewer when the loss diverged)."""
        if self.divergence or n_epochs <= 0:
            return 0
        config, hparams = self.current()
        self.state, m = train_chunk(self.state, self.data, hparams, config=config, n_epochs=n_epochs)
        m = jax.device_get(m)
        ran = int(np.isfinite(m["train_loss"]).sum())
        self.divergence = int(m["diverged"])
        if self.divergence:  # the epoch after the last good one, and the loss that proved it
            self.diverged_at = (self.epoch + ran + 1, float(m["diverged_loss"]))
        if ran:
            self.history.add({k: m[k][:ran] for k in METRICS})
        return ran

    def divergence_sentence(self) -> str:
        """What happened, with the numbers that prove it: the epoch that diverged and its loss, and
        where the network is now (Markdown)."""
        from engine.train import NOT_FINITE
        bad_epoch, bad_loss = self.diverged_at
        what = ("the training loss stopped being a number (NaN or infinite)" if self.divergence == NOT_FINITE
                else f"the training loss jumped to {bad_loss:.3g}")
        return (f"**Training diverged at epoch {bad_epoch:,}:** {what}, from {self.history.last('train_loss'):.3f} "
                f"at epoch {self.epoch:,}. The network is back at epoch {self.epoch:,}, its last good weights.")

    # --- model files ---------------------------------------------------------------------------
    def to_file(self) -> bytes:
        """Weights, every setting and the history, as the bytes of a ``.npz`` model file."""
        return save_model(jax.device_get(self.state.params), self.config.spec, kind=self.KIND,
                          settings=self.settings.to_query(full=True),
                          history={k: self.history.series(k) for k in METRICS})

    @classmethod
    def from_file(cls, saved: SavedModel) -> tuple["Run", list[str]]:
        """A run that continues a saved model: its settings (and so its data), its weights and
        its history; the optimiser starts afresh. Also the notices about settings skipped."""
        if saved.kind != cls.KIND:
            raise ModelFileError(f"This is a {saved.kind or 'foreign'} model; load it in the "
                                 f"{saved.kind or 'matching'} lab, not here.")
        settings, notices = type(cls.default_settings()).from_query(saved.settings)
        run = cls(settings)
        if run.config.spec != saved.spec:
            raise ModelFileError("This file cannot be loaded as an nn-playground model: its weights do not "
                                 "fit the network its own settings describe.")
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in saved.params]
        lengths = {len(saved.history[k]) for k in METRICS if k in saved.history}
        if len(lengths) > 1 or 0 in lengths:
            raise ModelFileError("This file cannot be loaded as an nn-playground model: its training history "
                                 "is damaged.")
        n = lengths.pop() if lengths else 1
        run.state = TrainState(params, make_optimiser(run.config.optimiser).init(params),
                               jax.random.fold_in(jax.random.key(settings.seed), n), jnp.asarray(n - 1, jnp.int32))
        run.history = History()
        run.history.add({k: np.asarray(saved.history.get(k) or [np.nan] * n, np.float32) for k in METRICS})
        run.divergence = 0
        return run, notices

    @classmethod
    def default_settings(cls):
        raise NotImplementedError
