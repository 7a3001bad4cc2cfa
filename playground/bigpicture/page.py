"""The big picture: does more data beat a better model, what the network costs, and why it
answered what it did."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st

from engine import experiment as X
from playground.bigpicture import charts as bc
from playground.bigpicture.settings import CONTROLS, DATASETS, FIELDS, RUNNER_UP, SOURCES, UP_TO, VIEWS, \
    BigPictureSettings
from playground.bigpicture.why import Explanation, explain, page_ui, top_patch, validation_digits
from playground.bigpicture.words import summary
from playground.lessons import catalogue as lessons
from playground.lessons.panel import lesson_panel
from playground.shared.guard import guarded
from playground.shared.links import Teacher, copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.shared.pagestate import enter, seed

PAGE = "bigpicture"


@dataclass(eq=False)
class BigPictureSession:
    """One browser session of this page: its settings, the teacher's choices, the experiment it
    was asked to run (or is running), results measured so far, and the lesson goal's state."""
    settings: BigPictureSettings
    teacher: Teacher = field(default_factory=Teacher)
    start: bool = False  # Run was pressed: the next script run runs the experiment
    partial: X.Experiment | None = None  # what a run measured before it stopped
    stopped: str | None = None  # why the last run stopped early
    done: set = field(default_factory=set)  # data sets whose experiment this session saw to the end
    goal: bool = False


def _session() -> BigPictureSession:
    entered = enter(PAGE)
    if PAGE not in st.session_state or url_changed(PAGE):
        s, teacher = read_link(PAGE, CONTROLS, BigPictureSettings, lessons.lesson_ids(PAGE),
                               lessons.other_lessons(PAGE))
        st.session_state[PAGE] = BigPictureSession(s, teacher)
        entered = True
    session = st.session_state[PAGE]
    seed({name: getattr(session.settings, name) for name in FIELDS}, force=entered)
    return session


# --- the experiment --------------------------------------------------------------------------------
def _run():
    session: BigPictureSession = st.session_state[PAGE]
    session.start, session.partial, session.stopped = True, None, None


def _cancel():
    session: BigPictureSession = st.session_state[PAGE]
    session.start, session.stopped = False, "Cancelled."


def experiment_controls(session: BigPictureSession) -> dict:
    locks = session.teacher.locks
    a, b, c, d = st.columns([2.2, 1.6, 1.6, 1.2], vertical_alignment="bottom")
    v = dict(data=a.radio("Data", list(DATASETS), format_func=DATASETS.get, key="data", horizontal=True,
                          disabled=locks("data") or session.start),
             up_to=b.select_slider("Largest training set", list(UP_TO), key="up_to", format_func=lambda n: f"{n:,}",
                                   disabled=locks("up_to") or session.start,
                                   help="The experiment trains on 50, 100, 300, 1,000, 3,000 and 5,000 examples "
                                        "(60,000 when full MNIST is in the cache), up to this many; the embedded "
                                        "digits stop at the 4,000 not held out"))
    if session.start:
        d.button("Cancel", key="cancel", on_click=_cancel, icon=":material/stop:", use_container_width=True)
    else:
        c.button("Run the experiment", key="run", type="primary", on_click=_run, icon=":material/play_arrow:",
                 disabled=locks("run"), use_container_width=True)
    return v


def _measure(session: BigPictureSession, s: BigPictureSettings, pool: X.Pool) -> None:
    """Run the experiment here and now with a progress bar, then show the page again with the
    results. Cancel (or leaving the page) stops it between two steps: Streamlit ends this script
    run at its next element, and the run never starts again by itself."""
    bar = st.progress(0.0, text="Starting…")

    def progress(fraction: float, what: str, e: X.Experiment) -> None:
        session.partial = e
        bar.progress(fraction, text=f"{fraction:.0%} · training {what}" if what != "done" else "Done")

    try:
        X.run(s.data, s.up_to, pool=pool, progress=progress, use_cache=False)  # saved when complete
    finally:
        session.start = False
    session.partial = None
    st.rerun()


@st.cache_resource(show_spinner=False)
def _pool(dataset: str) -> X.Pool:
    return X.POOLS[dataset](0)


