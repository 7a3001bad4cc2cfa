"""Hostile model files: every one is refused with one sentence (``ModelFileError``), nothing else
escapes, and a huge declared size is refused before anything that size is allocated.

Hypothesis tries arbitrary bytes, a real archive whose JSON header is arbitrary JSON (or a real
header with one part replaced by arbitrary JSON), and random damage to a real file; the explicit
cases are the faults a security probe found. ``benchmarks/modelfile.py`` counts the cases tried
here and times the refusals."""
from __future__ import annotations

import io
import json
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model import MLPSpec
from engine.modelio import MAX_BYTES, MAX_EPOCHS, ModelFileError, SavedModel, load_model, save_model

EXAMPLES = 200  # per Hypothesis test
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PREFIX = "This file cannot be loaded as an nn-playground model: "
SPEC = MLPSpec(3, (5, 4), 1, "tanh", "tanh_mse")
SERVER_PATHS = {str(Path(__file__).resolve().parent.parent), sys.prefix, str(Path(np.__file__).parent)}


def _params(spec=SPEC):
    rng = np.random.default_rng(0)
    return [(rng.normal(size=(a, b)).astype(np.float32), rng.normal(size=b).astype(np.float32))
            for a, b in zip(spec.sizes[:-1], spec.sizes[1:])]


def _good(spec=SPEC) -> bytes:
    return save_model(_params(spec), spec, kind="toy", settings={"hidden": "5,4", "seed": "1"},
                      history={"train_loss": [0.5, 0.4], "test_loss": [0.6, float("nan")]})


GOOD = _good()
with np.load(io.BytesIO(GOOD)) as _z:
    HEADER = json.loads(_z["header"].tobytes())
    ARRAYS = {k: _z[k] for k in _z.files if k != "header"}


