"""The digits lab's settings: a frozen, self-validating object that round-trips through a URL."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.activations import ACTIVATIONS
from engine.digits_data import DEFAULT_MODEL, SOURCES
from engine.optim import OPTIMISERS
from playground.settings import Field, FieldSettings, _choice, _number, _one_of

DIGIT_LEARNING_RATES = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
MAX_DIGIT_LAYERS, MAX_DIGIT_NEURONS = 4, 512
DIGIT_AUGMENTATIONS = {"none": "None", "shift": "Random shifts of up to 2 pixels",
                       "warp": "Shifts, rotations, scaling, shear and thicker strokes (slower, reads drawings better)"}


def _hidden_check(v):
    if not isinstance(v, tuple) or len(v) > MAX_DIGIT_LAYERS:
        return f"must be 0 to {MAX_DIGIT_LAYERS} layers"
    if any(not isinstance(n, int) or not 1 <= n <= MAX_DIGIT_NEURONS for n in v):
        return f"must have 1 to {MAX_DIGIT_NEURONS} neurons in each layer"
    return None


DIGIT_FIELDS: dict[str, Field] = {
    "source": _choice(SOURCES),
    "val_ratio": _number(5, 50, int),
    "hidden": Field(_hidden_check, lambda s: tuple(int(p) for p in s.split(",") if p),
                    lambda v: ",".join(map(str, v))),
    "activation": _choice(ACTIVATIONS),
    "optimiser": _choice(OPTIMISERS),
    "learning_rate": _one_of(DIGIT_LEARNING_RATES),
    "batch_size": _number(1, 1024, int),
    "epochs": _number(1, 200, int),
    "weight_decay": _one_of(WEIGHT_DECAYS),
    "dropout": _number(0.0, 0.8),
    "augment": _choice(DIGIT_AUGMENTATIONS),
    "seed": _number(0, 2**31 - 1, int),
}


@dataclass(frozen=True)
class DigitsSettings(FieldSettings):
    source: str = "mnist5k"
    val_ratio: int = 10  # percent of the training set held out
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

    FIELDS: ClassVar[dict[str, Field]] = DIGIT_FIELDS


# Changing these means new data or a new network: the run starts again.
DIGIT_RESET_FIELDS = ("source", "val_ratio", "hidden", "activation", "seed")


# The page's widgets: the teacher's control names (as in links) -> widget keys. Here, not in the
# page, so that lessons check their links against the same list without opening the page.
DIGIT_KEY = "dg_"  # widget keys of the digits lab, apart from the toy lab's
DIGIT_SIMPLE = ("source", "val_ratio", "activation", "optimiser", "learning_rate", "batch_size", "epochs",
                "weight_decay", "dropout", "augment", "seed")
DIGIT_CONTROLS: dict[str, tuple[str, ...]] = {
    **{name: (DIGIT_KEY + name,) for name in DIGIT_SIMPLE},
    "hidden": (DIGIT_KEY + "layers", *(f"{DIGIT_KEY}n{i}" for i in range(MAX_DIGIT_LAYERS))),
    "play": (DIGIT_KEY + "play",), "reset": (DIGIT_KEY + "reset",),
}
