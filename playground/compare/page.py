"""Compare: up to nine toy-lab networks trained at once, side by side, from the same start."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import streamlit as st

from engine.activations import ACTIVATIONS
from playground.compare.charts import COMPARE_CSS
from playground.compare.run import CompareRun
from playground.compare.session import CompareSession, needs_sentence, same_start
from playground.compare.settings import (CONTROLS, FIELDS, MAX_PER_AXIS, MAX_RUNS, NONE, VARIED, CompareSettings,
                                         show_value)
from playground.lessons import catalogue as lessons
from playground.lessons.panel import lesson_panel
from playground.server import live
from playground.shared.fields import SettingsError
from playground.shared.guard import guarded
from playground.shared.htmlview import make_view
from playground.shared.links import copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.shared.pagestate import enter, seed
from playground.toy.ui import advanced_ui, data_ui, network_ui, toolbar_ui, widget_values as toy_widget_values

FRAME_SECONDS = 0.05
SEED_HELP = ("Fixes every run's starting weights (unless the weight seed is what varies) and the order the "
             "training points are seen in (unless the batch order seed varies); Reset keeps it")
live_view = make_view("nn_playground_compare", COMPARE_CSS)


def _shown(name: str, values) -> list[str]:
    return [show_value(name, v) for v in values]


def widget_values(s: CompareSettings) -> dict:
    """Each widget's value for settings ``s``: the toy lab's, and the comparison's own."""
    axes = dict(s.axes())
    return {**toy_widget_values(s), "vary": s.vary, "vary2": s.vary2, "target": s.target,
            "values": _shown(s.vary, axes[s.vary]),
            "values2": _shown(s.vary2, axes[s.vary2]) if s.vary2 != NONE else []}


def _session() -> CompareSession:
    if "compare" not in st.session_state or url_changed("compare"):
        settings, teacher = read_link("compare", CONTROLS, CompareSettings, lessons.lesson_ids("compare"),
                                      lessons.other_lessons("compare"))
        st.session_state.compare = CompareSession(CompareRun(settings), teacher,
                                                  owner=live.owner_of(st.context.cookies))
        seed(widget_values(settings), force=True)
    return st.session_state.compare


@contextmanager
def _paused():
    session: CompareSession = st.session_state.compare
    with session.feed.lock:
        session.playing = False
        yield session


def _set_playing(playing: bool):
    with _paused() as session:
        session.playing = playing


def _step():
    with _paused() as session:
        session.run.train(1)


def _reset():
    with _paused() as session:
        session.run.reset()
        session.restart()


def _defaults(name: str, grid: bool) -> list[str]:
    v = VARIED[name]
    return _shown(name, v.three if grid else v.nine)


def _vary_changed():
    """A new varied setting brings its own values (nine, or three in a grid)."""
    ss = st.session_state
    if ss.vary2 == ss.vary:
        ss.vary2 = NONE
    grid = ss.vary2 != NONE
    ss["values"] = _defaults(ss.vary, grid)
    ss.values2 = _defaults(ss.vary2, True) if grid else []


def _options(name: str, chosen: list[str]) -> list[str]:
    """The values a list offers: the setting's usual ones, and any other a link brought."""
    usual = _shown(name, VARIED[name].options)
    return usual + [c for c in chosen if c not in usual]


def comparison_ui(teacher) -> dict:
    """What varies and its values (and a second setting, for a grid), and the loss the table times."""
    a, b, c, d, e = st.columns([1.5, 4.2, 1.5, 2.6, 1.3], vertical_alignment="bottom")
    label = lambda n: VARIED[n].label if n in VARIED else "Nothing (one row)"
    vary = a.selectbox("Vary", list(VARIED), format_func=label, key="vary", on_change=_vary_changed,
                       disabled=teacher.locks("vary"), help="The setting whose values the runs try; all else is shared")
    vary2 = c.selectbox("Grid with", [NONE, *(n for n in VARIED if n != vary)], format_func=label, key="vary2",
                        on_change=_vary_changed, disabled=teacher.locks("vary2"),
                        help=f"A second setting: up to {MAX_PER_AXIS} values of each, every pair a run")
    grid = vary2 != NONE
    cap = MAX_PER_AXIS if grid else MAX_RUNS
    fmt = lambda name: _activation_label if name == "activation" else str
    values = b.multiselect(f"{VARIED[vary].label} values (up to {cap})", _options(vary, st.session_state["values"]),
                           key="values", max_selections=cap, format_func=fmt(vary), disabled=teacher.locks("values"))
    values2 = d.multiselect(f"{VARIED[vary2].label} values" if grid else "Its values", _options(vary2, st.session_state.values2)
                            if grid else [], key="values2", max_selections=MAX_PER_AXIS, format_func=fmt(vary2),
                            disabled=not grid or teacher.locks("values2"))
    target = e.select_slider("Reached loss", options=list(FIELDS["target"].options), key="target",
                             format_func=lambda v: f"{v:g}", disabled=teacher.locks("target"),
                             help="The table gives the epoch at which each run's test loss first went below this")
    out = dict(vary=vary, vary2=vary2, target=target)
    for key, name, chosen, on_grid in (("values", vary, values, grid), ("values2", vary2, values2, True)):
        if key == "values2" and not grid:
            out[key] = ()
        elif chosen:
            order = {t: k for k, t in enumerate(_options(name, chosen))}
            out[key] = _compact(name, sorted(chosen, key=order.get), on_grid)
        else:  # an empty list is no comparison: the runs keep their values until one is chosen
            st.info(f"Choose at least one {VARIED[name].label.lower()} value: the runs keep their last ones "
                    "meanwhile.", icon=":material/info:")
    return out


