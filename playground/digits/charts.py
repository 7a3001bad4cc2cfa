"""Chart builders for the digits lab: arrays in, Plotly figures out. Nothing here calls Streamlit.

Images travel as one PNG each (a ``go.Image`` with a data-URI source), never as arrays of
numbers, so a frame stays small.
"""
from __future__ import annotations

import html
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.activations import ACTIVATIONS
from engine.learn import NeuronSums
from playground.shared.png import FONT, GREY, as_grid, downsample, png_uri, symmetric_range, tile

DIGITS = [str(d) for d in range(10)]


def _image_fig(uri: str, width: int, height: int, title: str = "", px: int = 220) -> go.Figure:
    fig = go.Figure(go.Image(source=uri, hoverinfo="skip"))
    fig.update_layout(height=px * height / max(width, height) + (30 if title else 8), margin=dict(l=4, r=4, t=28 if title else 4, b=4),
                      title=dict(text=title, font=dict(size=15)), font=dict(family=FONT, size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def digit_figure(img: np.ndarray, title: str = "", px: int = 160) -> go.Figure:
    """One digit, white on black, as the network sees it."""
    return _image_fig(png_uri(img, 0.0, 1.0, lut=GREY), img.shape[1], img.shape[0], title, px)


def activation_figure(v: np.ndarray, title: str, px: int = 160) -> go.Figure:
    """A hidden layer's activations as an image: blue positive, orange negative, white zero."""
    grid = as_grid(v)
    r = symmetric_range(np.nan_to_num(grid))
    return _image_fig(png_uri(np.nan_to_num(grid), -r, r), grid.shape[1], grid.shape[0], title, px)


def weights_figure(w: np.ndarray, cols: int = 8, px: int = 420) -> go.Figure:
    """First-layer weights, one image per neuron: what each neuron looks for (blue excites)."""
    r = symmetric_range(w)
    mosaic = tile(w / r, cols)
    return _image_fig(png_uri(mosaic, -1.0, 1.0), mosaic.shape[1], mosaic.shape[0], px=px)


def probabilities_figure(p: np.ndarray, true: int | None = None, labels: list[str] | None = None) -> go.Figure:
    """The class probabilities as bars, one per output (``labels``: the digits they stand for,
    0 to 9 by default); the predicted class blue, the true one (an output's index) outlined."""
    pred, k = int(np.argmax(p)), len(p)
    colours = ["#0877bd" if d == pred else "#b8c4cc" for d in range(k)]
    outline = dict(width=[2.5 if d == true else 0 for d in range(k)], color="#f59322")
    fig = go.Figure(go.Bar(x=labels or DIGITS[:k], y=p, marker=dict(color=colours, line=outline),
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=200, margin=dict(l=40, r=8, t=8, b=30), yaxis=dict(range=[0, 1], tickformat=".0%"),
                      xaxis=dict(type="category", title="digit"), font=dict(family=FONT, size=14), plot_bgcolor="white")
    return fig


def metrics_figure(train_loss, val_loss, train_acc, val_acc) -> go.Figure:
    """Loss and accuracy per epoch, training and validation, side by side."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"), horizontal_spacing=0.12)
    for col, (a, b) in enumerate([(train_loss, val_loss), (train_acc, val_acc)], start=1):
        for y, name, colour in [(a, "train", "#666"), (b, "validation", "#0877bd")]:
            x, yy = downsample(np.asarray(y))
            fig.add_trace(go.Scatter(x=x, y=yy, name=name, mode="lines+markers" if len(x) < 60 else "lines",
                                     line=dict(color=colour, width=2), marker=dict(size=4), legendgroup=name,
                                     showlegend=col == 1, hovertemplate="epoch %{x}: %{y:.4f}<extra>" + name + "</extra>"),
                          row=1, col=col)
    fig.update_layout(height=250, margin=dict(l=40, r=10, t=40, b=30), font=dict(family=FONT, size=14), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.12, x=1, xanchor="right"), uirevision="metrics")
    # Whole epochs only: on a short run Plotly would tick every half epoch, and ",d" prints those as 0 0 1 1 2.
    fig.update_xaxes(title_text="epoch", rangemode="tozero", gridcolor="#eee", tickformat=",d",
                     dtick=1 if len(train_loss) <= 11 else None)
    fig.update_yaxes(rangemode="tozero", gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return fig


def confusion_figure(cm: np.ndarray, labels: list[str] | None = None) -> go.Figure:
    """Rows: the true digit; columns: the network's answer. The diagonal is what it gets right.
    ``labels``: the digits the rows and columns stand for (0 to 9 by default)."""
    labels = labels or DIGITS[:len(cm)]
    fig = go.Figure(go.Heatmap(z=cm, x=labels, y=labels, colorscale="Blues", showscale=False, text=cm,
                               texttemplate="%{text}", hovertemplate="true %{y}, answered %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=360, margin=dict(l=50, r=10, t=10, b=40), font=dict(family=FONT, size=14),
                      xaxis=dict(title="answered", type="category"),
                      yaxis=dict(title="true digit", type="category", autorange="reversed", scaleanchor="x"))
    return fig


# --- per-class accuracy: what a biased training set does ------------------------------------------
class ClassScore(NamedTuple):
    """One row of a confusion matrix read out: how often the digit is right, and who takes its place."""
    digit: int
    right: int
    total: int
    taker: int | None  # the digit most often answered in its place (None: never wrong)
    taken: int  # how many times

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else float("nan")


def class_scores(cm: np.ndarray, classes) -> list[ClassScore]:
    """Per true class (rows of ``cm``, in the order of ``classes``): right answers, the total, and
    the wrong answer given most often (the lower digit on a tie)."""
    out = []
    for i, d in enumerate(classes):
        wrong = cm[i].astype(int).copy()
        wrong[i] = 0
        j = int(np.argmax(wrong))
        out.append(ClassScore(int(d), int(cm[i, i]), int(cm[i].sum()), int(classes[j]) if wrong[j] else None,
                              int(wrong[j])))
    return out


BIAS_COLOUR, BAR_COLOUR = "#f59322", "#0877bd"


def class_accuracy_figure(scores: list[ClassScore], biased: int | None = None) -> go.Figure:
    """Per-class accuracy as bars, one per digit, each labelled with its accuracy and the digit
    most often answered in its place; the digit the training set is short of in orange."""
    acc = [s.accuracy for s in scores]
    text = [f"{a:.0%}" + (f" · → {s.taker}" if s.taker is not None else "") for s, a in zip(scores, acc)]
    fig = go.Figure(go.Bar(
        y=[str(s.digit) for s in scores], x=acc, orientation="h", text=text, textposition="outside",
        cliponaxis=False, marker=dict(color=[BIAS_COLOUR if s.digit == biased else BAR_COLOUR for s in scores]),
        customdata=[[s.right, s.total, "nothing" if s.taker is None else f"{s.taker} ({s.taken}×)"] for s in scores],
        hovertemplate="digit %{y}: %{customdata[0]} of %{customdata[1]} right; most often taken for "
                      "%{customdata[2]}<extra></extra>"))
    if biased is not None and biased in [s.digit for s in scores]:  # its row marked, even when its bar is empty
        i = [s.digit for s in scores].index(biased)
        fig.add_shape(type="rect", xref="paper", x0=0, x1=1, y0=i - 0.5, y1=i + 0.5, layer="below", line_width=0,
                      fillcolor="rgba(245,147,34,0.18)")
    fig.update_layout(height=360, margin=dict(l=50, r=70, t=10, b=40), font=dict(family=FONT, size=14),
                      plot_bgcolor="white", bargap=0.25,
                      xaxis=dict(range=[0, 1], tickformat=".0%", title="right answers", gridcolor="#eee"),
                      yaxis=dict(title="true digit", type="category", autorange="reversed"))
    return fig


def bias_sentence(scores: list[ClassScore], digit: int, kept: int, total: int) -> str:
    """What the bias did, from the measured numbers (Markdown)."""
    s = next(c for c in scores if c.digit == digit)
    others = [c.accuracy for c in scores if c.digit != digit and c.total]
    said = (f"The training set kept **{kept:,} of its {total:,} {digit}s**. On the validation digits, the network "
            f"gets **{s.accuracy:.0%} of the {digit}s** right ({s.right} of {s.total})")
    if others:
        said += f", against {np.mean(others):.0%} on average for the other digits"
    if s.taker is not None:
        said += f"; the digit it answers most often in their place is **{s.taker}** ({s.taken} times)"
    return said + "."


# --- one first-layer neuron's weighted sum, as pictures ---------------------------------------------
# What each activation does to the sum z, in words a 15-year-old can follow.
ACTIVATION_WORDS = {
    "linear": "Linear passes z on unchanged: a = z.",
    "relu": "ReLU keeps a positive z as it is and turns a negative z into 0.",
    "tanh": "Tanh squashes z into the range −1 to 1 (0 stays 0).",
    "sigmoid": "Sigmoid squashes z into the range 0 to 1 (z = 0 gives 0.5).",
    "leaky_relu": "Leaky ReLU keeps a positive z as it is and multiplies a negative z by 0.01.",
    "elu": "ELU keeps a positive z as it is; a negative z becomes eᶻ − 1, between −1 and 0.",
    "gelu": "GELU is a smooth ReLU: about z when z is large, about 0 when z is very negative.",
    "silu": "SiLU is a smooth ReLU (z × sigmoid(z)): about z when z is large, about 0 when z is very negative.",
    "softplus": "Softplus is a smooth ReLU, ln(1 + eᶻ): always above 0, about z when z is large.",
    "sine": "Sine takes sin(z), a wave between −1 and 1.",
    "gaussian": "Gaussian gives e^(−z²): 1 when z is 0, close to 0 when z is far from 0.",
}


class NeuronParts(NamedTuple):
    """Neuron j's weighted sum for one digit: the pictures (side, side) and the numbers."""
    weights: np.ndarray
    pixels: np.ndarray
    product: np.ndarray  # pixel × weight: each pixel's share of the sum
    total: float  # Σ pixel × weight
    bias: float
    z: float  # the engine's: total + bias
    a: float  # the engine's: activation(z)


def neuron_parts(sums: NeuronSums, j: int, side: int) -> NeuronParts:
    """Neuron ``j`` (0-based) of the layer ``sums`` describes (``engine.learn.neuron_sums``)."""
    x, w = np.asarray(sums.inputs, np.float64), np.asarray(sums.w, np.float64)[:, j]  # (side²,) each
    product = x * w
    return NeuronParts(w.reshape(side, side), x.reshape(side, side), product.reshape(side, side),
                       float(product.sum()), float(sums.b[j]), float(sums.z[j]), float(sums.a[j]))


def _num(v: float) -> str:
    s = f"{v:.2f}"
    return "0.00" if s == "-0.00" else s.replace("-", "−")


def sum_lines(p: NeuronParts, activation: str) -> list[str]:
    """``Σ pixel × weight = 3.42``, ``+ bias −0.51 = z = 2.91``, ``→ ReLU → a = 2.91``.

    The bias, z and a are the engine's, rounded to 2 decimals. The sum is printed as z minus the
    bias as printed (within 0.01 of Σ), so that the line adds up: rounding each on its own can
    print 0.82 + 0.00 = 0.83, which would puzzle a student.
    """
    b, z = round(p.bias, 2), round(p.z, 2)
    return [f"Σ pixel × weight = {_num(z - b)}", f"+ bias {_num(b)} = z = {_num(z)}",
            f"→ {ACTIVATIONS[activation].label} → a = {_num(p.a)}"]


def _fig(uri: str, caption: str, px: int) -> str:
    return (f'<figure><img src="{uri}" width="{px}" height="{px}" alt="{html.escape(caption)}"/>'
            f'<figcaption>{html.escape(caption, quote=False)}</figcaption></figure>')


WEIGHTED_SUM_CSS = (
    "<style>.nn-ws{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;font-family:" + FONT + "}"
    ".nn-ws figure{margin:0;text-align:center}.nn-ws img{image-rendering:pixelated;border:1px solid #ccc;"
    "display:block}.nn-ws figcaption{font-size:14px;color:#444;margin-top:3px;max-width:150px}"
    ".nn-ws .op{font-size:34px;color:#555;padding-bottom:22px}"
    ".nn-ws .sum{font-size:20px;line-height:1.6;font-variant-numeric:tabular-nums;padding-bottom:22px}</style>")


def weighted_sum_html(p: NeuronParts, activation: str, neuron: int, digit: int, px: int = 140) -> str:
    """Weights × pixels = what each pixel contributes, then the sum, the bias, z and a.

    Weights and products on the orange (−) / blue (+) scale, each symmetric about its own
    largest size; pixels in grey, black 0 to white 1, as the network gets them.
    """
    rw, rp = symmetric_range(p.weights), symmetric_range(p.product)
    figs = (_fig(png_uri(p.weights, -rw, rw), f"neuron {neuron}'s weights", px) + '<div class="op">×</div>'
            + _fig(png_uri(p.pixels, 0.0, 1.0, lut=GREY), f"digit #{digit}'s pixels", px) + '<div class="op">=</div>'
            + _fig(png_uri(p.product, -rp, rp), "pixel × weight", px) + '<div class="op">→</div>')
    formula = (f'<div class="sum" data-neuron="{neuron}" data-z="{p.z:.6g}">'
               + "".join(f"<div>{html.escape(t)}</div>" for t in sum_lines(p, activation)) + "</div>")
    return f'{WEIGHTED_SUM_CSS}<div class="nn-ws">{figs}{formula}</div>'
