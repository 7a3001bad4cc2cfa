"""Settings objects: one frozen, self-validating object that round-trips through a URL.

A table of fields (name -> how to parse, check and print it) drives validation, the URL
query string and the defaults, so the page, the links and the tests all read one source.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, ClassVar, NamedTuple

from engine.activations import ACTIVATIONS
from engine.heads import HEADS
from engine.model import INITIALISERS
from engine.optim import OPTIMISERS, SCHEDULES
from engine.toydata import DATASETS, FEATURES

# TF Playground's learning-rate and regularisation-rate lists.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARISATIONS = {"none": "None", "l1": "L1", "l2": "L2"}
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # epochs per frame; each size compiles once
PROBLEMS = {"classification": "Classification", "regression": "Regression"}
MAX_TOY_LAYERS = 8
MAX_TOY_NEURONS = 16


class SettingsError(ValueError):
    """A setting outside its allowed range; the message names the field and the range."""


class Field(NamedTuple):
    check: Callable[[Any], str | None]  # None when fine, else "must be ..."
    parse: Callable[[str], Any]  # from a URL value
    show: Callable[[Any], str] = str  # to a URL value


_KIND = {int: "whole number", float: "number"}


def _number(lo, hi, kind=float) -> Field:
    def check(v):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok and (kind is float or float(v).is_integer()) else f"must be a {_KIND[kind]} from {lo} to {hi}"
    return Field(check, kind, lambda v: f"{v:g}" if kind is float else str(int(v)))


def _one_of(values, kind=float) -> Field:
    """A number from a fixed list (the values a select-slider offers)."""
    def check(v):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and any(abs(v - c) <= 1e-9 * max(1, c)
                                                                             for c in values)
        return None if ok else f"must be one of {', '.join(f'{c:g}' for c in values)}"
    return Field(check, kind, lambda v: f"{v:g}")


def _choice(table) -> Field:
    return Field(lambda v: None if v in table else f"must be one of {', '.join(table)}", str)


def _flag() -> Field:
    return Field(lambda v: None if isinstance(v, bool) else "must be true or false",
                 lambda s: {"true": True, "1": True, "false": False, "0": False}[s.lower()],
                 lambda v: "true" if v else "false")


def _features_check(v):
    if not isinstance(v, tuple) or not v or any(f not in FEATURES for f in v) or len(set(v)) != len(v):
        return f"must be one or more distinct of {', '.join(FEATURES)}"
    return None


def _hidden_check(v):
    if not isinstance(v, tuple) or len(v) > MAX_TOY_LAYERS:
        return f"must be 0 to {MAX_TOY_LAYERS} layers"
    if any(not isinstance(n, int) or not 1 <= n <= MAX_TOY_NEURONS for n in v):
        return f"must have 1 to {MAX_TOY_NEURONS} neurons in each layer"
    return None


def _split(s: str) -> tuple[str, ...]:
    return tuple(p for p in s.split(",") if p)


FIELDS: dict[str, Field] = {
    "problem": _choice(PROBLEMS),
    "dataset": _choice(DATASETS),
    "noise": _number(0, 50, int),
    "train_ratio": _number(10, 90, int),
    "batch_size": _number(1, 100, int),
    "data_seed": _number(0, 2**31 - 1, int),
    "seed": _number(0, 2**31 - 1, int),
    "features": Field(_features_check, _split, ",".join),
    "hidden": Field(_hidden_check, lambda s: tuple(int(p) for p in _split(s)),
                    lambda v: ",".join(map(str, v))),
    "activation": _choice(ACTIVATIONS),
    "head": _choice(HEADS),
    "init": _choice(INITIALISERS),
    "learning_rate": _one_of(LEARNING_RATES),
    "optimiser": _choice(OPTIMISERS),
    "momentum": _number(0.0, 0.999),
    "weight_decay": _one_of(WEIGHT_DECAYS),
    "schedule": _choice(SCHEDULES),
    "schedule_period": _number(1, 100_000, int),
    "schedule_rate": _number(0.01, 1.0),
    "regularisation": _choice(REGULARISATIONS),
    "reg_rate": _one_of(REG_RATES),
    "speed": _one_of(SPEEDS, int),
    "show_test": _flag(),
    "discretise": _flag(),
}


class FieldSettings:
    """Validation and URL round trips for a frozen dataclass whose fields are described in
    the class attribute ``FIELDS`` (name -> Field). Subclasses add cross-field checks in
    ``_check``."""

    FIELDS: ClassVar[dict[str, Field]] = {}

    def __post_init__(self):
        for name, field in self.FIELDS.items():
            problem = field.check(getattr(self, name))
            if problem:
                raise SettingsError(f"{name} {problem}; got {getattr(self, name)!r}")
        self._check()

    def _check(self) -> None:
        pass

    def changed(self, **changes):
        """A copy with ``changes``; raises SettingsError naming the field if one is out of range."""
        return replace(self, **changes)

    def to_query(self, full: bool = False) -> dict[str, str]:
        """The settings that differ from the defaults (``full``: all of them), as URL query
        parameters."""
        default = type(self)()
        return {n: f.show(getattr(self, n)) for n, f in self.FIELDS.items()
                if full or getattr(self, n) != getattr(default, n)}

    @classmethod
    def from_query(cls, query: dict[str, str]):
        """Settings from URL parameters, and notices naming the unknown or bad ones skipped."""
        values, notices = asdict(cls()), []
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        for key, raw in query.items():
            if key not in cls.FIELDS:
                notices.append(f"unknown parameter {key!r}")
                continue
            try:
                value = cls.FIELDS[key].parse(raw)
            except (ValueError, KeyError):
                notices.append(f"{key}={raw!r} is not readable")
                continue
            problem = cls.FIELDS[key].check(value)
            if problem:
                notices.append(f"{key} {problem}; got {raw!r}")
                continue
            values[key] = value
        try:
            return cls(**values), notices
        except SettingsError as e:  # fields fine alone but not together
            return cls(), notices + [str(e)]


@dataclass(frozen=True)
class ToySettings(FieldSettings):
    problem: str = "classification"
    dataset: str = "circle"
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
        for name, table in (("dataset", DATASETS), ("head", HEADS)):
            item = table[getattr(self, name)]
            if item.problem != self.problem:
                raise SettingsError(f"{name} {getattr(self, name)!r} is for {item.problem}, not {self.problem}")
        if HEADS[self.head].multiclass:
            raise SettingsError("head softmax_ce needs several classes; the toy data sets have two")

    @property
    def reg_l1(self) -> float:
        return self.reg_rate if self.regularisation == "l1" else 0.0

    @property
    def reg_l2(self) -> float:
        return self.reg_rate if self.regularisation == "l2" else 0.0


assert set(FIELDS) == {f.name for f in fields(ToySettings)}, "every setting needs a FIELDS entry"

# Fields whose change means new data, or a new network: either way the run starts again.
DATA_FIELDS = ("problem", "dataset", "noise", "train_ratio")
NETWORK_FIELDS = ("features", "hidden", "activation", "head", "init", "seed")


@dataclass(frozen=True)
class DrawSettings(FieldSettings):
    pen: int = 22  # pen width in canvas pixels (the canvas is 280×280)

    FIELDS: ClassVar[dict[str, Field]] = {"pen": _number(8, 40, int)}
