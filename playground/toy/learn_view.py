"""What "how it learns" adds to the toy lab's live view: marks on the network diagram and a panel
of numbers and charts under it. Builders only: run and choices in, an Overlay and HTML out.
"""
from __future__ import annotations

import html
from functools import lru_cache

import jax.numpy as jnp
import numpy as np

from engine import learn
from engine.activations import ACTIVATIONS
from engine.optim import OPTIMISERS
from playground.shared.png import FONT, png_uri
from playground.toy import learning as L
from playground.toy.charts import _fmt, _ticks
from playground.toy.network import Overlay
from playground.toy.run import ToyRun

LOSS_FORMULAS = {"tanh_mse": "½·(a − y)²", "sigmoid_bce": "−log σ(y·z)", "hinge": "max(0, 1 − y·z)",
                 "softmax_ce": "−log pᵧ, where pᵧ is the softmax's probability of the true class",
                 "linear_mse": "½·(z − y)²", "linear_huber": "Huber(z − y)"}
SEQ = np.stack([np.linspace(255, 8, 256), np.linspace(255, 119, 256), np.linspace(255, 189, 256)], 1).astype(np.uint8)


def num(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}f}".replace("-", "−")


def point_name(run: ToyRun, point, y: float) -> str:
    """``the pinned point (1.20, −0.50), label 1`` (a target, with two decimals, in regression)."""
    truth = (f"target {num(y, 2)}" if run.settings.problem == "regression" else
             _class_name(run.class_names()[int(y)]) if run.settings.problem == "multiclass" else f"label {num(y, 0)}")
    return f"the pinned point ({num(point[0], 2)}, {num(point[1], 2)}), {truth}"


def _class_name(name: str) -> str:
    """``class cat``, or ``class 2`` as the class is already called."""
    return html.escape(name if name.startswith("class ") else f"class {name}")


def _uv(point) -> tuple[float, float]:
    x, y = point
    return (x + 6) / 12, (6 - y) / 12


def view(run: ToyRun, lg: L.Learning) -> tuple[Overlay, str, object]:
    """(the diagram's overlay, the panel's HTML, the params to draw: None for the run's own)."""
    if lg.view == "off":
        return Overlay(), "", None
    if not len(run.toy.y_train):  # your own data, with no training point yet
        return Overlay(), "<div class='nn-learn'>No training points yet: add some to see how the network learns.</div>", None
    L.fit(run, lg)
    point, x, y = L.pinned(run, lg)
    pin = _uv(point)
    if lg.view == "sum":
        sums = learn.neuron_sums(run.state.params, run.config.spec, jnp.asarray(x))
        notes = {(l + 1, i): num(float(a), 2) for l, s in enumerate(sums) for i, a in enumerate(np.asarray(s.a))}
        notes.update({(0, i): num(float(v), 2) for i, v in enumerate(x)})
        return Overlay(pin=pin, notes=notes, picked=("n", *lg.neuron)), sum_panel(run, lg, sums, point, y), None
    if lg.view == "gradients":
        grads, update = L.gradients(run)
        return gradient_overlay(run, lg, grads, update), gradient_panel(run, lg, grads, update), None
    if lg.view == "steps":
        return steps_view(run, lg, pin, point, y)
    return Overlay(picked=_picked(lg.weight)), curve_panel(run, lg), None


def _picked(weight):
    layer, i, j = weight
    return ("b", layer, j) if i is None else ("w", layer, i, j)


