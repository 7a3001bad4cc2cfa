"""Hostile links, generated: whatever a query holds (any keys, any text, huge values, Markdown,
unicode, NaN, infinities, numbers beyond float range, nothing at all), the link reader returns
usable settings and short one-line notices, and never raises; and every value a setting accepts,
its widget on the page can show (and every value the widget offers, the setting accepts).

Hypothesis draws the queries; ``benchmarks/hostile.py`` counts the examples tried here."""
from __future__ import annotations

import math
import re
import string
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.digits.settings import CONTROLS as DIGITS_CONTROLS, DigitsSettings
from playground.draw.settings import CONTROLS as DRAW_CONTROLS, DrawSettings
from playground.lessons import catalogue as lessons
from playground.shared.fields import MAX_NAMED, MAX_SHOWN, shown
from playground.shared.links import JOINER, PAGE_KEYS, notice_text, plain, split_query
from playground.toy.settings import CONTROLS as TOY_CONTROLS, ToySettings
from tests.conftest import open_page

EXAMPLES = 300
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FIELD_EXAMPLES = 100  # per field: the widget-range property below runs once for each numeric field
FIELD_FUZZ = settings(FUZZ, max_examples=FIELD_EXAMPLES)

# A lab as its page reads its link: its settings, its controls, its lessons and the others'.
LABS = {
    "toy": (ToySettings, TOY_CONTROLS, lessons.lesson_ids("toy"), lessons.other_lessons("toy")),
    "digits": (DigitsSettings, DIGITS_CONTROLS, lessons.lesson_ids("digits"), lessons.other_lessons("digits")),
    "draw": (DrawSettings, DRAW_CONTROLS, (), None),
}
KNOWN_KEYS = sorted({*ToySettings.FIELDS, *DigitsSettings.FIELDS, *DrawSettings.FIELDS, *PAGE_KEYS,
                     *(f"{c}_{t}" for c in {*TOY_CONTROLS, *DIGITS_CONTROLS} for t in ("hide", "lock"))})
NUMBERS = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "1e-999", "-0", "0x10", "1_000",
           "١٢", "½", "9" * 5000, "0." + "0" * 400 + "1", "1e308", "4.9e-324", "2147483648", "-2147483649",
           "0.995", "0.02", "150", "0.7", "17", "1024", "8,8,8,8,8,8,8,8,8", "4,,4", ",", "4,x", "16,17"]
MARKDOWN = ["[click me](https://example.com)", "![i](https://example.com/x.png)", "**b**", ":red[x]", "$x$",
            "<script>alert(1)</script>", "# h", "`c`", "\\", "\n", "\r\n", "\u2028", "\x00", "'\"", "…"]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NUMBERS + MARKDOWN),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10 ** 30, 10 ** 30).map(str),
    st.lists(st.sampled_from(NUMBERS + ["x1", "x2", "sinx1", "relu", "4", "512"]), max_size=12).map(",".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "9", "é", "\x00", "🧠", "[", "\n", ","]),
              st.integers(100, 100_000)),
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=20),
                 st.builds(lambda k, t: f"{k}_{t}", st.sampled_from(KNOWN_KEYS), st.sampled_from(["hide", "lock"])),
                 st.builds(lambda c, n: c * n, st.sampled_from(["k", "🧠", "\n"]), st.integers(100, 20_000)))
QUERIES = st.dictionaries(KEYS, TEXT, max_size=12)


def longest_notice(settings_type, controls) -> int:
    """The longest a single notice may be, whatever the link: the fixed words of the longest kind
    of notice, plus the user's text at most MAX_NAMED values of at most MAX_SHOWN characters."""
    problems = [f.check(object()) for f in settings_type.FIELDS.values()]
    longest_problem = max(len(k) + len(p) for k, p in zip(settings_type.FIELDS, problems))
    user = MAX_NAMED * (MAX_SHOWN + 4) + len(" and 99999 more")
    controls_sentence = len(": no such control (the controls here are ") + len(", ".join(controls))
    return 120 + max(longest_problem, controls_sentence) + user


def check_notices(notices: list[str], bound: int) -> None:
    for n in notices:
        assert isinstance(n, str) and n, notices
        assert len(n.splitlines()) == 1, n  # one line: no line break of any kind
        assert len(n) <= bound, (len(n), n[:200])
    text = notice_text(notices)
    assert len(text.splitlines()) <= 1 and len(text) <= bound * max(1, len(notices)) + 40


