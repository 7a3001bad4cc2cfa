"""Hostile input: how many hostile cases the tests try, and what a hostile link costs to read.

Run with ``.venv/bin/python benchmarks/hostile.py``. Prints how many hostile cases the test
suite tries: Hypothesis examples from each property test's own ``max_examples`` (times its
parametrisations), and the explicit cases (each test, times its parametrisations) of the tests
written against the hostile probe's faults, plus the model-file cases ``benchmarks/modelfile.py``
counts. Then it reads 10,000 random hostile links (arbitrary keys, huge values, Markdown, unicode,
NaN, numbers beyond float range) the way a lab page does (``split_query`` and ``from_query``, for
each of the three labs) and 10,000 well-formed links in the same run, and prints the time per
link of each, their ratio, and how many raised (none may).
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playground.shared.links import split_query  # noqa: E402

N = 10_000
MODULES = ["test_fuzz_links", "test_proxy_hostile", "test_reliability", "test_browser_hostile"]


# --- the cases the tests try -------------------------------------------------------------------
def parametrisations(fn) -> int:
    marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
    return math.prod(len(m.args[1]) for m in marks) if marks else 1


def count_cases() -> list[tuple[str, int]]:
    rows, total = [], 0
    for name in MODULES:
        module = importlib.import_module(name)
        examples, explicit, given = 0, 0, 0
        for test_name, fn in vars(module).items():
            if not (test_name.startswith("test_") and callable(fn)):
                continue
            if hasattr(fn, "hypothesis"):
                given += 1
                examples += fn._hypothesis_internal_use_settings.max_examples * parametrisations(fn)
            else:
                explicit += parametrisations(fn)
        rows += [(f"Hypothesis examples, tests/{name}.py ({given} property tests)", examples),
                 (f"explicit cases, tests/{name}.py", explicit)]
        total += examples + explicit
    spec = importlib.util.spec_from_file_location("modelfile_bench", ROOT / "benchmarks" / "modelfile.py")
    modelfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modelfile)
    for label, n in modelfile.count_cases():
        if label != "total":
            rows.append((f"model files: {label}", n))
            total += n
    return [r for r in rows if r[1]] + [("total", total)]


# --- links -------------------------------------------------------------------------------------
def labs():
    from playground.digits.settings import CONTROLS as DIGITS_CONTROLS, DigitsSettings
    from playground.draw.settings import CONTROLS as DRAW_CONTROLS, DrawSettings
    from playground.lessons import catalogue as lessons
    from playground.toy.settings import CONTROLS as TOY_CONTROLS, ToySettings
    return [(ToySettings, TOY_CONTROLS, lessons.lesson_ids("toy"), lessons.other_lessons("toy")),
            (DigitsSettings, DIGITS_CONTROLS, lessons.lesson_ids("digits"), lessons.other_lessons("digits")),
            (DrawSettings, DRAW_CONTROLS, (), None)]


def hostile_queries(rng: random.Random, n: int) -> list[dict[str, str]]:
    """What the property tests draw from, drawn here with a seeded generator instead."""
    from test_fuzz_links import KNOWN_KEYS, MARKDOWN, NUMBERS
    # Long values, made once and shared between queries (as many distinct ones would only cost memory).
    huge = [c * n for c in ["x", "9", "é", "\x00", "🧠", "[", "\n", ",", "k"] for n in (100, 1_000, 10_000, 100_000)]

    def text() -> str:
        kind = rng.randrange(6)
        if kind == 0:
            return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000),
                                           rng.randrange(0x1F300, 0x1FAFF), rng.randrange(0, 32)]))
                           for _ in range(rng.randrange(0, 40)))
        if kind == 1:
            return rng.choice(NUMBERS + MARKDOWN)
        if kind == 2:
            return repr(rng.choice([math.nan, math.inf, -math.inf, 1e308, 5e-324, -0.0, rng.uniform(-1e6, 1e6)]))
        if kind == 3:
            return str(rng.randrange(-10 ** 30, 10 ** 30))
        if kind == 4:
            return ",".join(rng.choice(NUMBERS + ["x1", "x2", "relu", "4"]) for _ in range(rng.randrange(12)))
        return rng.choice(huge)

    def key() -> str:
        kind = rng.randrange(4)
        if kind == 0:
            return rng.choice(KNOWN_KEYS)
        if kind == 1:
            return rng.choice(KNOWN_KEYS) + rng.choice(["_hide", "_lock"])
        if kind == 2:
            return text()[:20]
        return rng.choice(huge)[:rng.choice([100, 1_000, 20_000])]

    return [{key(): text() for _ in range(rng.randrange(13))} for _ in range(n)]


def good_queries(rng: random.Random, n: int, lab) -> list[dict[str, str]]:
    """Links the lab's page writes: a few settings off their defaults (in range, on their
    steps), sometimes a teacher's locked controls."""
    settings_type, controls, _, _ = lab
    fields = settings_type.FIELDS
    numeric = [k for k, f in fields.items() if f.lo is not None
               or f.options is not None and all(isinstance(o, (int, float)) for o in f.options)]
    out = []
    for _ in range(n):
        q = {}
        for k in rng.sample(numeric, rng.randrange(1, min(6, len(numeric)) + 1)):
            f = fields[k]
            if f.options is not None:
                v = rng.choice(f.options)
            elif f.step:
                v = f.lo + rng.randrange(round((f.hi - f.lo) / f.step) + 1) * f.step
            else:
                v = rng.randrange(int(f.lo), int(f.hi) + 1)
            q[k] = f.show(v)
        if "dataset" in fields:
            q["dataset"] = rng.choice(["circle", "xor", "gauss", "spiral", "moons"])
        if "hidden" in fields:
            widest = 16 if "dataset" in fields else 512
            q["hidden"] = ",".join(str(rng.randrange(1, widest + 1)) for _ in range(rng.randrange(0, 5)))
        if rng.random() < 0.3:
            q["lock"] = ",".join(rng.sample(sorted(controls), 1))
        out.append(q)
    return out


