"""The network diagram as SVG: each input and neuron drawn as its own map over the plane,
weights as lines. Arrays in, an SVG string out; nothing here calls Streamlit.

What a student clicks carries a ``data-pick`` attribute (``n:<layer>:<i>`` a neuron,
``w:<layer>:<i>:<j>`` a weight, ``b:<layer>:<j>`` a bias; layer 0 is the inputs), which the
page's view element sends back. An ``Overlay`` adds what "how it learns" shows on top: a pinned
input marked on every map, gradients instead of weights, numbers on the neurons, a highlight.
"""
from __future__ import annotations

import html
from functools import lru_cache
from typing import Callable, NamedTuple

import numpy as np

from playground.shared.png import HEX, LUT, colour, png_uri, symmetric_range
from playground.toy.classes import CLASS_HEX, neuron_rgb, rgb_uri


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


def _position(sizes, height, layer, i) -> tuple[float, float]:
    """Where neuron ``i`` of ``layer`` sits (its top-left corner) in a diagram of ``height``."""
    top = (height - 20 - sizes[layer] * (NODE + ROW_GAP)) / 2 + 10
    return 90 + layer * COL_GAP, top + i * (NODE + ROW_GAP)


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


def _row(cells: np.ndarray) -> np.ndarray:
    """(k, g, g, …) cells -> one (g + 2, k·(g + 2), …) row, each cell with a one-pixel edge copied
    around it (one padding and one copy for all of them)."""
    pad = ((0, 0), (1, 1), (1, 1)) + ((0, 0),) * (cells.ndim - 3)
    padded = np.pad(cells, pad, mode="edge")
    k, g = padded.shape[:2]
    return padded.swapaxes(0, 1).reshape(g, k * g, *padded.shape[3:])


def _sprite(cells: np.ndarray, discretise: bool, rgb_cells: np.ndarray | None = None) -> tuple[str, int]:
    """All neuron maps in one PNG (one colour mapping, one encode, one image to decode): a row of
    the (k, g, g) ``cells``, each with a one-pixel edge copied around it so smoothing does not
    bleed between neighbours. ``rgb_cells`` (already coloured, (c, g, g, 3)) follow the others:
    the output neurons of 3 to 6 classes."""
    if rgb_cells is None:
        return png_uri(_row(cells), discretise=discretise), cells.shape[1] + 2
    v = np.nan_to_num(_row(cells)) if len(cells) else np.zeros((rgb_cells.shape[1] + 2, 0))
    if discretise:
        v = np.where(v >= 0, 1.0, -1.0)
    rgb = [np.take(LUT, np.clip((v + 1) / 2 * 255, 0, 255).astype(np.uint8), axis=0), _row(rgb_cells)]
    return rgb_uri(np.concatenate(rgb, axis=1)), rgb_cells.shape[1] + 2


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


def _braces(text: str) -> str:
    return html.escape(text).replace("{", "{{").replace("}", "}}")


@lru_cache(maxsize=64)
def _lines_template(shapes: tuple, sizes: tuple, height: float, names: tuple, picked: tuple) -> str:
    """The weights' lines of one network as one format string: what stays the same from frame
    to frame written out, a slot for each line's colour, width and value."""
    out = []
    for l, (n_in, n_out) in enumerate(shapes):
        for i in range(n_in):
            x0, y0 = _position(sizes, height, l, i)
            for j in range(n_out):
                x1, y1 = _position(sizes, height, l + 1, j)
                seg = f'x1="{x0 + NODE}" y1="{y0 + NODE / 2:g}" x2="{x1}" y2="{y1 + NODE / 2:g}"'
                on = " on" if picked == ("w", l + 1, i, j) else ""
                out.append(f'<g class="w{on}" data-pick="w:{l + 1}:{i}:{j}"><line {seg} stroke="{{}}" '
                           f'stroke-width="{{:.2f}}"/><line class="hit" {seg}/>'
                           f'<title>weight {{:.3f}} ({_braces(names[l][i])} → {_braces(names[l + 1][j])})</title></g>')
    return "".join(out)