def _activation_label(name: str) -> str:
    return ACTIVATIONS[name].label if name in ACTIVATIONS else name


def _compact(name: str, values: list[str], grid: bool) -> tuple[str, ...]:
    """The values as the settings keep them: none when they are the setting's own defaults (a short link)."""
    return () if values == _defaults(name, grid) else tuple(values)


def toolbar(session: CompareSession, teacher) -> tuple:
    play, step, reset, speed, rest = st.columns([1.15, 1.05, 1.1, 1.6, 7], vertical_alignment="bottom")
    locks = session.teacher.locks
    step.button("Step", on_click=_step, use_container_width=True, key="step", icon=":material/skip_next:",
                help="Train every run exactly one epoch", disabled=locks("step"))
    reset.button("Reset", on_click=_reset, use_container_width=True, key="reset", icon=":material/replay:",
                 help="Every run back to epoch 0, from the starting weights it had before", disabled=locks("reset"))
    values = {"speed": speed.select_slider("Speed", options=list(FIELDS["speed"].options), key="speed",
                                           disabled=locks("speed"), help="Epochs trained between two pictures")}
    with rest:
        values.update(toolbar_ui(teacher))
    return play.empty(), values


def play_button(slot, session: CompareSession) -> None:
    training = session.training
    slot.button("Pause" if training else "Play", on_click=_set_playing, args=(not training,), type="primary",
                use_container_width=True, disabled=session.teacher.locks("play"), key="play",
                icon=":material/pause:" if training else ":material/play_arrow:")


def apply_settings(session: CompareSession, values: dict) -> None:
    run = session.run
    try:
        message = run.apply(run.settings.changed(**values))
    except SettingsError as e:
        st.error(f"Not applied: {e}. The last good settings stay in force.", icon=":material/block:")
        return
    if message:
        session.playing = False
        session.restart()
        st.toast(message, icon=":material/restart_alt:")


def _stream_stopped():
    st.session_state.compare.playing = False
    st.session_state.compare_rerun_app = True


@guarded
def live_frame() -> None:
    session: CompareSession = st.session_state.compare
    if st.session_state.pop("compare_rerun_app", False):
        st.rerun(scope="app")
    with session.feed.lock:
        streams = session.streams()
        if session.training and not streams:
            session.train_frame()
            if session.run.divergence:
                session.playing = False
                st.rerun(scope="app")
        live_view(session.html(), key="compare_live", interval=FRAME_SECONDS, on_stopped=_stream_stopped,
                  stream=live.url(session.feed.token) if streams else "")


@guarded
def main() -> None:
    entered = enter("compare")
    session = _session()
    seed(widget_values(session.run.settings), force=entered)
    with session.feed.lock:
        page(session)


def page(session: CompareSession) -> None:
    run, teacher = session.run, session.teacher
    show_notice("compare")
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    st.html("<style>.st-key-play button,.st-key-step button,.st-key-reset button{padding-left:.4rem;"
            "padding-right:.4rem;white-space:nowrap}</style>")
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    start = ("each from its own start" if "seed" in {n for n, _ in run.settings.axes()} else "from the same start")
    title.markdown(f"#### Compare · up to nine networks trained at once, {start}")
    with link:
        copy_link(key="compare_copy")
    lesson_panel(teacher.lesson)
    values = comparison_ui(teacher)
    # The varied settings' own widgets are shown locked: the runs take their values from the list.
    shared = replace(teacher, locked=teacher.locked | {values["vary"], values["vary2"]})
    with st.sidebar:
        st.subheader("More settings")
        values.update(advanced_ui(shared, st.session_state.problem, seed_help=SEED_HELP))
    with st.container(key="compare_toolbar"):
        play_slot, more = toolbar(session, shared)
    values.update(more)
    data_col, main_col = st.columns([1, 4.6], gap="medium")
    with data_col:
        st.markdown("**Data**")
        values.update(data_ui(teacher, show_test=False))  # the small maps show the training points only
    with main_col:
        # The runs come first, where the eye goes; the network's shape under them. Both are drawn
        # once the settings are applied, so that the view shows what the widgets say.
        notes, live_box = st.container(), st.container()
        st.markdown("**Network** (the same for every run)")
        values.update(network_ui(shared))
        apply_settings(session, values)
        play_button(play_slot, session)
        s = run.settings
        with notes:
            needs = needs_sentence(s)
            st.caption(same_start(s) + (" " + needs if needs else ""))
            if run.divergence:
                st.error("Every run diverged: lower the values (a learning rate that is too high makes the loss "
                         "jump) and press Reset, then Play.", icon=":material/warning:")
            error = session.feed.take_error()
            if error:
                st.error(f"Training stopped on an unexpected error ({error}). Your settings are kept: press Play "
                         "to go on, or Reset. The details are in the server's log.", icon=":material/build:")
        with live_box:
            ticking = session.training and not session.streams()
            st.fragment(live_frame, run_every=FRAME_SECONDS if ticking else None)()
            if teacher.explain:
                colours = ("the colour of the class it chooses, paler where it is less sure"
                           if s.problem == "multiclass" else "blue positive, orange negative")
                st.caption(f"Each square is one run's output over the plane ({colours}) with its training points; "
                           "the swatch by its name is its curve's colour in the chart. A run whose loss blows up "
                           "is marked and stops alone; ★ marks the run with the lowest test loss now.")
    sync_url("compare", run.settings.to_query() | teacher.to_query())


main()
