"""How the toy lab's network learns: what a student has chosen to look at, and the numbers for
it, all from the engine (``engine/learn.py``). No Streamlit here.

Layers are counted as on the page: 0 is the inputs, 1 the first hidden layer, the last one the
output. A neuron is (layer, i); a weight is (layer, i, j): from neuron i of layer − 1 into
neuron j of layer; a bias is (layer, None, j).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import numpy as np

from engine import learn
from engine.toydata import FEATURES
from playground.toy.run import ToyRun, real

VIEWS = {"off": "Nothing more", "sum": "A neuron's weighted sum", "gradients": "Gradients",
         "steps": "One update, step by step", "curve": "The loss along one weight"}
PHASE_KINDS = ("forward", "loss", "backward", "update")  # the step-through's steps, in order
MAX_TRAIL = 400  # recorded epochs kept for a weight's trail (thinned by half beyond)


@dataclass
class Learning:
    view: str = "off"
    pin: int = 0  # the pinned training point (index)
    neuron: tuple[int, int] = (1, 0)
    weight: tuple[int, int | None, int] = (1, 0, 0)
    weight2: tuple[int, int | None, int] | None = None  # a second weight: the loss as a contour map
    phase: int = 0  # the step-through's phase (0: not stepping)
    batch: bool = False  # step through one mini-batch instead of the pinned point
    steps: learn.Backprop | None = None  # the step-through's numbers, taken when it starts
    steps_for: tuple = ()  # (params, pin, batch, learning rate) the numbers were taken for
    trail: list[tuple[int, np.ndarray, float]] = field(default_factory=list)  # (epoch, flat params, train loss)


def layer_names(run: ToyRun) -> list[str]:
    n = len(run.settings.hidden)
    return ["input"] + [f"layer {l}" for l in range(1, n + 1)] + ["output"]


def cap(text: str) -> str:
    """The first letter capital, the rest as it is (``str.capitalize`` would turn X₁ into x₁)."""
    return text[:1].upper() + text[1:]


def neuron_label(run: ToyRun, layer: int, i: int) -> str:
    names = layer_names(run)
    if layer == 0:
        return FEATURES[run.settings.features[i]].label
    return "the output neuron" if layer == len(names) - 1 else f"{names[layer]}, neuron {i + 1}"


def weight_label(run: ToyRun, weight) -> str:
    layer, i, j = weight
    if i is None:
        return f"bias of {neuron_label(run, layer, j)}"
    return f"weight from {neuron_label(run, layer - 1, i)} to {neuron_label(run, layer, j)}"


def neurons(run: ToyRun) -> list[tuple[int, int]]:
    sizes = run.config.spec.sizes
    return [(l, i) for l in range(1, len(sizes)) for i in range(sizes[l])]


def weights(run: ToyRun) -> list[tuple]:
    sizes = run.config.spec.sizes
    return [(l, i, j) for l in range(1, len(sizes)) for j in range(sizes[l]) for i in [*range(sizes[l - 1]), None]]


def neuron_weights(run: ToyRun, neuron: tuple[int, int]) -> list[tuple]:
    """The weights into ``neuron``, then its bias."""
    layer, j = neuron
    return [(layer, i, j) for i in range(run.config.spec.sizes[layer - 1])] + [(layer, None, j)]


def fit(run: ToyRun, lg: Learning) -> None:
    """Keep the choices inside the current network and data (after the architecture changed);
    in the neuron view, the weight is one of the neuron's own. A step-through whose weights
    changed meanwhile (Step, Reset, a weight set by hand) is left; one whose point or learning
    rate changed is taken again, at the same step."""
    if lg.neuron not in neurons(run):
        lg.neuron = (1, 0)
    ws = weights(run)
    if lg.weight not in ws:
        lg.weight = ws[0]
    if lg.view == "sum" and lg.weight not in neuron_weights(run, lg.neuron):
        lg.weight = neuron_weights(run, lg.neuron)[0]
    if lg.weight2 not in ws or lg.weight2 == lg.weight:
        lg.weight2 = None
    lg.pin = min(max(lg.pin, 0), len(run.toy.y_train) - 1)
    if lg.trail and lg.trail[-1][0] > run.epoch:  # the run started again
        lg.trail.clear()
    if lg.steps is not None:
        params, pin, batch, lr = lg.steps_for
        if params is not run.state.params or lg.phase > len(phases(run)):
            lg.phase, lg.steps = 0, None
        elif ((pin, batch) != (lg.pin, lg.batch) and not (batch and lg.batch)) or lr != run.settings.learning_rate:
            phase = lg.phase
            start_steps(run, lg)
            lg.phase = phase


def pick(run: ToyRun, lg: Learning, what: str) -> None:
    """A click on the live view: ``p:x:y`` (the map: the nearest training point), ``n:l:i`` a
    neuron, ``w:l:i:j`` a weight, ``b:l:j`` a bias. Anything else is ignored."""
    try:
        kind, *nums = what.split(":")
        if kind == "p":
            x, y = (float(v) for v in nums)
            lg.pin = int(np.argmin(((run.toy.points_train - [x, y]) ** 2).sum(1)))
        elif kind == "n" and int(nums[0]) >= 1:
            lg.neuron = (int(nums[0]), int(nums[1]))
            lg.view = "sum" if lg.view in ("off", "curve") else lg.view
        elif kind in ("w", "b"):
            l, *rest = (int(v) for v in nums)
            lg.weight = (l, rest[0], rest[1]) if kind == "w" else (l, None, rest[0])
            if lg.view == "sum":  # the neuron view: the weight's neuron, to set it by hand
                lg.neuron = (l, lg.weight[2])
            lg.view = "curve" if lg.view == "off" else lg.view
    except (ValueError, IndexError):
        return
    fit(run, lg)


def record(run: ToyRun, lg: Learning) -> None:
    """Remember where every weight is at this epoch (for a weight's trail)."""
    if lg.trail and lg.trail[-1][0] >= run.epoch:
        if lg.trail[-1][0] > run.epoch:
            lg.trail.clear()
        else:
            return
    # The weights as ``ravel_pytree`` orders them (each w then its b, layer by layer), from the
    # frame's own NumPy copy: a JAX concatenation here would cost a device call every frame.
    flat = np.concatenate([a.ravel() for wb in run.weights() for a in wb])
    lg.trail.append((run.epoch, flat, run.history.last("train_loss")))
    if len(lg.trail) > MAX_TRAIL:
        lg.trail[:] = lg.trail[::2]


def pinned(run: ToyRun, lg: Learning) -> tuple[np.ndarray, np.ndarray, float]:
    """The pinned point: (x, y) on the plane, its features (n_in,), its label."""
    return run.toy.points_train[lg.pin], np.asarray(run.data.x_train[lg.pin]), float(run.toy.y_train[lg.pin])


def flat_index(run: ToyRun, weight) -> int:
    layer, i, j = weight
    return learn.flat_index(run.config.spec, layer - 1, i, j)


def entry(params, weight) -> float:
    layer, i, j = weight
    w, b = params[layer - 1]
    return float(np.asarray(b)[j] if i is None else np.asarray(w)[i, j])  # NumPy: no device op per frame


# --- the step-through -----------------------------------------------------------------------------
def phases(run: ToyRun) -> list[tuple[str, int]]:
    """Forward layer by layer, the loss, backward from the output layer, the update."""
    n = len(run.config.spec.sizes) - 1  # layers with weights
    return ([("forward", l) for l in range(1, n + 1)] + [("loss", n)]
            + [("backward", l) for l in range(n, 0, -1)] + [("update", 0)])


def start_steps(run: ToyRun, lg: Learning) -> None:
    """Take the numbers of one update (the pinned point, or the first mini-batch) from the engine."""
    if lg.batch:
        b = run.settings.batch_size
        n = len(run.toy.y_train)  # the first b real points (padding comes after them)
        x, y = np.asarray(run.data.x_train[:min(b, n)]), np.asarray(run.data.y_train[:min(b, n)])
    else:
        _, x, _ = pinned(run, lg)
        y = np.asarray(run.data.y_train[lg.pin])  # its own dtype: class indices stay whole numbers
    lg.steps = learn.backprop(run.state.params, run.config.spec, x, y, run.settings.learning_rate)
    lg.steps_for = (run.state.params, lg.pin, lg.batch, run.settings.learning_rate)
    lg.phase = 1


def phase_kind(run: ToyRun, lg: Learning) -> str:
    """Where the step-through stands: "forward", "loss", "backward", "update", or "" (not stepping)."""
    if lg.view != "steps" or lg.steps is None or lg.phase == 0:
        return ""
    return phases(run)[min(lg.phase, len(phases(run))) - 1][0]


def step_to(run: ToyRun, lg: Learning, phase: int) -> None:
    if phase <= 0:
        lg.phase, lg.steps = 0, None
    elif lg.steps is None or lg.phase == 0:
        start_steps(run, lg)
    else:
        lg.phase = min(phase, len(phases(run)))


def gradients(run: ToyRun):
    """(∂L/∂w of the training loss over the whole training set, the optimiser's next change)."""
    config, hp = run.current()
    data = real(run.data)
    grads = learn.loss_gradients(run.state.params, config.spec, data)
    update = learn.next_update(run.state, config, hp, data)
    return jax.device_get(grads), jax.device_get(update)


def curve(run: ToyRun, lg: Learning, n: int = 100):
    """The loss along the chosen weight: (values, losses, current value, its trail (w, loss) pairs)."""
    w_now = entry(run.state.params, lg.weight)
    k = flat_index(run, lg.weight)
    trail = [(float(flat[k]), loss) for _, flat, loss in lg.trail]
    ws = [w_now] + [w for w, _ in trail]
    reach = max(2.0, abs(w_now))
    lo, hi = min(min(ws) - 0.5, w_now - reach), max(max(ws) + 0.5, w_now + reach)
    values = np.linspace(lo, hi, n, dtype=np.float32)
    layer, i, j = lg.weight
    data = real(run.data)
    losses = learn.loss_along_weight(run.state.params, run.config.spec, data.x_train, data.y_train,
                                     layer - 1, i, j, values)
    return values, np.asarray(losses), w_now, trail


def surface(run: ToyRun, lg: Learning, n: int = 28):
    """The loss over the two chosen weights: (values1, values2, losses (n, n), path [(w1, w2)])."""
    k1, k2 = flat_index(run, lg.weight), flat_index(run, lg.weight2)
    now = (entry(run.state.params, lg.weight), entry(run.state.params, lg.weight2))
    path = [(float(flat[k1]), float(flat[k2])) for _, flat, _ in lg.trail] + [now]
    ranges = []
    for d in range(2):
        vs = [p[d] for p in path]
        ranges.append(np.linspace(min(vs) - 1.0, max(vs) + 1.0, n, dtype=np.float32))
    (l1, i1, j1), (l2, i2, j2) = lg.weight, lg.weight2
    data = real(run.data)
    losses = learn.loss_surface(run.state.params, run.config.spec, data.x_train, data.y_train,
                                (l1 - 1, i1, j1), (l2 - 1, i2, j2), ranges[0], ranges[1])
    return ranges[0], ranges[1], np.asarray(losses), path
