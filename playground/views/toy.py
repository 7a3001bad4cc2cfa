"""Toy lab: TensorFlow Playground's experience, live, on the JAX engine."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st

from engine.toydata import FEATURES
from engine.train import NOT_FINITE
from playground import charts, lessons, live as live_route
from playground.guard import guarded
from playground.htmlview import html_view
from playground.links import Teacher, copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.modelfile_ui import model_file_ui
from playground.settings import SPEEDS, SettingsError, ToySettings
from playground.toy_ui import (CONTROLS, advanced_ui, data_ui, locked, network_ui, seed_widgets, toolbar_ui,
                               wanted_settings)
from playground.toyrun import FRAME_BUDGET_MS, ToyRun

FRAME_SECONDS = 0.05  # while playing: one training chunk and one redraw per tick


@dataclass(eq=False)
class LiveState:
    """What a live frame needs besides the run, kept apart from ``st.session_state`` so that the
    live route's threads can draw frames: the script copies its flags in on every run."""
    run: ToyRun
    playing: bool = False
    speed: int = SPEEDS[0]
    lesson: str | None = None
    goal: int | None = None  # the epoch at which the lesson's goal was reached
    clock: tuple[float, int] | None = None  # (time, epoch) of the last frame
    rate: float = 0.0  # epochs per second, smoothed
    feed: live_route.Feed = field(init=False)

    def __post_init__(self):
        self.feed = live_route.Feed(self.frame)

    def frame(self) -> tuple[str, bool]:
        """One frame for the live route: a chunk of training while playing, then the view."""
        run = self.run
        if self.playing and not run.divergence:
            run.train(run.frame_epochs(self.speed, FRAME_BUDGET_MS * live_route.share()))
        return live_html(run, self), self.playing and not run.divergence


def _run() -> ToyRun:
    """This session's run: made from the link on the first visit, and again whenever a link
    (a lesson, a shared address) brings parameters the page did not write itself."""
    if "toy_run" not in st.session_state or url_changed("toy"):
        settings, teacher = read_link("toy", CONTROLS, ToySettings, lessons.lesson_ids())
        seed_widgets(settings, force="toy_run" in st.session_state)
        st.session_state.toy_run = ToyRun(settings)
        st.session_state.toy_teacher = teacher
        st.session_state.toy_state = LiveState(st.session_state.toy_run, lesson=teacher.lesson)
        st.session_state.playing = False
    return st.session_state.toy_run


@contextmanager
def _paused():
    """For a click that changes the run: playing stops, and no live frame trains meanwhile."""
    state: LiveState = st.session_state.toy_state
    with state.feed.lock:
        state.playing = st.session_state.playing = False
        yield state


def _adopt(run: ToyRun) -> None:
    """A model file was loaded: the widgets take its settings."""
    seed_widgets(run.settings, force=True)
    with _paused() as state:
        state.run, state.goal = run, None


def _set_playing(playing: bool):
    # Set, not toggle: a click that reaches the script twice must not undo itself.
    if playing:
        st.session_state.playing = True
    else:
        with _paused():
            pass


def _step():
    with _paused():
        st.session_state.toy_run.train(1)


def _reset():
    with _paused():
        st.session_state.toy_run.reset()


def _recover(lr: float):
    st.session_state.lr = lr  # the learning-rate widget's key
    with _paused():
        run = st.session_state.toy_run
        run.apply(run.settings.changed(learning_rate=lr))
        run.reset()


def toolbar() -> None:
    play, step, reset, speed, rest = st.columns([1.15, 1.05, 1.1, 2, 6.6], vertical_alignment="bottom")
    playing = st.session_state.playing
    play.button("Pause" if playing else "Play", on_click=_set_playing, args=(not playing,), type="primary",
                use_container_width=True, disabled=locked("play"),
                key="play", icon=":material/pause:" if playing else ":material/play_arrow:")
    step.button("Step", on_click=_step, use_container_width=True, key="step", help="Train exactly one epoch",
                icon=":material/skip_next:", disabled=locked("step"))
    reset.button("Reset", on_click=_reset, use_container_width=True, key="reset", help="New weights, same data",
                 icon=":material/replay:", disabled=locked("reset"))
    speed.select_slider("Speed (epochs per frame)", options=SPEEDS, key="speed", disabled=locked("speed"),
                        help="At most as many as fit in a tenth of a second, so Pause stays immediate")
    with rest:
        toolbar_ui()


def divergence_banner(run: ToyRun) -> None:
    lr = run.settings.learning_rate
    lower = max(1e-5, round(lr / 10, 6))
    what = ("the loss became NaN or infinite" if run.divergence == NOT_FINITE
            else "the loss blew up far above where it started")
    st.error(f"**Training diverged after epoch {run.epoch}:** {what}. A learning rate of {lr:g} is "
             f"too high for this network: try {lower:g}.", icon=":material/warning:")
    st.button(f"Reset with learning rate {lower:g}", on_click=_recover, args=(lower,), key="recover")


def _rate(state: LiveState, epoch: int) -> float:
    """Epochs per second, smoothed over recent frames."""
    now = time.perf_counter()
    if state.clock and epoch > state.clock[1] and now > state.clock[0]:
        state.rate = 0.7 * state.rate + 0.3 * (epoch - state.clock[1]) / (now - state.clock[0])
    state.clock = (now, epoch)
    return state.rate


