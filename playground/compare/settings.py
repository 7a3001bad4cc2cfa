"""The Compare page's settings: the toy lab's, plus what to vary and its values.

``CompareSettings`` is ``ToySettings`` with five more fields; each name is its widget's key and
its name in a link (``?vary=learning_rate&values=0.01,0.1,1``). One varied setting takes up to
nine values; two (``vary2``) make a grid of up to 3×3. Every run trains with ``run_settings(i)``
from the weight seed and batch order seed ``start_seeds(i)`` gives. When the weight seed is not
varied this is the toy lab's run of ``run_settings(i)``; when it is, every run still shuffles in
the base seed's order, so a run is not the toy lab's run of its own seed.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import product
from typing import ClassVar, NamedTuple

from engine.activations import ACTIVATIONS
from engine.optim import OPTIMISERS
from engine.toydata import DATASETS
from playground.shared.fields import Field, SettingsError, choice, one_of, shown, split_list
from playground.toy.settings import FIELDS as TOY_FIELDS, LEARNING_RATES, REG_RATES, ToySettings

MAX_RUNS = 9
MAX_PER_AXIS = 3  # in a grid of two settings
MOMENTA = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99)
SEEDS = tuple(range(30))  # offered in the list; a link may name any seed


class Varied(NamedTuple):
    label: str  # as the page and the maps' labels name it
    short: str  # in a grid's labels
    field: str  # the toy lab's field whose FIELDS entry checks a value
    options: tuple  # offered in the page's list
    nine: tuple  # the values when a link names none
    three: tuple  # the same, for one side of a grid


# One table for the "Vary" list, the link and the engine: what each varied setting is.
VARIED: dict[str, Varied] = {
    "learning_rate": Varied("Learning rate", "rate", "learning_rate", LEARNING_RATES,
                            (0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), (0.003, 0.03, 0.3)),
    "seed": Varied("Weight seed", "seed", "seed", SEEDS, tuple(range(9)), (0, 1, 2)),
    "reg_rate": Varied("Regularisation rate", "reg.", "reg_rate", REG_RATES,
                       (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), (0.0, 0.003, 0.03)),
    "momentum": Varied("Momentum", "mom.", "momentum", MOMENTA, MOMENTA, (0.0, 0.9, 0.99)),
    "order_seed": Varied("Batch order seed", "order", "seed", SEEDS, tuple(range(9)), (0, 1, 2)),
    "activation": Varied("Activation", "act.", "activation", tuple(ACTIVATIONS),
                         ("linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "sine"),
                         ("relu", "tanh", "sigmoid")),
}
NONE = "none"
TARGETS = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01)


def _values_check(v):
    ok = isinstance(v, tuple) and len(v) <= MAX_RUNS and all(isinstance(s, str) for s in v)
    return None if ok else f"must be at most {MAX_RUNS} values, separated by commas"


_values = Field(_values_check, split_list, ",".join)

FIELDS: dict[str, Field] = {
    **TOY_FIELDS,
    "vary": choice(VARIED),
    "values": _values,  # empty: the varied setting's own nine (or three)
    "vary2": choice({NONE: None, **VARIED}),
    "values2": _values,
    "target": one_of(TARGETS),
}


def parse_value(name: str, text: str):
    """One value of varied setting ``name`` from its text; SettingsError naming it if it is not one."""
    field = TOY_FIELDS[VARIED[name].field]
    try:
        value = field.parse(text)
    except (ValueError, KeyError, TypeError, OverflowError):
        raise SettingsError(f"{name} value {shown(text)} is not readable") from None
    problem = field.check(value)
    if problem:
        raise SettingsError(f"{name} value {problem}; got {shown(text)}")
    return value


def show_value(name: str, value) -> str:
    return TOY_FIELDS[VARIED[name].field].show(value)


@dataclass(frozen=True)
class CompareSettings(ToySettings):
    vary: str = "learning_rate"
    values: tuple[str, ...] = ()
    vary2: str = NONE
    values2: tuple[str, ...] = ()
    target: float = 0.1  # the test loss whose epoch the table gives

    FIELDS: ClassVar[dict[str, Field]] = FIELDS

    def _check(self):
        super()._check()
        if self.dataset not in DATASETS:
            raise SettingsError("Compare trains on the generated data sets, not on your own points")
        if self.vary2 == self.vary:
            raise SettingsError(f"vary2 must differ from vary; both are {self.vary!r}")
        axes = self.axes()
        for name, vals in axes:
            if len(set(vals)) != len(vals):
                raise SettingsError(f"the values of {name} must differ from one another")
            if len(axes) == 2 and len(vals) > MAX_PER_AXIS:
                raise SettingsError(f"a grid takes at most {MAX_PER_AXIS} values of each setting; "
                                    f"{name} has {len(vals)}")

    def axes(self) -> list[tuple[str, tuple]]:
        """The varied settings and their values: one axis, or two for a grid."""
        names = [self.vary] + ([self.vary2] if self.vary2 != NONE else [])
        texts = [self.values, self.values2]
        out = []
        for name, text in zip(names, texts):
            default = VARIED[name].nine if len(names) == 1 else VARIED[name].three
            vals = tuple(parse_value(name, t) for t in text) if text else default
            out.append((name, vals))
        return out

    def runs(self) -> list[dict]:
        """Each run's varied values ({name: value}), in reading order (a grid row by row)."""
        names = [n for n, _ in self.axes()]
        return [dict(zip(names, combo)) for combo in product(*(v for _, v in self.axes()))]

    def base(self) -> ToySettings:
        """The toy lab's settings that every run shares."""
        return ToySettings(**{f.name: getattr(self, f.name) for f in fields(ToySettings)})

    def needs(self) -> dict:
        """Settings the varied one needs to mean anything: momentum needs an optimiser that reads
        it, a regularisation rate needs a regularisation."""
        varied = {n for n, _ in self.axes()}
        out = {}
        if "momentum" in varied and "momentum" not in OPTIMISERS[self.optimiser].uses:
            out["optimiser"] = "momentum"
        if "reg_rate" in varied and self.regularisation == "none":
            out["regularisation"] = "l2"
        return out

    def run_settings(self, run: dict) -> ToySettings:
        """The toy lab's settings that train run ``run`` alone (the batch order seed aside: it
        only chooses the shuffling, see ``start_seeds``)."""
        return self.base().changed(**self.needs(), **{k: v for k, v in run.items() if k != "order_seed"})

    def start_seeds(self, run: dict) -> tuple[int, int]:
        """(weight seed, batch order seed) of a run. The weight seed is the run's own when varied, else
        the base seed; the order seed is the run's own when varied, else always the base seed (also
        when the weight seed varies, so that the runs differ only in their start)."""
        return run.get("seed", self.seed), run.get("order_seed", self.seed)

    def shared_order(self) -> bool:
        return "order_seed" not in dict(self.axes())

    def label(self, run: dict) -> str:
        """A run's label: its value, or both values in a grid."""
        if len(run) == 1:
            (name, value), = run.items()
            return _text(name, value)
        return " · ".join(f"{VARIED[n].short} {_text(n, v)}" for n, v in run.items())


def _text(name: str, value) -> str:
    return ACTIVATIONS[value].label if name == "activation" else show_value(name, value)


assert set(FIELDS) == {f.name for f in fields(CompareSettings)}, "every setting needs a FIELDS entry"

# The teacher's control names -> widget keys: the toy lab's, and the comparison's own.
from playground.toy.settings import CONTROLS as TOY_CONTROLS  # noqa: E402

CONTROLS: dict[str, tuple[str, ...]] = {**TOY_CONTROLS, **{n: (n,) for n in ("vary", "values", "vary2", "values2",
                                                                             "target")}}
