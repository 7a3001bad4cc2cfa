"""Chart builders for the live views: arrays in, SVG strings out. Nothing here calls Streamlit.

Maps travel as small PNG images inside the SVG (``playground/shared/png.py``), so a frame stays
light; a browser redraws these SVGs about twice as often as Plotly charts carrying an image
(measured in Chromium on this project's two-core target, see benchmarks/ui.py).
"""
from __future__ import annotations

import html
from functools import lru_cache

import numpy as np

from playground.glossary.terms import explain
from playground.shared.png import FONT, LUT, MAP_LUT, colour, downsample, png_uri, symmetric_range
from playground.toy.classes import CLASS_HEX, CONFUSION_CSS, class_map_rgb, rgb_uri

LOSS_POINTS = 180  # per curve: the chart is under 300 pixels wide
BANDS = 30  # hover zones over the loss chart, each with its epoch's numbers
# The whole numbers a chart's coordinates take (tenths of a pixel), written out once: looking
# them up is five times faster than printing them, for every point of every curve of every frame.
_INT_TEXT = np.array([str(i) for i in range(4096)], dtype=object)


_TIPS = {"Epoch": explain("epoch"), "Train loss": "The loss on the training data. " + explain("loss"),
         "Test loss": "The loss on the test data. " + explain("test data"),
         "Test accuracy": "The share of test points on the right side. " + explain("test data")}


def stats_html(epoch: int, train_loss: float, test_loss: float, test_acc: float | None) -> str:
    """The numbers a class watches: epoch, train and test loss, accuracy."""
    shown = lambda v, f: "–" if not np.isfinite(v) else format(v, f)  # no points yet: no number
    cells = [("Epoch", f"{epoch:,}", "big"), ("Train loss", shown(train_loss, ".3f"), ""),
             ("Test loss", shown(test_loss, ".3f"), "")]
    if test_acc is not None:
        cells.append(("Test accuracy", shown(test_acc, ".1%"), ""))
    body = "".join(f'<div class="st-{cls}" title="{_TIPS[k]}"><div class="k">{k}</div><div class="v" data-stat="{k}">{v}'
                   f'</div></div>' for k, v, cls in cells)
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


# Text sizes are in the charts' own units; drawn at about 0.85 of that on a projector's 1024×768,
# every label stays at 14 px or more on screen.
SVG_CSS = (".nn-plot text{font:16px " + FONT + ";fill:#444}.nn-plot .ax{stroke:#bbb;stroke-width:1}"
           ".nn-plot .tr{stroke:#fff;stroke-width:1}.nn-plot .te{stroke:#222;stroke-width:1.3}"
           ".nn-plot .band{fill:transparent}.nn-plot .band:hover{fill:rgba(0,0,0,.06)}")


