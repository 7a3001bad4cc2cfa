"""Charts for the big-picture page: Plotly figures for the experiment, PNG pictures for the
explanation maps. Arrays in, figures out; nothing here calls Streamlit."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.experiment import CLASSICAL, LABELS, NETWORK, Experiment
from playground.shared.png import BLUE, FONT, ORANGE, png_bytes

COLOURS = {NETWORK: "#0877bd", "logreg": "#9e9e9e", "knn": "#f59322", "forest": "#2e9e5b"}
DASH = {NETWORK: "solid", "logreg": "dot", "knn": "dash", "forest": "dashdot"}
UNIT = {"digits": "training digits", "spiral": "training points"}


def _layout(fig: go.Figure, title: str, ytitle: str, unit: str, sizes: list[int]) -> go.Figure:
    fig.update_layout(height=350, margin=dict(l=60, r=12, t=40, b=10), font=dict(family=FONT, size=14),
                      title=dict(text=title, font=dict(size=15)), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.3, yanchor="top", x=0, font=dict(size=14)))
    fig.update_xaxes(type="log", title=f"{unit} (log scale)", tickvals=sizes, ticktext=[f"{s:,}" for s in sizes],
                     gridcolor="#e6e6e6", zeroline=False)
    fig.update_yaxes(title=ytitle, gridcolor="#e6e6e6", zeroline=False)
    return fig


def _lines(e: Experiment, attr: str, fmt: str) -> list[go.Scatter]:
    traces = []
    for m in (NETWORK, *CLASSICAL):
        x, y = e.series(m, attr)
        if x:
            traces.append(go.Scatter(x=x, y=y, name=LABELS[m][0].upper() + LABELS[m][1:], mode="lines+markers",
                                     line=dict(color=COLOURS[m], width=3.5 if m == NETWORK else 2.2, dash=DASH[m]),
                                     marker=dict(size=8 if m == NETWORK else 6),
                                     hovertemplate=f"%{{x:,}}: %{{y:{fmt}}}<extra>{LABELS[m]}</extra>"))
    return traces


def accuracy_figure(e: Experiment) -> go.Figure:
    """Held-out accuracy against training-set size (log axis), one line per model."""
    fig = go.Figure(_lines(e, "accuracy", ".1%"))
    _layout(fig, f"Accuracy on the same {e.held_out:,} held-out examples", "accuracy", UNIT[e.dataset], e.sizes)
    fig.update_yaxes(tickformat=".0%")
    return fig


def seconds_figure(e: Experiment) -> go.Figure:
    """Training seconds against training-set size (both log axes)."""
    fig = go.Figure(_lines(e, "train_seconds", ".2f"))
    _layout(fig, "Training seconds", "seconds (log scale)", UNIT[e.dataset], e.sizes)
    fig.update_yaxes(type="log", dtick=1)  # powers of ten only
    return fig


# --- explanation maps as pictures ------------------------------------------------------------------
PX = 8  # screen pixels per image pixel: 28 × 8 = 224


def _upscale(rgb: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(rgb, k, 0), k, 1)


def overlay(img: np.ndarray, signed: np.ndarray, scale: float | None = None) -> np.ndarray:
    """(side, side) digit in [0, 1] and a signed map of the same shape -> (side, side, 3) uint8:
    the digit in dim grey, the map's positive values in blue and negative in orange over it, each
    pixel as strong as |value| / scale (scale: the map's largest |value| by default)."""
    r = scale or float(np.max(np.abs(signed))) or 1.0
    a = np.clip(np.abs(signed) / r, 0, 1)[..., None]  # (side, side, 1) how much colour
    base = (40 + 110 * np.clip(img, 0, 1))[..., None] * np.ones(3)  # dim: the colours stand out
    tint = np.where(signed[..., None] >= 0, BLUE, ORANGE)
    return (base * (1 - a) + tint * a).round().astype(np.uint8)


def map_png(img: np.ndarray, signed: np.ndarray, px: int = PX) -> bytes:
    """``overlay`` upscaled ``px`` times (each pixel a sharp square), as PNG bytes."""
    return png_bytes(_upscale(overlay(img, signed), px))


def digit_png(img: np.ndarray, px: int = PX) -> bytes:
    g = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return png_bytes(_upscale(np.repeat(g[..., None], 3, 2), px))


def patches_to_pixels(drop: np.ndarray, side: int) -> np.ndarray:
    """An (n, n) map of patches as a (side, side) map of pixels (each pixel its patch's value)."""
    k = -(-side // drop.shape[0])
    return np.repeat(np.repeat(drop, k, 0), k, 1)[:side, :side]


def probabilities_figure(p: np.ndarray, answer: int, other: int) -> go.Figure:
    """Ten bars: the answer blue, the class it is compared with orange."""
    colours = ["#0877bd" if d == answer else "#f59322" if d == other else "#b8c4cc" for d in range(len(p))]
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(p))], y=p, marker_color=colours,
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=190, margin=dict(l=44, r=8, t=8, b=36), font=dict(family=FONT, size=14),
                      plot_bgcolor="white", yaxis=dict(range=[0, 1], tickformat=".0%"),
                      xaxis=dict(type="category", title="digit"))
    return fig
