"""Model files: round trip, refusal of bad files with one sentence, JSON export + standalone predict."""
from __future__ import annotations

import io
import json
import zipfile

import jax
import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.heads import HEADS
from engine.inspect import predict
from engine.model import MLPSpec, init_params
from engine.modelio import PREDICT_SOURCE, ModelFileError, export_json, load_model, save_model
from engine.toydata import FEATURES, features


def _model(spec=MLPSpec(3, (5, 4), 1, "tanh", "tanh_mse")):
    return init_params(jax.random.key(1), spec), spec


def _saved():
    params, spec = _model()
    return save_model(params, spec, kind="toy", settings={"hidden": "5,4", "seed": "1"},
                      history={"train_loss": np.array([0.5, 0.4, 0.3]), "test_loss": np.array([0.6, 0.5, 0.45])})


def test_round_trip_keeps_weights_spec_settings_history():
    params, spec = _model()
    m = load_model(_saved())
    assert m.spec == spec and m.kind == "toy" and m.settings == {"hidden": "5,4", "seed": "1"}
    assert m.history["test_loss"] == pytest.approx([0.6, 0.5, 0.45])
    for (w, b), (w2, b2) in zip(params, m.params):
        np.testing.assert_array_equal(np.asarray(w), w2)
        np.testing.assert_array_equal(np.asarray(b), b2)


def _rewrite(data: bytes, **changes) -> bytes:
    """The archive with some arrays replaced (None: removed)."""
    with np.load(io.BytesIO(data)) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _header_bytes(h: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(h).encode(), np.uint8)


def _bad_files():
    good = _saved()
    with np.load(io.BytesIO(good)) as z:
        header = json.loads(z["header"].tobytes())
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    zip_pickle = io.BytesIO()
    with zipfile.ZipFile(zip_pickle, "w") as zf:
        zf.writestr("header.npy", pickled.getvalue())
    return {
        "empty": b"",
        "text": b"hello, I am not a model",
        "truncated": good[: len(good) // 2],
        "pickle inside": zip_pickle.getvalue(),
        "no header": _rewrite(good, header=None),
        "foreign header": _rewrite(good, header=_header_bytes({"format": "keras"})),
        "future version": _rewrite(good, header=_header_bytes({**header, "version": 99})),
        "bad spec": _rewrite(good, header=_header_bytes({**header, "spec": {**header["spec"], "activation": "evil"}})),
        "missing layer": _rewrite(good, w1=None),
        "wrong shape": _rewrite(good, w0=np.zeros((2, 2), np.float32)),
        "nan weights": _rewrite(good, b0=np.full(5, np.nan, np.float32)),
        "damaged json": _rewrite(good, header=np.frombuffer(b"{not json", np.uint8)),
    }


@pytest.mark.parametrize("name", list(_bad_files()))
def test_bad_files_get_one_sentence(name):
    with pytest.raises(ModelFileError) as e:
        load_model(_bad_files()[name])
    msg = str(e.value)
    assert msg.startswith("This file cannot be loaded as an nn-playground model: ") and msg.endswith(".")
    assert "\n" not in msg and "Traceback" not in msg


def _standalone():
    namespace: dict = {}
    exec(compile(PREDICT_SOURCE, "predict.py", "exec"), namespace)  # what a user saves as predict.py
    return namespace["predict"]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_standalone_predict_matches_engine_for_every_activation(activation):
    spec = MLPSpec(len(FEATURES), (6, 3), 1, activation, "tanh_mse")
    params = init_params(jax.random.key(2), spec)
    points = np.random.default_rng(0).uniform(-6, 6, (50, 2)).astype(np.float32)
    net = json.loads(export_json(params, spec, list(FEATURES)))
    want = np.asarray(predict(params, spec, features(points, tuple(FEATURES))))  # tanh of the logit
    np.testing.assert_allclose(_standalone()(net, points), want, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("head", list(HEADS))
def test_standalone_predict_matches_engine_outputs_for_every_head(head):
    n_out = 3 if HEADS[head].multiclass else 1
    spec = MLPSpec(4, (5,), n_out, "relu", head)
    params = init_params(jax.random.key(3), spec)
    x = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    net = json.loads(export_json(params, spec))
    want = np.asarray(predict(params, spec, x))  # the head's output
    np.testing.assert_allclose(_standalone()(net, x), want, rtol=2e-4, atol=2e-5)
