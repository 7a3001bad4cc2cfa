"""Chart builders: arrays in, figures (or SVG strings) out. Nothing here calls Streamlit.

Maps are sent as small PNG images, not as 10,000-number arrays, so a frame stays light.
"""
from __future__ import annotations

import base64
import html
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

# TF Playground's diverging scale: orange for -1, light grey-white for 0, blue for +1.
ORANGE, WHITE, BLUE = np.array([245, 147, 34]), np.array([232, 234, 235]), np.array([8, 119, 189])
_t = np.linspace(-1, 1, 256)[:, None]
LUT = np.where(_t < 0, WHITE + (ORANGE - WHITE) * -_t, WHITE + (BLUE - WHITE) * _t).astype(np.uint8)  # (256, 3)
FONT = "Helvetica, Arial, sans-serif"


def colour(v: float) -> str:
    r, g, b = LUT[int(np.clip((v + 1) * 127.5, 0, 255))]
    return f"rgb({r},{g},{b})"


def png_uri(values: np.ndarray, lo: float = -1.0, hi: float = 1.0, discretise: bool = False) -> str:
    """(H, W) values -> data URI of a PNG coloured on the orange-white-blue scale."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    if discretise:
        v = np.where(v >= (lo + hi) / 2, hi, lo)
    idx = np.clip((v - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(LUT[idx]).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def symmetric_range(values: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(values))) if values.size else 1.0
    return m if m > 1e-9 else 1.0


def _fig(data, layout) -> go.Figure:
    # Skip Plotly's validation: it costs ~0.2 s per figure with many elements.
    return go.Figure(dict(data=data, layout=layout), _validate=False)


def decision_map(out: np.ndarray, points_train, y_train, points_test, y_test, *, show_test=False,
                 discretise=False, domain=6.0, regression=False, title=None) -> go.Figure:
    """The output over the plane (an image) with the training (and test) points on top."""
    def points(p, y, outline, name):
        return dict(type="scatter", x=p[:, 0], y=p[:, 1], mode="markers", name=name,
                    marker=dict(size=7, color=[colour(v) for v in np.clip(y, -1, 1)],
                                line=dict(width=1.2, color=outline)),
                    hovertemplate="(%{x:.2f}, %{y:.2f})<extra>" + name + "</extra>")
    data = [points(points_train, y_train, "white", "train")]
    if show_test:
        data.append(points(points_test, y_test, "#222", "test"))
    ticks = dict(range=[-domain, domain], tickvals=list(range(-6, 7, 2)), showgrid=False, zeroline=False,
                 ticks="outside", fixedrange=True, tickfont=dict(size=11))
    layout = dict(
        images=[dict(source=png_uri(out, discretise=discretise and not regression), xref="x", yref="y",
                     x=-domain, y=domain, sizex=2 * domain, sizey=2 * domain, sizing="stretch",
                     layer="below")],
        xaxis=dict(ticks, title=dict(text="X₁", standoff=4)),
        yaxis=dict(ticks, title=dict(text="X₂", standoff=4), scaleanchor="x", scaleratio=1),
        margin=dict(l=36, r=6, t=28 if title else 6, b=34), showlegend=False, height=330,
        plot_bgcolor="white", title=dict(text=title or "", font=dict(size=14)), font=dict(family=FONT),
        uirevision="map")
    return _fig(data, layout)


def downsample(y: np.ndarray, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) with at most ``max_points`` points, always keeping the last one."""
    n = len(y)
    if n <= max_points:
        return np.arange(n), y
    idx = np.unique(np.concatenate([np.linspace(0, n - 1, max_points).astype(int), [n - 1]]))
    return idx, y[idx]


def loss_chart(train_loss, test_loss, train_acc=None, test_acc=None, height=230) -> go.Figure:
    """Train and test loss per epoch (solid), and accuracy on a second axis (dotted)."""
    def line(y, name, color, dash="solid", axis="y"):
        x, y = downsample(np.asarray(y))
        return dict(type="scatter", x=x, y=y, name=name, mode="lines", yaxis=axis,
                    line=dict(color=color, width=2, dash=dash),
                    hovertemplate="epoch %{x}: %{y:.4f}<extra>" + name + "</extra>")
    data = [line(train_loss, "train loss", "#555"), line(test_loss, "test loss", "#0877bd")]
    short = {"train loss": "train", "test loss": "test", "train accuracy": "train acc.",
             "test accuracy": "test acc."}
    layout = dict(height=height, margin=dict(l=46, r=46, t=24, b=36), font=dict(family=FONT),
                  xaxis=dict(title="epoch", rangemode="tozero"),
                  yaxis=dict(title="loss", rangemode="tozero"),
                  legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, font=dict(size=11)),
                  plot_bgcolor="white", hovermode="x unified", uirevision="loss")
    if train_acc is not None:
        data += [line(train_acc, "train accuracy", "#999", "dot", "y2"),
                 line(test_acc, "test accuracy", "#f59322", "dot", "y2")]
    for trace in data:
        trace["legendgroup"], trace["name"] = trace["name"], short[trace["name"]]
        layout["yaxis2"] = dict(title="accuracy", overlaying="y", side="right", range=[0, 1.02],
                                showgrid=False, tickformat=".0%")
    return _fig(data, layout)


# --- the network diagram, as SVG: neuron maps are images, weights are lines --------------------
NODE, COL_GAP, ROW_GAP = 40, 130, 12


