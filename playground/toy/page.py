"""Toy lab: TensorFlow Playground's experience, live, on the JAX engine."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from engine.train import NOT_FINITE
from playground.lessons import catalogue as lessons
from playground.lessons.panel import lesson_panel
from playground.server import live
from playground.shared.guard import guarded
from playground.shared.htmlview import make_view
from playground.shared.links import copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.shared.modelfile_ui import model_file_ui
from playground.shared.pagestate import enter, seed
from playground.shared.fields import SettingsError
from playground.toy import learning as L
from playground.toy.charts import LIVE_CSS
from playground.toy.learn_ui import learn_ui
from playground.toy.learn_view import LEARN_CSS
from playground.toy.owndata_ui import click as draw_click, draw_tools_ui, link_note, own_data_ui
from playground.toy.run import ToyRun
from playground.toy.session import ToySession
from playground.toy.settings import CONTROLS, FIELDS, ToySettings
from playground.toy.ui import advanced_ui, data_ui, network_ui, toolbar_ui, widget_values

FRAME_SECONDS = 0.05  # while playing: one training chunk and one redraw per tick
# On a phone (one column): Play, Step and Reset side by side, and the network and its numbers
# straight under them, before the data's settings (Streamlit stacks columns in page order).
PHONE_CSS = ("@media (max-width:640px){"
             ".st-key-toy_toolbar [data-testid=stHorizontalBlock]{flex-wrap:wrap}"
             ".st-key-toy_toolbar [data-testid=stColumn]:nth-child(-n+3){flex:1 1 28%!important;min-width:0!important;"
             "width:auto!important}"
             ".st-key-toy_body [data-testid=stHorizontalBlock]:not([data-testid=stColumn] *)"
             "{flex-direction:column-reverse}}")
live_view = make_view("nn_playground_html", LIVE_CSS + LEARN_CSS)


def _session() -> ToySession:
    """This session's toy lab: made from the link on the first visit, and again whenever a link
    (a lesson, a shared address) brings parameters the page did not write itself."""
    if "toy" not in st.session_state or url_changed("toy"):
        settings, teacher = read_link("toy", CONTROLS, ToySettings, lessons.lesson_ids("toy"),
                                      lessons.other_lessons("toy"))
        st.session_state.toy = ToySession(ToyRun(settings), teacher, owner=live.owner_of(st.context.cookies))
        seed(widget_values(settings), force=True)
    return st.session_state.toy


@contextmanager
def _paused():
    """For a click that changes the run: playing stops, and no live frame trains meanwhile."""
    session: ToySession = st.session_state.toy
    with session.feed.lock:
        session.playing = False
        yield session


def _adopt(run: ToyRun) -> None:
    """A model file was loaded: the run and the widgets take its settings."""
    with _paused() as session:
        session.adopt(run)
    seed(widget_values(run.settings), force=True)


def _set_playing(playing: bool):
    # Set, not toggle: a click that reaches the script twice must not undo itself.
    with _paused() as session:
        session.playing = playing
        if playing:  # training leaves the step-through: its numbers were for the weights before
            L.step_to(session.run, session.learning, 0)


def _step():
    with _paused() as session:
        session.run.train(1)


def _reset():
    """New starting weights: the next weight seed, which the seed widget and the link follow."""
    with _paused() as session:
        st.session_state.seed = session.run.new_weights().seed


def _go_on(lr: float):
    """After a divergence: a lower learning rate, from the last good weights."""
    st.session_state.learning_rate = lr
    with _paused() as session:
        session.run.apply(session.run.settings.changed(learning_rate=lr))


def toolbar(session: ToySession):
    """Play (drawn last, into the slot returned), Step, Reset, speed, and TF Playground's top bar."""
    play, step, reset, speed, rest = st.columns([1.15, 1.05, 1.1, 2, 6.6], vertical_alignment="bottom")
    locks = session.teacher.locks
    step.button("Step", on_click=_step, use_container_width=True, key="step", help="Train exactly one epoch",
                icon=":material/skip_next:", disabled=locks("step"))
    reset.button("Reset", on_click=_reset, use_container_width=True, key="reset", disabled=locks("reset"),
                 help="New starting weights (the next weight seed), same data; training starts again from epoch 0",
                 icon=":material/replay:")
    values = {"speed": speed.select_slider("Speed", options=list(FIELDS["speed"].options),
                                           key="speed", disabled=locks("speed"),
                                           help="Epochs trained between two pictures (at most as many as fit in a tenth "
                                                "of a second, so Pause stays immediate)")}
    with rest:
        values.update(toolbar_ui(session.teacher))
    return play.empty(), values


def play_button(slot, session: ToySession) -> None:
    """Drawn once the settings are applied: it says what a click will do now."""
    training = session.training
    slot.button("Pause" if training else "Play", on_click=_set_playing, args=(not training,), type="primary",
                use_container_width=True, disabled=session.teacher.locks("play"), key="play",
                icon=":material/pause:" if training else ":material/play_arrow:")


