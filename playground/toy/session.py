"""One browser session of the toy lab: the one owner of its run, its playing flag, the teacher's
choices, its lesson's goal and its live feed. No widgets here.

The page's script and the live route's threads both reach the session through this object;
whoever changes the run holds ``feed.lock`` meanwhile, so a frame never trains a run that a
click is changing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.toydata import FEATURES
from playground.lessons import catalogue as lessons
from playground.server import live
from playground.shared.links import Teacher
from playground.toy import charts, classes, learn_view
from playground.toy.learning import Learning, phase_kind, phases, record
from playground.toy.network import network_svg
from playground.toy.run import ToyRun
from playground.toy.settings import SPEEDS


@dataclass(eq=False)
class ToySession:
    run: ToyRun
    teacher: Teacher = field(default_factory=Teacher)
    owner: bytes | None = None  # the browser's secret (live.owner_of its cookies): who may stream
    playing: bool = False
    goal: int | None = None  # the epoch at which the lesson's goal was reached
    clock: tuple[float, int] | None = None  # (time, epoch) of the last frame
    rate: float = 0.0  # epochs per second, smoothed
    learning: Learning = field(default_factory=Learning)  # what "how it learns" shows
    drawing: str = ""  # "draw" or "erase" while a click on the map changes the data, else ""
    feed: live.Feed = field(init=False)
    pacer: live.Pacer = field(init=False)

    def __post_init__(self):
        self.feed = live.Feed(self.frame, self.owner)
        self.pacer = live.Pacer(SPEEDS)

    @property
    def training(self) -> bool:
        """Whether frames train: playing, and not stopped by a divergence."""
        return self.playing and not self.run.divergence

    def streams(self) -> bool:
        """Whether the live view streams from the live route (else a fragment reruns per frame):
        the server has the route, and this session has a browser cookie to bind its frames to."""
        return self.training and live.mounted() and self.owner is not None

    def train_frame(self, share: float = 1.0) -> int:
        """One frame's training while playing: as many epochs as the speed asks and the pacing allows."""
        if not self.training:
            return 0
        return self.pacer.train(self.run, self.run.settings.speed, live.FRAME_BUDGET_MS * share)

    def frame(self) -> tuple[str, bool]:
        """One frame for the live route: a chunk of training while playing, then the view."""
        self.train_frame(live.share())
        return self.html(), self.training

    def adopt(self, run: ToyRun) -> None:
        """A new run (a model file was loaded): paused, its lesson goal to be reached again."""
        self.run, self.playing, self.goal = run, False, None
        self.learning.trail.clear()

    # --- the live view -------------------------------------------------------------------------
    def _rate(self) -> float:
        """Epochs per second, smoothed over recent frames."""
        now, epoch = time.perf_counter(), self.run.epoch
        if self.clock and epoch > self.clock[1] and now > self.clock[0]:
            self.rate = 0.7 * self.rate + 0.3 * (epoch - self.clock[1]) / (now - self.clock[0])
        self.clock = (now, epoch)
        return self.rate

    def goal_line(self) -> str:
        """The lesson's goal, checked on every frame; once reached it stays ticked."""
        lesson = lessons.find(self.teacher.lesson)
        if lesson is None:
            return ""
        run, lg, goal = self.run, self.learning, lesson.goal
        if self.goal is None:
            ui = {"view": lg.view, "phase": phase_kind(run, lg)}
            self.goal = lessons.goal_epoch(goal, run.settings.to_query(full=True), run.history, ui)
        now = None
        if goal.metric is None:  # a step of the step-through: say where it stands
            now = (f"now at step {lg.phase} of {len(phases(run))}" if phase_kind(run, lg)
                   else "open How it learns › One update, step by step, and press Next")
        current = run.history.last(goal.metric) if goal.metric else float("nan")
        return lessons.goal_html(lesson, self.goal, current, now, run.epoch)

    def html(self) -> str:
        """The whole live view as one block of HTML: network, numbers, loss chart, output map."""
        run, lg = self.run, self.learning
        s, h = run.settings, run.history
        record(run, lg)
        overlay, panel, params = learn_view.view(run, lg)
        maps = run.maps(params)
        regression = s.problem == "regression"
        multi = s.problem == "multiclass"
        rate = self._rate()
        names = run.class_names()
        network = network_svg([FEATURES[f].label for f in s.features], run.input_maps(), maps[:-1], maps[-1],
                              run.weights(params), discretise=s.discretise and not regression, overlay=overlay,
                              class_names=names if multi else None)
        stats = charts.stats_html(run.epoch, h.last("train_loss"), h.last("test_loss"),
                                  None if regression else h.last("test_acc"))
        acc = {} if regression else dict(train_acc=h.series("train_acc"), test_acc=h.series("test_acc"))
        loss = charts.loss_svg(h.series("train_loss"), h.series("test_loss"), **acc)
        pin = run.toy.points_train[lg.pin] if lg.view in ("sum", "steps") and not lg.batch else None
        out_map = charts.decision_map_svg(maps[-1], *run.toy, show_test=s.show_test, discretise=s.discretise,
                                          regression=regression, pin=pin, drawing=self.drawing)
        matrix = ""
        if multi:  # which colour is which class (under the map), and what the network takes for what
            which, counts = run.confusion(params)
            out_map += classes.legend_html(names)
            matrix = classes.confusion_html(counts, names, which)
        elif two := run.two_names():  # a file's two named classes: which is orange and which blue
            out_map += classes.legend_html(list(two))
        speed = f"{rate:,.0f} epochs per second" if self.training else "Paused"
        # What "How it learns" shows goes under the network, where the two are seen together; the
        # numbers too, so that on a projector's 1024×768 the network, the numbers, the loss and the
        # output map are all on the screen at once.
        return self.goal_line() + charts.live_layout(network + stats + matrix + panel, loss + out_map
                                                     + f'<div class="nn-rate">{speed}</div>')