def _zip(members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


with zipfile.ZipFile(io.BytesIO(GOOD)) as _zf:  # not compressed: damage reaches the .npy headers before a CRC
    GOOD_STORED = _zip({n: _zf.read(n) for n in _zf.namelist()}, zipfile.ZIP_STORED)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def _declared(shape, descr="<f4", tail=b"\0" * 16) -> bytes:
    """A .npy member that declares ``shape`` but holds only ``tail``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + tail


def _archive(header: object = HEADER, **arrays) -> bytes:
    """The good model's archive with another header (text or bytes: as it is, else as JSON) and
    other arrays (bytes: a raw .npy member)."""
    text = header if isinstance(header, (str, bytes)) else json.dumps(header)
    raw = text.encode() if isinstance(text, str) else text
    members = {"header.npy": _npy(np.frombuffer(raw, np.uint8))}
    for k, v in {**ARRAYS, **arrays}.items():
        members[f"{k}.npy"] = v if isinstance(v, bytes) else _npy(v)
    return _zip(members)


def _refused(data: bytes) -> str:
    """The one sentence ``load_model`` refuses ``data`` with (the test fails on anything else)."""
    with pytest.raises(ModelFileError) as e:
        load_model(data)
    msg = str(e.value)
    assert msg.startswith("This file") and msg.endswith("."), msg
    assert "\n" not in msg and "\r" not in msg and len(msg) < 300 and "Traceback" not in msg, msg
    assert not any(p in msg for p in SERVER_PATHS), msg
    return msg


def _refused_or_loaded(data: bytes) -> SavedModel | None:
    try:
        m = load_model(data)
    except ModelFileError:
        _refused(data)
        return None
    assert isinstance(m.spec, MLPSpec) and isinstance(m.kind, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in m.settings.items())
    assert all(isinstance(k, str) and isinstance(v, list) and all(type(x) is float for x in v)
               for k, v in m.history.items())
    for (w, b), (a, n) in zip(m.params, zip(m.spec.sizes[:-1], m.spec.sizes[1:])):
        assert w.shape == (a, n) and b.shape == (n,) and w.dtype == b.dtype == np.float32
        assert np.isfinite(w).all() and np.isfinite(b).all()
    return m


def _spec(**changes) -> dict:
    return {**HEADER, "spec": {**HEADER["spec"], **changes}}


def _deep(n: int) -> str:
    return '{"format": "nn-playground-model", "version": 1, "spec": ' + "[" * n + "]" * n + "}"


# --- the faults the probe found, and their neighbours ----------------------------------------
HOSTILE_HEADERS = {
    "setting is a number": ({**HEADER, "settings": {"hidden": "5,4", "seed": 5}}, "setting 'seed' is damaged"),
    "setting is a list": ({**HEADER, "settings": {"features": ["x1"]}}, "setting 'features' is damaged"),
    "settings not an object": ({**HEADER, "settings": ["seed"]}, "its settings are damaged"),
    "too many settings": ({**HEADER, "settings": {str(i): "1" for i in range(1000)}}, "settings"),
    "hidden layer of Infinity": (json.dumps(_spec(hidden=[float("inf")])), "Infinity"),
    "hidden layer of -Infinity": (json.dumps(_spec(hidden=[float("-inf")])), "Infinity"),
    "hidden layer of NaN": (json.dumps(_spec(hidden=[float("nan")])), "network description"),
    "number too large to be finite": (json.dumps(HEADER).replace('"n_in": 3', '"n_in": 1e999'), "number"),
    "hidden layer of 1e9 neurons": (_spec(hidden=[10 ** 9]), "network description"),
    "hidden layer of 3.5 neurons": (_spec(hidden=[3.5]), "network description"),
    "hidden not a list": (_spec(hidden="5,4"), "network description"),
    "n_in of 5000 digits": (json.dumps(HEADER).replace('"n_in": 3', '"n_in": ' + "9" * 5000), "header"),
    "activation of 10,000 letters": (_spec(activation="x" * 10_000), "network description"),
    "unknown spec field": (_spec(evil=1), "network description"),
    "spec not an object": ({**HEADER, "spec": [3, [5, 4]]}, "network description"),
    "nested 200,000 deep": (_deep(200_000), "nested"),
    "nested 33 deep": (_deep(33), "nested"),
    "history of text": ({**HEADER, "history": {"train_loss": ["0.5"]}}, "training history"),
    "history of booleans": ({**HEADER, "history": {"train_loss": [True]}}, "training history"),
    "history of Infinity": (json.dumps({**HEADER, "history": {"train_loss": [float("inf")]}}), "Infinity"),
    "history beyond float32": ({**HEADER, "history": {"train_loss": [1e300]}}, "training history"),
    "history not a list": ({**HEADER, "history": {"train_loss": 0.5}}, "training history"),
    "history of 200,000 epochs": ({**HEADER, "history": {"train_loss": [0.5] * 200_000}}, "longer than"),
    "header of 1,000,000 values": ({**HEADER, "history": {"a": [0.5] * 500_000, "b": [0.5] * 500_000}}, "values"),
    "kind is a number": ({**HEADER, "kind": 5}, "lab"),
    "version is a long text": ({**HEADER, "version": "9" * 10_000}, "version"),
    "version true": ({**HEADER, "version": True}, "version"),
    "header is a list": ([HEADER], "not an nn-playground model file"),
    "header is not UTF-8": (b'{"format": "\xff"}', "header is damaged"),
}


@pytest.mark.parametrize("name", list(HOSTILE_HEADERS))
def test_hostile_headers_get_one_sentence(name):
    header, words = HOSTILE_HEADERS[name]
    assert words in _refused(_archive(header))


def test_a_setting_that_is_a_number_is_named():
    msg = _refused(_archive({**HEADER, "settings": {"seed": 5}}))
    assert msg == PREFIX + "its setting 'seed' is damaged (it is not text)."


def test_a_hidden_layer_of_infinity_is_one_sentence():
    assert _refused(_archive(json.dumps(_spec(hidden=[float("inf")])))) == \
        PREFIX + "its header holds Infinity, which is not a usable number."


def test_json_nested_200000_deep_is_refused_before_parsing():
    assert _refused(_archive(_deep(200_000))) == PREFIX + "its header is nested more than 32 levels deep."


def test_random_bytes_are_not_a_model_file_rather_than_python_objects():
    for data in (b"hello, I am not a model", bytes(range(256)) * 3, b"\x80\x04\x95" + b"\0" * 40, b""):
        assert _refused(data) == PREFIX + "it is not an nn-playground model file (not a .npz archive)."


def test_a_real_npz_holding_an_object_array_holds_python_objects():
    msg = _refused(_archive(w0=_npy(np.array([{"evil": 1}], dtype=object))))
    assert msg == PREFIX + "it holds Python objects, which this app never unpickles."


def test_settings_that_are_not_text_are_saved_as_text():
    # engine.default_model saves its recipe (numbers, a tuple) as the settings
    data = save_model(_params(), SPEC, kind="default-digits", history={},
                      settings={"hidden": (512,), "learning_rate": 2e-3, "epochs": 60, "augment": "warp"})
    m = _refused_or_loaded(data)
    assert m.settings == {"hidden": "[512]", "learning_rate": "0.002", "epochs": "60", "augment": "warp"}


def test_history_keeps_nan_and_comes_back_as_floats():
    m = _refused_or_loaded(GOOD)
    assert m.history["train_loss"] == [0.5, 0.4] and np.isnan(m.history["test_loss"][1])


def test_the_longest_history_allowed_loads():
    rng = np.random.default_rng(1)
    n = MAX_EPOCHS + 1  # epoch 0 is the untrained network
    history = {k: (rng.random(n) * 10.0 ** rng.integers(-9, 3, n)).astype(np.float32)
               for k in ("train_loss", "test_loss", "train_acc", "test_acc")}  # long reprs: 3.4566e-06...
    history["test_acc"][::3] = np.nan
    m = _refused_or_loaded(save_model(_params(), SPEC, kind="toy", settings={}, history=history))
    assert len(m.history["test_loss"]) == n
    np.testing.assert_array_equal(np.float32(m.history["test_acc"]), history["test_acc"])


def _peak(data: bytes) -> tuple[str, int]:
    """The refusal and the peak of Python's (and NumPy's) allocations while refusing."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with pytest.raises(ModelFileError) as e:
            load_model(data)
        return str(e.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_declared_100000_by_100000_array_is_refused_without_allocating_it():
    data = _archive(w0=_declared((100_000, 100_000)))
    assert len(data) < 10_000
    msg, peak = _peak(data)
    assert msg == PREFIX + "layer 1's weights have the wrong shape for the network it describes."
    assert peak < 2_000_000, peak


def test_a_declared_huge_header_is_refused_without_allocating_it():
    data = _zip({"header.npy": _declared((10 ** 10,), "|u1"), **{f"{k}.npy": _npy(v) for k, v in ARRAYS.items()}})
    msg, peak = _peak(data)
    assert msg == PREFIX + "its header is larger than 16 MB." and peak < 2_000_000, peak


def test_a_zip_bomb_header_is_refused_before_it_is_unpacked():
    bomb = json.dumps(HEADER).encode() + b" " * 40_000_000  # valid JSON: 40 MB of trailing spaces
    data = _archive(header=bomb)
    assert len(data) < 200_000
    msg, peak = _peak(data)
    assert msg == PREFIX + "its header is larger than 16 MB." and peak < 2_000_000, peak


def _entries(data: bytes):
    """Where each central-directory entry of a zip starts."""
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        yield at
        at = data.find(b"PK\x01\x02", at + 1)


def test_a_member_larger_than_its_network_is_refused_before_it_is_unpacked():
    data = _archive(w0=_declared((3, 5), tail=bytes(40_000_000)))  # the right shape, then 40 MB more
    msg, peak = _peak(data)
    assert msg == PREFIX + "the size recorded for layer 1's weights does not match its contents."
    assert peak < 2_000_000, peak


def test_a_member_that_unpacks_to_more_than_it_records_is_cut_off():
    # The central directory records the 188 bytes a (3, 5) float32 array takes; the data unpacks to 40 MB.
    data = bytearray(_archive(w0=_declared((3, 5), tail=bytes(40_000_000))))
    [at] = [at for at in _entries(bytes(data)) if data[at + 46:at + 52] == b"w0.npy"]
    data[at + 24:at + 28] = (128 + 60).to_bytes(4, "little")  # uncompressed size
    msg, peak = _peak(bytes(data))
    assert msg == PREFIX + "layer 1's weights cannot be read (damaged?)." and peak < 2_000_000, peak


def test_a_file_over_the_size_limit_is_refused_unread():
    assert _refused(b"PK\x03\x04" + bytes(MAX_BYTES)) == PREFIX + "it is larger than 50 MB."


def test_an_archive_of_many_members_is_refused():
    data = _zip({f"x{i}.npy": b"" for i in range(5000)}, zipfile.ZIP_STORED)
    assert "arrays" in _refused(data)


def test_weights_stored_as_float64_or_fortran_order_still_load():
    w0 = np.asfortranarray(ARRAYS["w0"].astype(np.float64))
    m = _refused_or_loaded(_archive(w0=w0))
    np.testing.assert_array_equal(m.params[0][0], ARRAYS["w0"])


# --- Hypothesis ----------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=2000).map(lambda b: b"PK\x05\x06" + b),
                 st.binary(max_size=2000).map(lambda b: b"\x93NUMPY\x01\x00" + b)))