# --- a neuron's weighted sum ---------------------------------------------------------------------
@lru_cache(maxsize=64)
def _act_curve(name: str, head: str | None, zr: float, shift: float = 0.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if head == "softmax_ce":  # this output's probability as its z changes, the others' sums held:
        fn = lambda z: 1 / (1 + jnp.exp(shift - z))  # e^z / (e^z + Σ others e^zⱼ), shift = log Σ others e^zⱼ
    else:
        fn = learn.OUTPUT_NEURONS[head][1] if head else ACTIVATIONS[name].fn
    zs = np.linspace(-zr, zr, 81, dtype=np.float32)
    return tuple(zs.tolist()), tuple(np.asarray(fn(jnp.asarray(zs))).tolist())


def activation_svg(name: str, z: float, a: float, head: str | None = None, w=230, h=130, shift: float = 0.0) -> str:
    """The activation function, with the neuron's z and a marked on it (for a softmax output, its
    probability as a function of its own z, the other outputs' sums held: ``shift`` = log Σ e^zⱼ
    over the others)."""
    zr = float(max(3.0, np.ceil(abs(z) * 1.2)))
    zs, as_ = _act_curve(name, head, zr, round(shift, 3))
    lo, hi = min(min(as_), a, -1.0), max(max(as_), a, 1.0)
    sx = lambda v: 30 + (v + zr) / (2 * zr) * (w - 40)
    sy = lambda v: 10 + (hi - v) / (hi - lo) * (h - 35)
    pts = " ".join(f"{sx(p):.1f},{sy(q):.1f}" for p, q in zip(zs, as_))
    return (f'<svg class="nn-plot nn-act" viewBox="0 0 {w} {h}" width="{w}"><polyline points="{pts}" fill="none" '
            f'stroke="#0877bd" stroke-width="2"/><line class="ax" x1="{sx(-zr)}" x2="{sx(zr)}" y1="{sy(0):.1f}" '
            f'y2="{sy(0):.1f}"/><line class="ax" x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{sy(hi):.1f}" y2="{sy(lo):.1f}"/>'
            f'<line x1="{sx(z):.1f}" x2="{sx(z):.1f}" y1="{sy(0):.1f}" y2="{sy(a):.1f}" stroke="#f59322" '
            f'stroke-dasharray="3,3"/><circle cx="{sx(z):.1f}" cy="{sy(a):.1f}" r="5" fill="#f59322"/>'
            f'<text x="{sx(z):.1f}" y="{h - 8}" text-anchor="middle">z = {num(z, 2)}</text>'
            f'<text x="{sx(-zr) + 2:.1f}" y="14">{html.escape(name)}: a = {num(a, 2)}</text></svg>')


def sum_panel(run: ToyRun, lg: L.Learning, sums, point, y: float) -> str:
    layer, i = lg.neuron
    s = sums[layer - 1]
    names = learn.activation_names(run.config.spec)
    last = layer == len(sums)
    formula = learn.neuron_formula(s, i, names[layer - 1], digits=2)
    n_in = len(s.inputs)
    inputs = (", ".join(L.neuron_label(run, 0, k) for k in range(n_in)) if layer == 1
              else f"the output of each of the {n_in} neurons of layer {layer - 1}" if n_in > 1
              else f"the output of layer {layer - 1}'s neuron")
    head = run.settings.head if last else None
    act = ("This neuron has no activation: its output a is z itself." if names[layer - 1] == "identity" else
           f"The activation ({html.escape(names[layer - 1])}) turns z into the neuron's output a, as the curve shows.")
    shift = 0.0
    if head == "softmax_ce":  # softmax takes every output's sum: say so, and plot against this one
        zs = np.asarray(s.z, np.float64)
        shift = float(np.log(np.exp(np.delete(zs, i)).sum()))
        act = (f"Softmax turns the {len(zs)} output sums into probabilities that add up to 1: a = e^z divided by "
               f"the sum of e^z over all {len(zs)} outputs. The curve shows a as this z changes, the other outputs' "
               f"sums held as they are.")
    plot = activation_svg(names[layer - 1], float(s.z[i]), float(s.a[i]), head, shift=shift)
    return (f'<div class="nn-learn"><div class="nn-learn-h">{html.escape(L.cap(L.neuron_label(run, layer, i)))}, '
            f'for {point_name(run, point, y)}</div>'
            f'<div class="nn-formula" data-formula>{html.escape(formula)}</div>'
            f'<div class="nn-learn-row"><div class="nn-learn-c">Each input ({html.escape(inputs)}) times its weight, '
            f'plus the bias, gives the sum z. {act}<br>Click another neuron, or a point on the output map; click a '
            f'line into this neuron to set that weight by hand.</div>{plot}</div></div>')


# --- gradients on every weight ---------------------------------------------------------------------
def gradient_overlay(run: ToyRun, lg: L.Learning, grads, update) -> Overlay:
    ws = run.weights()

    def title(l, i, j):
        return (f"weight {num(float(ws[l][0][i, j]))} · ∂L/∂w {num(float(grads[l][0][i, j]), 4)} · "
                f"one step on all training points changes it by {num(float(update[l][0][i, j]), 4)}")
    return Overlay(line_values=[g for g, _ in grads], line_title=title, picked=_picked(lg.weight))


def _entry(tree, weight) -> float:
    return L.entry(tree, weight)


def step_rule(run: ToyRun, g: float) -> str:
    """How the run's optimiser turns a gradient into a change, in words (with the numbers for SGD)."""
    s = run.settings
    if s.optimiser == "sgd" and s.regularisation == "none" and s.schedule == "constant":
        return f"= −learning rate × ∂L/∂w = −{s.learning_rate:g} × {num(g, 4) if g >= 0 else f'({num(g, 4)})'}"
    if s.optimiser == "sgd":
        extra = [x for x, on in (("the regularisation's pull", s.regularisation != "none"),
                                 ("the schedule's lower rate", s.schedule != "constant")) if on]
        return f"SGD: −learning rate × ∂L/∂w, with {' and '.join(extra)}"
    return f"what {OPTIMISERS[s.optimiser].label} makes of this gradient and the earlier ones"


def gradient_panel(run: ToyRun, lg: L.Learning, grads, update) -> str:
    w, g, u = L.entry(run.state.params, lg.weight), _entry(grads, lg.weight), _entry(update, lg.weight)
    n, b = len(run.toy.y_train), run.settings.batch_size
    batches = (f" Training itself takes {-(-n // b)} smaller steps an epoch, each on a mini-batch of {b} points."
               if b < n else "")
    return (f'<div class="nn-learn"><div class="nn-learn-h">Gradients of the training loss over all {n} training '
            f'points</div><div class="nn-learn-c">Each line now shows ∂L/∂w: how much the training loss changes '
            f'when that weight grows a little. Blue: growing the weight would raise the loss; orange: it would '
            f'lower it; thicker: a bigger effect. Gradient descent moves every weight against its gradient.'
            f'{batches}</div>'
            f'<div class="nn-formula" data-gradient><span class="nn-name">{html.escape(L.cap(L.weight_label(run, lg.weight)))}'
            f'</span><br>w = {num(w)}, ∂L/∂w = {num(g, 4)}</div>'
            f'<div class="nn-learn-c">One gradient-descent step on all {n} points would change it by '
            f'<b>{num(u, 4)}</b> ({html.escape(step_rule(run, g))}). Hover a line for its numbers; click it to '
            f'choose it.</div></div>')


# --- one update, step by step --------------------------------------------------------------------
def _mean(v, batch: bool, total: bool = False):
    v = np.asarray(v)
    return (v.sum(0) if total else v.mean(0)) if batch else v


def steps_view(run: ToyRun, lg: L.Learning, pin, point, y):
    bp, steps = lg.steps, L.phases(run)
    if bp is None or lg.phase == 0:
        text = ("Press <b>Next</b> to follow one update of the weights: the forward pass layer by layer, the loss, "
                "the backward pass from the output layer, and the update.")
        return Overlay(pin=pin), f'<div class="nn-learn"><div class="nn-learn-c">{text}</div></div>', None
    kind, layer = steps[min(lg.phase, len(steps)) - 1]
    b = lg.batch
    who = (f"a mini-batch: the first {run.settings.batch_size} training points" if b else point_name(run, point, y))
    notes = {}
    upto = len(bp.a) if kind != "forward" else layer
    for l in range(1, upto + 1):
        notes.update({(l, i): num(float(a), 2) for i, a in enumerate(_mean(bp.a[l - 1], b))})
    lines, params = None, None
    lr = run.settings.learning_rate
    if kind == "forward":
        text = (f"<b>Forward, {L.layer_names(run)[layer]}:</b> each neuron adds up its inputs times their weights, "
                f"plus its bias (that sum is z), then applies its activation. The number under each neuron is its "
                f"output a{', averaged over the batch' if b else ''}.")
    elif kind == "loss":
        worked = ""
        if not b and run.settings.head in ("tanh_mse", "linear_mse"):  # the numbers put in
            a, paren = float(np.ravel(bp.a[-1])[0]), (lambda v: f"({num(v, 2)})" if v < 0 else num(v, 2))
            worked = f" = ½·({num(a, 2)} − {paren(y)})²"
        text = (f"<b>The loss:</b> how far the output is from the truth, {LOSS_FORMULAS.get(run.settings.head, '')}"
                f"{worked} = <span data-loss>{num(float(bp.loss), 4)}</span>{' (the mean over the batch)' if b else ''}. "
                f"Training tries to make it smaller.")
    elif kind == "backward":
        notes = {(l, i): "δ " + num(float(d), 3) for l in range(layer, len(bp.delta) + 1)
                 for i, d in enumerate(_mean(bp.delta[l - 1], b, total=True))}
        lines = [np.asarray(g) if l + 1 >= layer else np.zeros_like(np.asarray(g)) for l, (g, _) in enumerate(bp.grads)]
        if layer == len(bp.delta):
            where = ("δ = ∂loss/∂z: how much the loss changes when the neuron's sum z grows a little. For the output "
                     "it comes straight from the loss" + (": with softmax and cross-entropy, each output neuron's δ is "
                     "its probability minus 1 for the true class (minus 0 for the others)." if run.settings.head ==
                     "softmax_ce" else "."))
        else:
            where = ("each neuron's δ comes from the layer above: the δs there times the weights that lead to them, "
                     "added up, times the slope of this neuron's activation at its z.")
        text = (f"<b>Backward, {L.layer_names(run)[layer]}:</b> {where} A weight into this layer gets the gradient "
                f"∂loss/∂w = δ of the neuron it enters × the value that came along it. The lines show the "
                f"gradients found so far{' (of the mean loss over the batch)' if b else ''}.")
    else:
        params = bp.new_params
        opt = run.settings.optimiser
        how = "" if opt == "sgd" else (" This is plain gradient descent; the optimiser the training uses "
                                       "works from the same gradients.")
        text = (f"<b>Update:</b> every weight moved by −{lr:g} × its gradient (w ← w − {lr:g}·∂loss/∂w, {lr:g} "
                f"being the learning rate). The maps and lines show the network after this one step.{how} "
                f"It is only shown, not kept: <b>Done</b> goes back to the real network, and <b>Step</b> trains a "
                f"real epoch.")
    grads = bp.grads

    def title(l, i, j):
        return f"∂loss/∂w {num(float(grads[l][0][i, j]), 4)}"
    overlay = Overlay(pin=None if b else pin, notes=notes, line_values=lines, line_title=title if lines else None)
    head = f'<div class="nn-learn-h">Step {lg.phase} of {len(steps)} · one update on {who}</div>'
    return overlay, f'<div class="nn-learn">{head}<div class="nn-learn-c" data-phase="{kind}">{text}</div></div>', params


# --- the loss along one weight (and over two) ------------------------------------------------------
def curve_svg(values, losses, w_now, loss_now, slope, trail, label, width=380, height=220) -> str:
    """The loss against one weight (the others frozen), the weight now as a dot with its tangent,
    and ``trail`` (the weight's earlier values) marked on the curve."""
    pad_l, pad_b, pad_t, pad_r = 58, 30, 12, 10
    trail = [(w, float(np.interp(w, values, losses))) for w, _ in trail]
    fin = losses[np.isfinite(losses)]
    seen = [*fin.tolist(), *(l for _, l in trail), loss_now]
    bottom, top = min(seen), max(seen)
    margin = max((top - bottom) * 0.08, 1e-3)
    bottom, top = max(0.0, bottom - margin), top + margin  # the loss's own range: its shape shows
    lo, hi = float(values[0]), float(values[-1])
    sx = lambda v: pad_l + (v - lo) / (hi - lo) * (width - pad_l - pad_r)
    sy = lambda v: pad_t + (1 - min(max((v - bottom) / (top - bottom), -0.05), 1.05)) * (height - pad_t - pad_b)
    curve = " ".join(f"{sx(v):.1f},{sy(l):.1f}" for v, l in zip(values.tolist(), losses.tolist()) if np.isfinite(l))
    d = (hi - lo) / 7
    mid = pad_t + (height - pad_t - pad_b) / 2
    tangent = (f'<line class="tan" x1="{sx(w_now - d):.1f}" y1="{sy(loss_now - slope * d):.1f}" '
               f'x2="{sx(w_now + d):.1f}" y2="{sy(loss_now + slope * d):.1f}"/>')
    path = " ".join(f"{sx(w):.1f},{sy(l):.1f}" for w, l in trail + [(w_now, loss_now)])
    dots = "".join(f'<circle cx="{sx(w):.1f}" cy="{sy(l):.1f}" r="2.5" class="trail"/>' for w, l in trail[-60:])
    xt = "".join(f'<text x="{sx(v):.1f}" y="{height - pad_b + 14}" text-anchor="middle">{_fmt(v)}</text>'
                 for v in _ticks(lo, hi, 4))
    yt = "".join(f'<text x="{pad_l - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>' for v in _ticks(bottom, top, 3))
    return (f'<svg class="nn-plot nn-curve" viewBox="0 0 {width} {height}" width="{width}">{xt}{yt}'
            f'<line class="ax" x1="{pad_l}" x2="{width - pad_r}" y1="{height - pad_b}" y2="{height - pad_b}"/>'
            f'<polyline points="{curve}" fill="none" stroke="#0877bd" stroke-width="2"/>'
            f'<polyline points="{path}" fill="none" stroke="#999" stroke-width="1"/>{dots}{tangent}'
            f'<circle cx="{sx(w_now):.1f}" cy="{sy(loss_now):.1f}" r="6" fill="#f59322" stroke="#111" data-dot/>'
            f'<text x="{(pad_l + width) / 2}" y="{height - 2}" text-anchor="middle">{html.escape(label)}</text>'
            f'<text x="14" y="{mid:.0f}" text-anchor="middle" transform="rotate(-90 14 {mid:.0f})">training loss</text>'
            f'</svg>')


def contour_svg(v1, v2, losses, path, labels, size=220) -> str:
    pad = 30
    lo, hi = float(np.nanmin(losses)), float(np.nanmax(losses))
    img = png_uri(np.flipud(losses), lo, hi if hi > lo else lo + 1, lut=SEQ)
    side = size - pad - 6
    sx = lambda v: pad + (v - v1[0]) / (v1[-1] - v1[0]) * side
    sy = lambda v: 6 + (v2[-1] - v) / (v2[-1] - v2[0]) * side
    line = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in path)
    a, b = path[-1]
    return (f'<svg class="nn-plot nn-contour" viewBox="0 0 {size} {size + 14}" width="{size}"><image href="{img}" '
            f'x="{pad}" y="6" width="{side}" height="{side}" preserveAspectRatio="none"/><polyline points="{line}" '
            f'fill="none" stroke="#111" stroke-width="1.5"/><circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="5" '
            f'fill="#f59322" stroke="#111"/><text x="{pad + side / 2}" y="{size + 10}" text-anchor="middle">'
            f'{html.escape(labels[0])}</text><text x="10" y="{6 + side / 2}" text-anchor="middle" '
            f'transform="rotate(-90 10 {6 + side / 2})">{html.escape(labels[1])}</text></svg>')


