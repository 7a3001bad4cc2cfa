"""Digits lab: train on real handwritten digits and watch the hidden layers learn."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from engine.activations import ACTIVATIONS
from engine.digits_data import SOURCES
from engine.model import param_count
from engine.optim import OPTIMISERS
from playground.digits import charts as dc
from playground.digits.run import DigitsRun, size_formula
from playground.digits.settings import AUGMENTATIONS, CONTROLS, FIELDS, MAX_LAYERS, MAX_NEURONS, DigitsSettings
from playground.glossary.terms import explain
from playground.lessons import catalogue as lessons
from playground.lessons.panel import lesson_panel
from playground.shared.fields import SettingsError
from playground.shared.guard import guarded
from playground.shared.links import Teacher, copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.shared.modelfile_ui import model_file_ui
from playground.shared.pagestate import enter, seed
from playground.shared.png import GREY, png_uri

TICK_SECONDS = 0.2


@dataclass(eq=False)
class DigitsSession:
    """One browser session of the digits lab: its run, the teacher's choices, whether it trains,
    and when its lesson's goal was reached."""
    run: DigitsRun
    teacher: Teacher = field(default_factory=Teacher)
    playing: bool = False
    goal: int | None = None


def widget_values(s: DigitsSettings) -> dict:
    """Each widget's value for settings ``s`` (by widget key: the settings' own names)."""
    values = {name: getattr(s, name) for name in FIELDS if name != "hidden"}
    values["classes"] = list(s.classes)  # the pills' value is a list
    values["hidden"] = len(s.hidden)
    values.update({f"hidden_{i}": s.hidden[i] if i < len(s.hidden) else 128 for i in range(MAX_LAYERS)})
    return values


def _session() -> DigitsSession:
    """Made from the link on the first visit, and again when a link brings new parameters."""
    if "digits" not in st.session_state or url_changed("digits"):
        s, teacher = read_link("digits", CONTROLS, DigitsSettings, lessons.lesson_ids("digits"),
                               lessons.other_lessons("digits"))
        with st.spinner("Loading the digits…"):
            st.session_state.digits = DigitsSession(DigitsRun(s), teacher)
        seed(widget_values(s), force=True)
    return st.session_state.digits


def _adopt(run: DigitsRun) -> None:
    session: DigitsSession = st.session_state.digits
    session.run, session.playing, session.goal = run, False, None
    seed(widget_values(run.settings), force=True)


def controls_ui(teacher: Teacher) -> tuple[dict, st.delta_generator.DeltaGenerator]:
    """The settings the widgets ask for: the main ones on the page (digits, network, activation,
    learning rate, epochs), the rest in the sidebar; ranges from the settings' own table. Also
    the place under the layer inputs where the page writes the network's size once applied."""
    locks = teacher.locks

    def stepped(where, label, name, fmt=lambda v: f"{v:g}", **kw):
        return where.select_slider(label, list(FIELDS[name].options), key=name, format_func=fmt,
                                   disabled=locks(name), **kw)

    def slider(where, label, name, **kw):
        f = FIELDS[name]
        return where.slider(label, f.lo, f.hi, step=f.step, key=name, disabled=locks(name), **kw)

    n = st.session_state.get("hidden", 0)
    cols = st.columns([2.4, 1.3, 1.5, 1.6, 1.3] + [0.9] * n, vertical_alignment="bottom")
    v = dict(source=cols[0].selectbox("Digits", list(SOURCES), format_func=lambda k: SOURCES[k].label, key="source",
                                      disabled=locks("source")),
             activation=cols[1].selectbox("Activation", list(ACTIVATIONS), format_func=lambda a: ACTIVATIONS[a].label,
                                          key="activation", disabled=locks("activation"),
                                          help="What each hidden neuron does to its weighted sum"),
             learning_rate=stepped(cols[2], "Learning rate", "learning_rate",
                                   help="How big a step each weight takes against its gradient"),
             epochs=slider(cols[3], "Epochs", "epochs", help="How many times training goes through every "
                                                             "training digit"))
    n = cols[4].number_input("Hidden layers", 0, MAX_LAYERS, key="hidden", disabled=locks("hidden"))
    v["hidden"] = tuple(int(cols[5 + i].number_input(f"Layer {i + 1}", 1, MAX_NEURONS, key=f"hidden_{i}",
                                                     disabled=locks("hidden"))) for i in range(min(n, len(cols) - 5)))
    v.update(data_filters_ui(teacher))
    with st.sidebar:
        st.subheader("More settings")
        size = st.empty()
        v["val_ratio"] = slider(st, "Held out for validation (%)", "val_ratio")
        v["optimiser"] = st.selectbox("Optimiser", list(OPTIMISERS), format_func=lambda o: OPTIMISERS[o].label,
                                      key="optimiser", disabled=locks("optimiser"))
        v["batch_size"] = stepped(st, "Batch size", "batch_size", str)
        v["weight_decay"] = stepped(st, "Weight decay (L2)", "weight_decay")
        v["dropout"] = slider(st, "Dropout", "dropout")
        v["augment"] = st.selectbox("Augmentation (28×28 digits)", list(AUGMENTATIONS), format_func=AUGMENTATIONS.get,
                                    key="augment", disabled=locks("augment"))
        f = FIELDS["seed"]
        v["seed"] = st.number_input("Seed", f.lo, f.hi, key="seed", disabled=locks("seed"),
                                    help="Fixes the starting weights, the shuffling and which digits are held out")
    return v, size


