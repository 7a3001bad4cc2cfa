"""Chart builders for the live views: arrays in, SVG strings out. Nothing here calls Streamlit.

Maps travel as small PNG images inside the SVG (``playground/shared/png.py``), so a frame stays
light; a browser redraws these SVGs about twice as often as Plotly charts carrying an image
(measured in Chromium on this project's two-core target, see benchmarks/ui.py).
"""
from __future__ import annotations

import html
from functools import lru_cache

import numpy as np

from playground.shared.png import FONT, LUT, MAP_LUT, colour, downsample, png_uri, symmetric_range

LOSS_POINTS = 180  # per curve: the chart is under 300 pixels wide
BANDS = 30  # hover zones over the loss chart, each with its epoch's numbers


# --- the network diagram, as SVG: neuron maps are images, weights are lines --------------------
NODE, COL_GAP, ROW_GAP = 40, 130, 12


def _node(k, x, y, picture, title, label="", bias=None):
    """Neuron ``k``: its map (``picture`` markup placed at x, y), a frame, a hover title, its bias."""
    bias_mark = ""
    if bias is not None:  # a small square on the neuron's corner, coloured by the bias
        bias_mark = (f'<rect class="bias" x="{x - 5}" y="{y + NODE - 9:g}" width="8" height="8" '
                     f'fill="{colour(np.tanh(bias))}" stroke="#555" stroke-width="0.6">'
                     f'<title>bias {bias:.3f}</title></rect>')
    text = (f'<text x="{x - 8}" y="{y + NODE / 2 + 4:g}" text-anchor="end" class="lbl">{html.escape(label)}</text>'
            if label else "")
    return (f'<g class="node" id="nn-n{k}">{text}{picture}<rect x="{x}" y="{y:g}" width="{NODE}" height="{NODE}" '
            f'fill="transparent" stroke="#666" stroke-width="0.8"/><title>{html.escape(title)}</title>{bias_mark}</g>')


ZOOM = 3.2


def _zoom(k, x, y, picture_at):
    """Neuron ``k``'s map drawn large over the diagram, shown while the neuron is hovered.
    Zooms come after every node in the SVG, so the enlarged map is never covered."""
    size = NODE * ZOOM
    zx, zy = x + NODE / 2 - size / 2, y + NODE / 2 - size / 2
    return (f'<g class="zoom" id="nn-z{k}">{picture_at(zx, zy, size)}<rect x="{zx:g}" y="{zy:g}" width="{size:g}" '
            f'height="{size:g}" fill="none" stroke="#333" stroke-width="1.2"/></g>')


def _image(x, y, uri, size=NODE):
    return f'<image href="{uri}" x="{x:g}" y="{y:g}" width="{size:g}" height="{size:g}" preserveAspectRatio="none"/>'


def _sprite(cells: list[np.ndarray], discretise: bool) -> tuple[str, int]:
    """All neuron maps in one PNG (one encode, one image to decode): a row of cells, each with
    a one-pixel edge copied around it so smoothing does not bleed between neighbours."""
    padded = [np.pad(c, 1, mode="edge") for c in cells]
    return png_uri(np.concatenate(padded, axis=1), discretise=discretise), padded[0].shape[0]


