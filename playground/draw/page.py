"""Draw a digit: a canvas, the drawing prepared as MNIST digits were, classified live, and shown
through the network's eyes."""
from __future__ import annotations

import threading

import jax
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from engine.calibrate import softmax_t
from engine.default_model import CALIBRATION, fine_tune, held_out_temperature, load_or_train_default
from engine.learn import neuron_sums
from engine.mnistify import mnistify
from engine.modelio import ModelFileError, load_model
from playground.draw.charts import DRAW_CSS, draw_view_html
from playground.classroom.student import send_to_board
from playground.draw.modelfile import drawing_reader
from playground.draw.settings import CONTROLS, DrawSettings
from playground.shared.guard import guarded
from playground.shared.htmlview import canvas_flush, make_view
from playground.shared.links import copy_link, plain, read_link, show_notice, sync_url, url_changed
from playground.shared.pagestate import enter, seed

CANVAS = 280
draw_view = make_view("nn_playground_draw", DRAW_CSS)


@st.cache_resource(show_spinner=False)
def _shared() -> dict:
    """One box per server process, shared by every session: the default model and its lock."""
    return {"lock": threading.Lock()}


def default_model():
    """(params, spec, temperature): loaded from the file the app saved the first time it trained
    it, else trained now, once per server process, with a progress bar (the sessions that arrive
    meanwhile wait for it)."""
    box = _shared()
    if "model" not in box:
        note = st.empty()
        with box["lock"]:
            if "model" not in box:
                bar = note.progress(0.0, text=TRAINING)
                m = load_or_train_default(progress=lambda f: bar.progress(f, text=f"{TRAINING} {f:.0%}"))
                box["model"] = (m.params, m.spec, m.temperature)
        note.empty()
    return box["model"]


TRAINING = ("Training the default digits model on 5,000 handwritten digits. This happens once: the "
            "app saves it and loads it in a moment next time.")


def _clear():
    st.session_state.draw_canvas = st.session_state.get("draw_canvas", 0) + 1


def model_choice():
    """The model to read with: the default one, a fine-tuned copy, or the digits lab's, as
    (params, spec, temperature, which); the temperature is None for a model never calibrated.
    The digits its outputs stand for are left in ``st.session_state.draw_classes`` (``model_classes``)."""
    st.session_state.draw_classes = None  # all ten: the default and fine-tuned models know every digit
    st.session_state.draw_builtin = False  # whether the built-in (default or fine-tuned) model reads
    params, spec, temperature = st.session_state.get("draw_model") or default_model()
    session = st.session_state.get("digits")  # the digits lab's DigitsSession, once it was opened
    lab = session.run if session is not None else None
    if lab is not None and lab.digits.side == 28 and lab.epoch > 0:
        accuracy = lab.history.last("test_acc")  # the engine's "test" slot holds the validation digits
        epochs = f"{lab.epoch} epoch{'s' if lab.epoch != 1 else ''}"
        if st.toggle(f"Use my digits-lab model ({epochs}, {accuracy:.0%} validation accuracy)",
                     key="draw_use_lab"):
            st.session_state.draw_classes = tuple(lab.classes) if len(lab.classes) < 10 else None
            return lab.state.params, lab.config.spec, None, "your digits-lab model"
    if "draw_file" in st.session_state:  # a model file read with (file_model_ui)
        m, name = st.session_state.draw_file
        st.session_state.draw_classes = m.classes if len(m.classes) < 10 else None
        return m.params, m.spec, m.temperature, f"the model file “{plain(name)}”"  # a name typed by someone: shown as typed
    st.session_state.draw_builtin = True
    return params, spec, temperature, "the fine-tuned model" if "draw_model" in st.session_state else "the default model"


def model_classes() -> tuple[int, ...] | None:
    """The digits the model ``model_choice`` chose stands for, one per output (None: 0 to 9)."""
    return st.session_state.get("draw_classes")


def _load_file() -> None:
    """Upload callback: a good digits model file is read with from now on; a bad one changes nothing."""
    upload = st.session_state.get("draw_upload")
    if upload is None:
        return
    try:
        st.session_state.draw_file = (drawing_reader(load_model(upload.getvalue())), upload.name)
    except ModelFileError as e:
        st.session_state.draw_file_msg = f"{e} The page keeps reading with its current model."