def data_filters_ui(teacher: Teacher) -> dict:
    """The digits to learn, and a training set short of one digit: {classes, bias_digit, bias_keep}."""
    locks = teacher.locks
    pick, digit, keep, said = st.columns([3.2, 1.2, 2.2, 3.4], vertical_alignment="bottom")
    chosen = pick.pills("Digits to learn", list(range(10)), selection_mode="multi", key="classes",
                        disabled=locks("classes"), help="Only these digits are trained on, held out and tested; "
                                                         "the output layer has one neuron for each")
    classes = tuple(sorted(chosen or ()))
    if len(classes) < 2:
        said.warning("Choose at least two digits: with one there is nothing to tell apart.", icon=":material/block:")
        classes = tuple(st.session_state.digits.run.settings.classes)
    b = digit.selectbox("Fewer examples of", list(range(10)), key="bias_digit", disabled=locks("bias_digit"),
                        help="A biased training set: keep only some of this digit's training examples "
                             "(validation keeps them all, so the harm shows)")
    f = FIELDS["bias_keep"]
    k = keep.slider(f"Keep only this % of the {b}s", f.lo, f.hi, step=1, key="bias_keep",
                    disabled=locks("bias_keep"), format="%d %%")
    if len(chosen or ()) >= 2 and k < 100 and b not in classes:
        said.caption(f"{b} is not among the digits to learn: this keeps every training example.")
    return dict(classes=classes, bias_digit=b, bias_keep=k)


def _set_playing(playing: bool):
    st.session_state.digits.playing = playing


def _reset():
    session: DigitsSession = st.session_state.digits
    session.playing = False
    session.run.reset()


def toolbar(session: DigitsSession) -> None:
    run = session.run
    a, b, c = st.columns([1.5, 1.2, 5.5], vertical_alignment="center")
    playing = session.playing
    a.button("Pause" if playing else ("Train" if run.epoch == 0 else "Continue"), key="play", type="primary",
             on_click=_set_playing, args=(not playing,), disabled=(run.done and not playing) or session.teacher.locks("play"),
             use_container_width=True, icon=":material/pause:" if playing else ":material/play_arrow:")
    b.button("Reset", key="reset", on_click=_reset, use_container_width=True, disabled=session.teacher.locks("reset"),
             icon=":material/replay:", help="The same starting weights again; training starts from epoch 0")
    return c


def progress(run: DigitsRun) -> None:
    """The progress line: redrawn with every epoch (inside the live fragment)."""
    short = run.bias_counts()
    only = f" (only {short[1]:,} of the {short[2]:,} {short[0]}s)" if short else ""
    st.progress(run.epoch / run.settings.epochs,
                text=f"Epoch {run.epoch} of {run.settings.epochs} · {len(run.digits.y_train):,} training digits"
                     f"{only}, "
                     f"{len(run.digits.y_val):,} held out for validation · {param_count(run.config.spec):,} weights "
                     "and biases")