def _sprite_cell(x, y, k, pitch, size=NODE):
    # A window onto cell k of the sprite, scaled to ``size``.
    return (f'<svg x="{x:g}" y="{y:g}" width="{size:g}" height="{size:g}" viewBox="{k * pitch + 1} 1 {pitch - 2} '
            f'{pitch - 2}" preserveAspectRatio="none"><use href="#nn-sprite"/></svg>')


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
                thumb: int = 25) -> str:
    """The whole network: each input and neuron drawn as its own map, weights as lines.

    ``input_maps`` (G, G, n_in), ``hidden_maps`` a list of (G, G, width), ``out_map`` (G, G),
    ``weights`` a list of (w (n_in, n_out), b (n_out,)). Width follows |w|, colour its sign;
    hovering a neuron enlarges its map, hovering a weight shows its value.
    """
    step = max(1, -(-input_maps.shape[0] // thumb))  # 100 -> every 4th: 25×25 thumbnails
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
        w = np.asarray(w, np.float64)
        widths = (0.6 + 5.5 * np.abs(w) / wmax).tolist()
        shades = (np.sign(w) * np.minimum(1, 0.25 + np.abs(w) / wmax)).tolist()
        values = w.tolist()
        starts = [pos(l, i) for i in range(w.shape[0])]
        ends = [pos(l + 1, j) for j in range(w.shape[1])]
        for i, (x0, y0) in enumerate(starts):
            for j, (x1, y1) in enumerate(ends):
                seg = f'x1="{x0 + NODE}" y1="{y0 + NODE / 2:g}" x2="{x1}" y2="{y1 + NODE / 2:g}"'
                lines.append(f'<g class="w"><line {seg} stroke="{colour(shades[i][j])}" '
                             f'stroke-width="{widths[i][j]:.2f}"/><line class="hit" {seg}/>'
                             f'<title>weight {values[i][j]:.3f}</title></g>')
    cells = [maps[..., i] for maps in layers[1:] for i in range(maps.shape[-1])] + [out_map[::step, ::step]]
    sprite, pitch = _sprite(cells, discretise)
    nodes, zooms = [], []
    k = c = 0  # node number, sprite cell number
    for l, size in enumerate(sizes):
        for i in range(size):
            x, y = pos(l, i)
            if l == 0:
                uri = _input_uri(layers[0][..., i])
                pic = lambda px, py, sz=NODE, uri=uri: _image(px, py, uri, sz)
                title, label, bias = f"input {feature_labels[i]}", feature_labels[i], None
            else:
                pic = lambda px, py, sz=NODE, c=c: _sprite_cell(px, py, c, pitch, sz)
                last = l == len(sizes) - 1
                bias = float(weights[l - 1][1][i]) if weights else None
                title = "output" if last else f"layer {l}, neuron {i + 1} (bias {bias:.3f})"
                label, c = "", c + 1
            nodes.append(_node(k, x, y, pic(x, y), title, label, bias))
            zooms.append(_zoom(k, x, y, pic))
            k += 1
    defs = (f'<defs><image id="nn-sprite" href="{sprite}" width="{pitch * len(cells)}" height="{pitch}" '
            f'preserveAspectRatio="none"/></defs>')
    heads = "".join(f'<text x="{pos(l, 0)[0] + NODE / 2}" y="14" text-anchor="middle" class="hdr">'
                    f'{"Features" if l == 0 else ("Output" if l == len(sizes) - 1 else f"Layer {l}")}</text>'
                    for l in range(len(sizes)))
    # A small network is not blown up to the column's width: at most 1.5× its drawn size, centred.
    return (f'<svg class="nn-svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="overflow:visible;display:block;margin:0 auto;max-width:{1.5 * width:g}px" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'{defs}{heads}{"".join(lines)}{"".join(nodes)}{"".join(zooms)}</svg>')


def stats_html(epoch: int, train_loss: float, test_loss: float, test_acc: float | None) -> str:
    """The numbers a class watches: epoch, train and test loss, accuracy."""
    cells = [("Epoch", f"{epoch:,}", "big"), ("Train loss", f"{train_loss:.3f}", ""),
             ("Test loss", f"{test_loss:.3f}", "")]
    if test_acc is not None:
        cells.append(("Test accuracy", f"{test_acc:.1%}", ""))
    body = "".join(f'<div class="st-{cls}"><div class="k">{k}</div><div class="v" data-stat="{k}">{v}</div></div>'
                   for k, v, cls in cells)
    return f"<div class='nn-stats'>{body}</div>"


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
        p, y = np.asarray(p, np.float32), np.asarray(y, np.float32)
        return _dots(p.tobytes(), y.tobytes(), cls, regression, domain, side, pad_l, pad_t)
    ticks = range(-int(domain), int(domain) + 1, 2)
    axes = "".join(f'<text x="{to_x(t):.1f}" y="{pad_t + side + 15}" text-anchor="middle">{t}</text>'
                   f'<text x="{pad_l - 5}" y="{to_y(t) + 4:.1f}" text-anchor="end">{t}</text>' for t in ticks)
    body = (f'<image href="{uri}" x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" preserveAspectRatio="none"/>'
            f'<rect x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" fill="none" class="ax"/>'
            + dots(points_train, y_train, "tr") + (dots(points_test, y_test, "te") if show_test else "") + axes)
    return (f'<svg class="nn-plot nn-map" viewBox="0 0 {size} {pad_t + side + pad_b}" '
            f'width="100%" style="max-height:max(220px, calc(100vh - 545px))" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


@lru_cache(maxsize=512)
def _dots(points: bytes, y: bytes, cls: str, regression: bool, domain: float, side: float, pad_l: float,
          pad_t: float) -> str:
    """The data points as SVG paths, one per colour (far less for the browser to redraw than one
    element per point). Cached: the points stay the same from frame to frame."""
    p = np.frombuffer(points, np.float32).reshape(-1, 2)
    y = np.frombuffer(y, np.float32)
    to_x = lambda v: pad_l + (v + domain) / (2 * domain) * side
    to_y = lambda v: pad_t + (domain - v) / (2 * domain) * side
    shade = np.clip(((np.clip(y, -1, 1) + 1) * 127.5).astype(int), 0, 255) // 16 * 16 + 8
    paths = []
    for level in np.unique(shade):
        c = LUT[min(level, 255)] if regression else LUT[0 if level < 128 else 255]
        d = "".join(f"M{to_x(a) - 3.3:.1f} {to_y(b):.1f}a3.3 3.3 0 1 0 6.6 0a3.3 3.3 0 1 0-6.6 0"
                    for a, b in p[shade == level].tolist())
        paths.append(f'<path class="{cls}" fill="#{c[0]:02x}{c[1]:02x}{c[2]:02x}" d="{d}"/>')
    return "".join(paths)


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
    sy = lambda v: pad_t + h - np.clip(np.divide(v, top), 0.0, 1.0) * h
    sa = lambda v: pad_t + h - np.multiply(v, h)

    def path(series, scale, cls, dash=""):
        x, y = downsample(np.asarray(series, np.float64), LOSS_POINTS)
        keep = np.isfinite(y)
        xy = np.empty((int(keep.sum()), 2))
        xy[:, 0], xy[:, 1] = pad_l + x[keep] / last * w, scale(y[keep])
        # Tenths of a pixel as whole numbers, drawn at a tenth of the scale: integers print
        # several times faster than floats, and this runs on every frame.
        pts = " ".join(map(str, np.rint(xy * 10).astype(np.int32).ravel().tolist()))
        return (f'<polyline points="{pts}" transform="scale(.1)" vector-effect="non-scaling-stroke" fill="none" '
                f'class="{cls}" {dash}/>')
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
    for k in range(min(n, BANDS)):
        e0, e1 = k * n // min(n, BANDS), (k + 1) * n // min(n, BANDS)
        e = min(e1, n) - 1
        tip = f"epoch {e}: train loss {train_loss[e]:.4f}, test loss {test_loss[e]:.4f}"
        if train_acc is not None:
            tip += f", train acc. {train_acc[e]:.1%}, test acc. {test_acc[e]:.1%}"
        x0 = sx(e0) if n > 1 else pad_l
        x1 = sx(min(e1, last)) if n > 1 else pad_l + w
        bands.append(f'<rect class="band" x="{x0:.1f}" y="{pad_t}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{h}"><title>{tip}</title></rect>')
    return (f'<svg class="nn-plot nn-loss" viewBox="0 0 {width} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg">{yt}{xt}{at}{leg}'
            f'<line class="ax" x1="{pad_l}" x2="{pad_l + w}" y1="{pad_t + h}" y2="{pad_t + h}"/>'
            f'{lines}{"".join(bands)}<text x="{pad_l + w / 2}" y="{height - 1}" text-anchor="middle">epoch</text></svg>')


def live_layout(left: str, right: str) -> str:
    """Two panes side by side (stacked on a narrow screen): the network, then the output."""
    return (f"<div class='nn-live'><div class='nn-left'>{left}</div>"
            f"<div class='nn-right'>{right}</div></div>")


MAX_NODES = 8 * 16 + 7 + 1  # the toy lab's largest network: 7 inputs, 8 layers of 16, one output

# All the live view's styles, sent to the page once (a <style> inside every frame would make the
# browser restyle the whole page on every redraw). Hover rule: neuron k shows its zoom k.
LIVE_CSS = (
    ".nn-live{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}"
    ".nn-live>.nn-left{flex:3 1 420px;min-width:0}.nn-live>.nn-right{flex:1.9 1 280px;min-width:0}"
    ".nn-rate{font-size:12px;color:#777}"
    ".nn-goal{font-size:14px;background:#eef6fc;border-left:4px solid #0877bd;padding:6px 10px;margin-bottom:8px;"
    "border-radius:4px}.nn-goal-title{font-weight:600}.nn-goal-done{color:#1a7f37}.nn-goal-now{color:#555}"
    ".nn-stats{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap}.nn-stats .k{font-size:12px;color:#666}"
    ".nn-stats .v{font-size:20px;font-variant-numeric:tabular-nums}.nn-stats .st-big .v{font-size:30px;font-weight:600}"
    ".nn-svg .lbl{font:12px " + FONT + ";fill:#333}.nn-svg .hdr{font:bold 12px " + FONT + ";fill:#444}"
    ".nn-svg .hit{stroke:transparent;stroke-width:9}.nn-svg .w:hover line:first-child{stroke:#111}"
    ".nn-svg .zoom{display:none;pointer-events:none}"
    + ",".join(f"#nn-n{k}:hover~#nn-z{k}" for k in range(MAX_NODES)) + "{display:inline}"
    + SVG_CSS +
    ".nn-loss .l-tr{stroke:#666;stroke-width:2}.nn-loss .l-te{stroke:#0877bd;stroke-width:2}"
    ".nn-loss .l-tra{stroke:#999;stroke-width:1.5}.nn-loss .l-tea{stroke:#f59322;stroke-width:1.5}"
)
