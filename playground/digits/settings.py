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

    FIELDS: ClassVar[dict[str, Field]] = FIELDS


assert set(FIELDS) == {f.name for f in fields(DigitsSettings)}, "every setting needs a FIELDS entry"

# Changing these means new data or a new network: the run starts again.
RESET_FIELDS = ("source", "val_ratio", "hidden", "activation", "seed")
LABELS = {"source": "digits", "val_ratio": "held out for validation", "hidden": "hidden layers",
          "activation": "activation", "seed": "seed"}

# The teacher's control names (as in links) -> the widget keys they cover. Here, not in the page,
# so that lessons check their links against the same list without opening the page.
CONTROLS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in FIELDS if name != "hidden"},
    "hidden": ("hidden", *(f"hidden_{i}" for i in range(MAX_LAYERS))),
    "play": ("play",), "reset": ("reset",),
    "advanced": ("advanced",),  # the whole sidebar: "More settings" and model files
}