def experiment_view(session: BigPictureSession, s: BigPictureSettings) -> None:
    explain = session.teacher.explain
    if explain:
        st.caption("Does a network beat classical machine learning? It depends on how much data it gets. One "
                   "button trains the digits lab's network and three classical models from scikit-learn on "
                   "growing training sets, and scores every one on the same held-out examples that none of "
                   "them ever trains on.")
    session.settings = s = s.changed(**experiment_controls(session))
    pool = _pool(s.data)
    sizes = X.sizes_for(len(pool.y), s.up_to)
    if session.start:
        _measure(session, s, pool)
    e = X.cached(X.cache_key(s.data, pool, sizes, 0))
    partial = session.partial
    if partial is not None and partial.results and partial.dataset == s.data and partial.sizes == sizes:
        st.warning(f"{session.stopped or 'The run stopped before the end.'} Below: what it measured before it "
                   "stopped (not saved)" + (", instead of the saved results." if e else "."),
                   icon=":material/stop_circle:")
        e = partial
    elif session.stopped and partial is not None and partial.dataset == s.data:
        st.warning(f"{session.stopped} It stopped before the first model finished: nothing was measured.",
                   icon=":material/stop_circle:")
    if e is None:
        st.info(f"Not measured yet for these settings: press **Run the experiment** (on {pool.what}; sizes "
                f"{', '.join(f'{n:,}' for n in sizes)}; about {_estimate(s.data, sizes)} on a two-core laptop, up to half a "
                "minute more the first time, while the network's code is compiled).",
                icon=":material/science:")
        return
    if e.complete:
        session.done.add(s.data)
    left, right = st.columns(2)
    left.plotly_chart(bc.accuracy_figure(e), key="bp_accuracy", config={"displayModeBar": False})
    right.plotly_chart(bc.seconds_figure(e), key="bp_seconds", config={"displayModeBar": False})
    for sentence in summary(e):
        st.markdown(sentence)
    if explain:
        st.caption(f"Data: {e.what}. Each size's training set holds the smaller ones. The network is the digits "
                   "lab's default recipe; a small training set gets more epochs (at least "
                   f"{X.MIN_UPDATES[e.dataset]:,} updates). Training seconds leave out the network's one-off "
                   "compiling and each model's answering. Ahead means more than 1 point more accurate: on "
                   f"{e.held_out:,} held-out examples a smaller gap may be chance."
                   + (" Saved results: shown at once on every visit; Run measures again." if e.complete else ""))


def _estimate(dataset: str, sizes: list[int]) -> str:
    seconds = {"digits": 6 * len(sizes) + sizes[-1] / 250, "spiral": 1.0 * len(sizes)}[dataset]  # measured, roughly
    if sizes[-1] >= 60_000:
        seconds += 180
    return f"{round(seconds / 60)} minutes" if seconds >= 90 else f"{max(10, round(seconds, -1)):.0f} seconds"


# --- why did it answer that ------------------------------------------------------------------------
_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def _models() -> dict:
    return {}


def default_model():
    """(params, spec, temperature) of the model that reads drawings: loaded from the file the app
    saved, else trained now (once per server process, with a progress bar)."""
    box = _models()
    if "model" not in box:
        from engine.default_model import load_or_train_default
        note = st.empty()
        with _LOCK:
            if "model" not in box:
                text = "Training the default digits model once (about a minute); the app saves it for next time."
                bar = note.progress(0.0, text=text)
                m = load_or_train_default(progress=lambda f: bar.progress(f, text=f"{text} {f:.0%}"))
                box["model"] = (m.params, m.spec, m.temperature)
                explain(m.params, m.spec, validation_digits()[0][0].reshape(28, 28))  # compiles the maps once
        note.empty()
    return box["model"]


def why_controls(session: BigPictureSession, s: BigPictureSettings, drawn) -> dict:
    locks = session.teacher.locks
    a, b, c = st.columns([2.2, 1.6, 1.6], vertical_alignment="bottom")
    v = dict(which=a.radio("Which digit", list(SOURCES), format_func=SOURCES.get, key="which", horizontal=True,
                           disabled=locks("which")))
    if v["which"] == "validation" or drawn is None:
        v["number"] = b.number_input("Validation digit (0 to 249)", 0, 249, key="number", disabled=locks("number"),
                                    help="250 MNIST digits this model never trained on")
    options = [RUNNER_UP] + list(range(10))
    v["other"] = c.selectbox("Why not…", options, key="other", disabled=locks("other"),
                             format_func=lambda k: "the runner-up" if k == RUNNER_UP else str(k),
                             help="The class to compare the answer with")
    return v


def _img(col, png: bytes, caption: str) -> None:
    col.image(png, caption=caption, width="stretch")


def maps(e: Explanation, explain: bool) -> None:
    a, o = e.answer, e.other
    cols = st.columns(4)
    _img(cols[0], bc.digit_png(e.image), f"The digit · read as {a} ({prob(e.probs[a])})")
    _img(cols[1], bc.map_png(e.image, e.saliency), f"Saliency: ∂ score of {a} / ∂ pixel")
    _img(cols[2], bc.map_png(e.image, bc.patches_to_pixels(e.occlusion, e.image.shape[0])),
         f"Occlusion: drop in p({a}) per 4×4 patch")
    _img(cols[3], bc.map_png(e.image, e.contrast), f"Why {a} and not {o}: ∂ (score {a} − score {o}) / ∂ pixel")
    st.markdown(answer_sentence(e))
    if explain:
        st.caption(f"Blue: more ink there raises the answer's score (saliency), hiding it costs the answer "
                   f"(occlusion), or it tips the answer towards {a} rather than {o} (last map); orange: the opposite. "
                   "Each map is scaled to its own strongest value. Computed with jax.grad and vmap in "
                   + ", ".join(f"{k} {v:.1f} ms" for k, v in e.ms.items()) + ".")