def _weight_lines(weights, drawn, wmax: float, sizes, height, names, picked) -> list[str] | None:
    """The weights' lines (width: size, colour: sign), every line's numbers worked out at once and
    written into the network's template; None when a number is not finite (drawn line by line)."""
    if not weights:
        return []
    d = np.concatenate([np.asarray(x, np.float64).ravel() for x in drawn[:len(weights)]])
    values = np.concatenate([np.asarray(w, np.float64).ravel() for w, _ in weights])
    if len(d) != len(values) or not np.isfinite(d).all():
        return None
    widths = 0.6 + 5.5 * np.abs(d) / wmax
    shades = np.sign(d) * np.minimum(1, 0.25 + np.abs(d) / wmax)
    shade = np.clip(np.trunc((shades + 1) * 127.5), 0, 255).astype(np.int64)  # as ``colour`` does, for all lines
    args: list = [None] * (3 * len(d))
    args[0::3], args[1::3], args[2::3] = [HEX[k] for k in shade.tolist()], widths.tolist(), values.tolist()
    shapes = tuple(np.shape(w) for w, _ in weights)
    return [_lines_template(shapes, tuple(sizes), height, tuple(map(tuple, names)), picked).format(*args)]


@lru_cache(maxsize=64)
def _zooms(sizes: tuple[int, ...], height: float, pitch: int, input_uris: tuple[str, ...]) -> str:
    """Every neuron's enlarged map: the inputs' own pictures, then windows onto the sprite's
    cells (which hold whatever the frame's sprite holds). The same for every frame of a network,
    so made once."""
    out, k, c = [], 0, 0
    for l, size in enumerate(sizes):
        for i in range(size):
            x, y = _position(sizes, height, l, i)
            if l == 0:
                pic = lambda px, py, sz, uri=input_uris[i]: _image(px, py, uri, sz)
            else:
                pic = lambda px, py, sz, c=c: _sprite_cell(px, py, c, pitch, sz)
                c += 1
            out.append(_zoom(k, x, y, pic))
            k += 1
    return "".join(out)


def _pin_mark(x, y, pin, size=NODE) -> str:
    u, v = pin
    return (f'<circle class="pin" cx="{x + u * size:.1f}" cy="{y + v * size:.1f}" r="{max(2.5, size / 14):.1f}"/>')


