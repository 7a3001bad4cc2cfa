"""Digits lab: train on real handwritten digits and watch the hidden layers learn."""
from __future__ import annotations

import streamlit as st

from engine.activations import ACTIVATIONS
from engine.digits_data import SOURCES
from engine.optim import OPTIMISERS
from playground import digit_charts as dc
from playground.digits_settings import (DIGIT_AUGMENTATIONS, DIGIT_CONTROLS as CONTROLS, DIGIT_KEY as K,
                                        DIGIT_LEARNING_RATES, DIGIT_SIMPLE as SIMPLE, MAX_DIGIT_LAYERS,
                                        MAX_DIGIT_NEURONS, WEIGHT_DECAYS, DigitsSettings)
from playground.digitsrun import DigitsRun
from playground.guard import guarded
from playground import lessons
from playground.links import Teacher, copy_link, hide_css, read_link, show_notice, sync_url, url_changed
from playground.modelfile_ui import model_file_ui
from playground.settings import SettingsError

TICK_SECONDS = 0.2


def seed_widgets(s: DigitsSettings, force: bool = False) -> None:
    put = st.session_state.__setitem__ if force else st.session_state.setdefault
    for name in SIMPLE:
        put(K + name, getattr(s, name))
    put(K + "layers", len(s.hidden))
    for i in range(MAX_DIGIT_LAYERS):
        put(f"{K}n{i}", s.hidden[i] if i < len(s.hidden) else 128)


def locked(control: str) -> bool:
    teacher = st.session_state.get("digits_teacher")
    return bool(teacher and teacher.locks(control))


def _run() -> DigitsRun:
    """Made from the link on the first visit, and again when a link brings new parameters."""
    if "digits_run" not in st.session_state or url_changed("digits"):
        s, teacher = read_link("digits", CONTROLS, DigitsSettings, lessons.lesson_ids())
        seed_widgets(s, force="digits_run" in st.session_state)
        with st.spinner("Loading the digits…"):
            st.session_state.digits_run = DigitsRun(s)
        st.session_state.digits_teacher = teacher
        st.session_state.digits_goal = None
        st.session_state.digits_playing = False
    return st.session_state.digits_run


def _adopt(run: DigitsRun) -> None:
    seed_widgets(run.settings, force=True)
    st.session_state.digits_playing = False
    st.session_state.digits_goal = None


def controls() -> dict:
    """The settings the widgets ask for (sidebar)."""
    with st.sidebar:
        st.subheader("Data")
        st.selectbox("Digits", list(SOURCES), format_func=lambda n: SOURCES[n].label, key=K + "source", disabled=locked("source"))
        st.slider("Held out for validation (%)", 5, 50, step=5, key=K + "val_ratio", disabled=locked("val_ratio"))
        st.subheader("Network")
        st.number_input("Hidden layers", 0, MAX_DIGIT_LAYERS, key=K + "layers", disabled=locked("hidden"))
        cols = st.columns(2)
        for i in range(st.session_state[K + "layers"]):
            cols[i % 2].number_input(f"Layer {i + 1} neurons", 1, MAX_DIGIT_NEURONS, key=f"{K}n{i}",
                                     disabled=locked("hidden"))
        st.selectbox("Activation", list(ACTIVATIONS), format_func=lambda a: ACTIVATIONS[a].label, key=K + "activation",
                     disabled=locked("activation"))
        st.subheader("Training")
        st.selectbox("Optimiser", list(OPTIMISERS), format_func=lambda o: OPTIMISERS[o].label, key=K + "optimiser",
                     disabled=locked("optimiser"))
        st.select_slider("Learning rate", DIGIT_LEARNING_RATES, key=K + "learning_rate", format_func=lambda v: f"{v:g}",
                         disabled=locked("learning_rate"))
        st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], key=K + "batch_size", disabled=locked("batch_size"))
        st.slider("Epochs", 1, 100, key=K + "epochs", disabled=locked("epochs"))
        st.select_slider("Weight decay (L2)", WEIGHT_DECAYS, key=K + "weight_decay", format_func=lambda v: f"{v:g}",
                         disabled=locked("weight_decay"))
        st.slider("Dropout", 0.0, 0.6, step=0.05, key=K + "dropout", disabled=locked("dropout"))
        st.selectbox("Augmentation (28×28 digits)", list(DIGIT_AUGMENTATIONS), format_func=DIGIT_AUGMENTATIONS.get,
                     key=K + "augment", disabled=locked("augment"))
        st.number_input("Seed", 0, 2**31 - 1, key=K + "seed", disabled=locked("seed"))
    values = {name: st.session_state[K + name] for name in SIMPLE}
    values["hidden"] = tuple(int(st.session_state[f"{K}n{i}"]) for i in range(st.session_state[K + "layers"]))
    return values


def _set_playing(playing: bool):
    st.session_state.digits_playing = playing


def _reset():
    st.session_state.digits_playing = False
    st.session_state.digits_run.reset()


def toolbar(run: DigitsRun) -> None:
    a, b, c = st.columns([1.5, 1.2, 5.5], vertical_alignment="center")
    playing = st.session_state.digits_playing
    a.button("Pause" if playing else ("Train" if run.epoch == 0 else "Continue"), key="dg_play", type="primary",
             on_click=_set_playing, args=(not playing,), disabled=(run.done and not playing) or locked("play"), use_container_width=True,
             icon=":material/pause:" if playing else ":material/play_arrow:")
    b.button("Reset", key="dg_reset", on_click=_reset, use_container_width=True, disabled=locked("reset"), icon=":material/replay:")
    c.progress(run.epoch / run.settings.epochs,
               text=f"Epoch {run.epoch} of {run.settings.epochs} · {len(run.digits.y_train):,} training digits, "
                    f"{len(run.digits.y_test):,} held out for validation")


