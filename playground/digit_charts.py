"""Chart builders for the digits lab: arrays in, Plotly figures out. Nothing here calls Streamlit.

Images travel as one PNG each (a ``go.Image`` with a data-URI source), never as arrays of
numbers, so a frame stays small.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.charts import FONT, downsample, png_uri, symmetric_range

GREY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, 1)  # 0 black .. 255 white, as MNIST
DIGITS = [str(d) for d in range(10)]


def tile(images: np.ndarray, cols: int, pad: int = 1, fill: float = 0.0) -> np.ndarray:
    """(k, h, w) images -> one (rows·(h+pad), cols·(w+pad)) mosaic, row by row."""
    k, h, w = images.shape
    rows = max(1, -(-k // cols))
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), fill, np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = img
    return out


def as_grid(v: np.ndarray) -> np.ndarray:
    """A layer's activation vector laid out as a near-square image (extra cells are NaN)."""
    n = len(v)
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    out = np.full(rows * cols, np.nan, np.float32)
    out[:n] = v
    return out.reshape(rows, cols)


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


# --- light HTML views for the draw page, where every stroke must show within ~0.1 s -----------
def bars_html(p: np.ndarray) -> str:
    """Class probabilities as plain HTML bars (the predicted class blue), hover for the value."""
    pred = int(np.argmax(p))
    bars = "".join(
        f'<div class="nn-bar{" on" if d == pred else ""}" title="{d}: {v:.1%}"><div style="height:{max(v, 0.004):.1%}">'
        f'</div><span>{d}</span></div>' for d, v in enumerate(np.asarray(p, float).tolist()))
    return f'<div class="nn-bars">{bars}</div>'


def img_html(uri: str, caption: str, px: int, pixelated: bool = True) -> str:
    style = f"width:{px}px;height:auto;image-rendering:{'pixelated' if pixelated else 'auto'}"
    return f'<figure class="nn-fig"><img src="{uri}" style="{style}"/><figcaption>{caption}</figcaption></figure>'


def draw_view_html(img: np.ndarray, acts: list[np.ndarray], first_weights: np.ndarray | None) -> str:
    """Everything the draw page shows about one drawing, as one block of HTML."""
    probs = acts[-1]
    guess = int(np.argmax(probs))
    head = (f"<div class='nn-guess'>It looks like a <b data-draw-guess='{guess}'>{guess}</b> "
            f"<span>({probs[guess]:.0%} sure)</span></div>")
    figs = [img_html(png_uri(img, 0.0, 1.0, lut=GREY), "what the network sees (28×28)", 150)]
    for i, a in enumerate(acts[:-1]):
        grid = as_grid(a)
        r = symmetric_range(np.nan_to_num(grid))
        figs.append(img_html(png_uri(np.nan_to_num(grid), -r, r), f"layer {i + 1}: {int((a > 0).sum())} of {len(a)} fire",
                             150))
    html = head + bars_html(probs) + f"<div class='nn-figs'>{''.join(figs)}</div>"
    if first_weights is not None and len(first_weights):
        r = symmetric_range(first_weights)
        mosaic = tile(first_weights / r, len(first_weights))
        html += ("<div class='nn-cap'><b>The first-layer neurons that fired most</b> and what each looks for "
                 "(blue pixels excite it)</div>" + img_html(png_uri(mosaic, -1.0, 1.0), "", 600, pixelated=False))
    return f"<div class='nn-draw'>{html}</div>"


DRAW_CSS = (".nn-draw .nn-guess{font-size:1.6rem}.nn-draw .nn-guess b{font-size:2.6rem;color:#0877bd}"
            ".nn-draw .nn-guess span{font-size:1rem;color:#777}"
            ".nn-bars{display:flex;gap:6px;align-items:flex-end;height:150px;margin:6px 0 14px}"
            ".nn-bar{flex:1;height:100%;display:flex;flex-direction:column;justify-content:flex-end;text-align:center}"
            ".nn-bar>div{background:#b8c4cc;border-radius:2px 2px 0 0}.nn-bar.on>div{background:#0877bd}"
            ".nn-bar span{font-size:13px;color:#555}"
            ".nn-figs{display:flex;gap:16px;flex-wrap:wrap}.nn-fig{margin:0}.nn-fig figcaption{font-size:12px;color:#555}"
            ".nn-draw .nn-cap{margin:12px 0 4px}")
