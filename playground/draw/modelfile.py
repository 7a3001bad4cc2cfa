"""A model file to read drawings with (one saved from the digits lab, for instance): checked that it
can read a 28×28 drawing, and which digit each of its outputs stands for. No Streamlit here."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.modelio import ModelFileError, SavedModel

KINDS = ("digits", "default-digits")  # the labs whose models read digits


class FileModel(NamedTuple):
    params: list
    spec: object
    temperature: float | None  # None: never calibrated
    classes: tuple[int, ...]  # the digit each output stands for


def drawing_reader(saved: SavedModel) -> FileModel:
    """``saved`` as a model that reads drawings, or ``ModelFileError`` saying in one sentence why not."""
    if saved.kind not in KINDS:
        raise ModelFileError(f"This is a {saved.kind or 'foreign'} model, not a digits model: it cannot read a "
                             "drawing.")
    spec = saved.spec
    if spec.n_in != 28 * 28:
        side = int(round(spec.n_in ** 0.5))
        size = f"{side}×{side} digits" if side * side == spec.n_in else f"{spec.n_in} inputs"
        raise ModelFileError(f"This model reads {size}, and a drawing is prepared as 28×28 pixels: train it on "
                             "MNIST digits to read drawings.")
    if spec.head != "softmax_ce":
        raise ModelFileError("This model does not answer with one probability per digit, so it cannot read a drawing.")
    classes = saved.classes or (tuple(range(10)) if spec.n_out == 10 else None)
    if classes is None:
        raise ModelFileError(f"This model has {spec.n_out} outputs and does not say which digits they stand for.")
    try:
        t = float(saved.settings.get("temperature", "nan"))
    except ValueError:
        t = float("nan")
    params = [(np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in saved.params]
    return FileModel(params, spec, t if np.isfinite(t) and t > 0 else None, tuple(classes))