def divergence_banner(run: ToyRun) -> None:
    lr = run.settings.learning_rate
    rates = FIELDS["learning_rate"].options
    lower = max((v for v in rates if v <= lr / 10 * (1 + 1e-9)), default=rates[0])  # a tenth, on the list
    st.error(f"{run.divergence_sentence()} A learning rate of {lr:g} is too high for this network: try {lower:g}.",
             icon=":material/warning:")
    st.button(f"Go on with learning rate {lower:g}", on_click=_go_on, args=(lower,), key="recover")


def apply_settings(session: ToySession, values: dict) -> None:
    """Hand the widgets' settings to the run; say so when that reset it, or why it could not."""
    run = session.run
    try:
        message = run.apply(run.settings.changed(**values))
    except SettingsError as e:
        st.error(f"Not applied: {e}. The last good settings stay in force.", icon=":material/block:")
        return
    if message:
        session.playing = False
        st.toast(message, icon=":material/restart_alt:")


def _stream_stopped():
    """The live route says training stopped (it diverged, or a frame failed): the whole page shows why."""
    st.session_state.toy.playing = False
    st.session_state.toy_rerun_app = True


@guarded
def live_frame() -> None:
    """Everything that changes while training: the network, the numbers, the loss chart and the
    output map. Streamed from the live route where it can be; otherwise this fragment reruns for
    every frame, training one chunk each time."""
    session: ToySession = st.session_state.toy
    if st.session_state.pop("toy_rerun_app", False):
        st.rerun(scope="app")
    with session.feed.lock:
        streams = session.streams()
        if session.training and not streams:
            session.train_frame()
            if session.run.divergence:
                session.playing = False
                st.rerun(scope="app")
        picked = live_view(session.html(), key="toy_live", interval=FRAME_SECONDS, on_stopped=_stream_stopped,
                           stream=live.url(session.feed.token) if streams else "")
        if picked:  # a neuron, a weight or a point was clicked: the whole page follows the choice
            if session.drawing and picked.startswith("p:"):  # drawing: the click adds (or erases) a point
                draw_click(session, picked)
            else:
                L.pick(session.run, session.learning, picked)
            st.rerun(scope="app")


@guarded
def main() -> None:
    entered = enter("toy")
    session = _session()
    # A click on the map that made the points yours (drawing on a generated set) changed the data set.
    seed(widget_values(session.run.settings), force=entered or st.session_state.pop("_toy_reseed", False))
    with session.feed.lock:  # no live frame trains the run while this script run may change it
        page(session)


def page(session: ToySession) -> None:
    run, teacher = session.run, session.teacher
    show_notice("toy")
    st.html(f"<style>{PHONE_CSS}</style>")
    st.html("<style>.st-key-play button,.st-key-step button,.st-key-reset button{padding-left:.4rem;padding-right:.4rem;"
            "white-space:nowrap}</style>")
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    hint = ("  <span style='font-size:.8rem;color:#777'>(optimiser, loss, schedule, seeds and model files: "
            "in the sidebar ›)</span>" if teacher.explain and teacher.shows("advanced") else "")
    title.markdown("#### Toy lab · watch a neural network learn" + hint, unsafe_allow_html=True)
    with link:
        copy_link(key="toy_copy", note=link_note(run))
    lesson_panel(teacher.lesson)
    with st.sidebar:
        st.subheader("More settings")
        values = advanced_ui(teacher, st.session_state.problem)
        st.subheader("Model file")
        model_file_ui(run, prefix="toy", adopt=_adopt, features=list(run.settings.features))
    with st.container(key="toy_toolbar"):
        play_slot, more = toolbar(session)
    values.update(more)
    data_col, main_col = st.container(key="toy_body").columns([1, 4.6], gap="medium")
    with data_col:
        st.markdown("**Data**")
        values.update(data_ui(teacher, lambda: own_data_ui(session, _paused, teacher)))
    with main_col:
        values.update(network_ui(teacher))
        apply_settings(session, values)
        play_button(play_slot, session)
        if run.divergence:
            divergence_banner(run)
        error = session.feed.take_error()
        if error:
            st.error(f"Training stopped on an unexpected error ({error}). Your settings and your network are kept: "
                     "press Play to go on, or Reset. The details are in the server's log.", icon=":material/build:")
        draw_tools_ui(session, _paused, teacher)
        ticking = session.training and not session.streams()
        st.fragment(live_frame, run_every=FRAME_SECONDS if ticking else None)()
        if teacher.explain:
            outputs = (" An output neuron's square is its class's probability over the plane, from white (0) to "
                       "its class's colour (1)." if run.settings.problem == "multiclass" else "")
            st.caption("Each square is one neuron's output over the plane: blue positive, orange negative." + outputs +
                       " Lines are weights (width: size, colour: sign). Point at (or tap) a neuron to enlarge it, a "
                       "line to read its weight; the small square at a neuron's corner is its bias. Click a neuron, a "
                       "line or a point on the output map to see how the network learns.")
        learn_ui(session, _paused)
    sync_url("toy", run.settings.to_query() | teacher.to_query())


main()
