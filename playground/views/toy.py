"""Toy lab: TensorFlow Playground's experience, live, on the JAX engine."""
from __future__ import annotations

import time

import streamlit as st

from engine.toydata import FEATURES
from engine.train import NOT_FINITE
from playground import charts, lessons
from playground.guard import guarded
from playground.htmlview import html_view
from playground.links import Teacher, copy_link, hide_css, split_query, sync_url, url_changed
from playground.modelfile_ui import model_file_ui
from playground.settings import SPEEDS, SettingsError, ToySettings
from playground.toy_ui import (CONTROLS, advanced_ui, data_ui, locked, network_ui, seed_widgets, toolbar_ui,
                               wanted_settings)
from playground.toyrun import ToyRun

FRAME_SECONDS = 0.05  # while playing: one training chunk and one redraw per tick


def _run() -> ToyRun:
    """This session's run: made from the link on the first visit, and again whenever a link
    (a lesson, a shared address) brings parameters the page did not write itself."""
    if "toy_run" not in st.session_state or url_changed("toy"):
        query, teacher, notices = split_query(st.query_params.to_dict(), CONTROLS, lessons.lesson_ids())
        settings, more = ToySettings.from_query(query)
        if notices + more:
            st.session_state.toy_notice = "Ignored in the link: " + "; ".join(notices + more) + "."
        seed_widgets(settings, force="toy_run" in st.session_state)
        st.session_state.toy_run = ToyRun(settings)
        st.session_state.toy_teacher = teacher
        st.session_state.toy_goal = None  # the epoch at which the lesson's goal was reached
        st.session_state.playing = False
    return st.session_state.toy_run


def _adopt(run: ToyRun) -> None:
    """A model file was loaded: the widgets take its settings."""
    seed_widgets(run.settings, force=True)
    st.session_state.playing = False
    st.session_state.toy_goal = None


def _set_playing(playing: bool):
    # Set, not toggle: a click that reaches the script twice must not undo itself.
    st.session_state.playing = playing


def _step():
    st.session_state.playing = False
    st.session_state.toy_run.train(1)


def _reset():
    st.session_state.playing = False
    st.session_state.toy_run.reset()


def _recover(lr: float):
    st.session_state.lr = lr  # the learning-rate widget's key
    run = st.session_state.toy_run
    run.apply(run.settings.changed(learning_rate=lr))
    _reset()


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


def _rate(epoch: int) -> float:
    """Epochs per second, smoothed over recent frames."""
    now = time.perf_counter()
    last = st.session_state.get("toy_clock")
    rate = st.session_state.get("toy_rate", 0.0)
    if last and epoch > last[1] and now > last[0]:
        rate = 0.7 * rate + 0.3 * (epoch - last[1]) / (now - last[0])
    st.session_state.toy_clock, st.session_state.toy_rate = (now, epoch), rate
    return rate


def live_html(run: ToyRun) -> str:
    """The whole live view as one block of HTML: network, numbers, loss chart, output map."""
    s, h = run.settings, run.history
    maps = run.maps()
    regression = s.problem == "regression"
    rate = _rate(run.epoch)
    network = charts.network_svg([FEATURES[f].label for f in s.features], run.input_maps(), maps[:-1], maps[-1],
                                 run.weights(), discretise=s.discretise and not regression)
    stats = charts.stats_html(run.epoch, h.last("train_loss"), h.last("test_loss"),
                              None if regression else h.last("test_acc"))
    acc = {} if regression else dict(train_acc=h.series("train_acc"), test_acc=h.series("test_acc"))
    loss = charts.loss_svg(h.series("train_loss"), h.series("test_loss"), **acc)
    out_map = charts.decision_map_svg(maps[-1], *run.toy, show_test=s.show_test, discretise=s.discretise,
                                      regression=regression)
    speed = f"{rate:,.0f} epochs per second" if st.session_state.playing else "Paused"
    return charts.live_layout(network, goal_line(run) + stats + loss + out_map + f'<div class="nn-rate">{speed}</div>')


def goal_line(run: ToyRun) -> str:
    """The lesson's goal, checked on every frame; once reached it stays ticked."""
    lesson = lessons.find(st.session_state.toy_teacher.lesson)
    if lesson is None:
        return ""
    if st.session_state.toy_goal is None and lessons.goal_met(lesson.goal, run.settings.to_query(full=True),
                                                               run.history):
        st.session_state.toy_goal = run.epoch
    return lessons.goal_html(lesson, st.session_state.toy_goal, run.history.last(lesson.goal.metric))


@guarded
def live(run: ToyRun) -> None:
    """Everything that changes while training, redrawn on each tick: one chunk of epochs, then
    the network, the numbers, the loss chart and the output map."""
    if st.session_state.playing and not run.divergence:
        run.train(run.frame_epochs(st.session_state.speed))
        if run.divergence:
            st.session_state.playing = False
            st.rerun(scope="app")
    html_view(live_html(run), key="toy_live")


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
    run = _run()
    teacher: Teacher = st.session_state.toy_teacher
    notice = st.session_state.pop("toy_notice", None)
    if notice:
        st.warning(notice, icon=":material/link:")
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
        st.fragment(live, run_every=FRAME_SECONDS if st.session_state.playing else None)(run)
        if teacher.explain:
            st.caption("Each square is one neuron's output over the plane: blue positive, orange negative. "
                       "Lines are weights (width: size, colour: sign). Hover a neuron to enlarge it, a line to "
                       "read its weight; the small square at a neuron's corner is its bias.")
    sync_url("toy", run.settings.to_query() | teacher.to_query())


main()
