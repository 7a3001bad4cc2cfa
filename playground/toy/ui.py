"""The toy lab's controls: widgets in, plain values out.

Every widget's key is the name of the setting it changes (``playground/toy/settings.py``), and
its range comes from that setting's entry in ``FIELDS``, so that whatever a link may set, the
widget can show. Each ``*_ui()`` function returns the settings it read, as a dict.
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
from playground.glossary.terms import explain
from playground.shared.links import Teacher
from playground.shared.png import png_uri
from playground.toy.classes import CLASS_RGB, rgb_uri
from playground.toy.owndata import OWN
from playground.toy.settings import (DATA_CHOICES, FIELDS, MAX_TOY_LAYERS, MAX_TOY_NEURONS, PROBLEMS, REGULARISATIONS,
                                     ToySettings, head_for)


def widget_values(s: ToySettings) -> dict:
    """Each widget's value for settings ``s`` (by widget key)."""
    values = {name: list(v) if isinstance(v, tuple) else v for name in FIELDS if name not in ("hidden", "points")
              for v in [getattr(s, name)]}
    values["hidden"] = len(s.hidden)
    values.update({f"hidden_{i}": s.hidden[i] if i < len(s.hidden) else 4 for i in range(MAX_TOY_LAYERS)})
    return values


def _slider(label: str, name: str, teacher: Teacher, disabled=None, **kw):
    f = FIELDS[name]
    return st.slider(label, f.lo, f.hi, step=f.step, key=name,
                     disabled=teacher.locks(name) if disabled is None else disabled, **kw)


def _stepped(label: str, name: str, teacher: Teacher, where=st, **kw):
    """A select-slider over the values the setting allows."""
    return where.select_slider(label, options=list(FIELDS[name].options), key=name, format_func=lambda v: f"{v:g}",
                               disabled=teacher.locks(name), **kw)


def _choose(label: str, name: str, table: dict, label_of, teacher: Teacher, where=st, options=None, **kw):
    return where.selectbox(label, options or list(table), format_func=label_of, key=name,
                           disabled=teacher.locks(name), **kw)


# "Your data": a pencil (Material Symbols' "edit"), for the thumbnail of points you draw or upload.
PENCIL = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='-6 -6 36 36'%3E%3Cpath fill='%230877bd' "
          "d='M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 "
          "0l-1.83 1.83 3.75 3.75 1.83-1.83z'/%3E%3C/svg%3E")


@lru_cache(maxsize=None)
def thumbnail(name: str) -> str:
    """A small picture of a data set: its points on a white square (3 classes for a multi-class set)."""
    if name == OWN:
        return PENCIL
    d = make_toy_data(name, 0.0, 0.9, 0, 3)
    g = 48
    ij = np.clip(((d.points_train + 6) / 12 * (g - 1)).round().astype(int), 0, g - 1)
    if d.y_train.dtype.kind == "i":
        rgb = np.full((g, g, 3), 255, np.uint8)
        rgb[g - 1 - ij[:, 1], ij[:, 0]] = CLASS_RGB[d.y_train].astype(np.uint8)
        return rgb_uri(rgb)
    img = np.zeros((g, g), np.float32)
    img[g - 1 - ij[:, 1], ij[:, 0]] = np.clip(d.y_train, -1, 1)
    return png_uri(img)


def _regenerate():
    st.session_state.data_seed = (st.session_state.data_seed + 1) % 2**31


def _problem_changed():
    p = st.session_state.problem
    if st.session_state.dataset == OWN or DATASETS[st.session_state.dataset].problem != p:
        st.session_state.dataset = next(n for n, d in DATASETS.items() if d.problem == p)
    st.session_state.draw_mode = False  # your points are of one problem type: they wait under "Your data"
    if st.session_state.head != head_for(p) and st.session_state.head not in _heads(p):
        st.session_state.head = head_for(p)


