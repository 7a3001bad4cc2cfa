"""The experiment runner on tiny sizes: every model is fitted on the first n training examples
and scored on the same held-out examples, never on one it trained on; accuracies agree with
scikit-learn scoring the same split by itself; results are cached; Cancel stops it; the
sentences say what hand-written numbers say."""
from __future__ import annotations

import numpy as np
import pytest

from engine import experiment as X
from playground.bigpicture import words


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NN_PLAYGROUND_EXPERIMENTS", str(tmp_path / "experiments"))


@pytest.fixture(scope="module")
def tiny_pool():
    p = X.digits_pool(0, full=False)
    return X.Pool(p.x[:300], p.y[:300], p.x_held[::5], p.y_held[::5], "tiny", "tiny-test")


def rows(a: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in np.asarray(a, np.float32)}


def test_the_embedded_pool_holds_out_100_of_each_digit_and_never_trains_on_them():
    p = X.digits_pool(0, full=False)
    assert len(p.y_held) == 1_000 and (np.bincount(p.y_held, minlength=10) == 100).all()
    assert len(p.y) == 4_000
    assert not rows(p.x) & rows(p.x_held)


@pytest.mark.parametrize("pool", [lambda: X.digits_pool(0, full=False), lambda: X.spiral_pool(0, n=400)])
def test_every_training_size_holds_every_class_as_evenly_as_it_can(pool):
    """A plain shuffle after holding out 100 of each digit put the digits that reached 100 first at
    the front: the 50 smallest held only 1s, 3s, 8s and 9s."""
    p = pool()
    k = int(p.y.max()) + 1
    last = k * np.bincount(p.y).min()  # as long as every class lasts
    for n in [m for m in (10, 50, 100, 300, 1_000) if m < last] + [last]:
        counts = np.bincount(p.y[:n], minlength=k)
        assert counts.min() >= n // k and counts.max() <= -(-n // k), (n, counts)


def test_the_spiral_pool_keeps_its_held_out_points_apart():
    p = X.spiral_pool(0, n=400)
    assert len(p.y) == 400 and len(p.y_held) == X.HELD_OUT and set(np.unique(p.y)) == {0, 1}
    assert not rows(p.x) & rows(p.x_held)


def test_sizes_stop_at_what_the_pool_holds():
    assert X.sizes_for(4_000, 5_000) == [50, 100, 300, 1_000, 3_000, 4_000]
    assert X.sizes_for(60_000, 5_000) == [50, 100, 300, 1_000, 3_000, 5_000]
    assert X.sizes_for(60_000, 60_000)[-1] == 60_000
    assert X.sizes_for(300, 100) == [50, 100]


