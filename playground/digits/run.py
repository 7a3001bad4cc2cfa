"""One digits-lab run: data, network, optimiser state, history. No Streamlit here."""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from engine.digits_data import Digits, filtered, keep_classes, load, split
from engine.modelio import save_model
from engine.inspect import layer_activations
from engine.learn import NeuronSums, neuron_sums
from engine.model import MLPSpec
from engine.train import Data, TrainConfig, make_hparams
from playground.digits.settings import DATA_FIELDS, LABELS, RESET_FIELDS, DigitsSettings
from playground.shared.run import METRICS, Run


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
        # scored, never trained on; only the chosen digits, labelled as the outputs are
        self.test_set = keep_classes(full.x_test, full.y_test, s.classes) if len(full.y_test) else None
        whole = split(full, s.val_ratio / 100, s.seed)
        # Bias: the key is the seed's, folded with a constant so it draws apart from the weights.
        self.digits = filtered(whole, s.classes, s.bias, jax.random.fold_in(jax.random.key(s.seed), 17))
        # Digit d's training examples before the bias filter (the page says "n of N kept").
        self.train_counts = np.bincount(whole.y_train, minlength=10)
        d = self.digits  # the engine's held-out slots ("test" in its metrics) get the validation digits
        self.data = Data(*(jnp.asarray(a) for a in (d.x_train, d.y_train, d.x_val, d.y_val)))

    @property
    def config(self) -> TrainConfig:
        s = self.settings
        spec = MLPSpec(self.digits.x_train.shape[1], s.hidden, len(s.classes), s.activation, "softmax_ce")
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
        if set(DATA_FIELDS) & set(changed):
            self._new_data()
        if changed:
            self.reset()
            return f"Changed {', '.join(LABELS[n] for n in changed)}: training starts again from epoch 0."
        self.keep_network(old)
        return None

    def train(self, n_epochs: int = 1) -> int:
        """Train up to ``n_epochs`` more (never past the planned number); return how many ran."""
        return super().train(min(n_epochs, self.settings.epochs - self.epoch))

    @property
    def classes(self) -> tuple[int, ...]:
        """The digits it learns: output neuron k (and label k) stands for ``classes[k]``."""
        return self.settings.classes

    def digit_accuracy(self) -> float:
        """With a biased training set: the share of its digit's validation examples answered right
        (NaN without one)."""
        if self.settings.bias is None:
            return float("nan")
        row = self.confusion()[self.classes.index(self.settings.bias_digit)]
        return float(row[self.classes.index(self.settings.bias_digit)] / max(row.sum(), 1))

    def bias_counts(self) -> tuple[int, int, int] | None:
        """With a biased training set: (the digit, its training examples kept, how many it had)."""
        if self.settings.bias is None:
            return None
        d = self.settings.bias_digit
        return d, int((self.digits.y_train == self.classes.index(d)).sum()), int(self.train_counts[d])

    @classmethod
    def from_file(cls, saved):
        """As every lab's, and the digits its header names must be the ones its settings choose."""
        from engine.modelio import ModelFileError
        run, notices = super().from_file(saved)
        if saved.classes is not None and tuple(saved.classes) != run.classes:
            raise ModelFileError("This file cannot be loaded as an nn-playground model: the digits its outputs "
                                 "stand for differ from the digits its settings choose.")
        return run, notices

    def to_file(self) -> bytes:
        """As every lab's model file, with the digits its outputs stand for in the header too."""
        return save_model(jax.device_get(self.state.params), self.config.spec, kind=self.KIND,
                          settings=self.settings.to_query(full=True),
                          history={k: self.history.series(k) for k in METRICS}, classes=self.classes)

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
        """Class probabilities (N, K) and predicted class (0 to K − 1, as the labels) on the validation
        set; K = len(classes)."""
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
        """K×K counts: row = true class, column = predicted class (validation set), in the order
        of ``classes``."""
        _, pred = self.predictions()
        k = len(self.classes)
        cm = np.zeros((k, k), int)
        np.add.at(cm, (self.digits.y_val, pred), 1)
        return cm

    def worst_mistakes(self, k: int = 12) -> list[tuple[int, int, int, float]]:
        """The ``k`` most confident wrong answers: (index, true digit, answered digit, confidence)."""
        probs, pred = self.predictions()
        wrong = np.flatnonzero(pred != self.digits.y_val)
        order = wrong[np.argsort(-probs[wrong, pred[wrong]])][:k]
        c = self.classes
        return [(int(i), c[self.digits.y_val[i]], c[pred[i]], float(probs[i, pred[i]])) for i in order]