def _node(x, y, uri, title, label="", bias=None):
    bias_mark = ""
    if bias is not None:  # a small square on the neuron's left edge, coloured by the bias
        bias_mark = (f'<rect class="bias" x="{x - 5}" y="{y + NODE - 9}" width="8" height="8" '
                     f'fill="{colour(np.tanh(bias))}" stroke="#555" stroke-width="0.6">'
                     f'<title>bias {bias:.3f}</title></rect>')
    text = f'<text x="{x - 8}" y="{y + NODE / 2 + 4}" text-anchor="end" class="lbl">{html.escape(label)}</text>' if label else ""
    return (f'<g class="node">{text}<image href="{uri}" x="{x}" y="{y}" width="{NODE}" height="{NODE}" '
            f'preserveAspectRatio="none"/><rect x="{x}" y="{y}" width="{NODE}" height="{NODE}" fill="none" '
            f'stroke="#666" stroke-width="0.8"/><title>{html.escape(title)}</title>{bias_mark}</g>')


def network_svg(feature_labels, input_maps, hidden_maps, out_map, weights, *, discretise=False,
                thumb: int = 50) -> str:
    """The whole network: each input and neuron drawn as its own map, weights as lines.

    ``input_maps`` (G, G, n_in), ``hidden_maps`` a list of (G, G, width), ``out_map`` (G, G),
    ``weights`` a list of (w (n_in, n_out), b (n_out,)). Width follows |w|, colour its sign;
    hovering a neuron enlarges its map, hovering a weight shows its value.
    """
    step = max(1, input_maps.shape[0] // thumb)
    layers = [input_maps[::step, ::step]] + [h[::step, ::step] for h in hidden_maps]
    sizes = [m.shape[-1] for m in layers] + [1]
    tallest = max(sizes)
    height = tallest * (NODE + ROW_GAP) + 40
    width = 90 + (len(sizes) - 1) * COL_GAP + NODE + 20

    def pos(layer, i):
        top = (height - 20 - sizes[layer] * (NODE + ROW_GAP)) / 2 + 10
        return 90 + layer * COL_GAP, top + i * (NODE + ROW_GAP)

    wmax = max((float(np.abs(w).max()) for w, _ in weights), default=1.0) or 1.0
    lines = []
    for l, (w, _) in enumerate(weights):
        for i in range(w.shape[0]):
            x0, y0 = pos(l, i)
            for j in range(w.shape[1]):
                x1, y1 = pos(l + 1, j)
                v = float(w[i, j])
                wd = 0.6 + 5.5 * abs(v) / wmax
                seg = f'x1="{x0 + NODE}" y1="{y0 + NODE / 2}" x2="{x1}" y2="{y1 + NODE / 2}"'
                lines.append(f'<g class="w"><line {seg} stroke="{colour(np.sign(v) * min(1, 0.25 + abs(v) / wmax))}" '
                             f'stroke-width="{wd:.2f}"/><line class="hit" {seg}/>'
                             f'<title>weight {v:.3f}</title></g>')
    nodes = []
    for l, maps in enumerate(layers):
        for i in range(maps.shape[-1]):
            x, y = pos(l, i)
            if l == 0:
                m = maps[..., i]
                uri = png_uri(m, -symmetric_range(m), symmetric_range(m))
                nodes.append(_node(x, y, uri, f"input {feature_labels[i]}", feature_labels[i]))
            else:
                b = float(weights[l - 1][1][i])
                nodes.append(_node(x, y, png_uri(maps[..., i], discretise=discretise),
                                   f"layer {l}, neuron {i + 1} (bias {b:.3f})", bias=b))
    x, y = pos(len(sizes) - 1, 0)
    out_small = out_map[::step, ::step]
    nodes.append(_node(x, y, png_uri(out_small, discretise=discretise), "output",
                       bias=float(weights[-1][1][0]) if weights else None))
    heads = "".join(f'<text x="{pos(l, 0)[0] + NODE / 2}" y="14" text-anchor="middle" class="hdr">'
                    f'{"Features" if l == 0 else ("Output" if l == len(sizes) - 1 else f"Layer {l}")}</text>'
                    for l in range(len(sizes)))
    style = ("<style>.nn-svg .lbl{font:12px " + FONT + ";fill:#333}.nn-svg .hdr{font:bold 12px " + FONT +
             ";fill:#444}.nn-svg .hit{stroke:transparent;stroke-width:9}.nn-svg .w:hover line:first-child"
             "{stroke:#111}.nn-svg .node image,.nn-svg .node>rect{transition:transform .12s;transform-box:"
             "fill-box;transform-origin:center}.nn-svg .node:hover image,.nn-svg .node:hover>rect"
             "{transform:scale(3.2)}.nn-svg .node:hover{}</style>")
    return (f'{style}<svg class="nn-svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="overflow:visible" xmlns="http://www.w3.org/2000/svg">'
            f'{heads}{"".join(lines)}{"".join(nodes)}</svg>')


def stats_html(epoch: int, train_loss: float, test_loss: float, test_acc: float | None) -> str:
    """The numbers a class watches: epoch, train and test loss, accuracy."""
    cells = [("Epoch", f"{epoch:,}", "big"), ("Train loss", f"{train_loss:.3f}", ""),
             ("Test loss", f"{test_loss:.3f}", "")]
    if test_acc is not None:
        cells.append(("Test accuracy", f"{test_acc:.1%}", ""))
    body = "".join(f'<div class="st-{cls}"><div class="k">{k}</div><div class="v" data-stat="{k}">{v}</div></div>'
                   for k, v, cls in cells)
    css = (".nn-stats{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap}.nn-stats .k{font-size:12px;"
           "color:#666}.nn-stats .v{font-size:20px;font-variant-numeric:tabular-nums}.nn-stats .st-big .v"
           "{font-size:30px;font-weight:600}")
    return f"<style>{css}</style><div class='nn-stats'>{body}</div>"
