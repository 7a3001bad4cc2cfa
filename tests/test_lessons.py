"""Lessons: at least eight, from one neuron to deep networks; every reference solution reaches
its goal headless, and the lessons whose point is that the start fails do fail."""
from __future__ import annotations

import pytest

from playground.lessons.catalogue import LessonError, goal_met, load_lessons, parse_lesson, run_headless
from playground.shared.run import History
from tests.conftest import open_page

LESSONS = load_lessons()
TOPICS = ["one neuron", "features", "exclusive or", "depth", "learning rate", "overfitting", "activations",
          "digits"]


def test_at_least_eight_lessons_walk_the_path_in_order():
    assert len(LESSONS) >= 8
    titles = [les.title.lower() for les in LESSONS]
    positions = [next(i for i, t in enumerate(titles) if topic in t) for topic in TOPICS]
    assert positions == sorted(positions), titles
    assert [les.order for les in LESSONS] == sorted({les.order for les in LESSONS})


@pytest.mark.parametrize("lesson", LESSONS, ids=[les.id for les in LESSONS])
def test_reference_solution_reaches_the_goal(lesson):
    reached, notices = run_headless(lesson, solved=True)
    assert notices == [], notices  # the lesson's link and solution use only parameters the page knows
    assert reached is not None, f"{lesson.id}: the reference solution never reached '{lesson.goal.text}'"


@pytest.mark.parametrize("lesson", [les for les in LESSONS if les.start_fails],
                         ids=[les.id for les in LESSONS if les.start_fails])
def test_the_start_alone_does_not_reach_the_goal(lesson):
    reached, _ = run_headless(lesson, solved=False)
    assert reached is None, f"{lesson.id}: the starting configuration already reaches the goal at epoch {reached}"


def _history(values):
    h = History()
    h.add({k: values for k in ("train_loss", "test_loss", "train_acc", "test_acc")})
    return h


def test_goal_needs_the_metric_the_settings_and_the_epochs():
    xor = next(les for les in LESSONS if les.id == "03-xor").goal
    assert goal_met(xor, {"hidden": ""}, _history([0.5, 0.01]))
    assert not goal_met(xor, {"hidden": "4"}, _history([0.5, 0.01]))  # a hidden layer is not allowed
    assert not goal_met(xor, {"hidden": ""}, _history([0.5, 0.2]))
    assert not goal_met(xor, {"hidden": ""}, _history([0.5, float("nan")]))
    late = next(les for les in LESSONS if les.goal.after).goal
    assert not goal_met(late, {}, _history([0.0] * 10))


def test_a_lesson_may_lock_only_controls_its_own_page_has(monkeypatch):
    from playground.lessons import catalogue as lessons
    text = ('order = 9\ntitle = "x"\ntext = "t"\npage = "{page}"\n[start]\nseed = "1"\nlock = "{lock}"\n'
            '[goal]\ntext = "g"\nmetric = "test_loss"\nbelow = 9\n[solution]\nepochs = 1')
    monkeypatch.setattr(lessons, "goal_met", lambda *a: True)  # the controls are what is checked here
    digits = parse_lesson("d", text.format(page="digits", lock="step"))  # the digits lab has no Step
    assert any("'step'" in n for n in run_headless(digits, solved=False)[1])
    toy = parse_lesson("t", text.format(page="toy", lock="step"))
    assert run_headless(toy, solved=False)[1] == []


def test_a_malformed_lesson_is_named():
    with pytest.raises(LessonError, match="'broken'"):
        parse_lesson("broken", 'title = "x"\n[goal]\nmetric = "test_loss"')
    with pytest.raises(LessonError, match="exactly one of below/above"):
        parse_lesson("two", 'order = 1\ntitle = "x"\ntext = "t"\npage = "toy"\n[goal]\ntext = "g"\n'
                            'metric = "test_loss"\n[solution]\nepochs = 1')


def test_the_lessons_page_lists_every_lesson_with_a_start_link():
    at = open_page("lessons")
    text = " ".join(m.value for m in at.markdown)
    for les in LESSONS:
        assert les.title in text and les.goal.text in text
    links = at.get("page_link")
    assert len(links) == len(LESSONS)


def test_a_lesson_opens_set_up_and_its_goal_is_ticked_when_reached():
    from tests.conftest import html
    xor = next(les for les in LESSONS if les.id == "03-xor")
    at = open_page("toy", **{**xor.link(), "features": "x1x2"})  # the student picked the right feature
    assert "Exclusive or without a hidden layer" in html(at) and "Achieved" not in html(at)
    assert at.number_input(key="hidden").disabled  # the lesson locks the hidden layers
    at.select_slider(key="speed").set_value(100).run()
    for _ in range(5):
        at.button(key="step").click().run()
    at.session_state.toy.run.train(300)
    at.run()
    assert "✓ Achieved at epoch" in html(at)
