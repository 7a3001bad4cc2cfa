"""Lessons: ``assets/lessons/*.toml``, each a title, a text, a starting configuration (a page
and its URL parameters), a goal checked live, and a reference solution (settings and epochs;
in the toy lab also weights set by hand and what "How it learns" shows) that a test runs
headless. No Streamlit here.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

LESSON_DIR = Path(__file__).resolve().parents[2] / "assets" / "lessons"
PAGES = {"toy": "toy lab", "digits": "digits lab", "bigpicture": "big-picture page", "compare": "Compare page"}
METRIC_LABELS = {"train_loss": "training loss", "test_loss": "test loss", "train_acc": "training accuracy",
                 "test_acc": "test accuracy"}
# The digits lab holds validation digits where the toy lab holds test points (the engine calls
# both "test"; a digits source's own test set is only scored after training).
PAGE_METRIC_LABELS = {"toy": METRIC_LABELS,
                      "digits": {**METRIC_LABELS, "test_loss": "validation loss", "test_acc": "validation accuracy",
                                 "digit_acc": "right answers on that digit's validation examples"}}
PAGE_METRIC_LABELS["compare"] = METRIC_LABELS
# Measured now rather than kept per epoch: the digits lab's right answers on the digit its biased
# training set is short of (``DigitsRun.digit_accuracy``).
NOW_METRICS = {"digit_acc": "digits"}


class LessonError(ValueError):
    pass


@dataclass(frozen=True)
class Goal:
    text: str
    metric: str | None  # None: the goal is only a step of the toy lab's step-through (``phase``)
    below: float | None = None
    above: float | None = None
    settings: dict[str, str] = field(default_factory=dict)  # must hold too, as URL values
    after: int = 0  # and only counts from this epoch on
    max_epoch: int | None = None  # and only up to this epoch: 0 means by hand, before any training
    view: str | None = None  # toy lab: "How it learns" shows this view (learning.VIEWS)
    phase: str | None = None  # toy lab: the step-through has reached this step ("forward" ... "update")
    shows: dict[str, str] = field(default_factory=dict)  # big-picture page: what it shows (why.page_ui) must match
    runs: str = "best"  # Compare page: "best" (some run reaches it) or "all" (every run does)


def _passes(goal: Goal, values: np.ndarray) -> np.ndarray:
    """Where ``values`` are past the goal's threshold (never where they are NaN)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values < goal.below if goal.below is not None else values > goal.above)


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
    solution_edits: dict[str, float] = field(default_factory=dict)  # toy lab: "w:1:0:0" -> a value set by hand
    solution_learning: dict[str, str] = field(default_factory=dict)  # toy lab: {"view": ..., "phase": ...}

    def link(self) -> dict[str, str]:
        return {**self.start, "lesson": self.id}


def _strs(table: dict) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in table.items()}


def parse_lesson(lesson_id: str, text: str) -> Lesson:
    try:
        d = tomllib.loads(text)
        g = d["goal"]
        max_epoch = g.get("max_epoch")
        goal = Goal(g["text"], g.get("metric"), g.get("below"), g.get("above"), _strs(g.get("settings", {})),
                    int(g.get("after", 0)), None if max_epoch is None else int(max_epoch), g.get("view"),
                    g.get("phase"), _strs(g.get("shows", {})), runs=g.get("runs", "best"))
        sol = d["solution"]
        lesson = Lesson(lesson_id, int(d["order"]), d["title"], d["text"].strip(), d["page"], _strs(d.get("start", {})),
                        goal, _strs(sol.get("settings", {})), int(sol["epochs"]), bool(d.get("start_fails", False)),
                        {k: float(v) for k, v in sol.get("edits", {}).items()}, _strs(sol.get("learning", {})))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
        raise LessonError(f"lesson {lesson_id!r} is malformed: {e}") from None
    if lesson.page not in PAGES:
        raise LessonError(f"lesson {lesson_id!r}: page must be one of {', '.join(PAGES)}")
    if goal.runs not in ("best", "all") or (goal.runs != "best" and lesson.page != "compare"):
        raise LessonError(f"lesson {lesson_id!r}: runs must be best or all, and only on the Compare page")
    if goal.metric is None and goal.phase is None and not goal.shows:
        raise LessonError(f"lesson {lesson_id!r}: the goal needs a metric (or a step of the step-through)")
    if (lesson.page == "bigpicture") != bool(goal.shows):
        raise LessonError(f"lesson {lesson_id!r}: a goal on the big-picture page is what it shows (and only there)")
    if goal.metric is not None and (goal.metric not in PAGE_METRIC_LABELS.get(lesson.page, METRIC_LABELS)
                                    or (goal.below is None) == (goal.above is None)):
        raise LessonError(f"lesson {lesson_id!r}: the goal needs a metric of its page and exactly one of below/above")
    if goal.metric in NOW_METRICS and goal.max_epoch is not None:
        raise LessonError(f"lesson {lesson_id!r}: {goal.metric} is measured now, so it takes no max_epoch")
    _check_learning(lesson)
    return lesson


