"""The big-picture page's settings: one frozen object whose field names are the widget keys and the
link's parameters (``?view=why&number=12&other=9``)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from playground.shared.fields import Field, FieldSettings, choice, number, one_of

VIEWS = {"experiment": "More data: a network against classical models", "why": "Why did it answer that?"}
DATASETS = {"digits": "Handwritten digits", "spiral": "The toy spiral"}
UP_TO = (100, 300, 1_000, 3_000, 5_000, 60_000)  # the largest training set the experiment tries
SOURCES = {"validation": "A validation digit", "drawn": "My drawing (from Draw a digit)"}
N_VALIDATION = 250  # the default model's held-out digits (engine.default_model.CALIBRATION)
RUNNER_UP = -1  # "other": the class with the second-highest score

FIELDS: dict[str, Field] = {
    "view": choice(VIEWS),
    "data": choice(DATASETS),
    "up_to": one_of(UP_TO, int),
    "which": choice(SOURCES),
    "number": number(0, N_VALIDATION - 1, int),
    "other": number(RUNNER_UP, 9, int),
}


@dataclass(frozen=True)
class BigPictureSettings(FieldSettings):
    view: str = "experiment"
    data: str = "digits"
    up_to: int = 5_000
    which: str = "validation"
    number: int = 0
    other: int = RUNNER_UP

    FIELDS: ClassVar[dict[str, Field]] = FIELDS


assert set(FIELDS) == {f.name for f in fields(BigPictureSettings)}, "every setting needs a FIELDS entry"

# The teacher's control names -> widget keys (the settings' own names, and the two buttons).
CONTROLS: dict[str, tuple[str, ...]] = {**{name: (name,) for name in FIELDS}, "run": ("run",)}
