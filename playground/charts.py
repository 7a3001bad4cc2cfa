"""Chart builders for the live views: arrays in, SVG strings out. Nothing here calls Streamlit.

Maps travel as small PNG images inside the SVG, not as 10,000-number arrays, so a frame stays
light; a browser redraws these SVGs about twice as often as Plotly charts carrying an image
(measured in Chromium on this project's two-core target, see benchmarks/ui.py).
"""
from __future__ import annotations

import base64
import html
import struct
import zlib

import numpy as np

# TF Playground's diverging scale: orange for -1, light grey-white for 0, blue for +1.
ORANGE, WHITE, BLUE = np.array([245, 147, 34]), np.array([232, 234, 235]), np.array([8, 119, 189])
_t = np.linspace(-1, 1, 256)[:, None]
LUT = np.where(_t < 0, WHITE + (ORANGE - WHITE) * -_t, WHITE + (BLUE - WHITE) * _t).astype(np.uint8)  # (256, 3)
FONT = "Helvetica, Arial, sans-serif"


# The output map behind the points is paler, so that the points stand out (as in TF Playground).
MAP_LUT = (LUT * 0.72 + 255 * 0.28).astype(np.uint8)


def colour(v: float) -> str:
    r, g, b = LUT[int(np.clip((v + 1) * 127.5, 0, 255))]
    return f"rgb({r},{g},{b})"


def png_uri(values: np.ndarray, lo: float = -1.0, hi: float = 1.0, discretise: bool = False,
            lut: np.ndarray = LUT) -> str:
    """(H, W) values -> data URI of a PNG coloured on the orange-white-blue scale."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    if discretise:
        v = np.where(v >= (lo + hi) / 2, hi, lo)
    idx = np.clip((v - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(png_bytes(lut[idx])).decode()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(rgb: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> PNG file bytes. A minimal encoder: three times faster than Pillow's
    for the small maps sent every frame."""
    h, w, _ = rgb.shape
    raw = np.zeros((h, w * 3 + 1), np.uint8)  # each row starts with filter type 0
    raw[:, 1:] = rgb.reshape(h, -1)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def symmetric_range(values: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(values))) if values.size else 1.0
    return m if m > 1e-9 else 1.0


def downsample(y: np.ndarray, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) with at most ``max_points`` points, always keeping the last one."""
    n = len(y)
    if n <= max_points:
        return np.arange(n), y
    idx = np.unique(np.concatenate([np.linspace(0, n - 1, max_points).astype(int), [n - 1]]))
    return idx, y[idx]


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


_input_cache: dict[bytes, str] = {}


def _input_uri(m: np.ndarray) -> str:
    """An input feature's map: the same every frame, so encoded once."""
    key = m.tobytes()
    if key not in _input_cache:
        if len(_input_cache) > 256:
            _input_cache.clear()
        r = symmetric_range(m)
        _input_cache[key] = png_uri(m, -r, r)
    return _input_cache[key]


def network_svg(feature_labels, input_maps, hidden_maps, out_map, weights, *, discretise=False,
                thumb: int = 40) -> str:
    """The whole network: each input and neuron drawn as its own map, weights as lines.

    ``input_maps`` (G, G, n_in), ``hidden_maps`` a list of (G, G, width), ``out_map`` (G, G),
    ``weights`` a list of (w (n_in, n_out), b (n_out,)). Width follows |w|, colour its sign;
    hovering a neuron enlarges its map, hovering a weight shows its value.
    """
    step = max(1, -(-input_maps.shape[0] // thumb))  # 100 -> every 3rd: 34×34 thumbnails
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
                nodes.append(_node(x, y, _input_uri(maps[..., i]), f"input {feature_labels[i]}",
                                   feature_labels[i]))
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


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(first, hi + step * 1e-6, step)]


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.3g}"


SVG_CSS = (".nn-plot text{font:11px " + FONT + ";fill:#555}.nn-plot .ax{stroke:#bbb;stroke-width:1}"
           ".nn-plot .tr{stroke:#fff;stroke-width:1}.nn-plot .te{stroke:#222;stroke-width:1.3}"
           ".nn-plot .band{fill:transparent}.nn-plot .band:hover{fill:rgba(0,0,0,.06)}")