def read_all(queries, lab) -> tuple[float, int, int]:
    """Seconds to read every query as the lab's page does; how many raised; how many noticed."""
    settings_type, controls, own, others = lab
    raised = noticed = 0
    t0 = time.perf_counter()
    for q in queries:
        try:
            part, _, said = split_query(q, controls, own, others)
            _, more = settings_type.from_query(part)
            noticed += bool(said or more)
        except Exception:
            raised += 1
    return time.perf_counter() - t0, raised, noticed


def main():
    print("| hostile cases the tests try | count |\n|---|---:|")
    for label, n in count_cases():
        print(f"| {label} | {n:,} |")

    rng = random.Random(0)
    hostile = hostile_queries(rng, N)
    chars = sum(len(k) + len(v) for q in hostile for k, v in q.items())
    print(f"\n{N:,} random hostile links ({chars / 1e6:.0f} million characters in all; the longest value "
          f"{max((len(v) for q in hostile for v in q.values()), default=0):,}) and {N:,} well-formed ones, "
          "read as each lab's page reads its link:\n")
    print("| lab | hostile: per link | raised | with a notice | well-formed: per link | raised | × well-formed |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    any_raised = 0
    for lab in labs():
        good = good_queries(rng, N, lab)
        read_all(good[:200], lab)  # warm up
        t_bad, raised_bad, noticed = read_all(hostile, lab)
        t_good, raised_good, noticed_good = read_all(good, lab)
        assert noticed_good == 0, "a well-formed link got a notice"
        any_raised += raised_bad + raised_good
        print(f"| {lab[0].__name__} | {t_bad / N * 1e6:.1f} µs | {raised_bad} | {noticed:,} "
              f"| {t_good / N * 1e6:.1f} µs | {raised_good} | {t_bad / t_good:.2f}× |")
    print("\n" + ("None raised." if not any_raised else f"{any_raised} RAISED."))
    print(f"Python {sys.version.split()[0]}")
    return any_raised


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
