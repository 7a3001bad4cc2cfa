"""Model files that travel: one ``.npz`` archive with a JSON header, never a pickle.

The archive holds ``header`` (UTF-8 JSON as a uint8 array: format, version, the network's
shape, the page's settings, the training history) and ``w0, b0, w1, b1, ...`` as float32
arrays. Loading uses ``allow_pickle=False`` and checks everything against the header, so a
corrupt, truncated or foreign file is refused with one sentence (``ModelFileError``).

Also: the weights as JSON plus a short standalone NumPy ``predict`` (``PREDICT_SOURCE``) that
reproduces the network's outputs without this package.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass

import numpy as np

from engine.model import MLPSpec, Params, SpecError

FORMAT = "nn-playground-model"
VERSION = 1
MAX_BYTES = 50_000_000


class ModelFileError(ValueError):
    """A file that is not a usable model; the message is one sentence for the user."""


@dataclass
class SavedModel:
    params: list[tuple[np.ndarray, np.ndarray]]
    spec: MLPSpec
    kind: str  # which page made it: "toy" or "digits"
    settings: dict  # that page's settings, as its URL query would carry them
    history: dict[str, list[float]]  # per-epoch metrics, index 0 the untrained network


def save_model(params: Params, spec: MLPSpec, *, kind: str, settings: dict,
               history: dict[str, np.ndarray]) -> bytes:
    """The model as the bytes of a compressed ``.npz`` file."""
    header = {"format": FORMAT, "version": VERSION, "kind": kind, "spec": asdict(spec), "settings": settings,
              "history": {k: [float(v) for v in np.asarray(s).ravel()] for k, s in history.items()}}
    arrays = {}
    for i, (w, b) in enumerate(params):
        arrays[f"w{i}"] = np.asarray(w, np.float32)
        arrays[f"b{i}"] = np.asarray(b, np.float32)
    buf = io.BytesIO()
    np.savez_compressed(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    return buf.getvalue()


def _refuse(why: str) -> ModelFileError:
    return ModelFileError(f"This file cannot be loaded as an nn-playground model: {why}.")


def _header(z) -> dict:
    if "header" not in z.files:
        raise _refuse("it has no nn-playground header (is it a model from another program?)")
    raw = z["header"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _refuse("its header is not text")
    try:
        header = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _refuse("its header is damaged") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _refuse("it is not an nn-playground model file")
    if header.get("version") != VERSION:
        raise _refuse(f"it is format version {header.get('version')!r}; this app reads version {VERSION}")
    return header


def load_model(data: bytes) -> SavedModel:
    """Read bytes written by ``save_model``; ``ModelFileError`` says in one sentence what is wrong."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"it is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = _header(z)
            try:
                spec = MLPSpec(**{**header["spec"], "hidden": tuple(header["spec"]["hidden"])})
            except (KeyError, TypeError, SpecError) as e:
                raise _refuse(f"its network description is invalid ({e})") from None
            params = []
            for i, (a, b) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
                w, bias = (z[f"{n}{i}"] if f"{n}{i}" in z.files else None for n in "wb")
                if w is None or bias is None:
                    raise _refuse(f"layer {i + 1}'s weights are missing")
                if w.shape != (a, b) or bias.shape != (b,) or w.dtype.kind != "f" or bias.dtype.kind != "f":
                    raise _refuse(f"layer {i + 1}'s weights have the wrong shape for the network it describes")
                if not (np.isfinite(w).all() and np.isfinite(bias).all()):
                    raise _refuse(f"layer {i + 1}'s weights are not finite numbers")
                params.append((w.astype(np.float32), bias.astype(np.float32)))
    except ModelFileError:
        raise
    except ValueError as e:  # includes numpy's refusal to unpickle an object array
        raise _refuse("it is not a plain .npz archive" if "pickle" not in str(e) else
                      "it holds Python objects, which this app never unpickles") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError):
        raise _refuse("it is not a complete .npz archive (damaged or truncated?)") from None
    history = header.get("history") or {}
    if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
        raise _refuse("its training history is damaged")
    settings = header.get("settings") or {}
    if not isinstance(settings, dict):
        raise _refuse("its settings are damaged")
    return SavedModel(params, spec, str(header.get("kind", "")), settings, history)


def export_json(params: Params, spec: MLPSpec, features: list[str] | None = None) -> str:
    """The weights as JSON for ``PREDICT_SOURCE``: activation, output head, input features (toy
    networks read points (x1, x2) through these; None means the inputs are used as they are)."""
    return json.dumps({
        "format": FORMAT + "-weights", "activation": spec.activation, "head": spec.head, "features": features,
        "layers": [{"w": np.asarray(w, np.float32).tolist(), "b": np.asarray(b, np.float32).tolist()}
                   for w, b in params]})


# A standalone file: NumPy only. It must match engine.activations, engine.heads and
# engine.toydata.FEATURES; a test checks that it does, for every activation and head.
PREDICT_SOURCE = '''"""Run a network exported by nn-playground, with NumPy alone.

    import json, numpy as np
    from predict import predict
    net = json.load(open("weights.json"))
    predict(net, np.array([[0.5, -1.0]]))   # toy lab: points (x1, x2) -> outputs
"""
import math

import numpy as np

_erf = np.vectorize(math.erf)
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(x, 0),
    "sine": np.sin,
    "gaussian": lambda x: np.exp(-x * x),
}


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


OUTPUTS = {  # logits -> what the app shows: a score in [-1, 1], a value, or class probabilities
    "tanh_mse": lambda z: np.tanh(z[:, 0]),
    "sigmoid_bce": lambda z: np.tanh(z[:, 0] / 2),
    "hinge": lambda z: np.clip(z[:, 0], -1, 1),
    "softmax_ce": _softmax,
    "linear_mse": lambda z: z[:, 0],
    "linear_huber": lambda z: z[:, 0],
}
FEATURES = {
    "x1": lambda a, b: a, "x2": lambda a, b: b, "x1sq": lambda a, b: a * a, "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b, "sinx1": lambda a, b: np.sin(a), "sinx2": lambda a, b: np.sin(b),
}


def predict(net, x):
    """Outputs for inputs x: (N, 2) points for a toy-lab network, else (N, n_inputs)."""
    x = np.asarray(x, np.float64)
    if net["features"]:
        x = np.stack([FEATURES[f](x[:, 0], x[:, 1]) for f in net["features"]], 1)
    act = ACTIVATIONS[net["activation"]]
    *hidden, last = net["layers"]
    for layer in hidden:
        x = act(x @ np.array(layer["w"]) + np.array(layer["b"]))
    return OUTPUTS[net["head"]](x @ np.array(last["w"]) + np.array(last["b"]))
'''
