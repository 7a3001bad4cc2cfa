"""The toy lab's controls: widgets in, plain values out.

Every widget has a key; ``seed_widgets`` fills those keys from a settings object once per
session, so the widgets keep their values across reruns and a link can preset them.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import streamlit as st

from engine.activations import ACTIVATIONS
from engine.heads import HEADS, heads_for
from engine.model import INITIALISERS
from engine.optim import OPTIMISERS, SCHEDULES
from engine.toydata import DATASETS, FEATURES, make_toy_data
from playground import charts
from playground.settings import (LEARNING_RATES, MAX_TOY_LAYERS, MAX_TOY_NEURONS, PROBLEMS, REG_RATES,
                                 REGULARISATIONS, WEIGHT_DECAYS, ToySettings)

# widget key -> settings field, for the widgets that map one to one
SIMPLE = {"problem": "problem", "dataset": "dataset", "noise": "noise", "train_ratio": "train_ratio",
          "batch_size": "batch_size", "data_seed": "data_seed", "seed": "seed", "features": "features",
          "activation": "activation", "head": "head", "init": "init", "lr": "learning_rate",
          "optimiser": "optimiser", "momentum": "momentum", "weight_decay": "weight_decay",
          "schedule": "schedule", "schedule_period": "schedule_period", "schedule_rate": "schedule_rate",
          "regularisation": "regularisation", "reg_rate": "reg_rate", "speed": "speed",
          "show_test": "show_test", "discretise": "discretise"}


# the teacher's control names (as in links: ``hide=lr`` is ``hide=learning_rate``) -> widget keys
CONTROLS: dict[str, tuple[str, ...]] = {
    **{name: (key,) for key, name in SIMPLE.items()},
    "hidden": ("n_layers", *(f"neurons_{i}" for i in range(MAX_TOY_LAYERS))),
    "play": ("play",), "step": ("step",), "reset": ("reset",), "regenerate": ("regenerate",),
}


def seed_widgets(s: ToySettings, force: bool = False) -> None:
    """Give every widget its starting value from ``s``: once per session, or (``force``) when
    a link or a model file brings new settings."""
    put = st.session_state.__setitem__ if force else st.session_state.setdefault
    for key, name in SIMPLE.items():
        value = getattr(s, name)
        put(key, list(value) if isinstance(value, tuple) else value)
    put("n_layers", len(s.hidden))
    for i in range(MAX_TOY_LAYERS):
        put(f"neurons_{i}", s.hidden[i] if i < len(s.hidden) else 4)


def locked(control: str) -> bool:
    """Whether the teacher's link locks this control."""
    teacher = st.session_state.get("toy_teacher")
    return bool(teacher and teacher.locks(control))


@lru_cache(maxsize=None)
def thumbnail(name: str) -> str:
    """A small picture of a data set: its points on a white square."""
    d = make_toy_data(name, 0.0, 0.9, 0)
    g = 48
    img = np.zeros((g, g), np.float32)
    ij = np.clip(((d.points_train + 6) / 12 * (g - 1)).round().astype(int), 0, g - 1)
    img[g - 1 - ij[:, 1], ij[:, 0]] = np.clip(d.y_train, -1, 1)
    return charts.png_uri(img)


def _regenerate():
    st.session_state.data_seed = st.session_state.data_seed + 1


def _problem_changed():
    p = st.session_state.problem
    if DATASETS[st.session_state.dataset].problem != p:
        st.session_state.dataset = next(n for n, d in DATASETS.items() if d.problem == p)
    if HEADS[st.session_state.head].problem != p:
        st.session_state.head = heads_for(p)[0]


def data_ui() -> None:
    st.radio("Problem type", list(PROBLEMS), format_func=PROBLEMS.get, key="problem", horizontal=True, disabled=locked("problem"),
             on_change=_problem_changed, label_visibility="collapsed")
    names = [n for n, d in DATASETS.items() if d.problem == st.session_state.problem]
    cells = "".join(
        f'<figure class="ds{" on" if n == st.session_state.dataset else ""}"><img src="{thumbnail(n)}"/>'
        f'<figcaption>{DATASETS[n].label}</figcaption></figure>' for n in names)
    st.markdown(f"<style>{_THUMB_CSS}</style><div class='ds-strip'>{cells}</div>", unsafe_allow_html=True)
    st.selectbox("Data set", names, format_func=lambda n: DATASETS[n].label, key="dataset", disabled=locked("dataset"))
    st.slider("Noise (%)", 0, 50, step=5, key="noise", disabled=locked("noise"))
    st.slider("Training data (%)", 10, 90, step=10, key="train_ratio", disabled=locked("train_ratio"))
    st.slider("Batch size", 1, 100, key="batch_size", disabled=locked("batch_size"))
    st.button("Regenerate", icon=":material/refresh:", on_click=_regenerate, help="New data from the next data seed, same network",
              use_container_width=True, key="regenerate", disabled=locked("regenerate") or locked("data_seed"))
    st.toggle("Show test data", key="show_test", disabled=locked("show_test"))
    st.toggle("Discretise output", key="discretise", disabled=locked("discretise"))


