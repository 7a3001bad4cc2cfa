"""The teacher's page: every student's progress live, one card each; send everyone a link; pause
everyone; the class drawings board. Opens only with the teacher's key (``nn-playground --class``
prints the address that carries it)."""
from __future__ import annotations

import streamlit as st

from playground.classroom import board, cards, messages
from playground.classroom.access import teacher_session
from playground.classroom.hub import hub, in_class
from playground.classroom.store import StoreError
from playground.classroom.student import plain
from playground.lessons.catalogue import load_lessons
from playground.shared.guard import guarded
from playground.shared.htmlview import make_view
from playground.shared.pagestate import enter

REFRESH = 0.75  # seconds between two refreshes of the cards: at least one a second on a busy server
BOARD_REFRESH = 3.0
NOT_A_CLASS = ("No class is being served: start the app with `nn-playground --class`, which prints the "
               "teacher's address that opens this page.")
REFUSED = ("This page is for the teacher: open it with the teacher's address that `nn-playground --class` "
           "printed (this link's key is missing or wrong).")
class_view = make_view("nn_playground_class", cards.CSS)


def _store_trouble(e: StoreError) -> None:
    st.error(f"{e} The students keep working; this page tries again every second.", icon=":material/cloud_off:")


def _act(what: str, **values) -> None:
    """A teacher's control, written to the store at once (a sentence if it cannot be)."""
    try:
        if what == "clear":
            hub().call("clear")
            st.session_state.pop("class_tuned", None)
            st.session_state.class_said = ("The class is cleared: every card and drawing is deleted (a student whose "
                                           "page is still open comes back at their next report).")
        else:
            hub().call("set_control", **values)
            hub().control.update(values)  # this process's students see it at once
    except StoreError as e:
        st.session_state.class_said = str(e)


def _send_lesson() -> None:
    lessons = {f"{l.order}. {l.title}": l for l in load_lessons()}
    chosen = lessons.get(st.session_state.get("class_lesson"))
    if chosen is not None:
        _act("set", message=messages.from_lesson(chosen))
        st.session_state.class_said = f"Sent to everyone: lesson {chosen.order}, {chosen.title}."


def _send_link() -> None:
    try:
        msg = messages.from_link(st.session_state.get("class_link", ""))
    except ValueError as e:
        st.session_state.class_said = str(e)
        return
    _act("set", message=msg)
    st.session_state.class_said = f"Sent to everyone: {plain(msg['label'])}."


def controls() -> None:
    lesson_col, send_l, link_col, send_k = st.columns([3, 0.9, 3, 0.9], vertical_alignment="bottom")
    lesson_col.selectbox("Send everyone a lesson", [f"{l.order}. {l.title}" for l in load_lessons()],
                         key="class_lesson")
    send_l.button("Send", key="class_send_lesson", on_click=_send_lesson, icon=":material/send:",
                  use_container_width=True)
    link_col.text_input("…or a link (paste a lab's Copy link)", key="class_link",
                        placeholder="http://…/toy?dataset=xor&hidden=4")
    send_k.button("Send", key="class_send_link", on_click=_send_link, icon=":material/send:",
                  use_container_width=True)
    if said := st.session_state.pop("class_said", None):
        st.info(said, icon=":material/info:")


def title_row(paused: bool) -> None:
    """The title, and the two buttons that act on the whole class: pause (or resume), clear."""
    # A little room above: the buttons stand taller than the title and met the navigation bar.
    st.html("<style>.st-key-class_title{margin-top:.7rem}</style>")
    title, pause_col, clear_col = st.container(key="class_title").columns([5, 1.7, 1.6], vertical_alignment="bottom")
    title.markdown("#### The class, live")
    if paused:
        pause_col.button("Resume everyone", key="class_resume", type="primary", on_click=_act, args=("set",),
                         kwargs={"paused": False}, icon=":material/play_arrow:", use_container_width=True)
    else:
        pause_col.button("Pause everyone", key="class_pause", on_click=_act, args=("set",), kwargs={"paused": True},
                         icon=":material/pause:", use_container_width=True)
    with clear_col.popover("Clear the class", icon=":material/delete:", use_container_width=True):
        st.markdown("Deletes every student's card and every drawing on the board.")
        st.button("Yes, clear the class", key="class_clear", on_click=_act, args=("clear",), type="primary")


