"""The toy lab's "how it learns" controls: which view, which point, neuron or weight, the
step-through's buttons, and a weight set by hand. Every choice lives in the session's
``Learning`` (its owner); the widgets are filled from it on every run and write back to it."""
from __future__ import annotations

import streamlit as st

from playground.shared.pagestate import seed
from playground.toy import learning as L


def _values(session) -> dict:
    lg, run = session.learning, session.run
    return {"learn_view": lg.view if lg.view != "off" else None, "learn_pin": lg.pin + 1,
            "learn_neuron": lg.neuron, "learn_weight": lg.weight, "learn_weight2": lg.weight2,
            "learn_batch": lg.batch, "learn_value": round(L.entry(run.state.params, lg.weight), 4)}


def _set(field: str, key: str, convert=lambda v: v):
    def callback():
        lg = st.session_state.toy.learning
        setattr(lg, field, convert(st.session_state[key]))
        L.fit(st.session_state.toy.run, lg)
    return callback


def learn_ui(session, paused) -> None:
    """Drawn under the live view; ``paused`` is the page's context for clicks that change the run."""
    lg, run = session.learning, session.run
    L.fit(run, lg)
    seed(_values(session), force=True)
    views = [v for v in L.VIEWS if v != "off"]
    st.segmented_control("How it learns", views, format_func=L.VIEWS.get, key="learn_view",
                         on_change=_set("view", "learn_view", lambda v: v or "off"),
                         help="Look inside one training step: what a neuron computes, the gradient on every "
                              "weight, backpropagation step by step, the loss along one weight")
    if lg.view == "off":
        return
    cols = st.columns([1.1, 2.4, 2.4, 1.6], vertical_alignment="bottom")
    if lg.view in ("sum", "steps"):
        n = len(run.toy.y_train)
        cols[0].number_input("Pinned point", 1, n, key="learn_pin",
                             on_change=_set("pin", "learn_pin", lambda v: int(v) - 1),
                             help=f"Which of the {n} training points. Or click a point on the output map")
    if lg.view == "sum":
        cols[1].selectbox("Neuron", L.neurons(run), key="learn_neuron", on_change=_set("neuron", "learn_neuron"),
                          format_func=lambda n: L.cap(L.neuron_label(run, *n)), help="Or click a neuron")
        cols[2].selectbox("Its weight", L.neuron_weights(run, lg.neuron), key="learn_weight",
                          on_change=_set("weight", "learn_weight"),
                          format_func=lambda w: L.cap(L.weight_label(run, w)),
                          help="One of this neuron's weights, or its bias, to set by hand. Or click a line into it")
    if lg.view in ("gradients", "curve"):
        cols[1].selectbox("Weight", L.weights(run), key="learn_weight", on_change=_set("weight", "learn_weight"),
                          format_func=lambda w: L.cap(L.weight_label(run, w)),
                          help="Or click a line (a weight) or the small square on a neuron (its bias)")
    if lg.view in ("sum", "gradients", "curve"):
        cols[3].number_input("Set it by hand", step=0.1, format="%.4f", key="learn_value",
                             on_change=_edit, args=(paused,), help="Type a value: the maps and the loss follow")
    if lg.view == "curve":
        cols[2].selectbox("Second weight (loss as a contour map)", [None] + L.weights(run), key="learn_weight2",
                          on_change=_set("weight2", "learn_weight2"),
                          format_func=lambda w: "none" if w is None else L.cap(L.weight_label(run, w)))
    if lg.view == "steps":
        _steps_ui(session, paused, cols)


def _edit(paused) -> None:
    value = st.session_state.get("learn_value")
    if value is None:
        return
    with paused() as session:
        session.run.edit(*session.learning.weight, float(value))


def _step(paused, to: int) -> None:
    with paused() as session:
        L.step_to(session.run, session.learning, to)


def _steps_ui(session, paused, cols) -> None:
    lg = session.learning
    cols[1].toggle("A mini-batch instead", key="learn_batch", on_change=_set("batch", "learn_batch"),
                   disabled=lg.phase > 0, help=f"Follow one update on the first {session.run.settings.batch_size} "
                                               "training points (their gradients averaged) instead of the pinned point")
    back, nxt, leave = cols[2].columns(3)
    back.button("Back", icon=":material/chevron_left:", key="learn_back", on_click=_step, args=(paused, lg.phase - 1),
                disabled=lg.phase == 0, use_container_width=True)
    nxt.button("Next", icon=":material/chevron_right:", key="learn_next", on_click=_step, args=(paused, lg.phase + 1),
               disabled=lg.phase >= len(L.phases(session.run)), type="primary", use_container_width=True)
    leave.button("Done", key="learn_done", on_click=_step, args=(paused, 0), disabled=lg.phase == 0,
                 use_container_width=True)