def decision_map_svg(out: np.ndarray, points_train, y_train, points_test, y_test, *, show_test=False,
                     discretise=False, regression=False, domain=6.0, size=340, pin=None, drawing: str = "") -> str:
    """The output over the plane as an image, the points on top, axis ticks around it; ``pin``
    (x, y) is ringed. A click on the map picks the training point nearest to it (the page's
    view element sends where), or in the drawing mode adds a point there.

    ``out`` is (G, G) in [-1, 1] (two classes, regression), or (G, G, k) class probabilities:
    then each place takes its winning class's colour, lighter where the network is less sure."""
    pad_l, pad_b, pad_t = 32, 26, 8
    side = size - pad_l - 6
    to_x = lambda v: pad_l + (v + domain) / (2 * domain) * side
    to_y = lambda v: pad_t + (domain - v) / (2 * domain) * side
    multi = np.ndim(out) == 3
    uri = (rgb_uri(class_map_rgb(out, discretise)) if multi
           else png_uri(out, discretise=discretise and not regression, lut=MAP_LUT))

    def dots(p, y, cls):
        p, y = np.asarray(p, np.float32), np.asarray(y, np.float32)
        return _dots(p.tobytes(), y.tobytes(), cls, regression, domain, side, pad_l, pad_t, multi, r)
    r = 3.3 if len(y_train) + len(y_test) > 60 else 5.0  # a few points (drawn by hand): larger
    axes = _map_axes(domain, side, pad_l, pad_t)
    body = (f'<image href="{uri}" x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" preserveAspectRatio="none"/>'
            f'<rect x="{pad_l}" y="{pad_t}" width="{side}" height="{side}" fill="none" class="ax"/>'
            + dots(points_train, y_train, "tr") + (dots(points_test, y_test, "te") if show_test else "") + axes
            + (f'<circle class="pin" cx="{to_x(pin[0]):.1f}" cy="{to_y(pin[1]):.1f}" r="7"/>' if pin is not None else ""))
    mode = {"draw": " drawing", "erase": " erasing"}.get(drawing, "")
    return (f'<svg class="nn-plot nn-map{mode}" data-domain="{domain:g}" viewBox="0 0 {size} {pad_t + side + pad_b}" '
            f'width="100%" style="max-height:max(220px, calc(100vh - 545px))" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


@lru_cache(maxsize=16)
def _map_axes(domain: float, side: float, pad_l: float, pad_t: float) -> str:
    """The map's tick labels: the same on every frame, so written once."""
    to_x = lambda v: pad_l + (v + domain) / (2 * domain) * side
    to_y = lambda v: pad_t + (domain - v) / (2 * domain) * side
    ticks = range(-int(domain), int(domain) + 1, 2)
    return "".join(f'<text x="{to_x(t):.1f}" y="{pad_t + side + 19}" text-anchor="middle">{t}</text>'
                   f'<text x="{pad_l - 5}" y="{to_y(t) + 5:.1f}" text-anchor="end">{t}</text>' for t in ticks)


@lru_cache(maxsize=512)
def _dots(points: bytes, y: bytes, cls: str, regression: bool, domain: float, side: float, pad_l: float,
          pad_t: float, multiclass: bool = False, r: float = 3.3) -> str:
    """The data points as SVG paths, one per colour (far less for the browser to redraw than one
    element per point). Cached: the points stay the same from frame to frame."""
    p = np.frombuffer(points, np.float32).reshape(-1, 2)
    y = np.frombuffer(y, np.float32)
    to_x = lambda v: pad_l + (v + domain) / (2 * domain) * side
    to_y = lambda v: pad_t + (domain - v) / (2 * domain) * side
    if multiclass:  # one path per class, in its palette colour
        shade = y.astype(int)
        fill = lambda level: CLASS_HEX[level]
    else:
        shade = np.clip(((np.clip(y, -1, 1) + 1) * 127.5).astype(int), 0, 255) // 16 * 16 + 8
        fill = lambda level: "#%02x%02x%02x" % tuple(LUT[min(level, 255)] if regression else LUT[0 if level < 128 else 255])
    paths = []
    for level in np.unique(shade):
        d = "".join(f"M{to_x(a) - r:.1f} {to_y(b):.1f}a{r} {r} 0 1 0 {2 * r:g} 0a{r} {r} 0 1 0-{2 * r:g} 0"
                    for a, b in p[shade == level].tolist())
        paths.append(f'<path class="{cls}" fill="{fill(int(level))}" d="{d}"/>')
    return "".join(paths)


@lru_cache(maxsize=64)
def _loss_y_axis(top: float, pad_l: float, pad_t: float, w: float, h: float) -> str:
    """The loss axis's ticks and grid lines: they change only when the highest loss does."""
    sy = lambda v: pad_t + h - np.clip(np.divide(v, top), 0.0, 1.0) * h
    return "".join(f'<text x="{pad_l - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>'
                   f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                   for v in _ticks(0, top, 3))


@lru_cache(maxsize=8)
def _loss_legend(legend: tuple, accuracy: bool, pad_l: float, pad_t: float, w: float, h: float) -> str:
    """The accuracy axis's labels (with accuracy) and the legend: the same on every frame."""
    sa = lambda v: pad_t + h - np.multiply(v, h)
    at = "" if not accuracy else "".join(
        f'<text x="{pad_l + w + 4}" y="{sa(v) + 4:.1f}">{v:.0%}</text>' for v in (0, 0.5, 1))
    # Two rows: loss, then accuracy, so that the labels can be large.
    return at + "".join(f'<line x1="{pad_l + i % 2 * 140}" x2="{pad_l + i % 2 * 140 + 18}" y1="{10 + i // 2 * 19}" '
                        f'y2="{10 + i // 2 * 19}" stroke="{c}" stroke-width="2.5" stroke-dasharray="{d}"/>'
                        f'<text x="{pad_l + i % 2 * 140 + 23}" y="{15 + i // 2 * 19}">{t}</text>'
                        for i, (t, c, d) in enumerate(legend))


@lru_cache(maxsize=8)
def _band_template(accuracy: bool, pad_t: float, h: float) -> str:
    """One hover band of the loss chart, its numbers left as slots: x, width, epoch, the losses
    (and accuracies)."""
    acc = ", train acc. {:.1%}, test acc. {:.1%}" if accuracy else ""
    return (f'<rect class="band" x="{{:.1f}}" y="{pad_t}" width="{{:.1f}}" height="{h}"><title>epoch {{}}: '
            f'train loss {{:.4f}}, test loss {{:.4f}}{acc}</title></rect>')


def loss_svg(train_loss, test_loss, train_acc=None, test_acc=None, width=360, height=180) -> str:
    """Train and test loss per epoch (solid) and accuracy (dotted, right axis, 0 to 100 %).

    Hovering anywhere over the plot shows the values at that epoch.
    """
    pad_l, pad_r, pad_t, pad_b = 44, 40 if train_acc is not None else 8, 46, 38
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(train_loss)
    last = max(n - 1, 1)
    finite = np.concatenate([np.asarray(train_loss), np.asarray(test_loss)])
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) * 1.05 if finite.size and finite.max() > 0 else 1.0
    sx = lambda e: pad_l + e / last * w
    sy = lambda v: pad_t + h - np.clip(np.divide(v, top), 0.0, 1.0) * h
    sa = lambda v: pad_t + h - np.multiply(v, h)

    def path(x, y, scale, cls, dash=""):
        keep = np.isfinite(y)
        xy = np.empty((int(keep.sum()), 2))
        xy[:, 0], xy[:, 1] = pad_l + x[keep] / last * w, scale(y[keep])
        # Tenths of a pixel as whole numbers, drawn at a tenth of the scale: integers print
        # several times faster than floats, and this runs on every frame.
        ints = np.rint(xy * 10).astype(np.int32).ravel()
        inside = not ints.size or (ints.min() >= 0 and ints.max() < len(_INT_TEXT))
        pts = " ".join(_INT_TEXT[ints].tolist() if inside else map(str, ints.tolist()))
        return (f'<polyline points="{pts}" transform="scale(.1)" vector-effect="non-scaling-stroke" fill="none" '
                f'class="{cls}" {dash}/>')
    curves = [(train_loss, sy, "l-tr", ""), (test_loss, sy, "l-te", "")]
    legend = [("train loss", "#666", ""), ("test loss", "#0877bd", "")]
    if train_acc is not None:
        curves += [(train_acc, sa, "l-tra", 'stroke-dasharray="2,3"'), (test_acc, sa, "l-tea", 'stroke-dasharray="2,3"')]
        legend += [("train accuracy", "#999", "2,3"), ("test accuracy", "#f59322", "2,3")]
    if len({len(c[0]) for c in curves}) == 1:  # one history: the same epochs picked for every curve, at once
        x, _ = downsample(np.arange(n), LOSS_POINTS)
        ys = np.array([c[0] for c in curves], np.float64)[:, x]
        lines = "".join(path(x, y, scale, cls, dash) for y, (_, scale, cls, dash) in zip(ys, curves))
    else:
        lines = "".join(path(*downsample(np.asarray(c[0], np.float64), LOSS_POINTS), *c[1:]) for c in curves)
    yt = _loss_y_axis(top, pad_l, pad_t, w, h)
    xt = "".join(f'<text x="{sx(v):.1f}" y="{pad_t + h + 17}" text-anchor="middle">{_fmt(v)}</text>'
                 for v in _ticks(0, last, 4) if v == int(v))
    at_leg = _loss_legend(tuple(legend), train_acc is not None, pad_l, pad_t, w, h)
    # The hover bands, each with its last epoch's numbers: taken from the series all at once and
    # written into one format string (as Python floats: they print faster than NumPy's).
    k_n = min(n, BANDS)
    first, after = np.arange(k_n) * n // max(k_n, 1), (np.arange(k_n) + 1) * n // max(k_n, 1)
    ends = (np.minimum(after, n) - 1).tolist()
    if n > 1:
        x0 = pad_l + first / last * w
        width_ = np.maximum(pad_l + np.minimum(after, last) / last * w - x0, 1)
    else:
        x0, width_ = np.full(k_n, float(pad_l)), np.full(k_n, float(max(w, 1)))
    columns = [x0.tolist(), width_.tolist(), ends] + [np.asarray(v)[ends].tolist()
                                                      for v in (train_loss, test_loss, train_acc, test_acc) if v is not None]
    bands = (_band_template(train_acc is not None, pad_t, h) * k_n).format(*[v for row in zip(*columns) for v in row])
    return (f'<svg class="nn-plot nn-loss" viewBox="0 0 {width} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg">{yt}{xt}{at_leg}'
            f'<line class="ax" x1="{pad_l}" x2="{pad_l + w}" y1="{pad_t + h}" y2="{pad_t + h}"/>'
            f'{lines}{bands}<text x="{pad_l + w / 2}" y="{height - 1}" text-anchor="middle">epoch</text></svg>')