def decision_map_svg(out: np.ndarray, points_train, y_train, points_test, y_test, *, show_test=False,
                     discretise=False, regression=False, domain=6.0, size=340) -> str:
    """The output over the plane as an image, the points on top, axis ticks around it."""
    pad_l, pad_b, pad_t = 28, 24, 6
    side = size - pad_l - 6
    to_x = lambda v: pad_l + (v + domain) / (2 * domain) * side
    to_y = lambda v: pad_t + (domain - v) / (2 * domain) * side
    uri = png_uri(out, discretise=discretise and not regression, lut=MAP_LUT)

    def dots(p, y, cls):
        cols = LUT[np.clip(((np.clip(y, -1, 1) + 1) * 127.5).astype(int), 0, 255)]
        return "".join(f'<circle class="{cls}" cx="{to_x(a):.1f}" cy="{to_y(b):.1f}" r="3.3" '
                       f'fill="#{c[0]:02x}{c[1]:02x}{c[2]:02x}"/>' for (a, b), c in zip(p, cols))
    ticks = range(-int(domain), int(domain) + 1, 2)
    axes = "".join(f'<text x="{to_x(t):.1f}" y="{pad_t + side + 15}" text-anchor="middle">{t}</text>'
                   f'<text x="{pad_l - 5}" y="{to_y(t) + 4:.1f}" text-anchor="end">{t}</text>' for t in ticks)
    body = (f'<image href="{uri}" x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" preserveAspectRatio="none"/>'
            f'<rect x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" fill="none" class="ax"/>'
            + dots(points_train, y_train, "tr") + (dots(points_test, y_test, "te") if show_test else "") + axes)
    return (f'<style>{SVG_CSS}</style><svg class="nn-plot nn-map" viewBox="0 0 {size} {pad_t + side + pad_b}" '
            f'width="100%" style="max-height:max(240px, calc(100vh - 430px))" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def loss_svg(train_loss, test_loss, train_acc=None, test_acc=None, width=360, height=150) -> str:
    """Train and test loss per epoch (solid) and accuracy (dotted, right axis, 0 to 100 %).

    Hovering anywhere over the plot shows the values at that epoch.
    """
    pad_l, pad_r, pad_t, pad_b = 40, 34 if train_acc is not None else 8, 22, 34
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(train_loss)
    last = max(n - 1, 1)
    finite = np.concatenate([np.asarray(train_loss), np.asarray(test_loss)])
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) * 1.05 if finite.size and finite.max() > 0 else 1.0
    sx = lambda e: pad_l + e / last * w
    sy = lambda v: pad_t + h - min(max(v / top, 0.0), 1.0) * h
    sa = lambda v: pad_t + h - v * h

    def path(series, scale, cls, dash=""):
        x, y = downsample(np.asarray(series), 600)
        pts = " ".join(f"{sx(e):.1f},{scale(v):.1f}" for e, v in zip(x, y) if np.isfinite(v))
        return f'<polyline points="{pts}" fill="none" class="{cls}" {dash}/>'
    lines = path(train_loss, sy, "l-tr") + path(test_loss, sy, "l-te")
    legend = [("train loss", "#666", ""), ("test loss", "#0877bd", "")]
    if train_acc is not None:
        lines += path(train_acc, sa, "l-tra", 'stroke-dasharray="2,3"') + path(test_acc, sa, "l-tea", 'stroke-dasharray="2,3"')
        legend += [("train acc.", "#999", "2,3"), ("test acc.", "#f59322", "2,3")]
    yt = "".join(f'<text x="{pad_l - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>'
                 f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                 for v in _ticks(0, top, 3))
    xt = "".join(f'<text x="{sx(v):.1f}" y="{pad_t + h + 15}" text-anchor="middle">{_fmt(v)}</text>'
                 for v in _ticks(0, last, 4) if v == int(v))
    at = "" if train_acc is None else "".join(
        f'<text x="{pad_l + w + 4}" y="{sa(v) + 4:.1f}">{v:.0%}</text>' for v in (0, 0.5, 1))
    leg = "".join(f'<line x1="{pad_l + i * 82}" x2="{pad_l + i * 82 + 16}" y1="9" y2="9" stroke="{c}" stroke-width="2" '
                  f'stroke-dasharray="{d}"/><text x="{pad_l + i * 82 + 20}" y="13">{t}</text>'
                  for i, (t, c, d) in enumerate(legend))
    bands = []
    for k in range(min(n, 60)):
        e0, e1 = k * n // min(n, 60), (k + 1) * n // min(n, 60)
        e = min(e1, n) - 1
        tip = f"epoch {e}: train loss {train_loss[e]:.4f}, test loss {test_loss[e]:.4f}"
        if train_acc is not None:
            tip += f", train acc. {train_acc[e]:.1%}, test acc. {test_acc[e]:.1%}"
        x0 = sx(e0) if n > 1 else pad_l
        x1 = sx(min(e1, last)) if n > 1 else pad_l + w
        bands.append(f'<rect class="band" x="{x0:.1f}" y="{pad_t}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{h}"><title>{tip}</title></rect>')
    css = (".nn-loss .l-tr{stroke:#666;stroke-width:2}.nn-loss .l-te{stroke:#0877bd;stroke-width:2}"
           ".nn-loss .l-tra{stroke:#999;stroke-width:1.5}.nn-loss .l-tea{stroke:#f59322;stroke-width:1.5}")
    return (f'<style>{SVG_CSS}{css}</style><svg class="nn-plot nn-loss" viewBox="0 0 {width} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg">{yt}{xt}{at}{leg}'
            f'<line class="ax" x1="{pad_l}" x2="{pad_l + w}" y1="{pad_t + h}" y2="{pad_t + h}"/>'
            f'{lines}{"".join(bands)}<text x="{pad_l + w / 2}" y="{height - 1}" text-anchor="middle">epoch</text></svg>')
