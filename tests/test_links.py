"""Links that carry every setting, and the teacher's controls in them."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from playground.shared.links import Teacher, split_query
from playground.draw.settings import DrawSettings
from playground.toy.settings import ToySettings
from playground.toy.settings import CONTROLS
from playground.toy.owndata import OwnData, encode
from tests.conftest import open_page, notice


def test_split_query_separates_teacher_parameters():
    settings, t, notices = split_query(
        {"dataset": "xor", "hide": "learning_rate,speed", "lock": "dataset", "noise_hide": "true",
         "seed_lock": "1", "explain": "false", "lesson": "03-xor"}, CONTROLS, ["03-xor"])
    assert settings == {"dataset": "xor"} and notices == []
    assert t == Teacher(frozenset({"learning_rate", "speed", "noise"}), frozenset({"dataset", "seed"}), False, "03-xor")
    again, t2, _ = split_query({**settings, **t.to_query()}, CONTROLS, ["03-xor"])
    assert again == settings and t2.hidden == t.hidden and t2.locked == t.locked and not t2.explain


def test_split_query_names_what_it_cannot_use():
    _, t, notices = split_query({"hide": "lr,nonsense", "explain": "perhaps", "lesson": "nope", "speed_hide": "x"},
                                CONTROLS, ["03-xor"])
    text = "; ".join(notices)
    assert "'lr'" in text and "'nonsense'" in text and "explain" in text and "'nope'" in text and "speed_hide" in text
    assert t == Teacher()


def test_every_toy_setting_round_trips_through_the_page_url():
    s = ToySettings(dataset="spiral", noise=20, train_ratio=70, batch_size=5, data_seed=7, seed=11,
                    features=("x1", "x2", "sinx1"), hidden=(6, 3), activation="relu", head="sigmoid_bce",
                    init="he", learning_rate=0.01, optimiser="adam", momentum=0.8, weight_decay=1e-3,
                    schedule="step", schedule_period=40, schedule_rate=0.3, regularisation="l2", reg_rate=0.003,
                    speed=50, show_test=True, discretise=True, classes=4)
    assert set(s.to_query()) == set(ToySettings.FIELDS) - {"problem", "points"}  # all but two differ from the defaults
    regression = ToySettings(problem="regression", dataset="multi_gauss", head="linear_huber", hidden=(5,))
    drawn = OwnData("multiclass", np.array([[1, 2], [-3, 0.5], [4, -4], [0, 0]], np.float32),
                    np.array([0, 1, 2, 1], np.int32), np.array([False, True, False, False]))
    own = ToySettings(problem="multiclass", dataset="own", head="softmax_ce", points=encode(drawn))
    for settings in (s, regression, own):
        at = open_page("toy", **settings.to_query())
        assert at.session_state.toy.run.settings == settings and not notice(at)
        assert dict(at.query_params) == settings.to_query()  # the address bar says the same


def test_a_link_reproduces_the_same_run():
    query = {"dataset": "xor", "hidden": "3", "seed": "5", "data_seed": "9", "noise": "10"}
    runs = []
    for _ in range(2):
        at = open_page("toy", **query)
        for _ in range(3):
            at.button(key="step").click().run()
        runs.append(at.session_state.toy.run)
    a, b = runs
    assert a.epoch == b.epoch == 3
    np.testing.assert_array_equal(a.toy.points_train, b.toy.points_train)
    for x, y in zip(jax.tree.leaves(a.state.params), jax.tree.leaves(b.state.params)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    np.testing.assert_array_equal(a.history.series("test_loss"), b.history.series("test_loss"))


def test_changing_a_widget_updates_the_address():
    at = open_page("toy")
    at.select_slider(key="learning_rate").set_value(0.3).run()
    assert at.query_params["learning_rate"] == ["0.3"] or at.query_params["learning_rate"] == "0.3"


def test_hand_edited_toy_links_never_crash_and_name_what_was_ignored():
    at = open_page("toy", hidden="4,x", noise="-3", dataset="plane", speed="7", features="", wat="1",
                   learning_rate="1e9")
    text = notice(at)
    for name in ("hidden", "noise", "speed", "features", "'wat'", "learning_rate"):
        assert name in text
    assert "plane" in text  # a regression data set with a classification head: fields fine alone, not together
    assert at.session_state.toy.run.settings == ToySettings()


def test_hidden_controls_are_not_shown_and_locked_ones_cannot_change():
    at = open_page("toy", hide="learning_rate,hidden", lock="dataset,play", explain="false")
    css = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-learning_rate" in css and ".st-key-hidden" in css and ".st-key-hidden_0" in css
    assert ".st-key-noise" not in css
    assert at.selectbox(key="dataset").disabled and not at.slider(key="noise").disabled
    assert at.button(key="play").disabled and not at.button(key="step").disabled
    assert not any("Each square is one neuron" in c.value for c in at.caption)  # explanations hidden
    assert dict(at.query_params)["lock"] in ("dataset,play", ["dataset,play"])


def test_explanations_are_shown_by_default():
    at = open_page("toy")
    assert any("Each square is one neuron" in c.value for c in at.caption)
    assert not at.selectbox(key="dataset").disabled


def test_a_copy_link_button_is_on_every_page():
    for page in ("toy", "digits", "draw"):
        at = open_page(page, **({"source": "sklearn8"} if page == "digits" else {}))
        names = [e.proto.component_name for e in at.get("bidi_component")]
        assert "nn_playground_copy_link" in names, page


def test_digits_settings_and_teacher_controls_come_from_the_link():
    at = open_page("digits", source="sklearn8", hidden="24,12", epochs="5", seed="3", lock="epochs",
                   hide="augment")
    s = at.session_state.digits.run.settings
    assert (s.source, s.hidden, s.epochs, s.seed) == ("sklearn8", (24, 12), 5, 3)
    assert at.slider(key="epochs").disabled
    assert ".st-key-augment" in " ".join(h.proto.body for h in at.get("html"))
    assert dict(at.query_params)["hidden"] in ("24,12", ["24,12"])


@pytest.mark.parametrize("query,ok", [({"pen": "30"}, True), ({"pen": "300"}, False), ({"pen": "thick"}, False)])
def test_draw_pen_width_comes_from_the_link(query, ok):
    at = open_page("draw", **query)
    assert at.slider(key="pen").value == (30 if ok else DrawSettings().pen)
    assert ("pen" in notice(at)) != ok


def test_the_readme_lists_every_teacher_control_name_of_every_page():
    """A teacher finds the hide=/lock= names in the README: exactly the names each page takes."""
    import re

    from playground.digits.settings import CONTROLS as DIGITS
    from playground.draw.settings import CONTROLS as DRAW
    from tests.conftest import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page, controls in (("toy lab", CONTROLS), ("digits lab", DIGITS), ("draw page", DRAW)):
        listed = re.search(rf"- {page}: `([^`]*)`", readme, re.S).group(1).split()
        assert sorted(listed) == sorted(controls), page


def test_hide_advanced_hides_the_whole_sidebar():
    at = open_page("toy", hide="advanced")
    css = " ".join(h.proto.body for h in at.get("html"))
    assert "[data-testid=stSidebar]" in css and not notice(at)
    assert "in the sidebar" not in " ".join(m.value for m in at.markdown)
