"""The teacher's view headless: the key check, the students' reports, the cards, links sent, the pause,
the drawings board's numbers, and ``nn-playground --class``."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground.classroom import board, cards, hub as hub_module, messages
from playground.classroom.hub import is_teacher_key
from playground.classroom.store import Drawing, SQLiteStore
from playground.classroom.student import ANIMALS, COLOURS, Student, assigned_nickname, clean_nickname, record
from tests.conftest import APP

KEY = "the-teachers-key-0123456789"


@pytest.fixture
def in_class(monkeypatch, tmp_path):
    """This process serves a class: the teacher's key and a SQLite store of the test's own; a new hub."""
    monkeypatch.setenv(hub_module.KEY_ENV, KEY)
    monkeypatch.setenv(hub_module.STORE_ENV, f"sqlite:///{tmp_path}/class.sqlite3")
    monkeypatch.setattr(hub_module, "_hub", None)
    yield SQLiteStore(tmp_path / "class.sqlite3")
    if hub_module._hub is not None:
        hub_module._hub.stop()


def open_app(page_file: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page_file:
        at.switch_page(page_file)
        at.run()
    return at


def class_html(at) -> str:
    return "".join(json.loads(e.proto.json)["html"] for e in at.get("bidi_component")
                   if e.proto.component_name == "nn_playground_class")


def flush() -> None:
    hub_module.hub().tick()  # what the hub's thread does every half second, now


# --- the key ------------------------------------------------------------------------------------
def test_keys_are_compared_whole(monkeypatch):
    monkeypatch.setenv(hub_module.KEY_ENV, KEY)
    assert is_teacher_key(KEY)
    assert not is_teacher_key(KEY[:-1]) and not is_teacher_key(KEY + "x") and not is_teacher_key("")
    assert not is_teacher_key(None)
    monkeypatch.delenv(hub_module.KEY_ENV)
    assert not is_teacher_key("") and not is_teacher_key(KEY)  # no class: no key opens it


@pytest.mark.parametrize("query", [{}, {"key": "wrong"}, {"key": KEY[:-1]}])
def test_without_the_key_the_class_page_says_one_sentence_and_shows_no_data(in_class, query):
    in_class.report({"s1": {"nickname": "secret owl", "page": "toy", "at": time.time()}})
    at = open_app("classroom/page.py", **query)
    assert [e.value for e in at.error] == [
        "This page is for the teacher: open it with the teacher's address that `nn-playground --class` printed "
        "(this link's key is missing or wrong)."]
    assert class_html(at) == "" and "secret owl" not in str(at.main)
    assert not at.exception


def test_a_students_session_asking_for_the_class_data_is_refused(in_class):
    in_class.report({"s1": {"nickname": "secret owl", "page": "toy", "at": time.time()}})
    at = open_app("glossary/page.py")  # a student, in the class
    assert at.get("popover")[0].proto.popover.label.startswith("In class as ")
    at.switch_page("classroom/page.py").run()
    assert len(at.error) == 1 and class_html(at) == "" and "secret owl" not in str(at.main)


def test_with_the_key_the_class_page_shows_every_card_and_takes_the_key_out_of_the_address(in_class):
    now = time.time()
    in_class.report({"s1": {"nickname": "secret owl", "page": "toy", "lab": "toy", "epoch": 40, "at": now},
                     "s2": {"nickname": "red fox", "page": "digits", "lab": "digits", "epoch": 3, "at": now,
                            "lesson": "10-digits", "goal_epoch": 3, "goal_at": now}})
    at = open_app("classroom/page.py", key=KEY)
    assert not at.error and not at.exception
    shown = class_html(at)
    assert 'data-nick="secret owl"' in shown and 'data-nick="red fox"' in shown
    assert "<b>2</b> students · <b>1</b> reached" in shown
    assert "key" not in at.query_params
    at.run()  # the session keeps the teacher's right without the key in the address
    assert "secret owl" in class_html(at)


def test_the_teacher_showing_a_lab_is_no_students_card(in_class):
    at = open_app("classroom/page.py", key=KEY)
    at.switch_page("toy/page.py").run()
    assert not at.exception
    assert not any(p.proto.popover.label.startswith("In class as") for p in at.get("popover"))
    flush()
    assert in_class.students() == {}


def test_outside_a_class_the_class_page_says_how_to_start_one(monkeypatch):
    monkeypatch.delenv(hub_module.KEY_ENV, raising=False)
    at = open_app("classroom/page.py", key="anything")
    assert [e.value for e in at.info][0].startswith("No class is being served")
    assert not at.get("popover")  # and no page has a class bar


# --- the students' side -------------------------------------------------------------------------
def test_a_student_reports_nickname_and_page_and_can_rename(in_class):
    at = open_app("glossary/page.py")
    flush()
    [(sid, rec)] = in_class.students().items()
    assert rec["page"] == "glossary" and " " in rec["nickname"]
    at.text_input(key="class_nickname").input("  Ada   L. ").run()
    flush()
    assert in_class.students()[sid]["nickname"] == "Ada L."
    at.text_input(key="class_nickname").input("*Ada* [me](http://x)").run()
    # Shown as typed: every Markdown character escaped, so no emphasis and no link
    assert at.get("popover")[0].proto.popover.label == r"In class as \*Ada\* \[me\]\(http\://x\)"
    at.text_input(key="class_nickname").input("Ada L.").run()
    at.text_input(key="class_nickname").input("   ").run()
    assert at.warning[0].value.startswith("Type a nickname")
    flush()
    assert in_class.students()[sid]["nickname"] == "Ada L."  # the last good one stays


class FakeRun:
    """What a lab session's run offers a report: epoch, history and (toy lab) the decision map."""

    class History:
        def __init__(self, values):
            self.values = values

        def last(self, name):
            return self.values.get(name, float("nan"))

    def __init__(self, epoch, **values):
        self.epoch, self.history = epoch, self.History(values)