def file_model_ui() -> None:
    """Read with a model file (for the sidebar): one saved from the digits lab, or any digits model."""
    st.subheader("Read with a model file")
    st.file_uploader("A digits model (.npz), e.g. downloaded from the digits lab", type=["npz"], key="draw_upload",
                     on_change=_load_file)
    if msg := st.session_state.pop("draw_file_msg", None):
        st.error(plain(msg))  # it may repeat what the file says: plain text, never Markdown
    if "draw_file" in st.session_state:
        m, name = st.session_state.draw_file
        lab_on = st.session_state.get("draw_use_lab") and "digits" in st.session_state
        st.caption(plain(f"{'Loaded' if lab_on else 'Reading with'} “{name}”: it knows the digits "
                         f"{', '.join(map(str, m.classes))}." + (" The digits-lab model reads while its switch is "
                                                                  "on." if lab_on else "")))
        if st.button("Back to the built-in model", key="draw_file_off"):
            del st.session_state.draw_file
            st.rerun()


def _add(label: int | None) -> None:
    img = st.session_state.get("draw_img")
    if img is None:
        st.session_state.draw_msg = "Draw a digit first, then add it."
    elif label is None:
        st.session_state.draw_msg = "Choose which digit you drew first (This is a …), then add it."
    else:
        st.session_state.setdefault("draw_examples", []).append((img.reshape(-1), int(label)))
        st.session_state.draw_label = None  # the next drawing is labelled afresh, never by accident


def teach() -> None:
    """Outside the fragment that reads the canvas: a stroke reruns only that fragment, and this
    part takes the drawing it left in the session (``draw_img``) when a button is pressed."""
    with st.expander("Teach it: label your drawing and fine-tune", expanded=False):
        drawings = st.session_state.setdefault("draw_examples", [])
        a, b = st.columns([1, 2], vertical_alignment="bottom")
        label = a.selectbox("This is a", list(range(10)), key="draw_label", index=None, placeholder="choose…",
                            help="The digit you meant: the network learns it from your drawing")
        b.button("Add to the training set", key="draw_add", on_click=_add, args=(label,))
        if msg := st.session_state.pop("draw_msg", None):
            st.warning(msg, icon=":material/draw:")
        st.caption(f"{len(drawings)} drawing(s) of yours: " + ", ".join(str(y) for _, y in drawings))
        builtin = st.session_state.get("draw_builtin", True)
        if not builtin:  # "Teach it" tunes the built-in model: say so rather than tune one that is not reading
            st.caption("Fine-tuning teaches the built-in model; the page is reading with another one now "
                       "(switch it off to fine-tune and see the result).")
        if st.button("Fine-tune for 5 epochs", key="draw_tune", disabled=not drawings or not builtin,
                     type="primary"):
            params, spec, _ = st.session_state.get("draw_model") or default_model()
            with st.spinner("Fine-tuning on the embedded digits plus yours…"):
                x, y = zip(*drawings)
                tuned = fine_tune(params, spec, np.stack(x), np.array(y))
                # Refitted, not kept: fine-tuning changes how sure the network is, and the
                # calibration digits are still held out of training, so this costs a few ms.
                st.session_state.draw_model = (tuned, spec, held_out_temperature(tuned, spec))
            st.rerun()
        if "draw_model" in st.session_state and st.button("Back to the default model", key="draw_untune"):
            del st.session_state.draw_model
            st.rerun()


def through_the_network(img: np.ndarray, params, spec, temperature: float | None, classes=None) -> None:
    """One jitted call for every layer (the hidden outputs and the logits); the probabilities
    shown are softmax(logits / temperature), T = 1 for a model never calibrated; one bar per
    output, each named by the digit it stands for (``classes``; None: 0 to 9)."""
    sums = neuron_sums(params, spec, np.asarray(img, np.float32).reshape(-1))
    acts = [np.asarray(s.a) for s in sums[:-1]] + [softmax_t(np.asarray(sums[-1].z), temperature or 1.0)]
    top = None
    if len(acts) > 1:
        w = np.asarray(jax.device_get(params[0][0]))  # (784, width)
        top = w[:, np.argsort(-acts[0])[:8]].T.reshape(-1, 28, 28)
    draw_view(draw_view_html(img, acts, top, spec.activation, calibrated=temperature is not None, classes=classes),
              key="draw_view")