def answer_sentence(e: Explanation) -> str:
    """What the model said and which patch its answer leans on most, from the numbers (Markdown)."""
    a, o = e.answer, e.other
    worst = float(e.occlusion.max())
    r, c = top_patch(e.occlusion)
    said = f"**It says {a}** ({prob(e.probs[a])}; compared with {o}: {prob(e.probs[o])}). "
    if worst < 0.01:
        return said + (f"No single 4×4 patch shakes it: greying out any one lowers p({a}) by at most "
                       f"{worst * 100:.2f} % (most at rows {r}–{r + 3}, columns {c}–{c + 3}).")
    return said + (f"Greying out the 4×4 patch at rows {r}–{r + 3}, columns {c}–{c + 3} costs its answer the "
                   f"most: p({a}) falls from {prob(e.probs[a])} to {prob(e.probs[a] - worst)}.")


def prob(p: float) -> str:
    """A probability as a reader should read it: never "100 %" for a model that is only almost sure."""
    return "over 99.9 %" if p > 0.999 else "under 0.1 %" if p < 0.001 else f"{p * 100:.1f} %"


def why_view(session: BigPictureSession, s: BigPictureSettings) -> tuple[Explanation, int | None]:
    """The three maps for the chosen digit; returns them and what the digit really is (None for a drawing)."""
    tuned = "draw_model" in st.session_state  # fine-tuned on Draw a digit ("Teach it")
    if session.teacher.explain:
        st.caption("A network is a black box of weights: these maps ask it which pixels its answer depends on. "
                   + ("The model is your fine-tuned copy of the drawing model (Draw a digit › Teach it)." if tuned
                      else "The model is the default drawing model of Draw a digit."))
    drawn = st.session_state.get("draw_img")
    values = why_controls(session, s, drawn)
    session.settings = s = s.changed(**values)
    params, spec, temperature = st.session_state["draw_model"] if tuned else default_model()
    truth = None
    if s.which == "drawn" and drawn is not None:
        image, what = drawn, "your drawing"
    else:
        if s.which == "drawn":
            st.info("Nothing drawn yet on **Draw a digit**: here is a validation digit instead.", icon=":material/draw:")
        x, y = validation_digits()
        truth = int(y[s.number])
        image, what = x[s.number].reshape(28, 28), f"validation digit #{s.number} (a {truth})"
    e = explain(params, spec, image, s.other, temperature)
    left, right = st.columns([3, 1.1])
    with right:
        st.markdown(f"**{what[0].upper() + what[1:]}:** the model's probabilities")
        st.plotly_chart(bc.probabilities_figure(e.probs, e.answer, e.other), key="bp_probs",
                        config={"displayModeBar": False})
    with left:
        maps(e, session.teacher.explain)
    return e, truth


# --- the page --------------------------------------------------------------------------------------
def goal(session: BigPictureSession, ui: dict) -> None:
    lesson = lessons.find(session.teacher.lesson)
    if lesson is None:
        return
    session.goal = session.goal or lessons.shows_met(lesson.goal, ui)
    state = "<b>✓ Achieved</b>" if session.goal else "not yet"
    st.html(f'<div class="nn-goal" style="font-size:15px;background:#eef6fc;border-left:4px solid #0877bd;'
            f'padding:6px 10px;border-radius:4px">Goal · {lesson.title}: {lesson.goal.text} · {state}</div>')


@guarded
def main() -> None:
    session = _session()
    teacher = session.teacher
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    title.markdown("#### The big picture · more data or a better model, and why the network answered that")
    with link:
        copy_link(key="bp_copy")
    lesson_panel(teacher.lesson)
    show_notice(PAGE)
    view = st.segmented_control("View", list(VIEWS), format_func=VIEWS.get, key="view", label_visibility="collapsed",
                                disabled=teacher.locks("view")) or session.settings.view
    s = session.settings = session.settings.changed(view=view)
    goal_slot = st.empty()
    if view == "experiment":
        experiment_view(session, s)
        e, truth = None, None
    else:
        e, truth = why_view(session, s)
    with goal_slot.container():
        goal(session, page_ui(view, e, session.done, truth))
    sync_url(PAGE, session.settings.to_query() | teacher.to_query())


main()