@FUZZ
@given(QUERIES)
def test_any_link_gives_settings_and_short_one_line_notices_and_never_raises(query):
    for lab, (settings_type, controls, own, others) in LABS.items():
        part, teacher, said = split_query(query, controls, own, others)
        s, more = settings_type.from_query(part)
        assert isinstance(s, settings_type)
        assert teacher.hidden <= set(controls) and teacher.locked <= set(controls)
        assert teacher.lesson is None or teacher.lesson in own
        check_notices(said + more, longest_notice(settings_type, controls))
        # What comes out writes a link that reads back without a remark and writes itself again
        # (to the digits a link prints: 1.000001e-10 for a dropout reads as 1e-10).
        again, remarks = settings_type.from_query(s.to_query())
        assert remarks == [] and again.to_query() == s.to_query(), lab
        if not more:  # nothing remarked: every setting in the link is the one used
            assert all(getattr(s, k) == settings_type.FIELDS[k].parse(v) for k, v in part.items()), lab


ANYTHING = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6000, 10 ** 6000), st.floats(), TEXT,
              st.binary(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=10)


@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10), st.integers()), ANYTHING,
                       max_size=8))
def test_settings_from_values_that_are_not_text_never_raise(values):
    """``from_query`` also reads a model file's settings: whatever they hold, settings come out."""
    for settings_type, controls, _, _ in LABS.values():
        s, said = settings_type.from_query(values)
        assert isinstance(s, settings_type)
        check_notices(said, longest_notice(settings_type, controls))


@FUZZ
@given(st.one_of(st.text(), st.lists(st.sampled_from(MARKDOWN + ["https://", "www.", "@", "http:", "//", "W", JOINER]))
                 .map("".join)))
def test_plain_text_has_every_markdown_mark_escaped_and_reads_back_as_typed(text):
    out = plain(text)
    marks = set(string.punctuation)
    i, back = 0, []
    while i < len(out):  # every mark comes escaped, and nothing else is
        if out[i] == "\\":
            assert i + 1 < len(out) and out[i + 1] in marks, (text, out)
            back.append(out[i + 1])
            i += 2
        else:
            assert out[i] not in marks, (text, out)
            back.append(out[i])
            i += 1
    assert "".join(back).replace(JOINER, "") == text.replace(JOINER, "")  # (joiners are invisible, typed or not)
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", "".join(back))  # no address to become a link


@FUZZ
@given(st.one_of(TEXT, ANYTHING))
def test_a_value_repeated_in_a_notice_is_short_quoted_and_one_line(value):
    said = shown(value)
    assert len(said) <= MAX_SHOWN + 2 and said[0] == said[-1] and said[0] in "'\""
    assert len(said.splitlines()) == 1


# --- 5. every value a setting accepts, its widget can show, and the converse -------------------
def _widgets(at) -> dict:
    """Each numeric widget on the page, by key: ("range", lo, hi, step) or ("options", the labels
    it shows; Streamlit maps a value to an option through its label)."""
    found = {}
    for w in at.slider:
        found[w.key] = ("range", w.min, w.max, w.step)
    for w in at.number_input:
        found[w.key] = ("range", w.min, w.max, w.step)
    for w in at.select_slider:
        found[w.key] = ("options", tuple(w.options))
    for w in at.selectbox:  # a numeric choice drawn as a drop-down (the digits lab's "Fewer examples of")
        if all(o.lstrip("-").isdigit() for o in w.options):
            found[w.key] = ("options", tuple(w.options))
    return found


@pytest.fixture(scope="module")
def widgets() -> dict:
    """The numeric widgets as the pages draw them, with every optional one shown."""
    return {ToySettings: _widgets(open_page("toy", optimiser="adamw", schedule="step", regularisation="l2",
                                          problem="multiclass", dataset="blobs", head="softmax_ce")),
            DigitsSettings: _widgets(open_page("digits", source="sklearn8")),
            DrawSettings: _widgets(open_page("draw"))}


NUMERIC = [(cls, name) for cls in (ToySettings, DigitsSettings, DrawSettings) for name, f in cls.FIELDS.items()
           if f.lo is not None or (f.options is not None and all(isinstance(o, (int, float)) for o in f.options))]


def test_every_numeric_setting_has_its_widget_on_the_page(widgets):
    for cls, name in NUMERIC:
        assert name in widgets[cls], (cls.__name__, name)


def _near(widget) -> st.SearchStrategy:
    """Values at and around what the widget offers: its ends, its steps, and just off them."""
    if widget[0] == "options":
        anchors = tuple(float(o) for o in widget[1])
        lo, hi = min(anchors), max(anchors)
    else:
        _, lo, hi, step = widget
        anchors = (lo, hi, (lo + hi) / 2)
    offs = st.sampled_from([0.0, 1e-12, -1e-12, 1e-7, -1e-7, 0.005, -0.005, 0.02, 0.5, -0.5, 1.0, -1.0, 10.0])
    return st.one_of(st.builds(lambda a, d, scale: a + d * scale, st.sampled_from(anchors), offs,
                               st.sampled_from([1.0, max(abs(hi), 1.0)])),
                     st.floats(min_value=lo - 1, max_value=hi + 1), st.integers(int(lo) - 2, int(hi) + 2),
                     st.floats(allow_nan=True, allow_infinity=True), st.integers())