def _check_learning(lesson: Lesson) -> None:
    """What a goal or a solution asks of "How it learns" must exist, and only in the toy lab."""
    asked = {"view": {lesson.goal.view, lesson.solution_learning.get("view")} - {None},
             "phase": {lesson.goal.phase, lesson.solution_learning.get("phase")} - {None}}
    if not (asked["view"] or asked["phase"] or lesson.solution_edits):
        return
    if lesson.page != "toy":
        raise LessonError(f"lesson {lesson.id!r}: only the toy lab has views, steps and weights set by hand")
    from playground.toy.learning import PHASE_KINDS, VIEWS  # only for the lessons that ask
    for name, known in (("view", VIEWS), ("phase", PHASE_KINDS)):
        if asked[name] - set(known):
            raise LessonError(f"lesson {lesson.id!r}: {name} must be one of {', '.join(known)}")


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


def goal_epoch(goal: Goal, settings_query: dict[str, str], history, ui: dict[str, str] | None = None,
               now: dict[str, float] | None = None) -> int | None:
    """The epoch at which the goal holds, or None. The required settings (compared as the settings
    print them in a full query) and, in the toy lab, the view and the step-through's step
    (``ui``: {"view": ..., "phase": ...}) must hold now; the metric's latest value must be past
    the threshold, or, with ``max_epoch``, its value at some epoch from ``after`` to ``max_epoch``
    (so a frame that trains past it misses nothing)."""
    ui = ui or {}
    if any(settings_query.get(k) != v for k, v in goal.settings.items()):
        return None
    if (goal.view and ui.get("view") != goal.view) or (goal.phase and ui.get("phase") != goal.phase):
        return None
    epoch = len(history.series("train_loss")) - 1
    if epoch < goal.after:
        return None
    if goal.metric is None:
        return epoch
    if goal.metric in NOW_METRICS:  # measured by the page now (``now``), not kept per epoch
        return epoch if now and goal.metric in now and _passes(goal, np.float32(now[goal.metric])) else None
    if goal.max_epoch is None:
        return epoch if _passes(goal, np.float32(history.last(goal.metric))) else None
    hits = np.flatnonzero(_passes(goal, history.series(goal.metric)[goal.after:goal.max_epoch + 1]))
    return goal.after + int(hits[0]) if hits.size else None


def goal_met(goal: Goal, settings_query: dict[str, str], history, ui: dict[str, str] | None = None,
             now: dict[str, float] | None = None) -> bool:
    """Whether the goal holds now (see ``goal_epoch``)."""
    return goal_epoch(goal, settings_query, history, ui, now) is not None


def shows_met(goal: Goal, ui: dict[str, str]) -> bool:
    """Whether the big-picture page shows what the goal asks (``ui``: ``bigpicture.why.page_ui``)."""
    return bool(goal.shows) and all(ui.get(k) == v for k, v in goal.shows.items())


