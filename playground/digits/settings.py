"""The digits lab's settings: a frozen, self-validating object that round-trips through a URL.

As in the toy lab, each field's name is its widget's key and its name in a link, and ``FIELDS``
is the one table of ranges that the settings, the link reader and the widgets share.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from engine.activations import ACTIVATIONS
from engine.default_model import DEFAULT_MODEL
from engine.digits_data import SOURCES
from engine.optim import OPTIMISERS
from playground.shared.fields import Field, FieldSettings, choice, number, one_of, split_list

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
BATCH_SIZES = (1, 8, 16, 32, 64, 128, 256, 512, 1024)
MAX_LAYERS, MAX_NEURONS = 4, 512
AUGMENTATIONS = {"none": "None", "shift": "Random shifts of up to 2 pixels",
                 "warp": "Shifts, rotations, scaling, shear and thicker strokes (slower, reads drawings better)"}


def _hidden_check(v):
    if not isinstance(v, tuple) or len(v) > MAX_LAYERS:
        return f"must be 0 to {MAX_LAYERS} layers"
    if any(not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_NEURONS for n in v):
        return f"must have 1 to {MAX_NEURONS} neurons in each layer"
    return None


def _classes_check(v):
    ok = (isinstance(v, tuple) and all(type(d) is int and 0 <= d <= 9 for d in v) and list(v) == sorted(set(v))
          and len(v) >= 2)
    return None if ok else "must be 2 to 10 different digits from 0 to 9, in order"


FIELDS: dict[str, Field] = {
    "source": choice(SOURCES),
    "val_ratio": number(5, 50, int, step=5),
    "hidden": Field(_hidden_check, lambda s: tuple(int(p) for p in split_list(s)),
                    lambda v: ",".join(map(str, v))),
    "activation": choice(ACTIVATIONS),
    "optimiser": choice(OPTIMISERS),
    "learning_rate": one_of(LEARNING_RATES),
    "batch_size": one_of(BATCH_SIZES, int),
    "epochs": number(1, 200, int),
    "weight_decay": one_of(WEIGHT_DECAYS),
    "dropout": number(0.0, 0.8, step=0.05),
    "augment": choice(AUGMENTATIONS),
    "seed": number(0, 2**31 - 1, int),
    # Filters on the data: the digits to learn (``?classes=7,8,9``), and a training set that keeps
    # only bias_keep % of digit bias_digit's examples (``?bias_digit=5&bias_keep=5``).
    "classes": Field(_classes_check, lambda s: tuple(sorted({int(p) for p in split_list(s)})),
                     lambda v: ",".join(map(str, v))),
    "bias_digit": number(0, 9, int),
    "bias_keep": number(0, 100, int),
}


@dataclass(frozen=True)
class DigitsSettings(FieldSettings):
    source: str = "mnist5k"
    val_ratio: int = 10  # percent of the training set held out for validation
    hidden: tuple[int, ...] = DEFAULT_MODEL["hidden"]
    activation: str = DEFAULT_MODEL["activation"]
    optimiser: str = DEFAULT_MODEL["optimiser"]
    learning_rate: float = DEFAULT_MODEL["learning_rate"]
    batch_size: int = DEFAULT_MODEL["batch_size"]
    epochs: int = DEFAULT_MODEL["epochs"]
    weight_decay: float = 0.0
    dropout: float = DEFAULT_MODEL["dropout"]
    augment: str = "shift"
    seed: int = 0
    classes: tuple[int, ...] = tuple(range(10))
    bias_digit: int = 5
    bias_keep: int = 100  # percent of bias_digit's training examples kept: 100 is no bias

    FIELDS: ClassVar[dict[str, Field]] = FIELDS

    @property
    def bias(self) -> tuple[int, int] | None:
        """(digit, percent kept) when the training set is biased against one of the chosen digits."""
        return (self.bias_digit, self.bias_keep) if self.bias_keep < 100 and self.bias_digit in self.classes else None


assert set(FIELDS) == {f.name for f in fields(DigitsSettings)}, "every setting needs a FIELDS entry"

# Changing these means new data or a new network: the run starts again.
RESET_FIELDS = ("source", "val_ratio", "hidden", "activation", "seed", "classes", "bias")
DATA_FIELDS = ("source", "val_ratio", "seed", "classes", "bias")  # these also mean new data
LABELS = {"source": "digits", "val_ratio": "held out for validation", "hidden": "hidden layers",
          "activation": "activation", "seed": "seed", "classes": "digits to learn",
          "bias": "training examples kept"}

# The teacher's control names (as in links) -> the widget keys they cover. Here, not in the page,
# so that lessons check their links against the same list without opening the page.
CONTROLS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in FIELDS if name != "hidden"},
    "hidden": ("hidden", *(f"hidden_{i}" for i in range(MAX_LAYERS))),
    "play": ("play",), "reset": ("reset",),
    "advanced": ("advanced",),  # the whole sidebar: "More settings" and model files
}
