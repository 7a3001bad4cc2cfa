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


# --- the lessons on how a network learns ---------------------------------------------------------
def _lesson(lesson_id):
    return next(les for les in LESSONS if les.id == lesson_id)


def _start_run(lesson, **changes):
    from playground.shared.links import split_query
    from playground.toy.run import ToyRun
    from playground.toy.settings import CONTROLS, ToySettings
    query, _, _ = split_query({**lesson.start, **changes}, CONTROLS)
    return ToyRun(ToySettings.from_query(query)[0])


def test_the_path_goes_on_into_how_a_network_learns():
    goals = [les.goal for les in LESSONS]
    assert any(g.max_epoch == 0 for g in goals)  # a neuron set by hand
    assert any(g.view == "curve" for g in goals)  # the loss along one weight
    assert any(g.max_epoch and g.max_epoch > 0 for g in goals)  # the learning rate, against the clock
    assert any(g.phase == "update" for g in goals)  # backpropagation, step by step


def test_weights_set_by_hand_count_and_training_does_not():
    from playground.lessons.catalogue import goal_epoch
    from playground.toy import learning as L
    lesson = _lesson("09-neuron-by-hand")
    run = _start_run(lesson)
    query = run.settings.to_query(full=True)
    run.train(300)  # Play: a low test loss, but trained
    assert run.history.last("test_loss") < lesson.goal.below
    assert goal_epoch(lesson.goal, query, run.history) is None
    run.new_weights()  # Reset: epoch 0, new weights
    assert run.epoch == 0 and goal_epoch(lesson.goal, run.settings.to_query(full=True), run.history) is None
    lg = L.Learning(view="sum")
    for what, value in [("w:1:0:0", 0.5), ("w:1:1:0", 0.5), ("b:1:0", 0.0)]:
        L.pick(run, lg, what)
        run.edit(*lg.weight, value)
    assert goal_epoch(lesson.goal, run.settings.to_query(full=True), run.history) == 0


def test_the_loss_curve_lesson_needs_its_view_open():
    lesson = _lesson("10-loss-along-a-weight")
    run = _start_run(lesson)
    run.train(lesson.solution_epochs)
    query = run.settings.to_query(full=True)
    assert goal_met(lesson.goal, query, run.history, {"view": "curve"})
    for other in ("off", "gradients", "sum"):
        assert not goal_met(lesson.goal, query, run.history, {"view": other})


@pytest.mark.parametrize("rate,reached", [("0.00001", False), ("0.0001", False), ("0.001", False), ("0.003", True),
                                          ("0.01", True), ("0.03", True), ("0.1", True), ("0.3", False),
                                          ("1", False), ("10", False)])
def test_only_a_rate_between_crawling_and_overshooting_reaches_the_bottom_in_three_epochs(rate, reached):
    import dataclasses
    lesson = _lesson("11-rate-on-the-curve")
    lesson = dataclasses.replace(lesson, solution={"learning_rate": rate}, solution_epochs=20)
    got, _ = run_headless(lesson, solved=True)
    assert (got is not None) == reached, (rate, got)
    if got is not None:
        assert got <= lesson.goal.max_epoch


def test_a_goal_with_a_last_epoch_finds_a_value_a_frame_trained_past():
    from playground.lessons.catalogue import Goal, goal_epoch
    h = _history([0.5, 0.4, 0.004, 0.3, 0.2])  # below 0.005 at epoch 2 only; the frame ended at 4
    assert goal_epoch(Goal("g", "train_loss", below=0.005, max_epoch=3), {}, h) == 2
    assert goal_epoch(Goal("g", "train_loss", below=0.005, max_epoch=1), {}, h) is None
    assert goal_epoch(Goal("g", "train_loss", below=0.005), {}, h) is None  # no last epoch: the latest value


def test_the_backpropagation_lesson_needs_the_last_step():
    lesson = _lesson("12-backpropagation")
    run = _start_run(lesson)
    query = run.settings.to_query(full=True)
    for phase, met in [("", False), ("forward", False), ("backward", False), ("update", True)]:
        assert goal_met(lesson.goal, query, run.history, {"view": "steps", "phase": phase}) is met


def test_a_goal_may_ask_only_for_what_exists():
    head = 'order = 9\ntitle = "x"\ntext = "t"\npage = "{page}"\n[solution]\nepochs = 1\n[goal]\ntext = "g"\n'
    with pytest.raises(LessonError, match="view must be one of"):
        parse_lesson("v", head.format(page="toy") + 'metric = "test_loss"\nbelow = 1\nview = "nonsense"')
    with pytest.raises(LessonError, match="needs a metric"):
        parse_lesson("m", head.format(page="toy") + 'view = "curve"')
    with pytest.raises(LessonError, match="only the toy lab"):
        parse_lesson("d", head.format(page="digits") + 'phase = "update"')
    assert parse_lesson("p", head.format(page="toy") + 'phase = "update"').goal.metric is None


def test_a_neuron_set_by_hand_in_the_page_ticks_its_goal_at_epoch_0():
    from tests.conftest import html
    lesson = _lesson("09-neuron-by-hand")
    at = open_page("toy", **lesson.link())
    assert "Achieved" not in html(at)
    at.segmented_control(key="learn_view").set_value("sum").run()
    for weight, value in [((1, 0, 0), 1.0), ((1, 1, 0), 1.0), ((1, None, 0), 0.0)]:
        at.selectbox(key="learn_weight").set_value(weight).run()
        at.number_input(key="learn_value").set_value(value).run()
    assert not at.exception, at.exception
    assert "✓ Achieved at epoch 0" in html(at)


def test_the_backpropagation_goal_is_ticked_at_the_update_step_and_a_late_goal_says_reset():
    from tests.conftest import html
    at = open_page("toy", **_lesson("12-backpropagation").link())
    assert "open How it learns › One update, step by step" in html(at)
    at.segmented_control(key="learn_view").set_value("steps").run()
    for _ in range(5):
        at.button(key="learn_next").click().run()
        assert "Achieved" not in html(at) and "now at step" in html(at)
    at.button(key="learn_next").click().run()
    assert "✓ Achieved at epoch 0" in html(at)
    at = open_page("toy", **_lesson("11-rate-on-the-curve").link())
    for _ in range(4):
        at.button(key="step").click().run()
    assert "only counts up to epoch 3: press Reset" in html(at)
    at.button(key="reset").click().run()
    assert "press Reset" not in html(at) and "now training loss" in html(at)