def network_svg(feature_labels, input_maps, hidden_maps, out_map, weights, *, discretise=False,
                thumb: int = 25, overlay: Overlay = Overlay(), class_names=None) -> str:
    """The whole network: each input and neuron drawn as its own map, weights as lines.

    ``input_maps`` (G, G, n_in), ``hidden_maps`` a list of (G, G, width), ``out_map`` (G, G),
    ``weights`` a list of (w (n_in, n_out), b (n_out,)). Width follows |w|, colour its sign
    (or the overlay's ``line_values``, such as gradients); hovering a neuron enlarges its map,
    hovering a weight shows its value. For 3 to 6 classes ``out_map`` is (G, G, k) probabilities:
    one output neuron per class, each with its own map (white to its class's colour) and name.
    """
    step = max(1, -(-input_maps.shape[0] // thumb))  # 100 -> every 4th: 25×25 thumbnails
    layers = [input_maps[::step, ::step]] + [h[::step, ::step] for h in hidden_maps]
    n_cls = out_map.shape[-1] if out_map.ndim == 3 else 0  # classes, or 0: one output neuron
    classes = list(class_names or [f"class {c + 1}" for c in range(n_cls)])
    sizes = [m.shape[-1] for m in layers] + [max(n_cls, 1)]
    tallest = max(sizes)
    height = tallest * (NODE + ROW_GAP) + 40
    width = 90 + (len(sizes) - 1) * COL_GAP + NODE + 20 + (90 if n_cls else 0)
    ov = overlay

    pos = lambda layer, i: _position(sizes, height, layer, i)

    names = [list(feature_labels)] + [[f"layer {l}, neuron {i + 1}" for i in range(n)] for l, n in enumerate(sizes[1:-1], 1)]
    names.append([f"output ({c})" for c in classes] if n_cls else ["output"])
    drawn = ov.line_values if ov.line_values is not None else [w for w, _ in weights]
    wmax = max((float(np.abs(w).max()) for w in drawn if np.size(w)), default=1.0) or 1.0
    picked = ov.picked or ()
    # Lines from the network's template, all numbers at once; hover texts of the overlay's own
    # (gradients, say), or a number that is not finite, line by line.
    lines = None if ov.line_title else _weight_lines(weights, drawn, wmax, sizes, height, names, picked)
    if lines is None:
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
    # Every neuron's thumbnail as one (k, g, g) stack: hidden layers in order, then the output.
    hidden = [np.moveaxis(maps, -1, 0) for maps in layers[1:]]
    g = layers[0].shape[0]
    if n_cls:
        cells = np.concatenate(hidden) if hidden else np.zeros((0, g, g), np.float32)
        rgb = np.stack([neuron_rgb(out_map[::step, ::step, c], c) for c in range(n_cls)])
        sprite, pitch = _sprite(cells, discretise, rgb)
        n_cells = len(cells) + n_cls
    else:
        cells = np.concatenate(hidden + [out_map[None, ::step, ::step]])
        sprite, pitch = _sprite(cells, discretise)
        n_cells = len(cells)
    nodes, uris = [], []
    k = c = 0  # node number, sprite cell number
    for l, size in enumerate(sizes):
        for i in range(size):
            x, y = pos(l, i)
            if l == 0:
                uri = _input_uri(layers[0][..., i])
                uris.append(uri)
                pic = lambda px, py, sz=NODE, uri=uri: _image(px, py, uri, sz)
                title, label, bias = f"input {feature_labels[i]}", feature_labels[i], None
            else:
                pic = lambda px, py, sz=NODE, c=c: _sprite_cell(px, py, c, pitch, sz)
                last = l == len(sizes) - 1
                bias = float(weights[l - 1][1][i]) if weights else None
                title = (f"output neuron for {classes[i]}: the probability of {classes[i]} (softmax over the "
                         f"{n_cls} outputs; bias {bias:.3f})" if last and n_cls else
                         "output" if last else f"layer {l}, neuron {i + 1} (bias {bias:.3f})")
                label, c = "", c + 1
                if last and n_cls:  # the class's name beside its neuron, in its colour
                    extra_name = (f'<text x="{x + NODE + 6}" y="{y + NODE / 2 + 5:g}" class="lbl" '
                                  f'style="fill:{CLASS_HEX[i]};font-weight:bold">{html.escape(classes[i][:12])}</text>')
                    pic = (lambda px, py, sz=NODE, c=c - 1, t=extra_name: _sprite_cell(px, py, c, pitch, sz)
                           + (t if sz == NODE else ""))
            extra = _pin_mark(x, y, ov.pin) if ov.pin else ""
            note = (ov.notes or {}).get((l, i))
            if note:
                extra += f'<text class="note" x="{x + NODE / 2}" y="{y + NODE + 10}" text-anchor="middle">{note}</text>'
            node = _node(k, x, y, pic(x, y), title, label, bias, l, i, picked)
            nodes.append(node.replace("</g>", extra + "</g>", 1) if extra else node)
            k += 1
    zooms = _zooms(tuple(sizes), height, pitch, tuple(uris))
    defs = (f'<defs><image id="nn-sprite" href="{sprite}" width="{pitch * n_cells}" height="{pitch}" '
            f'preserveAspectRatio="none"/></defs>')
    heads = "".join(f'<text x="{pos(l, 0)[0] + NODE / 2}" y="14" text-anchor="middle" class="hdr">'
                    f'{"Features" if l == 0 else ("Output" if l == len(sizes) - 1 else f"Layer {l}")}</text>'
                    for l in range(len(sizes)))
    # A small network is not blown up to the column's width: at most 1.5× its drawn size, centred.
    return (f'<svg class="nn-svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="overflow:visible;display:block;margin:0 auto;max-width:{1.5 * width:g}px;'
            f'max-height:max(240px, calc(100vh - 320px))" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'{defs}{heads}{"".join(lines)}{"".join(nodes)}{zooms}</svg>')