@guarded
def live_cards() -> None:
    try:
        records = hub().call("students")
    except StoreError as e:
        _store_trouble(e)
        return
    by = st.session_state.get("class_sort", "progress")
    class_view(cards.cards_html(records, by), key="class_cards")


@st.cache_resource(show_spinner=False)
def default_model():
    """The draw page's default model (loaded from the file the app saved; trained once if none)."""
    from engine.default_model import load_or_train_default
    m = load_or_train_default()
    return m.params, m.spec


@guarded
def drawings_board() -> None:
    """The board and its fine-tune button, refreshed together (a button outside the refresh stayed
    disabled at "0 so far" while the drawings came in)."""
    try:
        drawings = hub().call("drawings")
    except StoreError as e:
        _store_trouble(e)
        return
    if not drawings:
        st.info("No drawings yet: on *Draw a digit*, a student draws, chooses the digit they meant and presses "
                "*Send to the class board*.", icon=":material/draw:")
    else:
        board_ui(drawings)
    tune_ui(drawings)


def board_ui(drawings) -> None:
    with st.spinner("Loading the default digits model (trained once, the first time, in about a minute)…"):
        params, spec = default_model()
    meant = [d.digit for d in drawings]
    got = board.read(params, spec, board.as_inputs(drawings))
    acc = board.accuracy(meant, got)
    mistakes = board.confusions(meant, got)
    st.markdown(f"**{len(drawings)} drawing{'s' if len(drawings) != 1 else ''}** from the class. The default model "
                f"reads **{round(acc * len(drawings))} of them right ({acc:.0%})**.")
    if mistakes:
        st.markdown("Confusions (meant → read): " + ", ".join(
            f"**{m} → {g}**{f' ({c} times)' if c > 1 else ''}" for m, g, c in mistakes[:8]))
    class_view(cards.board_html(drawings, got), key="class_board")


def tune_ui(drawings) -> None:
    enough = len(drawings) >= board.MIN_TUNE
    if st.button("Fine-tune a class model on these drawings", key="class_tune", disabled=not enough,
                 type="primary", icon=":material/model_training:",
                 help=f"Five epochs on the embedded digits plus 3 of every 4 drawings; every 4th drawing is held "
                      f"out to score it (needs {board.MIN_TUNE} drawings)"):
        params, spec = default_model()
        with st.spinner("Fine-tuning on the class's drawings…"):
            st.session_state.class_tuned = board.tune_class_model(params, spec, drawings)
    if not enough:
        st.caption(f"Fine-tuning a class model needs at least {board.MIN_TUNE} drawings ({len(drawings)} so far).")
    if tuned := st.session_state.get("class_tuned"):
        st.success(f"Fine-tuned on {tuned.n_train} of the class's drawings. On the {tuned.n_held} drawings held out "
                   f"of it: the default model reads **{tuned.before:.0%}**, the class model **{tuned.after:.0%}**.",
                   icon=":material/model_training:")


@guarded
def main() -> None:
    enter("class")
    if not in_class():
        st.info(NOT_A_CLASS, icon=":material/groups:")
        return
    if not teacher_session():
        st.error(REFUSED, icon=":material/lock:")
        return
    if "key" in st.query_params:  # the projector shows the address bar: the key leaves it
        del st.query_params["key"]
    h = hub()
    try:
        paused = bool(h.call("control").get("paused"))
    except StoreError:
        paused = bool(h.control.get("paused"))
    title_row(paused)
    controls()
    if paused:
        st.warning("The class is paused: no student's network trains until you resume.", icon=":material/pause:")
    students, drawings = st.tabs(["Students", "Class drawings board"])
    with students:
        st.radio("Sort the cards by", list(cards.SORTS), key="class_sort", horizontal=True,
                 format_func={"progress": "Sort by progress", "nickname": "by nickname",
                              "page": "by page and lesson"}.get, label_visibility="collapsed")
        st.fragment(live_cards, run_every=REFRESH)()
    with drawings:
        st.fragment(drawings_board, run_every=BOARD_REFRESH)()


main()