def test_a_digits_labs_report_carries_lesson_goal_epoch_loss_and_accuracy():
    from types import SimpleNamespace
    session = SimpleNamespace(run=FakeRun(7, test_loss=0.25, test_acc=0.875), playing=True, goal=None,
                              teacher=SimpleNamespace(lesson="08-digits"))
    student = Student("id", "red fox", page="digits", lab="digits")
    state = {"digits": session}
    rec = record(student, state)
    assert (rec["nickname"], rec["page"], rec["epoch"], rec["test_loss"], rec["accuracy"]) == \
        ("red fox", "digits", 7, 0.25, 0.875)
    assert rec["goal_at"] is None and rec["lesson"] == "08-digits" and rec["lesson_title"].startswith("8. ")
    session.goal = 6  # reached at epoch 6: when it was first seen is kept, not moved on
    first = record(student, state)["goal_at"]
    assert first is not None and record(student, state)["goal_at"] == first
    session.run = FakeRun(8, test_loss=float("nan"), test_acc=0.9)
    assert record(student, state)["test_loss"] is None  # JSON has no NaN


def test_nicknames():
    import random
    assert assigned_nickname(random.Random(0)).count(" ") == 1
    every = {assigned_nickname(random.Random(0), taken=[f"x {k}"]) for k in range(3)}
    assert len(every) == 1  # the same seed, the same choice
    taken = {f"{c} {a}" for c in COLOURS for a in ANIMALS} - {"red fox"}
    assert assigned_nickname(random.Random(1), taken) == "red fox"  # the one left
    assert clean_nickname("  blue   heron ") == "blue heron"
    for bad in ("", "   ", "a" * 25, "bell\x07"):
        with pytest.raises(ValueError):
            clean_nickname(bad)


# --- what the teacher sends ---------------------------------------------------------------------
def test_a_pasted_link_becomes_a_message_for_its_page_without_any_key():
    m = messages.from_link("http://10.0.0.5:8501/digits?hidden=64,32&key=abc")
    assert (m["page"], m["query"], m["label"]) == ("digits", {"hidden": "64,32"}, "/digits?hidden=64,32")
    assert messages.from_link("/?dataset=xor")["page"] == "toy"
    assert messages.from_link("toy?dataset=xor")["query"] == {"dataset": "xor"}
    for bad, says in (("", "Paste a link"), ("http://x/admin", "ends in /admin"), ("javascript:alert(1)", "javascript")):
        with pytest.raises(ValueError, match=says):
            messages.from_link(bad)