_THUMB_CSS = (".ds-strip{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:.3rem}.ds-strip .ds{margin:0;"
              "width:56px;text-align:center}.ds-strip img{width:52px;height:52px;border:2px solid #ddd;"
              "border-radius:4px}.ds-strip .on img{border-color:#0877bd;box-shadow:0 0 0 1px #0877bd}"
              ".ds-strip figcaption{font-size:11px;color:#555;line-height:1.1}")


def network_ui() -> tuple[int, ...]:
    """Features and hidden layers; returns the hidden sizes."""
    st.pills("Input features", list(FEATURES), format_func=lambda f: FEATURES[f].label, key="features",
             selection_mode="multi", disabled=locked("features"))
    cols = st.columns([2.2] + [1] * MAX_TOY_LAYERS, vertical_alignment="bottom")
    cols[0].number_input("Hidden layers", 0, MAX_TOY_LAYERS, key="n_layers", disabled=locked("hidden"))
    n = st.session_state.n_layers
    for i in range(n):
        cols[1 + i].number_input(f"Layer {i + 1}", 1, MAX_TOY_NEURONS, key=f"neurons_{i}", disabled=locked("hidden"))
    return tuple(int(st.session_state[f"neurons_{i}"]) for i in range(n))


def toolbar_ui() -> None:
    """The settings TF Playground keeps in its top bar."""
    a, b, c, d = st.columns(4)
    a.select_slider("Learning rate", options=list(LEARNING_RATES), key="lr", format_func=lambda v: f"{v:g}",
                    disabled=locked("learning_rate"))
    b.selectbox("Activation", list(ACTIVATIONS), format_func=lambda a: ACTIVATIONS[a].label, key="activation",
                disabled=locked("activation"))
    c.selectbox("Regularisation", list(REGULARISATIONS), format_func=REGULARISATIONS.get, key="regularisation",
                disabled=locked("regularisation"))
    d.select_slider("Regularisation rate", options=list(REG_RATES), key="reg_rate",
                    format_func=lambda v: f"{v:g}", disabled=st.session_state.regularisation == "none" or locked("reg_rate"))


def advanced_ui() -> None:
    """Sidebar: what TF Playground does not have, and the seeds."""
    st.selectbox("Output and loss", heads_for(st.session_state.problem), format_func=lambda h: HEADS[h].label,
                 key="head", disabled=locked("head"))
    st.selectbox("Optimiser", list(OPTIMISERS), format_func=lambda o: OPTIMISERS[o].label, key="optimiser",
                 disabled=locked("optimiser"))
    uses = OPTIMISERS[st.session_state.optimiser].uses
    if "momentum" in uses:
        label = "β₁ (momentum of the gradient average)" if "adam" in st.session_state.optimiser else "Momentum"
        st.slider(label, 0.0, 0.99, step=0.01, key="momentum", disabled=locked("momentum"))
    if "weight_decay" in uses:
        st.select_slider("Weight decay", options=WEIGHT_DECAYS, key="weight_decay", format_func=lambda v: f"{v:g}",
                        disabled=locked("weight_decay"))
    st.selectbox("Learning-rate schedule", list(SCHEDULES), format_func=lambda s: SCHEDULES[s].label,
                 key="schedule", disabled=locked("schedule"))
    if st.session_state.schedule != "constant":
        st.number_input("Over (epochs)" if st.session_state.schedule == "cosine" else "Every (epochs)",
                        1, 100_000, key="schedule_period", disabled=locked("schedule_period"))
    if st.session_state.schedule == "step":
        st.slider("Multiply by", 0.05, 1.0, step=0.05, key="schedule_rate", disabled=locked("schedule_rate"))
    st.selectbox("Initialiser", list(INITIALISERS), format_func=lambda i: INITIALISERS[i][0], key="init",
                 disabled=locked("init"))
    a, b = st.columns(2)
    a.number_input("Weight seed", 0, 2**31 - 1, key="seed", help="Fixes the initial weights and the shuffling",
                disabled=locked("seed"))
    b.number_input("Data seed", 0, 2**31 - 1, key="data_seed", help="Fixes the data; Regenerate adds one",
                disabled=locked("data_seed"))


def wanted_settings(hidden: tuple[int, ...]) -> dict:
    """The settings the widgets ask for, as keyword arguments for ToySettings."""
    values = {name: st.session_state[key] for key, name in SIMPLE.items()}
    values["features"] = tuple(values["features"] or ())
    values["hidden"] = hidden
    return values