def inside(run: DigitsRun) -> None:
    """One validation digit through the network: input, every hidden layer, the answer."""
    n_val = len(run.digits.y_test)
    index = st.session_state.get(K + "digit", 0) % n_val
    acts = run.activations(index)
    side = run.digits.side
    cols = st.columns([1] + [1] * (len(acts) - 1) + [1.6])
    cols[0].plotly_chart(dc.digit_figure(run.digits.x_test[index].reshape(side, side), f"digit #{index}"),
                         key="dg_input", config={"displayModeBar": False})
    for i, a in enumerate(acts[:-1]):
        cols[1 + i].plotly_chart(dc.activation_figure(a, f"layer {i + 1} ({len(a)})"), key=f"dg_act{i}",
                                 config={"displayModeBar": False})
    with cols[-1]:
        true = int(run.digits.y_test[index])
        st.markdown(f"**The network's answer** · true digit **{true}**")
        st.plotly_chart(dc.probabilities_figure(acts[-1], true), key="dg_probs", config={"displayModeBar": False})


def goal(run: DigitsRun) -> None:
    """The lesson's goal, checked after every epoch; once reached it stays ticked."""
    lesson = lessons.find(st.session_state.digits_teacher.lesson)
    if lesson is None:
        return
    if st.session_state.digits_goal is None and lessons.goal_met(lesson.goal, run.settings.to_query(full=True),
                                                                 run.history):
        st.session_state.digits_goal = run.epoch
    st.html(lessons.goal_html(lesson, st.session_state.digits_goal, run.history.last(lesson.goal.metric))
            .replace('class="nn-goal"', 'class="nn-goal" style="font-size:15px;background:#eef6fc;border-left:'
                     '4px solid #0877bd;padding:6px 10px;border-radius:4px"'))


@guarded
def live(run: DigitsRun) -> None:
    if st.session_state.digits_playing:
        run.train(1)
        if run.done:
            st.session_state.digits_playing = False
            st.rerun(scope="app")
    h = run.history
    goal(run)
    a, b, c = st.columns(3)
    a.metric("Epoch", run.epoch)
    b.metric("Validation accuracy", f"{h.last('test_acc'):.1%}")
    c.metric("Validation loss", f"{h.last('test_loss'):.3f}")
    st.plotly_chart(dc.metrics_figure(h.series("train_loss"), h.series("test_loss"), h.series("train_acc"),
                                      h.series("test_acc")), key="dg_metrics", config={"displayModeBar": False})
    inside(run)
    if run.settings.hidden:
        st.markdown("**What each first-layer neuron looks for**" + (
            " (its weights as an image: blue pixels excite it, orange ones inhibit it)"
            if st.session_state.digits_teacher.explain else ""))
        st.plotly_chart(dc.weights_figure(run.first_layer_weights(32)), key="dg_weights",
                        config={"displayModeBar": False})


def results(run: DigitsRun) -> None:
    test = run.test_accuracy()
    if test is not None:
        st.metric("Accuracy on the official test set (never trained on)", f"{test:.2%}")
    left, right = st.columns([1, 1.3])
    with left:
        st.markdown("**Confusion matrix** (validation digits)")
        st.plotly_chart(dc.confusion_figure(run.confusion()), key="dg_confusion", config={"displayModeBar": False})
    with right:
        st.markdown("**The most confident mistakes**")
        mistakes = run.worst_mistakes(12)
        if not mistakes:
            st.info("No mistakes on the validation digits.")
        cols = st.columns(6)
        side = run.digits.side
        for k, (i, true, pred, conf) in enumerate(mistakes):
            img = run.digits.x_test[i].reshape(side, side)
            cols[k % 6].image(dc.png_uri(img, 0.0, 1.0, lut=dc.GREY), caption=f"{true} → {pred} ({conf:.0%})",
                              use_container_width=True)


@guarded
def main() -> None:
    run = _run()
    teacher: Teacher = st.session_state.digits_teacher
    hide_css(k for c in teacher.hidden for k in CONTROLS[c])
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    title.markdown("#### Digits lab · train on real handwritten digits and watch the hidden layers learn")
    with link:
        copy_link(key="digits_copy")
    show_notice("digits")
    values = controls()
    with st.sidebar:
        st.subheader("Model file")
        model_file_ui(run, prefix="digits", run_key="digits_run", adopt=_adopt)
    try:
        with st.spinner("Preparing the digits (a first use of full MNIST downloads it once)…"):
            message = run.apply(DigitsSettings(**values))
        if message:
            st.session_state.digits_playing = False
            st.toast(message, icon=":material/restart_alt:")
    except SettingsError as e:
        st.error(f"Not applied: {e}. The last good settings stay in force.", icon=":material/block:")
    if run.notice:
        st.warning(run.notice, icon=":material/wifi_off:")
    toolbar(run)
    if run.divergence:
        st.error("Training diverged: the loss became NaN or blew up. Lower the learning rate and press Reset.",
                 icon=":material/warning:")
    st.number_input(f"Validation digit to look inside (0 to {len(run.digits.y_test) - 1})", 0,
                    len(run.digits.y_test) - 1, key=K + "digit")
    st.fragment(live, run_every=TICK_SECONDS if st.session_state.digits_playing else None)(run)
    if run.epoch > 0 and not st.session_state.digits_playing:
        st.divider()
        results(run)
    sync_url("digits", run.settings.to_query() | teacher.to_query())


main()
