"""Settings as one frozen, self-validating object that round-trips through a URL.

A table of fields (name -> how to check, parse and print it, and the range a widget offers)
drives validation, the URL query string, the defaults and the widgets, so that whatever a link
can set, the page can show. Each lab declares its own table (``playground/toy/settings.py``,
``playground/digits/settings.py``, ``playground/draw/settings.py``).
"""
from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, Callable, ClassVar, NamedTuple

MAX_SHOWN = 60  # characters of a user's value repeated in a notice
MAX_NAMED = 8  # unknown names listed in one notice


class SettingsError(ValueError):
    """A setting outside its allowed range; the message names the field and the range."""


class Field(NamedTuple):
    check: Callable[[Any], str | None]  # None when fine, else "must be ..."
    parse: Callable[[str], Any]  # from a URL value
    show: Callable[[Any], str] = str  # to a URL value
    lo: float | None = None  # a number's range and step, as its widget offers them
    hi: float | None = None
    step: float | None = None
    options: tuple | None = None  # the values a select-slider offers


_KIND = {int: "whole number", float: "number"}


def _on_step(v: float, lo: float, step: float | None) -> bool:
    if step is None:
        return True
    k = round((v - lo) / step)
    return abs(lo + k * step - v) <= 1e-9 * max(1.0, abs(v))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(lo, hi, kind=float, step=None) -> Field:
    """A number from ``lo`` to ``hi`` (on ``step`` from ``lo`` when given), as a slider offers it."""
    in_steps = f" in steps of {step:g}" if step is not None and step != 1 else ""

    def check(v):
        ok = _is_number(v) and lo <= v <= hi and (kind is float or float(v).is_integer()) and _on_step(v, lo, step)
        return None if ok else f"must be a {_KIND[kind]} from {lo:g} to {hi:g}{in_steps}"
    return Field(check, kind, lambda v: f"{v:g}" if kind is float else str(int(v)), lo, hi, step)


def one_of(values, kind=float) -> Field:
    """A number from a fixed list (the values a select-slider offers), told apart as the
    select-slider tells them apart: by their labels. So a link's 0.1 is the option 0.1 (to the
    last bit or not), and 0.0000099999 or -0 is none of them."""
    label = "{:g}".format
    labels = {label(c) for c in values}

    def check(v):
        ok = _is_number(v) and abs(v) < 1e300 and label(v) in labels
        return None if ok else f"must be one of {', '.join(map(label, values))}"
    return Field(check, kind, label, options=tuple(values))


def choice(table) -> Field:
    return Field(lambda v: None if isinstance(v, str) and v in table else f"must be one of {', '.join(table)}",
                 str, options=tuple(table))


def flag() -> Field:
    return Field(lambda v: None if isinstance(v, bool) else "must be true or false",
                 lambda s: {"true": True, "1": True, "false": False, "0": False}[s.lower()],
                 lambda v: "true" if v else "false")


def split_list(s: str) -> tuple[str, ...]:
    return tuple(p for p in s.split(",") if p)


def shown(value: object) -> str:
    """A user's value as a notice repeats it: quoted as Python writes it (so that no character
    in it is invisible or breaks the line), at most MAX_SHOWN characters between the quotes."""
    if not isinstance(value, str):
        try:
            value = repr(value)
        except (ValueError, RecursionError):  # an int of over 4,300 digits, a list nested too deep
            value = f"<{type(value).__name__}>"
    said = repr(value[:MAX_SHOWN + 1])
    if len(value) <= MAX_SHOWN and len(said) <= MAX_SHOWN + 2:
        return said
    cut = value[:MAX_SHOWN - 1]
    while len(repr(cut + "…")) > MAX_SHOWN + 2:  # escapes (\x00, \n) take several characters
        cut = cut[:-1]
    return repr(cut + "…")


def names(items: list[str]) -> str:
    """Names a notice lists: at most MAX_NAMED of them, then how many more."""
    listed = ", ".join(shown(n) for n in items[:MAX_NAMED])
    return listed + (f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else "")


class FieldSettings:
    """Validation and URL round trips for a frozen dataclass whose fields are described in
    the class attribute ``FIELDS`` (name -> Field). Subclasses add cross-field checks in
    ``_check``."""

    FIELDS: ClassVar[dict[str, Field]] = {}

    def __post_init__(self):
        for name, field in self.FIELDS.items():
            problem = field.check(getattr(self, name))
            if problem:
                raise SettingsError(f"{name} {problem}; got {shown(getattr(self, name))}")
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
    def from_query(cls, query: dict):
        """Settings from URL parameters (or a model file's settings), and notices naming the
        unknown or bad ones skipped. Never raises: whatever comes in, a usable object comes out."""
        values, notices, unknown = asdict(cls()), [], []
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        for key, raw in query.items():
            if key not in cls.FIELDS:
                unknown.append(str(key))
                continue
            try:
                if not isinstance(raw, str):
                    raise TypeError
                value = cls.FIELDS[key].parse(raw)
            except (ValueError, KeyError, TypeError, OverflowError):
                notices.append(f"{key}={shown(raw)} is not readable")
                continue
            problem = cls.FIELDS[key].check(value)
            if problem:
                notices.append(f"{key} {problem}; got {shown(raw)}")
                continue
            values[key] = value
        if unknown:
            notices.insert(0, f"unknown parameter{'s' if len(unknown) > 1 else ''} {names(unknown)}")
        try:
            return cls(**values), notices
        except SettingsError as e:  # fields fine alone but not together
            return cls(), notices + [str(e)]