def calibration_words(temperature: float | None) -> str:
    if temperature is None:
        return ("Its probabilities are its own softmax, not calibrated: how sure it says it is may not match how "
                "often it is right.")
    held = 10 * CALIBRATION["per_digit"]
    return (f"How sure it says it is was checked on {held} MNIST digits it never trained on (its scores are "
            f"divided by {temperature:.2f} to fit them): on digits like those, when it says about 80 % sure, it is "
            "right about 80 % of the time.")


LAYOUT = [1, 1.6]  # canvas column, reading column


@st.fragment
@guarded
def reader(params, spec, temperature: float | None, width: int, classes=None) -> None:
    """The canvas and its reading, and nothing else: a stroke reruns only this, so it sends the
    browser as few elements as possible."""
    left, right = st.columns(LAYOUT, gap="large")
    with left:
        result = st_canvas(stroke_width=width, stroke_color="#ffffff", background_color="#000000", height=CANVAS,
                           width=CANVAS, drawing_mode="freedraw", return_image_data=True,
                           key=f"draw_canvas_{st.session_state.get('draw_canvas', 0)}")
        canvas_flush(key="draw_flush")
    try:
        image = result.image_data
    except Exception:  # nothing drawn yet: the canvas has sent no image
        image = None
    img = st.session_state.draw_img = mnistify(image) if image is not None else None
    with right:
        if img is None:
            which = "0 to 9" if classes is None else f"{', '.join(map(str, classes[:-1]))} or {classes[-1]}"
            st.info(f"Draw a digit, {which}, in the black square: big, in one or two strokes. "
                    "The network's answer appears here as you draw.", icon=":material/draw:")
        else:
            through_the_network(img, params, spec, temperature, classes)


def _settings() -> DrawSettings:
    """The page's settings: from the link on the first visit, or when a link brings new
    parameters; the pen widget's key is filled from them whenever the page is entered."""
    entered = enter("draw")
    if "draw_settings" not in st.session_state or url_changed("draw"):
        st.session_state.draw_settings, st.session_state.draw_teacher = read_link("draw", CONTROLS, DrawSettings)
        entered = True
    seed({"pen": st.session_state.draw_settings.pen}, force=entered)
    return st.session_state.draw_settings


@guarded
def main() -> None:
    _settings()
    title, link = st.columns([8, 1.2], vertical_alignment="center")
    title.markdown("#### Draw a digit · the network reads it as you draw")
    with link:
        copy_link(key="draw_copy")
    show_notice("draw")
    # The canvas's own toolbar floats above its top edge: room for it, clear of the pen and Clear.
    st.html("<style>[class*=st-key-draw_canvas_]{margin-top:2.6rem}</style>")
    teacher = st.session_state.draw_teacher
    with st.sidebar:
        file_model_ui()
    params, spec, temperature, which = model_choice()
    if teacher.explain:
        st.caption(f"Read by {which}. The drawing is cropped to its ink, scaled to 20 pixels and centred by its "
                   "centre of mass in 28×28, exactly as MNIST's digits were. " + calibration_words(temperature))
    pen, clear, more = st.columns([LAYOUT[0] * 0.62, LAYOUT[0] * 0.38, LAYOUT[1]], vertical_alignment="bottom",
                                  gap="large")
    f = DrawSettings.FIELDS["pen"]
    width = pen.slider("Pen width", f.lo, f.hi, key="pen", disabled=teacher.locks("pen"))
    st.session_state.draw_settings = DrawSettings(pen=width)
    clear.button("Clear", on_click=_clear, key="draw_clear", icon=":material/ink_eraser:")
    with more:
        teach()
        send_to_board()  # in a class: the drawing and the digit meant, to the teacher's board
        st.page_link("bigpicture/page.py", label="Why did it say that? The pixels that decided it",
                     icon=":material/insights:", query_params={"view": "why", "which": "drawn"})
    sync_url("draw", DrawSettings(pen=width).to_query() | teacher.to_query())
    reader(params, spec, temperature, width, model_classes())


main()
