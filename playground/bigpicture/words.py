"""The sentences under the experiment's charts, written from the measured numbers. No Streamlit.

"Ahead" means more than ``MARGIN`` (one percentage point) more accurate on the held-out examples:
with 1,000 of them, a smaller gap could be chance.
"""
from __future__ import annotations

from engine.experiment import CLASSICAL, LABELS, NETWORK, Experiment

MARGIN = 0.01
UNITS = {"digits": ("training digit", "training digits"), "spiral": ("training point", "training points")}


def pct(a: float) -> str:
    return f"{a * 100:.1f} %"


def secs(s: float) -> str:
    return "under 0.01 s" if s < 0.005 else f"{s:.2f} s" if s < 10 else f"{s:.0f} s"


def ahead_from(sizes: list[int], ours: list[float], theirs: list[float], margin: float = MARGIN):
    """Where the first series is ahead of the second for good: ("always", sizes[0]) when it is
    ahead at every size; ("from", n) when it is ahead at n and every larger size but not just
    before; ("never", None) when it is not ahead at the largest size."""
    ahead = [a - b > margin for a, b in zip(ours, theirs)]
    if not ahead or not ahead[-1]:
        return "never", None
    k = len(ahead)
    while k > 0 and ahead[k - 1]:
        k -= 1
    return ("always", sizes[0]) if k == 0 else ("from", sizes[k])


def times(a: float, b: float) -> str:
    """How a's time compares with b's, in words a reader checks against the two numbers."""
    r = a / max(b, 1e-9)
    return f"{r:.1f}× as long" if r >= 1 else f"{1 / r:.1f}× less time"


def _count(n: int, dataset: str) -> str:
    one, many = UNITS[dataset]
    return f"{n:,} {one if n == 1 else many}"


def common(e: Experiment, models: list[str]) -> tuple[list[int], list[float], list[list[float]]]:
    """The sizes measured for the network and each of ``models`` (a cancelled run may have measured
    the network at a size where the others were not), with the network's and each model's accuracies
    there."""
    sizes = sorted(set(e.series(NETWORK)[0]).intersection(*(e.series(m)[0] for m in models)))
    acc = lambda m: [e.get(m, n).accuracy for n in sizes]
    return sizes, acc(NETWORK), [acc(m) for m in models]


def versus(e: Experiment, models: list[str]) -> str:
    """How the network fares against classical models that it overtakes at the same size (or one
    model it does not overtake), in one clause with the numbers."""
    sizes, net, others = common(e, models)
    names = _and(LABELS[m] for m in models)
    kind, n = ahead_from(sizes, net, others[0])
    if kind == "always":
        return (f"ahead of {names} at every size, already at {_count(n, e.dataset)} "
                f"({pct(net[0])} against {_and(pct(o[0]) for o in others)})")
    if kind == "from":
        i = sizes.index(n)
        return (f"ahead of {names} from {_count(n, e.dataset)} on ({pct(net[i])} against "
                f"{_and(pct(o[i]) for o in others)}; at {sizes[i - 1]:,}: {pct(net[i - 1])} against "
                f"{_and(pct(o[i - 1]) for o in others)})")
    other = others[0]
    gap = net[-1] - other[-1]
    how = "still behind" if gap < -MARGIN else "level with"
    text = f"{how} {names} at {_count(sizes[-1], e.dataset)} ({pct(net[-1])} against {pct(other[-1])})"
    behind = [n for n, a, b in zip(sizes[:-1], net, other) if b - a > MARGIN]
    if behind:
        text += f", and behind it at {_and(f'{n:,}' for n in behind)}"
    return text


def accuracy_sentence(e: Experiment) -> str:
    """Where the network overtakes each classical model (Markdown): models overtaken at the same
    size share one clause."""
    groups: dict[tuple, list[str]] = {}
    for m in CLASSICAL:
        sizes, net, [theirs] = common(e, [m])
        if sizes:
            kind, n = ahead_from(sizes, net, theirs)
            groups.setdefault((kind, n, tuple(sizes)) if kind != "never" else (kind, m), []).append(m)
    if not groups:  # cancelled before any classical model met the network at a size
        return ""
    return "**The network is** " + "; ".join(versus(e, ms) for ms in groups.values()) + "."


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cost_sentence(e: Experiment) -> str:
    """What the network's accuracy cost in time, at the largest size measured (Markdown)."""
    # The largest size measured for the network and some classical model (a cancelled run may
    # have measured the network alone at its last size).
    shared = [r.size for r in e.results if r.model in CLASSICAL and e.get(NETWORK, r.size) is not None]
    last = max(shared or [r.size for r in e.results if r.model == NETWORK])
    net = e.get(NETWORK, last)
    others = [e.get(m, last) for m in CLASSICAL if e.get(m, last) is not None]
    fitted = [o for o in others if o.model != "knn"]
    parts = " and ".join(f"{secs(o.train_seconds)} for {LABELS[o.model]} "
                         f"(the network took {times(net.train_seconds, o.train_seconds)})" for o in fitted)
    text = (f"**What it cost:** at {_count(last, e.dataset)} the network trained for {secs(net.train_seconds)} "
            f"({net.epochs:,} epochs; compiling took {secs(net.compile_seconds)} more)"
            + (f", against {parts}." if parts else "."))
    knn = e.get("knn", last)
    if knn is not None:
        text += (f" k-nearest neighbours does not train: it keeps every example ({secs(knn.train_seconds)}) and pays "
                 f"when it answers, {secs(knn.predict_seconds)} for the {e.held_out:,} held-out examples against "
                 f"{secs(net.predict_seconds)} for the network.")
    return text


def summary(e: Experiment) -> list[str]:
    """The sentences under the charts: accuracy, then cost."""
    if not any(r.model == NETWORK for r in e.results):
        return []
    return [text for text in (accuracy_sentence(e), cost_sentence(e)) if text]