def inside(run: DigitsRun) -> None:
    """One validation digit through the network: input, every hidden layer, the answer."""
    n_val = len(run.digits.y_val)
    index = st.session_state.get("digit", 0) % n_val
    acts = run.activations(index)
    side = run.digits.side
    cols = st.columns([1] + [1] * (len(acts) - 1) + [1.6])
    cols[0].plotly_chart(dc.digit_figure(run.digits.x_val[index].reshape(side, side), f"digit #{index}"),
                         key="dg_input", config={"displayModeBar": False})
    for i, a in enumerate(acts[:-1]):
        cols[1 + i].plotly_chart(dc.activation_figure(a, f"layer {i + 1} ({len(a)})"), key=f"dg_act{i}",
                                 config={"displayModeBar": False})
    with cols[-1]:
        true = int(run.digits.y_val[index])  # an output's index; run.classes[true] is the digit
        labels = [str(c) for c in run.classes]
        st.markdown(f"**The network's answer** · true digit **{labels[true]}**")
        st.plotly_chart(dc.probabilities_figure(acts[-1], true, labels), key="dg_probs",
                        config={"displayModeBar": False})


def _new_digit():
    st.session_state.pop("first_neuron", None)  # the next run starts at this digit's strongest neuron


def choose_digit_and_neuron(run: DigitsRun) -> None:
    """The validation digit to look inside and, with a hidden layer, the first-layer neuron whose
    weighted sum to show (at first the one with the highest output for this digit)."""
    n_val = len(run.digits.y_val)
    if not 0 <= st.session_state.get("digit", 0) < n_val:  # fewer validation digits than before
        st.session_state.digit = 0
    digit, neuron, _ = st.columns([1, 1, 1.2])
    index = digit.number_input(f"Validation digit to look inside (0 to {n_val - 1})", 0, n_val - 1, key="digit",
                               on_change=_new_digit)
    if not run.settings.hidden:
        return
    width = run.settings.hidden[0]
    if not 1 <= st.session_state.get("first_neuron", 0) <= width:
        st.session_state.first_neuron = int(np.argmax(run.first_layer_sums(index % n_val).a)) + 1
    neuron.number_input(f"First-layer neuron to look at (1 to {width})", 1, width, key="first_neuron",
                        help="At first, and whenever you choose another digit: the neuron with the highest "
                             "output for that digit")


def weighted_sum(run: DigitsRun, explain: bool) -> None:
    """One first-layer neuron adding up the chosen digit: weights × pixels, the sum, z and a."""
    if not run.settings.hidden:
        st.markdown("**How a first-layer neuron adds up the digit**")
        st.info("This network has no hidden layer: each output neuron adds up the pixels itself. Add a hidden "
                "layer to look inside one of its neurons.", icon=":material/info:")
        return
    index = st.session_state.get("digit", 0) % len(run.digits.y_val)
    sums = run.first_layer_sums(index)
    j = min(max(st.session_state.get("first_neuron", 1), 1), len(sums.a)) - 1
    top = ": the highest output in layer 1 for this digit" if j == int(np.argmax(sums.a)) else ""
    st.markdown(f"**How neuron {j + 1} of layer 1 adds up digit #{index}**{top}")
    st.html(dc.weighted_sum_html(dc.neuron_parts(sums, j, run.digits.side), run.settings.activation, j + 1, index))
    if explain:
        st.caption("Each pixel's brightness (0 for black, 1 for white) times its weight: in the third picture, blue "
                   "pixels push this neuron up, orange ones push it down, and black pixels add nothing. Added up, "
                   "with the bias, they make z. " + dc.ACTIVATION_WORDS[run.settings.activation]
                   + " The result a is what this neuron passes on to the next layer.")


def goal(session: DigitsSession) -> None:
    """The lesson's goal, checked after every epoch; once reached it stays ticked."""
    lesson, run = lessons.find(session.teacher.lesson), session.run
    if lesson is None:
        return
    now = {"digit_acc": run.digit_accuracy()} if lesson.goal.metric == "digit_acc" else {}
    if session.goal is None and lessons.goal_met(lesson.goal, run.settings.to_query(full=True), run.history, now=now):
        session.goal = run.epoch
    metric = lesson.goal.metric
    current = now[metric] if metric in now else run.history.last(metric)
    st.html(lessons.goal_html(lesson, session.goal, current)
            .replace('class="nn-goal"', 'class="nn-goal" style="font-size:15px;background:#eef6fc;border-left:'
                     '4px solid #0877bd;padding:6px 10px;border-radius:4px"'))


