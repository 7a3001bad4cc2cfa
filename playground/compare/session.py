"""One browser session of the Compare page: the one owner of its comparison, its playing flag, the
teacher's choices, its lesson's goal and its live feed (``playground/server/live.py``, as the toy
lab streams). No widgets here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.optim import OPTIMISERS
from playground.compare import charts
from playground.compare.run import DIVERGED, CompareRun
from playground.compare.settings import VARIED
from playground.lessons import catalogue as lessons
from playground.server import live
from playground.shared.links import Teacher
from playground.toy.settings import SPEEDS


@dataclass(eq=False)
class CompareSession:
    run: CompareRun
    teacher: Teacher = field(default_factory=Teacher)
    owner: bytes | None = None
    playing: bool = False
    goal: int | None = None  # the epoch at which the lesson's goal was reached
    clock: tuple[float, int] | None = None
    rate: float = 0.0  # epochs per second, smoothed
    feed: live.Feed = field(init=False)
    pacer: live.Pacer = field(init=False)

    def __post_init__(self):
        self.feed = live.Feed(self.frame, self.owner)
        self.pacer = live.Pacer(SPEEDS)

    @property
    def training(self) -> bool:
        """Playing, and some run has not diverged."""
        return self.playing and not self.run.divergence

    def streams(self) -> bool:
        return self.training and live.mounted() and self.owner is not None

    def train_frame(self, share: float = 1.0) -> int:
        if not self.training:
            return 0
        return self.pacer.train(self.run, self.run.settings.speed, live.FRAME_BUDGET_MS * share)

    def frame(self) -> tuple[str, bool]:
        self.train_frame(live.share())
        return self.html(), self.training

    def restart(self) -> None:
        """The comparison started again: its lesson goal is to be reached again."""
        self.goal, self.clock = None, None

    def _rate(self) -> float:
        now, epoch = time.perf_counter(), self.run.epoch
        if self.clock and epoch > self.clock[1] and now > self.clock[0]:
            self.rate = 0.7 * self.rate + 0.3 * (epoch - self.clock[1]) / (now - self.clock[0])
        self.clock = (now, epoch)
        return self.rate

    def goal_line(self) -> str:
        lesson = lessons.find(self.teacher.lesson)
        if lesson is None:
            return ""
        goal, run = lesson.goal, self.run
        history = run.goal_history(getattr(goal, "runs", "best"))
        if self.goal is None:
            self.goal = lessons.goal_epoch(goal, run.settings.to_query(full=True), history)
        which = "best" if getattr(goal, "runs", "best") == "best" else "worst"
        value = history.last(goal.metric)
        shown = f"{value:.1%}" if goal.metric.endswith("acc") else f"{value:.3f}"
        now = f"now the {which} run's {lessons.METRIC_LABELS[goal.metric]} {shown}"
        return lessons.goal_html(lesson, self.goal, value, now, run.epoch)

    def html(self) -> str:
        """The live view: the maps, the overlaid loss curves, the table."""
        run, s = self.run, self.run.settings
        regression = s.problem == "regression"
        best = run.best()
        diverged = {i: f"diverged at epoch {lane.diverged_at[0]:,}: {DIVERGED[lane.divergence]}"
                    for i, lane in enumerate(run.lanes) if lane.divergence}
        labels = [lane.label for lane in run.lanes]
        axes = s.axes()
        columns = len(axes[1][1]) if len(axes) == 2 else 3
        maps = charts.maps_html(run.maps(), labels, run.toy, best=best, diverged=diverged, columns=columns,
                                discretise=s.discretise, regression=regression)
        rows = [dict(label=lane.label, train=lane.history.last("train_loss"), test=lane.history.last("test_loss"),
                     reached=run.reached(i, s.target), best=i == best,
                     gone=f"diverged at epoch {lane.diverged_at[0]:,}" if lane.divergence else "")
                for i, lane in enumerate(run.lanes)]
        name = " · ".join(VARIED[n].label for n, _ in axes)
        rate = self._rate()
        speed = f"{rate:,.0f} epochs per second, all runs together" if self.training else "Paused"
        left = charts.epoch_html(run.epoch, f"{len(run.lanes)} runs · {speed}") + maps
        right = (charts.loss_overlay_svg([lane.history.series("test_loss") for lane in run.lanes], labels, best=best)
                 + charts.legend_html(labels) + charts.table_html(rows, s.target, name))
        return self.goal_line() + charts.compare_layout(left, right)


def same_start(settings) -> str:
    """What the page says about where the runs start (Markdown)."""
    varied = {n for n, _ in settings.axes()}
    order = "in the same order" if settings.shared_order() else "each in the order its batch order seed gives"
    if "seed" in varied:
        start = "Each run starts from **its own weights** (its weight seed)"
    elif "activation" in varied and settings.init == "auto":
        start = (f"Every run starts from **the same random draws** (weight seed {settings.seed}), scaled by the "
                 "initialiser that suits its activation (Glorot for linear, tanh, sigmoid, sine and Gaussian; He for ReLU "
                 "and its relatives)")
    else:
        start = f"Every run starts from **the same weights** (weight seed {settings.seed})"
    spread = (": the spread is what the start alone causes" if varied == {"seed"} else "")
    compiles = (" Each activation is a network of its own: the first Play or Step compiles one training chunk for "
                "each (tens of seconds for nine; a new Speed compiles them again)." if "activation" in varied else "")
    return f"{start}, and sees the training points {order}{spread}.{compiles}"


def needs_sentence(settings) -> str:
    n = settings.needs()
    said = []
    if "optimiser" in n:
        said.append("momentum needs an optimiser that uses it, so these runs use SGD + momentum")
    if "regularisation" in n:
        said.append("a regularisation rate needs a regularisation, so these runs use L2")
    if "momentum" in dict(settings.axes()) and settings.optimiser in ("adam", "adamw"):
        said.append(f"with {OPTIMISERS[settings.optimiser].label} the momentum is β₁, how slowly its average of "
                    f"the gradients forgets")
    text = "; ".join(said)
    return text[:1].upper() + text[1:] + "." if said else ""