def live_html(run: ToyRun, state: LiveState) -> str:
    """The whole live view as one block of HTML: network, numbers, loss chart, output map."""
    s, h = run.settings, run.history
    maps = run.maps()
    regression = s.problem == "regression"
    rate = _rate(state, run.epoch)
    network = charts.network_svg([FEATURES[f].label for f in s.features], run.input_maps(), maps[:-1], maps[-1],
                                 run.weights(), discretise=s.discretise and not regression)
    stats = charts.stats_html(run.epoch, h.last("train_loss"), h.last("test_loss"),
                              None if regression else h.last("test_acc"))
    acc = {} if regression else dict(train_acc=h.series("train_acc"), test_acc=h.series("test_acc"))
    loss = charts.loss_svg(h.series("train_loss"), h.series("test_loss"), **acc)
    out_map = charts.decision_map_svg(maps[-1], *run.toy, show_test=s.show_test, discretise=s.discretise,
                                      regression=regression)
    speed = f"{rate:,.0f} epochs per second" if state.playing else "Paused"
    return charts.live_layout(network, goal_line(run, state) + stats + loss + out_map
                              + f'<div class="nn-rate">{speed}</div>')


def goal_line(run: ToyRun, state: LiveState) -> str:
    """The lesson's goal, checked on every frame; once reached it stays ticked."""
    lesson = lessons.find(state.lesson)
    if lesson is None:
        return ""
    if state.goal is None and lessons.goal_met(lesson.goal, run.settings.to_query(full=True), run.history):
        state.goal = run.epoch
    return lessons.goal_html(lesson, state.goal, run.history.last(lesson.goal.metric))


def _stream_stopped():
    """The live route says training stopped (it diverged, or a frame failed): the whole page shows why."""
    st.session_state.playing = False
    st.session_state.toy_rerun_app = True


def streaming(run: ToyRun) -> bool:
    """Whether the live view streams from the live route rather than rerunning a fragment."""
    return live_route.mounted() and st.session_state.playing and not run.divergence


@guarded
def live(run: ToyRun) -> None:
    """Everything that changes while training, redrawn on each tick: one chunk of epochs, then
    the network, the numbers, the loss chart and the output map. Streamed from the live route
    where the server has one; otherwise this fragment reruns for every frame."""
    state: LiveState = st.session_state.toy_state
    if st.session_state.pop("toy_rerun_app", False):
        st.rerun(scope="app")
    with state.feed.lock:
        state.run, state.playing, state.speed = run, st.session_state.playing, st.session_state.speed
        if state.playing and not run.divergence and not streaming(run):
            run.train(run.frame_epochs(state.speed))
            if run.divergence:
                st.session_state.playing = False
                st.rerun(scope="app")
        html_view(live_html(run, state), key="toy_live", interval=FRAME_SECONDS, on_stopped=_stream_stopped,
                  stream=live_route.url(state.feed.token) if streaming(run) else "")


def apply_settings(run: ToyRun, hidden: tuple[int, ...]) -> None:
    """Hand the widgets' settings to the run; say so when that reset it, or why it could not."""
    try:
        message = run.apply(ToySettings(**wanted_settings(hidden)))
    except SettingsError as e:
        st.error(f"Not applied: {e}. The last good settings stay in force.", icon=":material/block:")
        return
    if message:
        st.session_state.playing = False
        st.toast(message, icon=":material/restart_alt:")


@guarded
def main() -> None:
    _run()
    state: LiveState = st.session_state.toy_state
    with state.feed.lock:  # no live frame trains the run while this script run may change it
        page(state)


def page(state: LiveState) -> None:
    run = st.session_state.toy_run
    teacher: Teacher = st.session_state.toy_teacher
    show_notice("toy")
    st.html("<style>.block-container{padding-top:3.6rem;padding-bottom:1rem}</style>")
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    hint = ("  <span style='font-size:.8rem;color:#777'>(optimiser, loss, schedule, seeds and model files: "
            "in the sidebar ›)</span>" if teacher.explain else "")
    title.markdown("#### Toy lab · watch a neural network learn" + hint, unsafe_allow_html=True)
    with link:
        copy_link(key="toy_copy")
    with st.sidebar:
        st.subheader("More settings")
        advanced_ui()
        st.subheader("Model file")
        model_file_ui(run, prefix="toy", run_key="toy_run", adopt=_adopt, features=list(run.settings.features))
    toolbar()
    data_col, main_col = st.columns([1, 4.6], gap="medium")
    with data_col:
        st.markdown("**Data**")
        data_ui()
    with main_col:
        hidden = network_ui()
        apply_settings(run, hidden)
        if run.divergence:
            divergence_banner(run)
        error = state.feed.take_error()
        if error:
            st.error(f"Training stopped on an unexpected error ({error}). Your settings and your network are kept: "
                     "press Play to go on, or Reset. The details are in the server's log.", icon=":material/build:")
        ticking = st.session_state.playing and not streaming(run)
        st.fragment(live, run_every=FRAME_SECONDS if ticking else None)(run)
        if teacher.explain:
            st.caption("Each square is one neuron's output over the plane: blue positive, orange negative. "
                       "Lines are weights (width: size, colour: sign). Hover a neuron to enlarge it, a line to "
                       "read its weight; the small square at a neuron's corner is its bias.")
    sync_url("toy", run.settings.to_query() | teacher.to_query())


main()