@guarded
def live(progress_slot) -> None:
    session: DigitsSession = st.session_state.digits
    run = session.run
    if session.playing:
        run.train(1)
        if run.done:
            session.playing = False
            st.rerun(scope="app")
    with progress_slot:
        progress(run)
    h = run.history
    goal(session)
    a, b, c = st.columns(3)
    a.metric("Epoch", run.epoch)
    b.metric("Validation accuracy", f"{h.last('test_acc'):.1%}", help=explain("validation data"))
    c.metric("Validation loss", f"{h.last('test_loss'):.3f}", help=explain("loss"))
    st.plotly_chart(dc.metrics_figure(h.series("train_loss"), h.series("test_loss"), h.series("train_acc"),
                                      h.series("test_acc")), key="dg_metrics", config={"displayModeBar": False})
    inside(run)
    weighted_sum(run, session.teacher.explain)
    if run.settings.hidden:
        st.markdown("**What each first-layer neuron looks for**" + (
            " (its weights as an image: blue pixels excite it, orange ones inhibit it)"
            if session.teacher.explain else ""))
        st.plotly_chart(dc.weights_figure(run.first_layer_weights(32)), key="dg_weights",
                        config={"displayModeBar": False})


def results(run: DigitsRun) -> None:
    test = run.test_accuracy()
    if test is not None:
        st.metric("Accuracy on the official test set (never trained on)", f"{test:.2%}", help=explain("test data"))
    cm, labels, bias = run.confusion(), [str(c) for c in run.classes], run.settings.bias
    scores = dc.class_scores(cm, run.classes)
    left, right = st.columns([1, 1])
    with left:
        st.markdown("**Confusion matrix** (validation digits)")
        st.plotly_chart(dc.confusion_figure(cm, labels), key="dg_confusion", config={"displayModeBar": False})
    with right:
        st.markdown("**Right answers for each digit** (→ the answer most often given instead)")
        st.plotly_chart(dc.class_accuracy_figure(scores, bias[0] if bias else None), key="dg_class_acc",
                        config={"displayModeBar": False})
    if bias:
        st.markdown(dc.bias_sentence(scores, *run.bias_counts()))
    st.markdown("**The most confident mistakes** (validation digits)")
    mistakes = run.worst_mistakes(12)
    if not mistakes:
        st.info("No mistakes on the validation digits.")
    cols = st.columns(12)
    side = run.digits.side
    for k, (i, true, pred, conf) in enumerate(mistakes):
        img = run.digits.x_val[i].reshape(side, side)
        cols[k].image(png_uri(img, 0.0, 1.0, lut=GREY), caption=f"{true} → {pred} ({conf:.0%})",
                      use_container_width=True)


@guarded
def main() -> None:
    entered = enter("digits")
    session = _session()
    run, teacher = session.run, session.teacher
    seed(widget_values(run.settings), force=entered)
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    title.markdown("#### Digits lab · train on real handwritten digits and watch the hidden layers learn")
    with link:
        copy_link(key="digits_copy")
    lesson_panel(teacher.lesson)
    show_notice("digits")
    values, size = controls_ui(teacher)
    with st.sidebar:
        st.subheader("Model file")
        model_file_ui(run, prefix="digits", adopt=_adopt)
    try:
        with st.spinner("Preparing the digits (a first use of full MNIST downloads it once)…"):
            message = run.apply(run.settings.changed(**values))
        if message:
            session.playing = False
            st.toast(message, icon=":material/restart_alt:")
    except SettingsError as e:
        st.error(f"Not applied: {e}. The last good settings stay in force.", icon=":material/block:")
    size.caption(size_formula(run.config.spec.sizes)
                 + (" (each layer: inputs × neurons weights, plus one bias per neuron)" if teacher.explain else ""))
    if run.notice:
        st.warning(run.notice, icon=":material/wifi_off:")
    progress_slot = toolbar(session).empty()
    if run.divergence:
        st.error("Training diverged: the loss became NaN or blew up. Lower the learning rate, then press Continue "
                 "to go on from the last good weights, or Reset to start again.", icon=":material/warning:")
    choose_digit_and_neuron(run)
    st.fragment(live, run_every=TICK_SECONDS if session.playing else None)(progress_slot)
    if run.epoch > 0 and not session.playing:
        st.divider()
        results(run)
    sync_url("digits", run.settings.to_query() | teacher.to_query())


main()
