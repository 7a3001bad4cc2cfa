"""Lessons: ``assets/lessons/*.toml``, each a title, a text, a starting configuration (a page
and its URL parameters), a goal checked live, and a reference solution (settings and epochs)
that a test runs headless. No Streamlit here.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

LESSON_DIR = Path(__file__).resolve().parents[2] / "assets" / "lessons"
PAGES = {"toy": "toy lab", "digits": "digits lab"}
METRIC_LABELS = {"train_loss": "training loss", "test_loss": "test loss", "train_acc": "training accuracy",
                 "test_acc": "test accuracy"}
# The digits lab holds validation digits where the toy lab holds test points (the engine calls
# both "test"; a digits source's own test set is only scored after training).
PAGE_METRIC_LABELS = {"toy": METRIC_LABELS,
                      "digits": {**METRIC_LABELS, "test_loss": "validation loss", "test_acc": "validation accuracy"}}


class LessonError(ValueError):
    pass


@dataclass(frozen=True)
class Goal:
    text: str
    metric: str
    below: float | None = None
    above: float | None = None
    settings: dict[str, str] = field(default_factory=dict)  # must hold too, as URL values
    after: int = 0  # and only counts from this epoch on


@dataclass(frozen=True)
class Lesson:
    id: str
    order: int
    title: str
    text: str
    page: str
    start: dict[str, str]  # URL parameters: settings, and the teacher's hide/lock
    goal: Goal
    solution: dict[str, str]  # settings changed from the start
    solution_epochs: int
    start_fails: bool  # the start alone cannot reach the goal in solution_epochs: a test checks it

    def link(self) -> dict[str, str]:
        return {**self.start, "lesson": self.id}


def _strs(table: dict) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in table.items()}


def parse_lesson(lesson_id: str, text: str) -> Lesson:
    try:
        d = tomllib.loads(text)
        g = d["goal"]
        goal = Goal(g["text"], g["metric"], g.get("below"), g.get("above"), _strs(g.get("settings", {})),
                    int(g.get("after", 0)))
        sol = d["solution"]
        lesson = Lesson(lesson_id, int(d["order"]), d["title"], d["text"].strip(), d["page"], _strs(d.get("start", {})),
                        goal, _strs(sol.get("settings", {})), int(sol["epochs"]), bool(d.get("start_fails", False)))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
        raise LessonError(f"lesson {lesson_id!r} is malformed: {e}") from None
    if lesson.page not in PAGES:
        raise LessonError(f"lesson {lesson_id!r}: page must be one of {', '.join(PAGES)}")
    if goal.metric not in METRIC_LABELS or (goal.below is None) == (goal.above is None):
        raise LessonError(f"lesson {lesson_id!r}: the goal needs a metric and exactly one of below/above")
    return lesson


@lru_cache(maxsize=1)
def load_lessons(folder: Path = LESSON_DIR) -> tuple[Lesson, ...]:
    """Every lesson, in teaching order."""
    lessons = [parse_lesson(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.toml"))]
    return tuple(sorted(lessons, key=lambda les: les.order))


def lesson_ids(page: str | None = None) -> list[str]:
    """The lessons' ids (those of one page, if given)."""
    return [les.id for les in load_lessons() if page in (None, les.page)]


def other_lessons(page: str) -> dict[str, str]:
    """The ids of the lessons of the other pages -> the page each belongs to (for a notice)."""
    return {les.id: PAGES[les.page] for les in load_lessons() if les.page != page}


def find(lesson_id: str | None) -> Lesson | None:
    return next((les for les in load_lessons() if les.id == lesson_id), None)


def goal_met(goal: Goal, settings_query: dict[str, str], history) -> bool:
    """Whether the goal holds now: the metric's latest value past the threshold, and the
    required settings (compared as the settings print them in a full query) in force."""
    value = history.last(goal.metric)
    if not np.isfinite(value) or len(history.series(goal.metric)) - 1 < goal.after:
        return False
    if any(settings_query.get(k) != v for k, v in goal.settings.items()):
        return False
    return value < goal.below if goal.below is not None else value > goal.above


def goal_html(lesson: Lesson, achieved_at: int | None, current: float) -> str:
    """One line for the live view: the goal, the current value, and a tick once achieved."""
    g = lesson.goal
    pct = g.metric.endswith("acc")
    now = f"{current:.1%}" if pct else f"{current:.3f}"
    if achieved_at is not None:
        state = f'<b class="nn-goal-done">✓ Achieved at epoch {achieved_at}</b>'
    else:
        state = f'<span class="nn-goal-now">now {PAGE_METRIC_LABELS[lesson.page][g.metric]} {now}</span>'
    return (f'<div class="nn-goal"><span class="nn-goal-title">Goal · {lesson.title}:</span> {g.text} '
            f'· {state}</div>')


def run_headless(lesson: Lesson, solved: bool = True, chunk: int = 50) -> tuple[int | None, list[str]]:
    """Train a lesson's starting configuration (with its reference solution when ``solved``)
    for the solution's epochs, checking the goal after each chunk as the page does after each
    frame. Returns the epoch at which the goal was reached (None: never) and any notices about
    parameters the page would have ignored."""
    from playground.digits.run import DigitsRun
    from playground.digits.settings import CONTROLS as DIGIT_CONTROLS
    from playground.shared.links import split_query
    from playground.toy.run import ToyRun
    from playground.toy.settings import CONTROLS as TOY_CONTROLS
    run_cls, controls = {"toy": (ToyRun, TOY_CONTROLS), "digits": (DigitsRun, DIGIT_CONTROLS)}[lesson.page]
    # The page's own controls: a lesson may hide or lock only what its page has.
    query, _, notices = split_query({**lesson.start, **(lesson.solution if solved else {})}, controls)
    settings, more = type(run_cls.default_settings()).from_query(query)
    run = run_cls(settings)
    while run.epoch < lesson.solution_epochs:
        if not run.train(min(chunk, lesson.solution_epochs - run.epoch)):
            break  # diverged
        if goal_met(lesson.goal, settings.to_query(full=True), run.history):
            return run.epoch, notices + more
    return None, notices + more