def _heads(problem: str) -> list[str]:
    multi = problem == "multiclass"
    return heads_for("classification" if multi else problem, multi)


_THUMB_CSS = ("[class*=st-key-ds_] button{width:60px;height:78px;min-height:0;padding:56px 0 0;border-radius:6px;"
              "background-size:52px 52px;background-repeat:no-repeat;background-position:center 3px;"
              "background-color:#fff;font-size:12px;line-height:1.1;color:#444;border:2px solid #ddd}"
              "[class*=st-key-ds_] button p{font-size:12px;line-height:1.1;white-space:normal}"
              "[class*=st-key-ds_] button[kind=primary]{border-color:#0877bd;box-shadow:0 0 0 1px #0877bd;color:#0877bd;"
              "background-color:#eef6fc}.st-key-ds_strip{gap:4px}"
              "[class*=st-key-ds_] button:hover{border-color:#7fb6dc;color:#0877bd}")


def thumbnails_ui(names: list[str], locked: bool) -> None:
    """The data sets as pictures: each a button whose face is the data set's points; a click
    chooses that data set."""
    chosen = st.session_state.dataset
    faces = "".join(f".st-key-ds_{n} button{{background-image:url(\"{thumbnail(n)}\")}}" for n in names)
    st.html(f"<style>{_THUMB_CSS}{faces}</style>")
    with st.container(horizontal=True, gap="small", key="ds_strip"):
        for n in names:
            st.button(DATA_CHOICES[n], key=f"ds_{n}", on_click=_choose_data, args=(n,), disabled=locked,
                      type="primary" if n == chosen else "secondary",
                      help="Draw points or upload a CSV file (below)" if n == OWN else f"Train on {DATA_CHOICES[n].lower()}")


def _choose_data(name: str) -> None:
    st.session_state.dataset = name


def data_ui(teacher: Teacher, own_ui=None, show_test: bool = True) -> dict:
    """The data column: problem, data set (``own_ui()`` draws your own data's controls under it;
    without it, no "Your data"), classes, noise, split, batch size, Regenerate, view toggles
    (``show_test``: whether the page can show test points)."""
    problems = list(PROBLEMS)
    problem = st.radio("Problem type", problems, format_func=PROBLEMS.get, key="problem", horizontal=True,
                       disabled=teacher.locks("problem"), on_change=_problem_changed, label_visibility="collapsed")
    names = [n for n, d in DATASETS.items() if d.problem == problem] + ([OWN] if own_ui else [])
    thumbnails_ui(names, teacher.locks("dataset"))
    values = dict(problem=problem,
                  dataset=_choose("Data set", "dataset", DATA_CHOICES, DATA_CHOICES.get, teacher, options=names))
    own = values["dataset"] == OWN
    if own_ui:
        own_ui()
    if problem == "multiclass":
        values["classes"] = _slider("Classes", "classes", teacher, help="How many classes: one output neuron each")
    values.update(noise=_slider("Noise (%)", "noise", teacher, disabled=own or teacher.locks("noise")),
                  train_ratio=_slider("Training data (%)", "train_ratio", teacher),
                  batch_size=_slider("Batch size", "batch_size", teacher, help=explain("batch size")))
    st.button("Regenerate", icon=":material/refresh:", on_click=_regenerate, help="New data from the next data seed, same network",
              use_container_width=True, key="regenerate",
              disabled=own or teacher.locks("regenerate") or teacher.locks("data_seed"))
    if show_test:
        values["show_test"] = st.toggle("Show test data", key="show_test", disabled=teacher.locks("show_test"),
                                        help="Draw the test points on the output map too (outlined). "
                                             + explain("test data"))
    values["discretise"] = st.toggle("Discretise output", key="discretise", disabled=teacher.locks("discretise"),
                                     help=explain("discretise"))
    return values


