"""The toy lab's settings: one frozen, self-validating object that round-trips through a URL.

Each field's name is also its widget's key and its name in a link (``?learning_rate=0.1``,
``hide=learning_rate``); its entry in ``FIELDS`` is the one table of ranges that the settings,
the link reader and the widgets all read.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from engine.activations import ACTIVATIONS
from engine.heads import HEADS, heads_for
from engine.model import INITIALISERS
from engine.optim import OPTIMISERS, SCHEDULES
from engine.toydata import DATASETS, FEATURES
from playground.shared.fields import (Field, FieldSettings, SettingsError, choice, flag, number, one_of,
                                      split_list)
from playground.toy.owndata import OWN, check_link_value, decode

# TF Playground's learning-rate and regularisation-rate lists.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARISATIONS = {"none": "None", "l1": "L1", "l2": "L2"}
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # epochs per frame; each size compiles once
PROBLEMS = {"classification": "Classification", "multiclass": "3–6 classes", "regression": "Regression"}
# The data sets a setting may name: the generated ones, and your own (drawn or uploaded).
DATA_CHOICES = {**{n: d.label for n, d in DATASETS.items()}, OWN: "Your data"}
MAX_TOY_LAYERS = 8
MAX_TOY_NEURONS = 16


def _features_check(v):
    if not isinstance(v, tuple) or not v or any(f not in FEATURES for f in v) or len(set(v)) != len(v):
        return f"must be one or more distinct of {', '.join(FEATURES)}"
    return None


def _hidden_check(v):
    if not isinstance(v, tuple) or len(v) > MAX_TOY_LAYERS:
        return f"must be 0 to {MAX_TOY_LAYERS} layers"
    if any(not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_TOY_NEURONS for n in v):
        return f"must have 1 to {MAX_TOY_NEURONS} neurons in each layer"
    return None


FIELDS: dict[str, Field] = {
    "problem": choice(PROBLEMS),
    "dataset": choice(DATA_CHOICES),
    "classes": number(3, 6, int),
    "points": Field(check_link_value, str, str),
    "noise": number(0, 50, int, step=5),
    "train_ratio": number(10, 90, int, step=10),
    "batch_size": number(1, 100, int),
    "data_seed": number(0, 2**31 - 1, int),
    "seed": number(0, 2**31 - 1, int),
    "features": Field(_features_check, split_list, ",".join),
    "hidden": Field(_hidden_check, lambda s: tuple(int(p) for p in split_list(s)),
                    lambda v: ",".join(map(str, v))),
    "activation": choice(ACTIVATIONS),
    "head": choice(HEADS),
    "init": choice(INITIALISERS),
    "learning_rate": one_of(LEARNING_RATES),
    "optimiser": choice(OPTIMISERS),
    "momentum": number(0.0, 0.99, step=0.01),
    "weight_decay": one_of(WEIGHT_DECAYS),
    "schedule": choice(SCHEDULES),
    "schedule_period": number(1, 100_000, int),
    "schedule_rate": number(0.05, 1.0, step=0.05),
    "regularisation": choice(REGULARISATIONS),
    "reg_rate": one_of(REG_RATES),
    "speed": one_of(SPEEDS, int),
    "show_test": flag(),
    "discretise": flag(),
}


@dataclass(frozen=True)
class ToySettings(FieldSettings):
    problem: str = "classification"
    dataset: str = "circle"
    classes: int = 3  # multi-class data sets: how many classes
    points: str = ""  # your own data, as a link carries it (up to 200 points; see owndata.py)
    noise: int = 0  # percent
    train_ratio: int = 50  # percent
    batch_size: int = 10
    data_seed: int = 0
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    head: str = "tanh_mse"
    init: str = "auto"
    learning_rate: float = 0.03
    optimiser: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "constant"
    schedule_period: int = 500
    schedule_rate: float = 0.5
    regularisation: str = "none"
    reg_rate: float = 0.0
    speed: int = 10  # epochs per frame
    show_test: bool = False
    discretise: bool = False

    FIELDS: ClassVar[dict[str, Field]] = FIELDS

    def _check(self):
        if self.dataset != OWN and DATASETS[self.dataset].problem != self.problem:
            raise SettingsError(f"dataset {self.dataset!r} is for {DATASETS[self.dataset].problem}, not {self.problem}")
        if self.dataset == OWN and self.points and decode(self.points).problem != self.problem:
            raise SettingsError(f"the points in the link are for {decode(self.points).problem}, not {self.problem}")
        head = HEADS[self.head]
        multi = self.problem == "multiclass"
        if head.multiclass != multi or head.problem != ("classification" if multi else self.problem):
            raise SettingsError(f"head {self.head!r} is for {'several classes' if head.multiclass else head.problem}, "
                                f"not {self.problem}")

    @property
    def n_classes(self) -> int:
        """Output neurons: one per class for 3 to 6 classes, else one."""
        return self.classes if self.problem == "multiclass" else 1

    @property
    def reg_l1(self) -> float:
        return self.reg_rate if self.regularisation == "l1" else 0.0

    @property
    def reg_l2(self) -> float:
        return self.reg_rate if self.regularisation == "l2" else 0.0


def head_for(problem: str) -> str:
    """The first output-and-loss that suits a problem type (TF Playground's own for two classes)."""
    multi = problem == "multiclass"
    return heads_for("classification" if multi else problem, multi)[0]


assert set(FIELDS) == {f.name for f in fields(ToySettings)}, "every setting needs a FIELDS entry"

# Fields whose change means new data, or a new network: either way the run starts again.
DATA_FIELDS = ("problem", "dataset", "classes", "points", "noise", "train_ratio")
NETWORK_FIELDS = ("features", "hidden", "activation", "head", "init", "seed")

# What the page calls each setting, for sentences such as "The network changed (hidden layers)".
LABELS = {"problem": "problem type", "dataset": "data set", "classes": "classes", "points": "your points", "noise": "noise", "train_ratio": "training data (%)",
          "features": "input features", "hidden": "hidden layers", "activation": "activation",
          "head": "output and loss", "init": "initialiser", "seed": "weight seed"}

# The teacher's control names (as in links: ``hide=learning_rate``) -> the widget keys they cover.
# Widget keys are the settings' own names; "hidden" is the number of layers, "hidden_<i>" the
# neurons of layer i.
BUTTONS = ("play", "step", "reset", "regenerate")
CONTROLS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in FIELDS if name not in ("hidden", "points")},
    "hidden": ("hidden", *(f"hidden_{i}" for i in range(MAX_TOY_LAYERS))),
    **{name: (name,) for name in BUTTONS},
    "advanced": ("advanced",),  # the whole sidebar: "More settings" and model files
    "draw": ("draw_mode", "draw_tool", "draw_value", "draw_clear"),  # your own data: the drawing mode
    "csv": ("toy_csv",),  # and the CSV file's upload and download
}