def test_a_small_training_set_gets_at_least_the_minimum_of_updates():
    recipe = dict(X.DEFAULT_MODEL)
    for n in (50, 300, 1_000, 5_000):
        epochs = X.network_epochs(n, recipe, 800)
        batches = -(-n // min(128, n))
        assert epochs * batches >= 800 and epochs >= recipe["epochs"] and epochs % X.CHUNKS == 0
    assert X.network_epochs(5_000, recipe, 800) == 40  # 40 batches × 40 epochs is already 1,600 updates


def test_every_model_fits_the_first_n_and_is_scored_on_the_same_held_out_digits(tiny_pool, monkeypatch):
    fitted, scored = [], []

    class Spy:
        def __init__(self, inner, name):
            self.inner, self.name = inner, name

        def fit(self, x, y):
            fitted.append((self.name, np.array(x), np.array(y)))
            self.inner.fit(x, y)
            return self

        def predict(self, x):
            scored.append((self.name, np.array(x)))
            return self.inner.predict(x)

    spied = {k: X.Classical(c.label, lambda seed, c=c, k=k: Spy(c.make(seed), k)) for k, c in X.CLASSICAL.items()}
    monkeypatch.setattr(X, "CLASSICAL", spied)
    real_train, real_predict = X.train_network, X._predict_network

    def train(x, y, *a, **kw):
        fitted.append(("network", np.array(x), np.array(y)))
        return real_train(x, y, *a, **kw)

    def predict(params, spec, x):
        scored.append(("network", np.array(x)))
        return real_predict(params, spec, x)

    monkeypatch.setattr(X, "train_network", train)
    monkeypatch.setattr(X, "_predict_network", predict)
    e = X.run("digits", up_to=100, pool=tiny_pool)
    assert e.complete and e.sizes == [50, 100] and e.held_out == len(tiny_pool.y_held)
    assert len(fitted) == len(scored) == 2 * 4
    held = rows(tiny_pool.x_held)
    for name, x, y in fitted:
        n = len(y)
        np.testing.assert_array_equal(x, tiny_pool.x[:n])  # the first n of the pool
        np.testing.assert_array_equal(y, tiny_pool.y[:n])
        assert not rows(x) & held, f"{name} trained on a held-out digit"
    for name, x in scored:
        np.testing.assert_array_equal(x, tiny_pool.x_held)  # all of them, the same for every model
    assert {r.model for r in e.results} == {"network", *X.CLASSICAL}


def test_accuracies_are_what_scikit_learn_scores_on_the_same_split(tiny_pool):
    from sklearn.neighbors import KNeighborsClassifier
    e = X.run("digits", up_to=100, pool=tiny_pool)
    for n in (50, 100):
        knn = KNeighborsClassifier(3).fit(tiny_pool.x[:n], tiny_pool.y[:n])
        assert e.get("knn", n).accuracy == pytest.approx(knn.score(tiny_pool.x_held, tiny_pool.y_held))
    for r in e.results:
        assert 0.0 <= r.accuracy <= 1.0 and r.train_seconds >= 0 and r.predict_seconds >= 0
    # 20 of each digit held out here: better than chance (10 %) with 100 training digits
    assert e.get("network", 100).accuracy > 0.3


def test_a_second_run_with_the_same_settings_comes_from_the_cache(tiny_pool, monkeypatch):
    first = X.run("digits", up_to=100, pool=tiny_pool)

    def no_training(*a, **kw):
        raise AssertionError("trained again")
    monkeypatch.setattr(X, "train_network", no_training)
    again = X.run("digits", up_to=100, pool=tiny_pool)
    assert again == first
    with pytest.raises(AssertionError, match="trained again"):
        X.run("digits", up_to=100, pool=tiny_pool, use_cache=False)


def test_cancel_stops_between_steps_and_saves_nothing(tiny_pool):
    heard, running = [], []

    def progress(fraction, what, e):
        heard.append((fraction, what, len(e.results)))
        running[:] = [e]

    with pytest.raises(X.Cancelled) as stop:  # Cancel pressed once two models are measured
        X.run("digits", up_to=100, pool=tiny_pool, progress=progress,
              cancelled=lambda: bool(running) and len(running[0].results) >= 2)
    assert len(stop.value.partial.results) == 2 and not stop.value.partial.complete
    key = X.cache_key("digits", tiny_pool, [50, 100], 0)
    assert X.cached(key) is None
    fractions = [f for f, _, _ in heard]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] < 1


def test_progress_runs_to_one_on_the_spiral():
    heard = []
    e = X.run("spiral", up_to=100, pool=X.spiral_pool(0, n=200), progress=lambda f, w, e: heard.append(f))
    assert heard == sorted(heard) and heard[-1] == 1.0 and e.complete and e.dataset == "spiral"


def test_a_damaged_cache_file_only_means_measuring_again(tiny_pool):
    e = X.run("digits", up_to=100, pool=tiny_pool)
    key = X.cache_key("digits", tiny_pool, e.sizes, 0)
    X.cache_file(key).write_text("{not json")
    assert X.cached(key) is None


# --- the sentences, from hand-written numbers ------------------------------------------------------
def experiment(net, logreg, knn, forest, sizes=(50, 100, 300, 1000)) -> X.Experiment:
    e = X.Experiment("digits", "test", list(sizes), 1_000, complete=True)
    for model, accs in (("network", net), ("logreg", logreg), ("knn", knn), ("forest", forest)):
        for n, a in zip(sizes, accs):
            e.results.append(X.Result(model, n, a, train_seconds=n / 100 if model == "network" else n / 1000,
                                      predict_seconds=0.5 if model == "knn" else 0.01, compile_seconds=1.0, epochs=40))
    return e


def test_ahead_from_reads_the_series():
    s = [50, 100, 300, 1000]
    assert words.ahead_from(s, [0.5, 0.6, 0.9, 0.95], [0.4, 0.5, 0.8, 0.9]) == ("always", 50)
    assert words.ahead_from(s, [0.3, 0.6, 0.9, 0.95], [0.4, 0.7, 0.8, 0.9]) == ("from", 300)
    assert words.ahead_from(s, [0.5, 0.4, 0.9, 0.95], [0.4, 0.5, 0.8, 0.9]) == ("from", 300)  # ahead, behind, ahead
    assert words.ahead_from(s, [0.5, 0.6, 0.9, 0.905], [0.4, 0.5, 0.8, 0.9]) == ("never", None)  # within 1 point
    assert words.ahead_from(s, [0.5, 0.6, 0.9, 0.85], [0.4, 0.5, 0.8, 0.9]) == ("never", None)