def _in_widget(widget, v, field) -> bool:
    if widget[0] == "options":
        return field.show(v) in widget[1]
    _, lo, hi, step = widget
    k = round((v - lo) / step)
    return lo <= v <= hi and math.isclose(lo + k * step, v, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("cls,name", NUMERIC, ids=[f"{c.__name__}.{n}" for c, n in NUMERIC])
@FIELD_FUZZ
@given(data=st.data())
def test_a_value_a_setting_accepts_is_one_its_widget_offers(widgets, cls, name, data):
    """The probe: momentum=0.995 and schedule_rate=0.02 passed the settings' checks, then the
    widgets refused them and the page showed an error instead of the lab."""
    widget = widgets[cls][name]
    v = data.draw(_near(widget))
    if cls.FIELDS[name].check(v) is None:
        assert _in_widget(widget, v, cls.FIELDS[name]), (name, v, widget)


@pytest.mark.parametrize("cls,name", NUMERIC, ids=[f"{c.__name__}.{n}" for c, n in NUMERIC])
def test_every_value_a_widget_offers_its_setting_accepts(widgets, cls, name):
    widget, field = widgets[cls][name], cls.FIELDS[name]
    if widget[0] == "options":
        grid = [field.parse(label) for label in widget[1]]
    else:
        _, lo, hi, step = widget
        n = round((hi - lo) / step)
        ks = range(n + 1) if n <= 2000 else [*range(200), *range(n - 200, n + 1), *range(0, n, n // 500)]
        grid = [lo + k * step for k in ks]  # as the widget computes them, rounding and all
    for v in grid:
        v = int(v) if field.parse is int and float(v).is_integer() else v
        assert field.check(v) is None, (name, v)
        assert cls.from_query({name: field.show(v)})[1] == [], (name, v)  # and reads back from a link


def test_hidden_layers_a_setting_accepts_are_ones_the_widgets_offer(widgets):
    for cls, layers in ((ToySettings, 8), (DigitsSettings, 4)):
        count, size = widgets[cls]["hidden"], widgets[cls]["hidden_0"]
        assert count[1:3] == (0, layers)
        for hidden in [(), (size[1],) * layers, (size[2],) * layers, (size[2] + 1,), (0,), (size[2],) * (layers + 1)]:
            ok = cls.FIELDS["hidden"].check(tuple(int(n) for n in hidden)) is None
            fits = len(hidden) <= count[2] and all(size[1] <= n <= size[2] for n in hidden)
            assert ok == fits, (cls.__name__, hidden)


def test_the_probes_values_open_the_page_with_no_error():
    """momentum=0.995 and schedule_rate=0.02 (refused with a notice), digits epochs=150 and
    dropout=0.7 (both in range now, for the settings and the widgets alike)."""
    at = open_page("toy", momentum="0.995", optimiser="momentum", schedule="step", schedule_rate="0.02")
    assert not at.exception and not at.error
    at = open_page("digits", source="sklearn8", epochs="150", dropout="0.7")
    assert not at.exception and not at.error and not at.warning
    s = at.session_state.digits.run.settings
    assert (s.epochs, s.dropout) == (150, 0.7) and at.slider(key="epochs").value == 150
    assert at.slider(key="dropout").value == pytest.approx(0.7)


def test_no_setting_is_left_without_a_kind():
    """Every field is numeric (above), a choice, a flag, or one of the three list fields."""
    for cls in (ToySettings, DigitsSettings, DrawSettings):
        for name, value in asdict(cls()).items():
            kind = (cls, name) in NUMERIC or isinstance(value, (str, bool)) or name in ("features", "hidden",
                                                                                         "classes")
            assert kind, (cls.__name__, name)


@FIELD_FUZZ
@given(chosen=st.sets(st.integers(0, 9)))
def test_the_digits_to_learn_a_setting_accepts_are_the_pills_choices(chosen):
    """The digits lab's pills offer 0 to 9, any of them: two or more are a setting, fewer are not."""
    field = DigitsSettings.FIELDS["classes"]
    ok = field.check(tuple(sorted(chosen))) is None
    assert ok == (len(chosen) >= 2)
    if ok:
        assert DigitsSettings.from_query({"classes": field.show(tuple(sorted(chosen)))})[0].classes == tuple(sorted(chosen))
