"""The draw page's view of one drawing, as light HTML (every stroke must show within ~0.1 s).
Arrays in, HTML strings out; nothing here calls Streamlit."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from playground.shared.png import GREY, as_grid, png_uri, symmetric_range, tile


def percent_words(p: float) -> str:
    """A probability to the nearest 5 %, never 0 % or 100 %: "about 80 %", "under 5 %", "over 95 %".
    Calibrated on 250 digits, the model's probabilities deserve no finer a figure."""
    if p < 0.025:
        return "under 5 %"
    if p >= 0.975:
        return "over 95 %"
    return f"about {5 * math.floor(p * 20 + 0.5)} %"


class Verdict(NamedTuple):
    """What the page says of a drawing: ``before`` the guessed ``digit`` (shown large), ``after``
    it, then a ``note`` in small print."""
    before: str
    digit: int
    after: str
    note: str

    @property
    def text(self) -> str:
        return f"{self.before}{self.digit}{self.after} {self.note}"


def verdict(p: np.ndarray, calibrated: bool = True, classes=None) -> Verdict:
    """The sentence for class probabilities ``p`` (K,): "It looks like a 7 (about 80 % sure)",
    "(almost certain)" above 99 %, and below 50 % "Not sure: a 7 or a 1?" naming the runner-up.
    An uncalibrated model's figures are its own softmax, and the note says so. ``classes``: the
    digit each output stands for (a model of some digits only); 0 to K − 1 by default."""
    p = np.asarray(p, float)
    digit = (lambda i: int(classes[i])) if classes is not None else int
    first, second = (digit(d) for d in np.argsort(-p, kind="stable")[:2])
    p = dict(zip(map(digit, range(len(p))), p))
    a = lambda d: "an" if d == 8 else "a"
    if p[first] < 0.5:
        v = Verdict(f"Not sure: {a(first)} ", first, f" or {a(second)} {second}?",
                    f"{percent_words(p[first])} and {percent_words(p[second])}")
    else:
        v = Verdict(f"It looks like {a(first)} ", first, "",
                    "almost certain" if p[first] > 0.99 else f"{percent_words(p[first])} sure")
    return v._replace(note=f"({v.note})" if calibrated else f"({v.note}, not calibrated)")


def bars_html(p: np.ndarray, classes=None) -> str:
    """Class probabilities as plain HTML bars (the predicted class blue), hover for the value; one
    bar per output, labelled with the digit it stands for (``classes``, 0 to K − 1 by default)."""
    pred = int(np.argmax(p))
    names = list(classes) if classes is not None else range(len(p))
    bars = "".join(
        f'<div class="nn-bar{" on" if i == pred else ""}" title="{d}: {percent_words(v)}">'
        f'<div style="height:{max(v, 0.004):.1%}">'
        f'</div><span>{d}</span></div>' for i, (d, v) in enumerate(zip(names, np.asarray(p, float).tolist())))
    return f'<div class="nn-bars">{bars}</div>'


def img_html(uri: str, caption: str, px: int, pixelated: bool = True) -> str:
    style = f"width:{px}px;height:auto;image-rendering:{'pixelated' if pixelated else 'auto'}"
    return f'<figure class="nn-fig"><img src="{uri}" style="{style}"/><figcaption>{caption}</figcaption></figure>'


# How to say which neurons of a hidden layer respond, by activation: (threshold, words), read as
# "12 of 64 <words>". ReLU-like activations give (about) 0 for a negative sum, so above 0 is
# "fire"; bounded ones are counted above the middle of their range; softplus is above 0 for every
# input and has no top, so a count would say nothing: its strongest neuron is named instead (None).
RESPONSE: dict[str, tuple[float, str] | None] = {
    "relu": (0.0, "fire"), "leaky_relu": (0.0, "fire"), "elu": (0.0, "fire"), "gelu": (0.0, "fire"),
    "silu": (0.0, "fire"),
    "linear": (0.0, "above 0"),
    "tanh": (0.0, "above 0, the middle of tanh's range"),
    "sine": (0.0, "above 0, the middle of sine's range"),
    "sigmoid": (0.5, "above 0.5, the middle of sigmoid's range"),
    "gaussian": (0.5, "above 0.5, half their peak"),
    "softplus": None,
}