def network_ui(teacher: Teacher) -> dict:
    """Input features and hidden layers."""
    features = st.pills("Input features", list(FEATURES), format_func=lambda f: FEATURES[f].label, key="features",
                        selection_mode="multi", disabled=teacher.locks("features"), help=explain("feature"))
    cols = st.columns([2.2] + [1] * MAX_TOY_LAYERS, vertical_alignment="bottom")
    n = cols[0].number_input("Hidden layers", 0, MAX_TOY_LAYERS, key="hidden", disabled=teacher.locks("hidden"),
                             help=explain("hidden layer"))
    hidden = tuple(int(cols[1 + i].number_input(f"Layer {i + 1}", 1, MAX_TOY_NEURONS, key=f"hidden_{i}",
                                                disabled=teacher.locks("hidden"))) for i in range(n))
    return dict(features=tuple(features or ()), hidden=hidden)


def toolbar_ui(teacher: Teacher) -> dict:
    """The settings TF Playground keeps in its top bar."""
    a, b, c, d = st.columns(4)
    values = dict(learning_rate=_stepped("Learning rate", "learning_rate", teacher, a, help=explain("learning rate")),
                  activation=_choose("Activation", "activation", ACTIVATIONS, lambda n: ACTIVATIONS[n].label,
                                     teacher, b, help=explain("activation")),
                  regularisation=_choose("Regularisation", "regularisation", REGULARISATIONS, REGULARISATIONS.get,
                                         teacher, c, help=explain("regularisation")))
    values["reg_rate"] = d.select_slider("Regularisation rate", options=list(FIELDS["reg_rate"].options), key="reg_rate",
                                         format_func=lambda v: f"{v:g}",
                                         disabled=values["regularisation"] == "none" or teacher.locks("reg_rate"))
    return values


SEED_HELP = "Fixes the starting weights and the shuffling; Reset moves it on by one"


def advanced_ui(teacher: Teacher, problem: str, seed_help: str = SEED_HELP) -> dict:
    """Sidebar: what TF Playground does not have, and the seeds. Settings whose widget is not
    shown (momentum for plain SGD, say) are not in the result: they keep their values."""
    values = dict(head=_choose("Output and loss", "head", HEADS, lambda h: HEADS[h].label, teacher,
                               options=_heads(problem)),
                  optimiser=_choose("Optimiser", "optimiser", OPTIMISERS, lambda o: OPTIMISERS[o].label, teacher))
    uses = OPTIMISERS[values["optimiser"]].uses
    if "momentum" in uses:
        label = "β₁ (momentum of the gradient average)" if "adam" in values["optimiser"] else "Momentum"
        values["momentum"] = _slider(label, "momentum", teacher)
    if "weight_decay" in uses:
        values["weight_decay"] = _stepped("Weight decay", "weight_decay", teacher)
    values["schedule"] = _choose("Learning-rate schedule", "schedule", SCHEDULES, lambda s: SCHEDULES[s].label, teacher)
    if values["schedule"] != "constant":
        f = FIELDS["schedule_period"]
        values["schedule_period"] = st.number_input("Over (epochs)" if values["schedule"] == "cosine" else "Every (epochs)",
                                                    f.lo, f.hi, key="schedule_period",
                                                    disabled=teacher.locks("schedule_period"))
    if values["schedule"] == "step":
        values["schedule_rate"] = _slider("Multiply by", "schedule_rate", teacher)
    values["init"] = _choose("Initialiser", "init", INITIALISERS, lambda i: INITIALISERS[i][0], teacher)
    a, b = st.columns(2)
    seed = FIELDS["seed"]
    values["seed"] = a.number_input("Weight seed", seed.lo, seed.hi, key="seed", disabled=teacher.locks("seed"),
                                    help=seed_help)
    values["data_seed"] = b.number_input("Data seed", seed.lo, seed.hi, key="data_seed",
                                         disabled=teacher.locks("data_seed"), help="Fixes the data; Regenerate adds one")
    return values
