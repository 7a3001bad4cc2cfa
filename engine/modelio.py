"""Model files that travel: one ``.npz`` archive with a JSON header, never a pickle.

The archive holds ``header`` (UTF-8 JSON as a uint8 array: format, version, the network's
shape, the page's settings as text, the training history; for a digits model, the digit each
output stands for) and ``w0, b0, w1, b1, ...`` as float32
arrays. Loading trusts nothing in the file: sizes and shapes are checked before anything is
unpacked (``engine.npzcheck``), the header's size and nesting before it is parsed, and every part
of it for its type and range; a corrupt, truncated, foreign or hostile file is refused with one
sentence (``ModelFileError``) and nothing else escapes.

Also: the weights as JSON plus a short standalone NumPy ``predict`` (``PREDICT_SOURCE``) that
reproduces the network's outputs without this package.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass

import numpy as np

from engine.model import MAX_LAYERS, MAX_NEURONS, MLPSpec, Params, SpecError, param_count
from engine.npzcheck import NPY_HEADER_MAX, Npz, NpzRefusal

FORMAT = "nn-playground-model"
VERSION = 1
MAX_BYTES = 50_000_000  # the whole file
MAX_HEADER_BYTES = 16_000_000  # the JSON header: a run of MAX_EPOCHS epochs needs about 14 MB
MAX_DEPTH = 32  # nesting of the header's lists and objects (a model's header has 3 levels)
MAX_LISTS = 1_000  # lists and objects in the header (a model's header has about a dozen)
MAX_VALUES = 1_000_000  # numbers and texts in the header (bounds the memory parsing takes)
MAX_EPOCHS = 150_000  # entries of one history series: 1.5 to 3 minutes of a toy run at full speed
MAX_SETTINGS, MAX_NAME, MAX_TEXT = 100, 100, 1_000  # settings; characters of a name, of a value
# The largest network MLPSpec allows, in float64: no archive may unpack to more than this.
MAX_WEIGHT_BYTES = 8 * param_count(MLPSpec(4096, (MAX_NEURONS,) * MAX_LAYERS, 100))


class ModelFileError(ValueError):
    """A file that is not a usable model; the message is one sentence for the user."""


@dataclass
class SavedModel:
    params: list[tuple[np.ndarray, np.ndarray]]
    spec: MLPSpec
    kind: str  # which page made it: "toy" or "digits"
    settings: dict[str, str]  # that page's settings, as its URL query would carry them
    history: dict[str, list[float]]  # per-epoch metrics, index 0 the untrained network (NaN: none)
    classes: tuple[int, ...] | None = None  # a digits model: the digit each output stands for (None: 0, 1, 2, ...)


def save_model(params: Params, spec: MLPSpec, *, kind: str, settings: dict,
               history: dict[str, np.ndarray], classes=None) -> bytes:
    """The model as the bytes of a compressed ``.npz`` file. Settings are stored as text (a value
    that is not text, as its JSON), as a page's URL query carries them. ``classes``: for a model
    of some of the digits, the digit each output neuron stands for (one per output)."""
    header = {"format": FORMAT, "version": VERSION, "kind": kind, "spec": asdict(spec),
              "settings": {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in settings.items()},
              "history": {k: [float(v) for v in np.asarray(s).ravel()] for k, s in history.items()}}
    if classes is not None:
        header["classes"] = [int(c) for c in classes]
    arrays = {}
    for i, (w, b) in enumerate(params):
        arrays[f"w{i}"] = np.asarray(w, np.float32)
        arrays[f"b{i}"] = np.asarray(b, np.float32)
    buf = io.BytesIO()
    np.savez_compressed(buf, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    return buf.getvalue()


def _refuse(why: str) -> ModelFileError:
    return ModelFileError(f"This file cannot be loaded as an nn-playground model: {why}.")


def _named(name: str) -> str:
    """A name from the file, quoted and cut short, to repeat in a message."""
    return repr(name if len(name) <= 40 else name[:39] + "…")


def _constant(name: str) -> float:
    if name == "NaN":  # a metric the run did not measure
        return math.nan
    raise _refuse(f"its header holds {name}, which is not a usable number")


def _finite(text: str) -> float:
    if not math.isfinite(value := float(text)):
        raise _refuse("its header holds a number too large to use")
    return value


_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _parse(raw: bytes) -> object:
    """The header's JSON, its size and shape checked before parsing: no deep recursion, no
    memory beyond a few times its size. Brackets and commas inside texts count too (a model's
    header has few), so the checks bound what the parser can meet."""
    brackets = raw.translate(None, _NOT_BRACKETS)
    depth = 0
    for c in brackets[:2 * MAX_LISTS]:
        depth += 1 if c in b"[{" else -1
        if depth > MAX_DEPTH:
            raise _refuse(f"its header is nested more than {MAX_DEPTH} levels deep")
    if len(brackets) > 2 * MAX_LISTS:
        raise _refuse(f"its header has more than {MAX_LISTS:,} lists and objects")
    if raw.count(b",") >= MAX_VALUES:
        raise _refuse(f"its header has more than {MAX_VALUES:,} values")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_constant, parse_float=_finite)
    except ModelFileError:
        raise
    except ValueError:  # not UTF-8, not JSON, or an integer of thousands of digits
        raise _refuse("its header is damaged") from None


def _is_int(v) -> bool:
    return type(v) is int and abs(v) < 10 ** 9


SPEC_FIELDS = {  # what each field of MLPSpec must be before MLPSpec checks its range
    "n_in": ("a whole number", _is_int), "n_out": ("a whole number", _is_int),
    "hidden": ("a list of whole numbers", lambda v: isinstance(v, list) and all(map(_is_int, v))),
    **{name: ("a short name", lambda v: isinstance(v, str) and len(v) <= 40)
       for name in ("activation", "head", "init")},
}


def _spec(d) -> MLPSpec:
    if not isinstance(d, dict) or not {"n_in", "hidden"} <= d.keys() <= SPEC_FIELDS.keys():
        raise _refuse("its network description is incomplete or has unknown parts")
    for name, value in d.items():
        kind, ok = SPEC_FIELDS[name]
        if not ok(value):
            raise _refuse(f"its network description is invalid ({name} is not {kind})")
    try:
        return MLPSpec(**d)
    except SpecError as e:
        raise _refuse(f"its network description is invalid ({e})") from None


def _settings(settings) -> dict[str, str]:
    if not isinstance(settings, dict):
        raise _refuse("its settings are damaged")
    if len(settings) > MAX_SETTINGS:
        raise _refuse(f"it has more than {MAX_SETTINGS} settings")
    for name, value in settings.items():
        if not isinstance(value, str):
            raise _refuse(f"its setting {_named(name)} is damaged (it is not text)")
        if len(name) > MAX_NAME or len(value) > MAX_TEXT:
            raise _refuse(f"its setting {_named(name)} is damaged (it is too long)")
    return settings


def _history(history) -> dict[str, list[float]]:
    damaged = _refuse("its training history is damaged")
    if not isinstance(history, dict) or len(history) > 16:
        raise damaged
    out = {}
    for name, series in history.items():
        if not isinstance(series, list) or len(name) > MAX_NAME:
            raise damaged
        if len(series) > MAX_EPOCHS + 1:
            raise _refuse(f"its training history is longer than {MAX_EPOCHS:,} epochs")
        if not all(type(v) is float or _is_int(v) for v in series):
            raise damaged
        values = np.array(series, np.float64)
        if not (np.isnan(values) | (np.abs(values) <= np.finfo(np.float32).max)).all():
            raise damaged  # beyond float32: the page would show infinities
        out[name] = values.tolist()
    return out


def _classes(classes, spec: MLPSpec) -> tuple[int, ...] | None:
    """The digit each output stands for: one per output, distinct whole numbers from 0 to 9."""
    if classes is None:
        return None
    if (not isinstance(classes, list) or len(classes) != spec.n_out
            or not all(type(c) is int and 0 <= c <= 9 for c in classes) or len(set(classes)) != len(classes)):
        raise _refuse("its list of the digits its outputs stand for is damaged")
    return tuple(classes)


def _header(npz: Npz) -> dict:
    if "header" not in npz:
        raise _refuse("it has no nn-playground header (is it a model from another program?)")

    too_large = f"its header is larger than {MAX_HEADER_BYTES // 1_000_000} MB"
    if npz.members["header"].file_size > MAX_HEADER_BYTES + NPY_HEADER_MAX:  # before unpacking any of it
        raise _refuse(too_large)

    def text(shape, dtype):
        if dtype != np.uint8 or len(shape) != 1:
            return "its header is not text"
        return too_large if shape[0] > MAX_HEADER_BYTES else None
    header = _parse(npz.read("header", "its header", text, MAX_HEADER_BYTES).tobytes())
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _refuse("it is not an nn-playground model file")
    version = header.get("version")
    if not _is_int(version):
        raise _refuse(f"its format version is unreadable; this app reads version {VERSION}")
    if version != VERSION:
        raise _refuse(f"it is format version {version}; this app reads version {VERSION}")
    return header


def _weights(npz: Npz, spec: MLPSpec) -> list[tuple[np.ndarray, np.ndarray]]:
    params = []
    for i, (a, b) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
        what = f"layer {i + 1}'s weights"
        if f"w{i}" not in npz or f"b{i}" not in npz:
            raise _refuse(f"{what} are missing")
        layer = []
        for name, shape in ((f"w{i}", (a, b)), (f"b{i}", (b,))):
            def expect(declared, dtype, shape=shape):
                if declared != shape or dtype.kind != "f" or dtype.itemsize > 8:
                    return f"{what} have the wrong shape for the network it describes"
            array = npz.read(name, what, expect, 8 * math.prod(shape))
            if not np.isfinite(array).all():
                raise _refuse(f"{what} are not finite numbers")
            layer.append(array.astype(np.float32))
        params.append(tuple(layer))
    return params


def load_model(data: bytes) -> SavedModel:
    """Read bytes written by ``save_model``; ``ModelFileError`` says in one sentence what is wrong."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"it is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        npz = Npz(data, max_members=64, max_total=MAX_HEADER_BYTES + MAX_WEIGHT_BYTES + 64 * NPY_HEADER_MAX)
        header = _header(npz)
        spec = _spec(header.get("spec"))
        kind = header.get("kind", "")
        if not isinstance(kind, str) or len(kind) > 40:
            raise _refuse("its lab name is damaged")
        settings = _settings(header.get("settings") or {})
        history = _history(header.get("history") or {})
        classes = _classes(header.get("classes"), spec)
        return SavedModel(_weights(npz, spec), spec, kind, settings, history, classes)
    except NpzRefusal as e:
        raise _refuse(str(e)) from None


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
