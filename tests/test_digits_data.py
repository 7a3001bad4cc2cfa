"""Digit data: the IDX parser, the checked and cached download, the embedded sets."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import struct
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import digits_data as dd
from engine.model import MLPSpec
from engine.train import Data, TrainConfig, init_state, make_hparams, run_epochs
from tests.conftest import ROOT

SHARED = ROOT.parent / "shared" / "mnist"


def idx_bytes(a: np.ndarray) -> bytes:
    return b"\x00\x00\x08" + bytes([a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(np.uint8).tobytes()


def test_parse_idx_images_and_labels_raw_and_gzipped():
    imgs = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    for raw in (idx_bytes(imgs), gzip.compress(idx_bytes(imgs))):
        assert np.array_equal(dd.parse_idx(raw), imgs)
    assert np.array_equal(dd.parse_idx(idx_bytes(labels)), labels)


@pytest.mark.parametrize("data,why", [
    (b"", "IDX format"), (b"PK\x03\x04junk", "IDX format"), (b"\x00\x00\x08\x03\x00\x00", "truncated"),
    (idx_bytes(np.zeros((2, 3, 3)))[:-1], "promises"), (b"\x1f\x8b\x08\x00garbage", "gzip"),
])
def test_parse_idx_rejects_malformed_files_with_a_reason(data, why):
    with pytest.raises(dd.DigitsError, match=why):
        dd.parse_idx(data)


@pytest.mark.skipif(not SHARED.exists(), reason="the official MNIST test set is not beside the project")
def test_the_official_test_set_parses():
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert dd.sha256(SHARED / name) == dd.SHA256[name]
    x, y = dd.load_mnist_test(SHARED)
    assert x.shape == (10_000, 784) and x.dtype == np.float32 and 0 <= x.min() and x.max() == 1.0
    assert y.shape == (10_000,) and sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).min() > 850


class Server:
    """A file server on 127.0.0.1 that counts requests; ``files`` maps names to bytes."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.hits = files, 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                body = outer.files.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                if body is not None:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_mnist(monkeypatch):
    """Tiny MNIST-shaped files, with the checksums patched to theirs."""
    rng = np.random.default_rng(1)
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(rng.integers(0, 256, (30, 28, 28)))),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.arange(30) % 10)),
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(rng.integers(0, 256, (10, 28, 28)))),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(np.arange(10))),
    }
    monkeypatch.setattr(dd, "SHA256", {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    return files


def test_download_checks_caches_and_never_downloads_twice(fake_mnist, tmp_path):
    server = Server(fake_mnist)
    try:
        d = dd.load_full_mnist(mirrors=(server.url,), cache=tmp_path)
        assert d.x_train.shape == (30, 784) and d.x_test.shape == (10, 784) and d.side == 28
        assert server.hits == 4
        again = dd.load_full_mnist(mirrors=(server.url,), cache=tmp_path)
        assert server.hits == 4 and np.array_equal(again.x_train, d.x_train)
    finally:
        server.close()


def test_a_corrupted_download_is_refused_and_the_next_mirror_used(fake_mnist, tmp_path):
    bad = dict(fake_mnist, **{"train-images-idx3-ubyte.gz": b"\x1f\x8b corrupted"})
    broken, good = Server(bad), Server(fake_mnist)
    try:
        with pytest.raises(dd.DigitsError, match="checksum"):
            dd.fetch("train-images-idx3-ubyte.gz", mirrors=(broken.url,), cache=tmp_path)
        assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()
        path = dd.fetch("train-images-idx3-ubyte.gz", mirrors=(broken.url, good.url), cache=tmp_path)
        assert path.read_bytes() == fake_mnist["train-images-idx3-ubyte.gz"]
    finally:
        broken.close()
        good.close()


def test_a_damaged_cached_file_is_fetched_again(fake_mnist, tmp_path):
    server = Server(fake_mnist)
    try:
        (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"half a file")
        path = dd.fetch("t10k-labels-idx1-ubyte.gz", mirrors=(server.url,), cache=tmp_path)
        assert path.read_bytes() == fake_mnist["t10k-labels-idx1-ubyte.gz"] and server.hits == 1
    finally:
        server.close()


def test_offline_falls_back_to_the_embedded_set_in_one_sentence(monkeypatch, tmp_path):
    server = Server({})
    url = server.url
    server.close()  # nothing listens there any more: as good as offline
    monkeypatch.setitem(dd.SOURCES, "mnist", dd.SOURCES["mnist"]._replace(
        load=lambda: dd.load_full_mnist(mirrors=(url,), cache=tmp_path)))
    d, message = dd.load("mnist")
    assert d.x_train.shape == (5000, 784)
    assert message.startswith("Full MNIST could not be fetched") and message.endswith("instead.")
    assert message.count(". ") <= 1 and "Traceback" not in message


def test_embedded_sets():
    m = dd.load_mnist_5k()
    assert m.x_train.shape == (5000, 784) and m.side == 28 and np.bincount(m.y_train).tolist() == [500] * 10
    assert m.x_train.dtype == np.float32 and m.x_train.max() == 1.0
    s = dd.load_sklearn_8x8()
    assert s.x_train.shape == (1797, 64) and s.side == 8 and s.x_train.max() == 1.0


def test_validation_split_is_disjoint_and_reproducible():
    d = dd.load_sklearn_8x8()
    a, b = dd.split(d, 0.2, 0), dd.split(d, 0.2, 0)
    assert len(a.y_train) + len(a.y_val) == 1797 and abs(len(a.y_val) - 359) <= 1
    assert np.array_equal(a.x_val, b.x_val)
    rows = {r.tobytes() for r in a.x_train}
    assert sum(r.tobytes() in rows for r in a.x_val) <= 5  # the set itself holds a few duplicates


def test_a_short_run_beats_90_percent_on_held_out_digits():
    d = dd.split(dd.load_mnist_5k(), 0.2, 0)
    data = Data(*(jnp.asarray(a) for a in d[:4]))
    cfg = TrainConfig(MLPSpec(784, (128,), 10, "relu", "softmax_ce"), "adam", 64, dropout=True, augment="shift")
    state = init_state(jax.random.key(0), cfg)
    _, m = run_epochs(state, data, make_hparams(learning_rate=2e-3, dropout=0.2), cfg, 8)
    assert m["test_acc"][-1] > 0.90


def test_shift_augmentation_moves_images_without_changing_them():
    from engine.augment import AUGMENTATIONS
    img = np.zeros((1, 28, 28), np.float32)
    img[0, 10:14, 12:15] = 1.0
    x = jnp.asarray(np.repeat(img.reshape(1, -1), 64, 0))
    out = np.asarray(AUGMENTATIONS["shift"][1](jax.random.key(0), x)).reshape(64, 28, 28)
    assert np.all(out.sum((1, 2)) == 12)  # ink is moved, never lost (away from the border)
    assert len({o.tobytes() for o in out}) > 10  # different shifts for different images
    coms = [np.argwhere(o).mean(0) - np.argwhere(img[0]).mean(0) for o in out]
    assert np.abs(coms).max() <= 2


def test_warp_augmentation_keeps_the_digit_and_varies_it(monkeypatch):
    from engine.augment import AUGMENTATIONS, WARP
    x = jnp.asarray(dd.load_mnist_5k().x_train[::500])  # one of each digit
    full = np.asarray(AUGMENTATIONS["warp"][1](jax.random.key(0), x))
    assert full.shape == x.shape and full.min() >= 0 and full.max() <= 1
    # The affine part alone (serifs and elastic distortion have their own tests below):
    monkeypatch.setitem(WARP, "serif", 0.0)
    monkeypatch.setitem(WARP, "elastic", 0.0)
    out = np.asarray(AUGMENTATIONS["warp"][1](jax.random.key(0), x))
    assert not np.allclose(out, full)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    ink_in, ink_out = np.asarray(x).sum(1), out.sum(1)
    assert np.all(ink_out > 0.6 * ink_in) and np.all(ink_out < 2.3 * ink_in)  # scaled, thickened (a 2×2 max can double a thin stroke), not lost
    assert not np.allclose(out, np.asarray(x), atol=0.05)
    from scipy import ndimage
    for a, b in zip(np.asarray(x).reshape(-1, 28, 28), out.reshape(-1, 28, 28)):
        shift = np.subtract(ndimage.center_of_mass(a), ndimage.center_of_mass(b))
        assert np.hypot(*shift) < 4.0  # moved by at most about two pixels each way, plus the warp
        assert np.corrcoef(ndimage.gaussian_filter(a, 2).ravel(), ndimage.gaussian_filter(b, 2).ravel())[0, 1] > 0.3


def test_serif_strokes_add_a_base_under_the_ink_and_a_flag_on_top():
    from engine.augment import _serifs
    img = np.zeros((1, 28, 28), np.float32)
    img[0, 4:24, 13:15] = 1.0  # a plain 1: a vertical bar, rows 4 to 23
    out = np.asarray(_serifs(jax.random.key(3), jnp.asarray(img), 1.0))[0]
    assert np.all(out >= img[0])  # strokes are added, never removed
    added = (out - img[0]) > 0.5
    rows, cols = np.nonzero(added)
    assert added.sum() >= 6
    base, flag = rows >= 20, rows <= 9
    assert np.all(base | flag)  # nothing added in the middle of the digit
    assert base.any() and flag.any()
    assert np.ptp(cols[base]) >= 5 and np.ptp(rows[base]) <= 3  # wide and nearly horizontal
    assert cols[flag].min() < 13  # the flag runs to the left of the bar
    untouched = np.asarray(_serifs(jax.random.key(3), jnp.asarray(img), 0.0))[0]
    np.testing.assert_array_equal(untouched, img[0])


def test_elastic_distortion_moves_strokes_a_little_and_keeps_the_digit():
    from engine.augment import _elastic
    x = jnp.asarray(dd.load_mnist_5k().x_train[::500].reshape(-1, 28, 28))
    same = np.asarray(_elastic(jax.random.key(0), x, 0.0))
    np.testing.assert_allclose(same, np.asarray(x), atol=1e-5)  # no displacement: the image itself
    out = np.asarray(_elastic(jax.random.key(0), x, 2.5))
    assert not np.allclose(out, np.asarray(x), atol=0.05)
    from scipy import ndimage
    for a, b in zip(np.asarray(x), out):
        assert 0.7 < b.sum() / a.sum() < 1.3
        assert np.hypot(*np.subtract(ndimage.center_of_mass(a), ndimage.center_of_mass(b))) < 2.5
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.5
