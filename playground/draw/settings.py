"""The draw page's settings: the pen width, in the link as ``?pen=30``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from playground.shared.fields import Field, FieldSettings, number

FIELDS: dict[str, Field] = {"pen": number(8, 40, int)}  # pen width in canvas pixels (the canvas is 280×280)


@dataclass(frozen=True)
class DrawSettings(FieldSettings):
    pen: int = 22

    FIELDS: ClassVar[dict[str, Field]] = FIELDS


CONTROLS: dict[str, tuple[str, ...]] = {"pen": ("pen",)}  # teacher's names -> widget keys
