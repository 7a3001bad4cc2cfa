"""The network diagram as SVG: each input and neuron drawn as its own map over the plane,
weights as lines. Arrays in, an SVG string out; nothing here calls Streamlit.

What a student clicks carries a ``data-pick`` attribute (``n:<layer>:<i>`` a neuron,
``w:<layer>:<i>:<j>`` a weight, ``b:<layer>:<j>`` a bias; layer 0 is the inputs), which the
page's view element sends back. An ``Overlay`` adds what "how it learns" shows on top: a pinned
input marked on every map, gradients instead of weights, numbers on the neurons, a highlight.
"""
from __future__ import annotations

import html
from typing import Callable, NamedTuple

import numpy as np

from playground.shared.png import colour, png_uri, symmetric_range


class Overlay(NamedTuple):
    pin: tuple[float, float] | None = None  # (u, v) in [0, 1]² of the plane (v downwards): marked on every map
    line_values: list[np.ndarray] | None = None  # drawn instead of the weights (gradients, say), per layer
    line_title: Callable[[int, int, int], str] | None = None  # (layer, i, j) -> a weight's hover text
    notes: dict[tuple[int, int], str] | None = None  # (layer, i) -> a number written on that neuron
    picked: tuple | None = None  # ("n", layer, i), ("w", layer, i, j) or ("b", layer, j): highlighted


NODE, COL_GAP, ROW_GAP = 40, 130, 12


def _node(k, x, y, picture, title, label="", bias=None, layer=0, i=0, picked=()):
    """Neuron ``k`` (``i`` of ``layer``): its map (``picture`` markup placed at x, y), a frame, a
    hover title, its bias."""
    bias_mark = ""
    if bias is not None:  # a small square on the neuron's corner, coloured by the bias
        on = " on" if picked == ("b", layer, i) else ""
        bias_mark = (f'<rect class="bias{on}" data-pick="b:{layer}:{i}" x="{x - 5}" y="{y + NODE - 9:g}" width="8" '
                     f'height="8" fill="{colour(np.tanh(bias))}" stroke="#555" stroke-width="0.6">'
                     f'<title>bias {bias:.3f}</title></rect>')
    text = (f'<text x="{x - 8}" y="{y + NODE / 2 + 4:g}" text-anchor="end" class="lbl">{html.escape(label)}</text>'
            if label else "")
    on = " on" if picked == ("n", layer, i) else ""
    return (f'<g class="node{on}" id="nn-n{k}" data-pick="n:{layer}:{i}">{text}{picture}<rect x="{x}" y="{y:g}" '
            f'width="{NODE}" height="{NODE}" class="frame" fill="transparent" stroke="#666" stroke-width="0.8"/>'
            f'<title>{html.escape(title)}</title>{bias_mark}</g>')


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


def _pin_mark(x, y, pin, size=NODE) -> str:
    u, v = pin
    return (f'<circle class="pin" cx="{x + u * size:.1f}" cy="{y + v * size:.1f}" r="{max(2.5, size / 14):.1f}"/>')


def network_svg(feature_labels, input_maps, hidden_maps, out_map, weights, *, discretise=False,
                thumb: int = 25, overlay: Overlay = Overlay()) -> str:
    """The whole network: each input and neuron drawn as its own map, weights as lines.

    ``input_maps`` (G, G, n_in), ``hidden_maps`` a list of (G, G, width), ``out_map`` (G, G),
    ``weights`` a list of (w (n_in, n_out), b (n_out,)). Width follows |w|, colour its sign
    (or the overlay's ``line_values``, such as gradients); hovering a neuron enlarges its map,
    hovering a weight shows its value.
    """
    step = max(1, -(-input_maps.shape[0] // thumb))  # 100 -> every 4th: 25×25 thumbnails
    layers = [input_maps[::step, ::step]] + [h[::step, ::step] for h in hidden_maps]
    sizes = [m.shape[-1] for m in layers] + [1]
    tallest = max(sizes)
    height = tallest * (NODE + ROW_GAP) + 40
    width = 90 + (len(sizes) - 1) * COL_GAP + NODE + 20
    ov = overlay

    def pos(layer, i):
        top = (height - 20 - sizes[layer] * (NODE + ROW_GAP)) / 2 + 10
        return 90 + layer * COL_GAP, top + i * (NODE + ROW_GAP)

    names = [list(feature_labels)] + [[f"layer {l}, neuron {i + 1}" for i in range(n)] for l, n in enumerate(sizes[1:-1], 1)]
    names.append(["output"])
    drawn = ov.line_values if ov.line_values is not None else [w for w, _ in weights]
    wmax = max((float(np.abs(w).max()) for w in drawn if np.size(w)), default=1.0) or 1.0
    picked = ov.picked or ()
    lines = []
    for l, (w, _) in enumerate(weights):
        d = np.asarray(drawn[l], np.float64)
        widths = (0.6 + 5.5 * np.abs(d) / wmax).tolist()
        shades = (np.sign(d) * np.minimum(1, 0.25 + np.abs(d) / wmax)).tolist()
        values = np.asarray(w, np.float64).tolist()
        starts = [pos(l, i) for i in range(d.shape[0])]
        ends = [pos(l + 1, j) for j in range(d.shape[1])]
        for i, (x0, y0) in enumerate(starts):
            for j, (x1, y1) in enumerate(ends):
                seg = f'x1="{x0 + NODE}" y1="{y0 + NODE / 2:g}" x2="{x1}" y2="{y1 + NODE / 2:g}"'
                title = (ov.line_title(l, i, j) if ov.line_title else
                         f"weight {values[i][j]:.3f} ({names[l][i]} → {names[l + 1][j]})")
                on = " on" if picked == ("w", l + 1, i, j) else ""
                lines.append(f'<g class="w{on}" data-pick="w:{l + 1}:{i}:{j}"><line {seg} stroke="{colour(shades[i][j])}" '
                             f'stroke-width="{widths[i][j]:.2f}"/><line class="hit" {seg}/>'
                             f'<title>{html.escape(title)}</title></g>')
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
            extra = _pin_mark(x, y, ov.pin) if ov.pin else ""
            note = (ov.notes or {}).get((l, i))
            if note:
                extra += f'<text class="note" x="{x + NODE / 2}" y="{y + NODE + 10}" text-anchor="middle">{note}</text>'
            node = _node(k, x, y, pic(x, y), title, label, bias, l, i, picked)
            nodes.append(node.replace("</g>", extra + "</g>", 1) if extra else node)
            zooms.append(_zoom(k, x, y, pic))
            k += 1
    defs = (f'<defs><image id="nn-sprite" href="{sprite}" width="{pitch * len(cells)}" height="{pitch}" '
            f'preserveAspectRatio="none"/></defs>')
    heads = "".join(f'<text x="{pos(l, 0)[0] + NODE / 2}" y="14" text-anchor="middle" class="hdr">'
                    f'{"Features" if l == 0 else ("Output" if l == len(sizes) - 1 else f"Layer {l}")}</text>'
                    for l in range(len(sizes)))
    # A small network is not blown up to the column's width: at most 1.5× its drawn size, centred.
    return (f'<svg class="nn-svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="overflow:visible;display:block;margin:0 auto;max-width:{1.5 * width:g}px;'
            f'max-height:max(240px, calc(100vh - 320px))" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'{defs}{heads}{"".join(lines)}{"".join(nodes)}{"".join(zooms)}</svg>')