def test_a_lesson_becomes_a_message_that_opens_its_lab():
    from playground.lessons.catalogue import find
    m = messages.from_lesson(find("03-xor"))
    assert m["page"] == "toy" and m["query"]["lesson"] == "03-xor" and m["label"].startswith("Lesson 3: ")


def test_a_sent_link_and_the_pause_reach_a_students_page(in_class):
    in_class.set_control(message=messages.from_link("/digits?hidden=64"), paused=True)
    at = open_app("glossary/page.py")
    flush()
    at.run()
    said = [e.value for e in at.info] + [e.value for e in at.warning]
    assert any(s.startswith("Your teacher sent: **/digits?hidden=64**") for s in said), said
    assert any(s.startswith("Your teacher paused the class") for s in said), said
    [link] = [e for e in at.get("page_link")]
    assert (link.proto.label, link.proto.page, link.proto.query_string) == ("Open", "digits", "hidden=64")


# --- the cards ------------------------------------------------------------------------------------
def test_cards_sort_by_progress_count_goals_and_escape_nicknames():
    recs = {"a": {"nickname": "late", "goal_at": 20.0, "goal_epoch": 9, "epoch": 90, "at": 0},
            "b": {"nickname": "<script>x</script>", "epoch": 500, "at": 0},
            "c": {"nickname": "early", "goal_at": 10.0, "goal_epoch": 5, "epoch": 10, "at": 0},
            "d": {"nickname": "behind", "epoch": 5, "at": 0}}
    assert [r["nickname"] for r in cards.sort_records(recs)] == ["early", "late", "<script>x</script>", "behind"]
    assert cards.summary(recs) == (4, 2)
    shown = cards.cards_html(recs, now=1.0)
    assert "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    assert cards.cards_html(recs, now=100.0).count(" away") == 4  # nothing heard for 100 s


# --- the drawings board -----------------------------------------------------------------------------
def test_confusions_are_the_mistakes_most_frequent_first():
    assert board.confusions([7, 7, 7, 4, 1, 3], [1, 1, 7, 9, 1, 8]) == [(7, 1, 2), (3, 8, 1), (4, 9, 1)]
    assert board.accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75


def test_every_fourth_drawing_is_held_out_of_the_fine_tuning():
    train, held = board.split(10)
    assert list(held) == [3, 7] and list(train) == [0, 1, 2, 4, 5, 6, 8, 9]


def test_the_board_reads_with_the_models_argmax():
    from engine.model import MLPSpec
    spec = MLPSpec(784, (), 10, "relu", "softmax_ce")
    w = np.zeros((784, 10), np.float32)
    w[0, 3] = w[1, 8] = 1.0  # pixel 0 says 3, pixel 1 says 8
    x = np.zeros((2, 784), np.float32)
    x[0, 0] = x[1, 1] = 1.0
    assert list(board.read([(w, np.zeros(10, np.float32))], spec, x)) == [3, 8]
    d = [Drawing(1, "s", "n", 3, x[0].reshape(28, 28), 0.0)]
    assert board.as_inputs(d).shape == (1, 784)


# --- nn-playground --class --------------------------------------------------------------------------
def test_class_prints_the_teachers_address_with_a_new_random_key(monkeypatch, tmp_path):
    import os

    from playground.server.cli import free_port, main, start_class
    monkeypatch.setenv("NN_PLAYGROUND_CACHE", str(tmp_path))
    monkeypatch.setenv(hub_module.KEY_ENV, "")  # put back after the test
    monkeypatch.setenv(hub_module.STORE_ENV, "")
    line = start_class(["--server.port", "9000", "--server.baseUrlPath", "school"], None)
    key = os.environ[hub_module.KEY_ENV]
    assert len(key) >= 24 and line.endswith(f"teacher's page (keep this address to yourself): "
                                            f"http://localhost:9000/school/class?key={key}")
    assert "class.sqlite3" in line
    start_class([], None)
    assert os.environ[hub_module.KEY_ENV] != key  # a new key every time
    port = free_port()  # nothing listens: the class starts anyway and the line says why it has no store
    line = start_class([], f"redis://127.0.0.1:{port}/0")
    assert line.startswith(f"nn-playground: The class store (the Redis server at 127.0.0.1:{port}) cannot be reached")
    assert os.environ[hub_module.STORE_ENV] == f"redis://127.0.0.1:{port}/0"
    with pytest.raises(SystemExit, match="--store goes with --class"):
        main(["--store", "redis://127.0.0.1:6379/0"])