def live_layout(left: str, right: str) -> str:
    """Two panes side by side (stacked on a narrow screen): the network, then the output."""
    return (f"<div class='nn-live'><div class='nn-left'>{left}</div>"
            f"<div class='nn-right'>{right}</div></div>")


MAX_NODES = 8 * 16 + 7 + 1  # the toy lab's largest network: 7 inputs, 8 layers of 16, one output

# All the live view's styles, sent to the page once (a <style> inside every frame would make the
# browser restyle the whole page on every redraw). Hover rule: neuron k shows its zoom k.
LIVE_CSS = (
    ".nn-live{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}"
    ".nn-live>.nn-left{flex:3 1 360px;min-width:0}.nn-live>.nn-right{flex:1.9 1 250px;min-width:0}"
    ".nn-rate{font-size:14px;color:#666}"
    ".nn-tip{position:fixed;display:none;z-index:1000;background:#222;color:#fff;font:15px " + FONT + ";"
    "padding:4px 8px;border-radius:4px;pointer-events:none;max-width:420px}"
    ".nn-goal{font-size:14px;background:#eef6fc;border-left:4px solid #0877bd;padding:6px 10px;margin-bottom:8px;"
    "border-radius:4px}.nn-goal-title{font-weight:600}.nn-goal-done{color:#1a7f37}.nn-goal-now{color:#555}"
    ".nn-stats{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap}.nn-stats .k{font-size:14px;color:#555}"
    ".nn-stats .v{font-size:20px;font-variant-numeric:tabular-nums}.nn-stats .st-big .v{font-size:30px;font-weight:600}"
    ".nn-svg .lbl{font:18px " + FONT + ";fill:#333}.nn-svg .hdr{font:bold 18px " + FONT + ";fill:#444}"
    ".nn-svg .hit{stroke:transparent;stroke-width:9}.nn-svg .w:hover line:first-child{stroke:#111}"
    ".nn-svg .zoom{display:none;pointer-events:none}"
    ".nn-svg .pin,.nn-map .pin{fill:none;stroke:#111;stroke-width:2;pointer-events:none}"
    ".nn-svg .note{font:bold 15px " + FONT + ";fill:#111}.nn-svg .node,.nn-svg .w,.nn-svg .bias{cursor:pointer}"
    ".nn-svg .node.on>rect.frame{stroke:#111;stroke-width:3}.nn-svg .w.on line:first-child{stroke:#111}"
    ".nn-svg .bias.on{stroke:#111;stroke-width:2}.nn-map image{cursor:crosshair}"
    + ",".join(f"#nn-n{k}:hover~#nn-z{k}" for k in range(MAX_NODES)) + "{display:inline}"
    + SVG_CSS +
    ".nn-loss .l-tr{stroke:#666;stroke-width:2}.nn-loss .l-te{stroke:#0877bd;stroke-width:2}"
    ".nn-loss .l-tra{stroke:#999;stroke-width:1.5}.nn-loss .l-tea{stroke:#f59322;stroke-width:1.5}"
    + CONFUSION_CSS +
    ".nn-map.drawing image{cursor:copy}.nn-map.erasing image{cursor:not-allowed}"
)