def goal_html(lesson: Lesson, achieved_at: int | None, current: float, now: str | None = None,
              epoch: int | None = None) -> str:
    """One line for the live view: the goal, where things stand (the metric's current value, or
    ``now``), and a tick once achieved. Past a goal's ``max_epoch`` it says that Reset starts again."""
    g = lesson.goal
    if achieved_at is not None:
        state = f'<b class="nn-goal-done">✓ Achieved at epoch {achieved_at}</b>'
    elif g.max_epoch is not None and epoch is not None and epoch > g.max_epoch:
        state = (f'<span class="nn-goal-now">it only counts up to epoch {g.max_epoch}: press Reset to start '
                 f'again</span>')
    elif now is not None or g.metric is None:
        state = f'<span class="nn-goal-now">{now or ""}</span>'
    else:
        value = f"{current:.1%}" if g.metric.endswith("acc") else f"{current:.3f}"
        state = f'<span class="nn-goal-now">now {PAGE_METRIC_LABELS[lesson.page][g.metric]} {value}</span>'
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
    if lesson.page == "bigpicture":
        return _headless_bigpicture(lesson, solved)
    if lesson.page == "compare":
        return _headless_compare(lesson, solved, chunk)
    run_cls, controls = {"toy": (ToyRun, TOY_CONTROLS), "digits": (DigitsRun, DIGIT_CONTROLS)}[lesson.page]
    # The page's own controls: a lesson may hide or lock only what its page has.
    query, _, notices = split_query({**lesson.start, **(lesson.solution if solved else {})}, controls)
    settings, more = type(run_cls.default_settings()).from_query(query)
    run = run_cls(settings)
    ui = _headless_learning(lesson, run, solved) if lesson.page == "toy" else dict
    now = (lambda: {"digit_acc": run.digit_accuracy()}) if lesson.goal.metric == "digit_acc" else dict
    reached = goal_epoch(lesson.goal, settings.to_query(full=True), run.history, ui(), now())  # as the first frame
    while reached is None and run.epoch < lesson.solution_epochs:
        if not run.train(min(chunk, lesson.solution_epochs - run.epoch)):
            break  # diverged
        reached = goal_epoch(lesson.goal, settings.to_query(full=True), run.history, ui(), now())
    return reached, notices + more


def _headless_compare(lesson: Lesson, solved: bool, chunk: int) -> tuple[int | None, list[str]]:
    """The Compare page: every run trained together; the goal is checked on the best run's numbers
    (``runs = "best"``) or the worst's (``runs = "all"``), as the page checks it."""
    from playground.compare.run import CompareRun
    from playground.compare.settings import CONTROLS, CompareSettings
    from playground.shared.links import split_query
    query, _, notices = split_query({**lesson.start, **(lesson.solution if solved else {})}, CONTROLS)
    settings, more = CompareSettings.from_query(query)
    run = CompareRun(settings)
    check = lambda: goal_epoch(lesson.goal, settings.to_query(full=True), run.goal_history(lesson.goal.runs))
    reached = check()
    while reached is None and run.epoch < lesson.solution_epochs:
        if not run.train(min(chunk, lesson.solution_epochs - run.epoch)):
            break  # every run diverged
        reached = check()
    return reached, notices + more


def _headless_bigpicture(lesson: Lesson, solved: bool) -> tuple[int | None, list[str]]:
    """The big-picture page as the lesson's link (and solution) sets it, with the experiments the
    solution runs (``solution.learning.run = "digits,spiral"``): 0 when it shows the goal, else None."""
    from playground.bigpicture.settings import CONTROLS, BigPictureSettings
    from playground.bigpicture.why import headless_ui
    from playground.shared.links import split_query
    query, _, notices = split_query({**lesson.start, **(lesson.solution if solved else {})}, CONTROLS)
    settings, more = BigPictureSettings.from_query(query)
    runs = tuple(d for d in lesson.solution_learning.get("run", "").split(",") if d) if solved else ()
    return (0 if shows_met(lesson.goal, headless_ui(settings, runs)) else None), notices + more


def _headless_learning(lesson: Lesson, run, solved: bool):
    """The toy lab's "How it learns", as a student would use it for the reference solution: each
    weight chosen (as a click on its line does) and set by hand, the view opened, and Next pressed
    until the step-through reaches the solution's step. Returns what the goal checks, as a function."""
    from playground.toy import learning as L
    lg = L.Learning()
    if solved:
        for what, value in lesson.solution_edits.items():
            L.pick(run, lg, what)
            run.edit(*lg.weight, value)
        lg.view = lesson.solution_learning.get("view", "off")
        phase = lesson.solution_learning.get("phase")
        while phase and L.phase_kind(run, lg) != phase and lg.phase < len(L.phases(run)):
            L.step_to(run, lg, lg.phase + 1)
    return lambda: {"view": lg.view, "phase": L.phase_kind(run, lg)}
