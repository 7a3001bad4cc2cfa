"""One digits-lab run: data, network, optimiser state, history. No Streamlit here."""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import jax.numpy as jnp
import numpy as np

from engine.digits_data import Digits, load, split
from engine.inspect import layer_activations
from engine.learn import NeuronSums, neuron_sums
from engine.model import MLPSpec
from engine.train import Data, TrainConfig, make_hparams
from playground.digits.settings import LABELS, RESET_FIELDS, DigitsSettings
from playground.shared.run import Run


@lru_cache(maxsize=4)
def cached_source(name: str) -> tuple[Digits, str | None]:
    """Each source is read (or downloaded) once per server process."""
    return load(name)


def size_formula(sizes: Sequence[int]) -> str:
    """The network's size written out: ``784×512 + 512 + 512×10 + 10 = 407,050 weights and biases``.

    Each layer adds inputs × neurons weights and one bias per neuron; ``sizes`` runs from the
    inputs through the hidden layers to the outputs.
    """
    pairs = list(zip(sizes[:-1], sizes[1:]))
    terms = " + ".join(f"{a}×{b} + {b}" for a, b in pairs)
    return f"{terms} = {sum(a * b + b for a, b in pairs):,} weights and biases"


class DigitsRun(Run):
    KIND = "digits"

    @classmethod
    def default_settings(cls) -> DigitsSettings:
        return DigitsSettings()

    def __init__(self, settings: DigitsSettings):
        self.settings = settings
        self.notice: str | None = None
        self._new_data()
        self.reset()

    def _new_data(self) -> None:
        s = self.settings
        full, self.notice = cached_source(s.source)
        self.test_set = (full.x_test, full.y_test) if len(full.y_test) else None  # scored, never trained on
        self.digits = split(full, s.val_ratio / 100, s.seed)
        d = self.digits  # the engine's held-out slots ("test" in its metrics) get the validation digits
        self.data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_val, d.y_val)))

    @property
    def config(self) -> TrainConfig:
        s = self.settings
        spec = MLPSpec(self.digits.x_train.shape[1], s.hidden, 10, s.activation, "softmax_ce")
        # Moving an 8×8 digit by a pixel moves an eighth of it: augmentation is for 28×28 digits.
        augment = s.augment if self.digits.side >= 16 else "none"
        return TrainConfig(spec, s.optimiser, s.batch_size, dropout=s.dropout > 0, augment=augment)

    @property
    def hparams(self):
        s = self.settings
        return make_hparams(s.learning_rate, 0.9, 0.0, l2=s.weight_decay, dropout=s.dropout, schedule="cosine",
                            schedule_period=s.epochs)

    @property
    def done(self) -> bool:
        return self.epoch >= self.settings.epochs or bool(self.divergence)

    def apply(self, s: DigitsSettings) -> str | None:
        """Adopt new settings; a new data set or architecture starts again (and says so)."""
        old, self.settings = self.settings, s
        changed = [n for n in RESET_FIELDS if getattr(old, n) != getattr(s, n)]
        if {"source", "val_ratio", "seed"} & set(changed):
            self._new_data()
        if changed:
            self.reset()
            return f"Changed {', '.join(LABELS[n] for n in changed)}: training starts again from epoch 0."
        self.keep_network(old)
        return None

    def train(self, n_epochs: int = 1) -> int:
        """Train up to ``n_epochs`` more (never past the planned number); return how many ran."""
        return super().train(min(n_epochs, self.settings.epochs - self.epoch))

    # --- looking inside -----------------------------------------------------------------------
    def activations(self, index: int) -> list[np.ndarray]:
        """Every layer's activation for validation digit ``index``; the last is the class probabilities."""
        x = jnp.asarray(self.digits.x_val[index:index + 1])
        return [np.asarray(a[0]) for a in layer_activations(self.state.params, self.config.spec, x)]

    def first_layer_sums(self, index: int) -> NeuronSums:
        """The first layer's weighted sums for validation digit ``index``, as the engine computes
        them: its pixels (n_in,), weights (n_in, width), biases, z and activation a (width,)."""
        sums = neuron_sums(self.state.params, self.config.spec, jnp.asarray(self.digits.x_val[index]))[0]
        return NeuronSums(*(np.asarray(v) for v in sums))

    def first_layer_weights(self, k: int = 64) -> np.ndarray:
        """The first hidden layer's weights as images: (min(k, width), side, side)."""
        w = np.asarray(self.state.params[0][0])  # (n_in, width)
        side = self.digits.side
        return w[:, :k].T.reshape(-1, side, side)

    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (N, 10) and predicted class on the validation set."""
        probs = np.asarray(layer_activations(self.state.params, self.config.spec, jnp.asarray(self.digits.x_val))[-1])
        return probs, probs.argmax(1)

    def test_accuracy(self) -> float | None:
        """Accuracy on the source's own test set (full MNIST's 10,000), if it has one."""
        if self.test_set is None:
            return None
        x, y = self.test_set
        probs = np.asarray(layer_activations(self.state.params, self.config.spec, jnp.asarray(x))[-1])
        return float((probs.argmax(1) == y).mean())

    def confusion(self) -> np.ndarray:
        """10×10 counts: row = true digit, column = predicted digit (validation set)."""
        _, pred = self.predictions()
        cm = np.zeros((10, 10), int)
        np.add.at(cm, (self.digits.y_val, pred), 1)
        return cm

    def worst_mistakes(self, k: int = 12) -> list[tuple[int, int, int, float]]:
        """The ``k`` most confident wrong answers: (index, true, predicted, confidence)."""
        probs, pred = self.predictions()
        wrong = np.flatnonzero(pred != self.digits.y_val)
        order = wrong[np.argsort(-probs[wrong, pred[wrong]])][:k]
        return [(int(i), int(self.digits.y_val[i]), int(pred[i]), float(probs[i, pred[i]])) for i in order]