def layer_caption(i: int, a: np.ndarray, activation: str) -> str:
    """``layer 1: 37 of 64 fire`` (ReLU-like), ``… above 0.5, the middle of sigmoid's range``, or
    ``layer 1: strongest is neuron 12 (4.31)``."""
    rule = RESPONSE[activation]
    if rule is None:
        j = int(np.argmax(a))
        return f"layer {i}: strongest is neuron {j + 1} ({a[j]:.2f})"
    threshold, words = rule
    return f"layer {i}: {int((a > threshold).sum())} of {len(a)} {words}"


UNCALIBRATED = ("This model's probabilities are its own softmax, not calibrated on digits it never trained on: "
                "how sure it says it is may not match how often it is right.")


def draw_view_html(img: np.ndarray, acts: list[np.ndarray], first_weights: np.ndarray | None,
                   activation: str = "relu", calibrated: bool = True, classes=None) -> str:
    """Everything the draw page shows about one drawing, as one block of HTML: ``acts`` are the
    hidden layers' outputs, then the class probabilities to show; ``activation`` is the hidden
    layers' (``spec.activation``); ``calibrated`` says whether those probabilities are;
    ``classes`` the digit each output stands for, for a model of some digits only."""
    probs = acts[-1]
    v = verdict(probs, calibrated, classes)
    title = "" if calibrated else f" title=\"{UNCALIBRATED}\""
    head = (f"<div class='nn-guess'>{v.before}<b data-draw-guess='{v.digit}'>{v.digit}</b>{v.after} "
            f"<span{title}>{v.note}</span></div>")
    figs = [img_html(png_uri(img, 0.0, 1.0, lut=GREY), "what the network sees (28×28)", 150)]
    for i, a in enumerate(acts[:-1]):
        grid = as_grid(a)
        r = symmetric_range(np.nan_to_num(grid))
        figs.append(img_html(png_uri(np.nan_to_num(grid), -r, r), layer_caption(i + 1, a, activation), 150))
    if classes is not None and len(classes) < 10:
        head += (f"<div class='nn-cap' data-draw-classes='{','.join(map(str, classes))}'>This network knows only "
                 f"the digits {', '.join(map(str, classes[:-1]))} and {classes[-1]}: it answers with one of them, "
                 "whatever you draw.</div>")
    html = head + bars_html(probs, classes) + f"<div class='nn-figs'>{''.join(figs)}</div>"
    if first_weights is not None and len(first_weights):
        r = symmetric_range(first_weights)
        mosaic = tile(first_weights / r, len(first_weights))
        html += ("<div class='nn-cap'><b>The first-layer neurons with the highest output</b> for this drawing, and "
                 "what each looks for: its weights (blue pixels push it up, orange ones down)</div>"
                 + img_html(png_uri(mosaic, -1.0, 1.0), "", 600, pixelated=False))
    return f"<div class='nn-draw'>{html}</div>"


DRAW_CSS = (".nn-draw .nn-guess{font-size:1.6rem}.nn-draw .nn-guess b{font-size:2.6rem;color:#0877bd}"
            ".nn-draw .nn-guess span{font-size:1rem;color:#777}"
            ".nn-bars{display:flex;gap:6px;align-items:flex-end;height:150px;margin:6px 0 14px}"
            ".nn-bar{flex:1;height:100%;display:flex;flex-direction:column;justify-content:flex-end;text-align:center}"
            ".nn-bar>div{background:#b8c4cc;border-radius:2px 2px 0 0}.nn-bar.on>div{background:#0877bd}"
            ".nn-bar span{font-size:13px;color:#555}"
            ".nn-figs{display:flex;gap:16px;flex-wrap:wrap}.nn-fig{margin:0}.nn-fig figcaption{font-size:12px;color:#555}"
            ".nn-draw .nn-cap{margin:12px 0 4px}")