def test_arbitrary_bytes_are_refused_with_one_sentence(data):
    _refused(data)


@FUZZ
@given(JSON)
def test_an_arbitrary_json_header_is_refused_with_one_sentence(header):
    _refused(_archive(json.dumps(header)))


PARTS = [(k,) for k in HEADER] + [("spec", k) for k in HEADER["spec"]] + [("settings", "seed"),
                                                                          ("history", "train_loss")]


@FUZZ
@given(st.sampled_from(PARTS), JSON)
def test_a_header_with_one_part_replaced_is_refused_or_loaded_whole(path, value):
    header = json.loads(json.dumps(HEADER))
    at = header
    for k in path[:-1]:
        at = at[k]
    at[path[-1]] = value
    _refused_or_loaded(_archive(json.dumps(header)))


MUTATION = st.tuples(st.sampled_from(["cut", "flip", "insert", "delete"]), st.integers(0, 10 ** 6),
                     st.integers(1, 255))


@FUZZ
@given(st.sampled_from([GOOD, GOOD_STORED]), st.lists(MUTATION, min_size=1, max_size=4))
def test_a_damaged_real_file_is_refused_or_loaded_whole(good, mutations):
    data = bytearray(good)
    for op, at, byte in mutations:
        at %= max(len(data), 1)
        if op == "cut":
            del data[at:]
        elif op == "flip" and data:
            data[at] ^= byte
        elif op == "insert":
            data[at:at] = bytes([byte])
        elif data:
            del data[at]
    m = _refused_or_loaded(bytes(data))
    if m is not None:
        assert m.spec == SPEC

