"""The toy lab's settings object: validation that names the field, and URL round trips."""
from __future__ import annotations

import numpy as np
import pytest

from playground.toy.owndata import OwnData, encode

from playground.toy.settings import FIELDS, SettingsError, ToySettings


def test_defaults_are_tf_playgrounds():
    s = ToySettings()
    assert (s.dataset, s.features, s.hidden, s.activation, s.learning_rate, s.batch_size) == \
        ("circle", ("x1", "x2"), (4, 2), "tanh", 0.03, 10)
    assert s.to_query() == {}


@pytest.mark.parametrize("change,named,range_text", [
    (dict(hidden=(4,) * 200), "hidden", "0 to 8 layers"),
    (dict(learning_rate=-0.1), "learning_rate", "0.03"),
    (dict(learning_rate=0.05), "learning_rate", "one of 1e-05"),
    (dict(speed=37), "speed", "one of 1, 2, 5"),
    (dict(noise=300), "noise", "0 to 50"),
    (dict(activation="swish2"), "activation", "relu"),
    (dict(features=()), "features", "one or more"),
    (dict(batch_size=0), "batch_size", "1 to 100"),
    (dict(dataset="plane"), "dataset", "regression"),
    (dict(head="linear_mse"), "head", "regression"),
])
def test_out_of_range_settings_are_rejected_with_field_and_range(change, named, range_text):
    with pytest.raises(SettingsError) as e:
        ToySettings().changed(**change)
    assert named in str(e.value) and range_text in str(e.value)


def test_every_field_round_trips_through_the_url():
    s = ToySettings(problem="regression", dataset="multi_gauss", noise=25, train_ratio=70, batch_size=17,
                    data_seed=5, seed=9, features=("x1sq", "sinx2"), hidden=(3, 5, 7), activation="relu",
                    head="linear_huber", init="he", learning_rate=0.003, optimiser="adamw", momentum=0.8,
                    weight_decay=0.01, schedule="step", schedule_period=50, schedule_rate=0.25,
                    regularisation="l2", reg_rate=0.03, speed=200, show_test=True, discretise=True, classes=5,
                    points=encode(OwnData("regression", np.array([[1.5, -2.0]], np.float32), np.array([0.5], np.float32),
                                          np.array([False]))))
    q = s.to_query()
    assert set(q) == set(FIELDS)  # every field differs from its default here
    assert all(isinstance(v, str) for v in q.values())
    back, notices = ToySettings.from_query(q)
    assert back == s and notices == []


def test_bad_url_parameters_are_named_and_skipped():
    s, notices = ToySettings.from_query({"hidden": "3,x", "noise": "300", "wat": "1", "learning_rate": "0.1",
                                         "activation": "nope", "show_test": "maybe"})
    assert s.learning_rate == 0.1 and s.hidden == (4, 2) and s.noise == 0
    text = " ".join(notices)
    for name in ("hidden", "noise", "wat", "activation", "show_test"):
        assert name in text


def test_parameters_fine_alone_but_not_together_fall_back_to_defaults():
    s, notices = ToySettings.from_query({"dataset": "plane"})  # regression data, classification problem
    assert s == ToySettings() and "dataset" in notices[0]


def test_regularisation_rates():
    assert ToySettings(regularisation="l1", reg_rate=0.3).reg_l1 == 0.3
    assert ToySettings(regularisation="l1", reg_rate=0.3).reg_l2 == 0.0
    assert ToySettings(regularisation="none", reg_rate=0.3).reg_l2 == 0.0