def test_a_store_that_cannot_be_reached_is_one_sentence_for_the_teacher_and_nothing_for_students(monkeypatch):
    from playground.server.cli import free_port
    port = free_port()  # nothing listens there
    monkeypatch.setenv(hub_module.KEY_ENV, KEY)
    monkeypatch.setenv(hub_module.STORE_ENV, f"redis://127.0.0.1:{port}/0")
    monkeypatch.setattr(hub_module, "_hub", None)
    try:
        student = open_app("glossary/page.py")
        assert not student.exception and not student.error  # the page works as if there were no class
        student.run()
        assert not student.exception and not student.error
        teacher = open_app("classroom/page.py", key=KEY)
        said = {e.value for e in teacher.error}
        assert said == {f"The class store (the Redis server at 127.0.0.1:{port}) cannot be reached: Error 111 "
                        f"connecting to 127.0.0.1:{port}. Connection refused. The students keep working; this page "
                        "tries again every second."}, said
        assert not teacher.exception
    finally:
        hub_module.hub().stop()


def test_a_class_model_learns_the_classs_drawings_and_is_scored_on_held_out_ones():
    """Sixteen drawings of one odd pattern (a thick bar along the bottom, a little noise each),
    every one meant as a 4: the default model reads few of them as 4; fine-tuned on twelve of them,
    the class model reads the four held out as 4."""
    from engine.default_model import load_or_train_default
    m = load_or_train_default()
    rng = np.random.default_rng(0)
    drawings = []
    for k in range(16):
        img = np.zeros((28, 28), np.float32)
        img[20:24, 5:23] = 1.0
        img += rng.uniform(0, 0.15, img.shape).astype(np.float32)
        drawings.append(Drawing(k, f"s{k}", f"n{k}", 4, np.clip(img, 0, 1), 0.0))
    tuned = board.tune_class_model(m.params, m.spec, drawings)
    assert (tuned.n_train, tuned.n_held) == (12, 4)
    held = board.as_inputs([drawings[i] for i in (3, 7, 11, 15)])
    assert tuned.before == np.mean(board.read(m.params, m.spec, held) == 4)
    assert tuned.after == 1.0 and tuned.before < 1.0


def test_the_boards_button_fine_tunes_a_class_model_and_says_before_and_after(in_class):
    rng = np.random.default_rng(1)
    for k in range(8):
        img = np.zeros((28, 28), np.float32)
        img[4:24, 13:16] = 1.0  # a 1, more or less
        in_class.add_drawing(f"s{k}", f"n{k}", 1, np.clip(img + rng.uniform(0, 0.1, img.shape), 0, 1))
    at = open_app("classroom/page.py", key=KEY)
    said = " ".join(m.value for m in at.markdown)
    assert "**8 drawings** from the class" in said, said
    assert len(at.get("bidi_component")) == 2  # the cards and the board's grid
    at.button(key="class_tune").click().run()
    assert not at.exception
    [done] = [s.value for s in at.success]
    assert done.startswith("Fine-tuned on 6 of the class's drawings. On the 2 drawings held out of it: the default "
                           "model reads **"), done


def test_clear_the_class_deletes_every_card_and_drawing_and_pause_sets_the_store(in_class):
    in_class.report({"s1": {"nickname": "owl", "page": "toy", "at": time.time()}})
    in_class.add_drawing("s1", "owl", 3, np.zeros((28, 28)))
    at = open_app("classroom/page.py", key=KEY)
    at.button(key="class_pause").click().run()
    assert in_class.control().get("paused") is True
    at.button(key="class_resume").click().run()
    assert in_class.control().get("paused") is False
    at.button(key="class_clear").click().run()
    assert in_class.students() == {} and in_class.drawings() == []
    assert any(i.value.startswith("The class is cleared") for i in at.info)
