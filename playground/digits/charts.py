"""Chart builders for the digits lab: arrays in, Plotly figures out. Nothing here calls Streamlit.

Images travel as one PNG each (a ``go.Image`` with a data-URI source), never as arrays of
numbers, so a frame stays small.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.shared.png import FONT, GREY, as_grid, downsample, png_uri, symmetric_range, tile

DIGITS = [str(d) for d in range(10)]


def _image_fig(uri: str, width: int, height: int, title: str = "", px: int = 220) -> go.Figure:
    fig = go.Figure(go.Image(source=uri, hoverinfo="skip"))
    fig.update_layout(height=px * height / max(width, height) + (30 if title else 8), margin=dict(l=4, r=4, t=28 if title else 4, b=4),
                      title=dict(text=title, font=dict(size=13)), font=dict(family=FONT))
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


def probabilities_figure(p: np.ndarray, true: int | None = None) -> go.Figure:
    """The class probabilities as bars; the predicted class blue, the true one outlined."""
    pred = int(np.argmax(p))
    colours = ["#0877bd" if d == pred else "#b8c4cc" for d in range(10)]
    fig = go.Figure(go.Bar(x=DIGITS, y=p, marker=dict(color=colours,
                                                      line=dict(width=[2.5 if d == true else 0 for d in range(10)],
                                                                color="#f59322")),
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=200, margin=dict(l=40, r=8, t=8, b=30), yaxis=dict(range=[0, 1], tickformat=".0%"),
                      xaxis=dict(type="category", title="digit"), font=dict(family=FONT), plot_bgcolor="white")
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
    fig.update_layout(height=250, margin=dict(l=40, r=10, t=40, b=30), font=dict(family=FONT), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.12, x=1, xanchor="right"), uirevision="metrics")
    # Whole epochs only: on a short run Plotly would tick every half epoch, and ",d" prints those as 0 0 1 1 2.
    fig.update_xaxes(title_text="epoch", rangemode="tozero", gridcolor="#eee", tickformat=",d",
                     dtick=1 if len(train_loss) <= 11 else None)
    fig.update_yaxes(rangemode="tozero", gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return fig


def confusion_figure(cm: np.ndarray) -> go.Figure:
    """Rows: the true digit; columns: the network's answer. The diagonal is what it gets right."""
    off = cm.astype(float)
    np.fill_diagonal(off, np.nan)
    fig = go.Figure(go.Heatmap(z=cm, x=DIGITS, y=DIGITS, colorscale="Blues", showscale=False, text=cm,
                               texttemplate="%{text}", hovertemplate="true %{y}, answered %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=360, margin=dict(l=50, r=10, t=10, b=40), font=dict(family=FONT),
                      xaxis=dict(title="answered", type="category"),
                      yaxis=dict(title="true digit", type="category", autorange="reversed", scaleanchor="x"))
    return fig