def curve_panel(run: ToyRun, lg: L.Learning) -> str:
    values, losses, w_now, trail = L.curve(run, lg)
    grads, update = L.gradients(run)
    slope, step = _entry(grads, lg.weight), _entry(update, lg.weight)
    loss_now = run.history.last("train_loss")
    label = L.weight_label(run, lg.weight)
    chart = curve_svg(values, losses, w_now, loss_now, slope, trail, label)
    contour = ""
    if lg.weight2 is not None:
        v1, v2, grid, path = L.surface(run, lg)
        contour = contour_svg(v1, v2, grid, path, ("first weight", "second weight"))
    way = "grows" if slope < 0 else "shrinks"
    n = len(run.toy.y_train)
    dots = ("<br><b>The grey dots:</b> where w was earlier in training (on the curve as it is now: the other "
            "weights have moved too)." if len(trail) > 1 else "")
    return (f'<div class="nn-learn"><div class="nn-learn-h">The training loss along one weight: '
            f'{html.escape(label)}</div><div class="nn-learn-row">{chart}{contour}</div>'
            f'<div class="nn-learn-c" data-curve><b>The curve:</b> the training loss for every value of this weight, '
            f'all other weights staying as they are.<br><b>The orange dot:</b> the weight now, w = {num(w_now)}, '
            f'training loss {num(loss_now, 4)}.<br><b>The black line:</b> the slope there, ∂L/∂w = {num(slope, 4)}. '
            f'The loss falls if w {way}, so gradient descent moves it that way: one step on all {n} points would '
            f'change it by {num(step, 4)}.{dots}</div></div>')


LEARN_CSS = (".nn-learn{margin-top:10px;padding:8px 12px;border:1px solid #ddd;border-radius:6px;background:#fafbfc}"
             ".nn-learn-h{font-weight:600;font-size:16px;margin-bottom:4px}.nn-learn-c{font-size:15px;color:#333;"
             "max-width:60em;line-height:1.45}.nn-learn-row{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}"
             ".nn-learn-row>.nn-learn-c{flex:1 1 200px}"
             ".nn-formula{font:17px ui-monospace,Menlo,Consolas,monospace;background:#fff;border:1px solid #e3e3e3;"
             "padding:6px 10px;border-radius:4px;margin:4px 0}.nn-formula .nn-name{font:600 14px " + FONT + ";color:#444}"
             ".nn-plot .tan{stroke:#111;stroke-width:1.5}.nn-plot .trail{fill:#888}"
             ".nn-act text,.nn-curve text,.nn-contour text{font:14px " + FONT + ";fill:#444}"
             # the numbers written under the neurons stay readable over the lines and the next neuron's edge
             ".nn-svg .note{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}")