def test_the_sentences_say_where_the_network_overtakes_and_what_it_cost():
    e = experiment(net=[0.30, 0.60, 0.90, 0.96], logreg=[0.40, 0.55, 0.80, 0.88], knn=[0.45, 0.65, 0.85, 0.90],
                   forest=[0.35, 0.60, 0.93, 0.965])
    accuracy, cost = words.summary(e)
    assert "ahead of logistic regression from 100 training digits on (60.0 % against 55.0 %" in accuracy
    assert "ahead of k-nearest neighbours (k = 3) from 300 training digits on (90.0 % against 85.0 %" in accuracy
    assert ("level with random forest (100 trees) at 1,000 training digits (96.0 % against 96.5 %), and behind it "
            "at 50 and 300") in accuracy
    # at 1,000: the network 10 s, the others 1 s each; kNN answers in 0.5 s
    assert "the network trained for 10 s" in cost and "1.00 s for logistic regression (the network took 10.0× as long)" in cost
    assert "0.50 s for the 1,000 held-out examples" in cost


def test_models_overtaken_at_the_same_size_share_one_clause():
    e = experiment(net=[0.40, 0.70, 0.90, 0.96], logreg=[0.45, 0.60, 0.80, 0.88], knn=[0.42, 0.65, 0.85, 0.90],
                   forest=[0.30, 0.50, 0.80, 0.90])
    accuracy = words.accuracy_sentence(e)
    assert ("ahead of logistic regression and k-nearest neighbours (k = 3) from 100 training digits on (70.0 % "
            "against 60.0 % and 65.0 %; at 50: 40.0 % against 45.0 % and 42.0 %)") in accuracy
    assert "ahead of random forest (100 trees) at every size, already at 50 training digits (40.0 % against 30.0 %)" \
        in accuracy


def test_a_cancelled_run_is_said_on_the_sizes_every_model_reached():
    """Cancel may stop after the network's largest size and before the others': the sentences
    compare what both measured, and never leave a clause empty ("The network is ." before)."""
    e = experiment(net=[0.30, 0.60, 0.90, 0.96], logreg=[0.40, 0.55, 0.80, 0.88], knn=[0.45, 0.65, 0.85, 0.90],
                   forest=[0.35, 0.60, 0.93, 0.965])
    e.results = [r for r in e.results if r.size < 1_000 or r.model == X.NETWORK]  # the others never got to 1,000
    accuracy, cost = words.summary(e)
    assert "ahead of logistic regression from 100 training digits on" in accuracy
    assert "level with" not in accuracy and "at 300 training digits" in accuracy  # the forest, on 50 to 300
    assert "at 300 training digits the network trained for" in cost and "against" in cost
    e.results = [r for r in e.results if r.model == X.NETWORK]  # cancelled before any classical model ran
    assert words.summary(e) == [words.cost_sentence(e)] and "against" not in words.cost_sentence(e)
    assert words.cost_sentence(e).endswith("more).")


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "mnist"


@pytest.mark.skipif(not SHARED.exists(), reason="the official MNIST test set is not beside the project")
def test_with_full_mnist_cached_the_pool_holds_out_its_official_test_digits(monkeypatch, tmp_path):
    """Full MNIST's path, with the official test set standing in for it (8,000 of its digits as the
    training set, 2,000 as the test set): the pool trains on the first, balanced, and holds out
    2,000 of the second; the cache check wants all four files, intact."""
    from engine import digits_data as dd
    x, y = dd.load_mnist_test(SHARED)
    monkeypatch.setattr(dd, "load_full_mnist", lambda: dd.Digits(x[:8_000], y[:8_000], x[8_000:], y[8_000:], 28))
    p = X.digits_pool(3, full=True)
    assert len(p.y) == 8_000 and len(p.y_held) == 2_000 and p.what.startswith("full MNIST")
    assert rows(p.x) == rows(x[:8_000]) and rows(p.x_held) == rows(x[8_000:])  # trains on one, scored on the other
    counts = np.bincount(p.y[:50], minlength=10)
    assert counts.min() == counts.max() == 5
    assert X.sizes_for(len(p.y), 60_000) == [50, 100, 300, 1_000, 3_000, 5_000, 8_000]
    # Only the test set's two files in the cache: not full MNIST (nothing is downloaded to find out).
    import shutil
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(SHARED / name, tmp_path / name)
    assert not X.full_mnist_cached(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not the file")
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"not the file")
    assert not X.full_mnist_cached(tmp_path)
