"""The Compare page's live view: arrays in, HTML and SVG strings out. Nothing here calls Streamlit.

A small decision map per run (the toy lab's colours and points, ``playground/toy/charts.py``),
the test-loss curves overlaid in one chart with a colour per run, and a table of where each run
stands. Every label is built from numbers and the settings' own tables, never from typed text.
"""
from __future__ import annotations

import base64
import html

import numpy as np

from playground.shared.png import FONT, LUT, MAP_LUT, downsample, png_bytes
from playground.toy.charts import SVG_CSS, _fmt, _ticks
from playground.toy.classes import CLASS_RGB, class_map_rgb

# Tableau's ten categorical colours without its grey: told apart by most eyes, and none is the
# maps' own orange or blue.
COLOURS = ("#4e79a7", "#e15759", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#f28e2b")
LOSS_POINTS = 160


SCALE = 2  # image pixels per map cell: room for the points to be drawn into the picture


def _levels(out: np.ndarray, discretise: bool) -> np.ndarray:
    v = np.nan_to_num(np.asarray(out, np.float32))
    if discretise:
        v = np.where(v >= 0, 1.0, -1.0)
    return np.clip((v + 1) * 127.5, 0, 255).astype(np.uint8)


def small_map_uri(out: np.ndarray, points, y, *, discretise=False, regression=False, domain=6.0) -> str:
    """A run's output over the plane as a PNG with its training points drawn into it (2×2 pixels each,
    in the full colour of their label): a ninth of the bytes that the points cost as SVG shapes, which
    nine maps would send with every frame."""
    multi = out.ndim == 3  # (H, W, k) class probabilities: the toy lab's map by winning class
    base = class_map_rgb(out, discretise) if multi else MAP_LUT[_levels(out, discretise and not regression)]
    rgb = base.repeat(SCALE, 0).repeat(SCALE, 1)  # (H, W, 3)
    side = rgb.shape[0]
    p = np.asarray(points, np.float32)
    col = np.clip(((p[:, 0] + domain) / (2 * domain) * side).astype(int), 0, side - 2)
    row = np.clip(((domain - p[:, 1]) / (2 * domain) * side).astype(int), 0, side - 2)
    shade = (CLASS_RGB[np.asarray(y, int)].astype(np.uint8) if multi
             else LUT[_levels(np.clip(y, -1, 1) if regression else np.sign(y), False)])  # (N, 3)
    for dr in (0, 1):
        for dc in (0, 1):
            rgb[row + dr, col + dc] = shade
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode()


def small_map_svg(out: np.ndarray, points, y, **kw) -> str:
    """A run's map, no axes (the toy lab has them)."""
    return (f'<svg class="nn-plot" viewBox="0 0 100 100" width="100%" xmlns="http://www.w3.org/2000/svg">'
            f'<image href="{small_map_uri(out, points, y, **kw)}" x="0" y="0" width="100" height="100" '
            f'preserveAspectRatio="none" style="image-rendering:pixelated"/></svg>')


def maps_html(maps: list[np.ndarray], labels: list[str], toy, *, best: int | None, diverged: dict[int, str],
              discretise=False, regression=False, columns=3) -> str:
    """The runs' maps in a grid, each under its label (its colour in the loss chart beside it)."""
    cells = []
    for i, (m, label) in enumerate(zip(maps, labels)):
        cls = "nn-run" + (" best" if i == best else "") + (" gone" if i in diverged else "")
        star = ' <span class="star" title="The lowest test loss now">★ best</span>' if i == best else ""
        note = f'<div class="why">{html.escape(diverged[i])}</div>' if i in diverged else ""
        cells.append(f'<div class="{cls}" data-run="{i}"><div class="lab" title="{html.escape(label)}">'
                     f'<i style="background:{COLOURS[i]}"></i>'
                     f'{html.escape(label)}{star}</div><div class="pic">'
                     f'{small_map_svg(m, toy.points_train, toy.y_train, discretise=discretise, regression=regression)}'
                     f'{note}</div></div>')
    return f'<div class="nn-runs" style="grid-template-columns:repeat({columns},1fr)">{"".join(cells)}</div>'


def loss_overlay_svg(series: list[np.ndarray], labels: list[str], *, best: int | None, width=400, height=196,
                     metric="test loss") -> str:
    """Each run's loss per epoch, one colour per run, on a log scale (runs a hundred times apart stay
    readable side by side); the best run drawn thicker."""
    pad_l, pad_r, pad_t, pad_b = 56, 22, 10, 44
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max((len(s) for s in series), default=1)
    last = max(n - 1, 1)
    finite = np.concatenate([np.asarray(s)[np.isfinite(s) & (np.asarray(s) > 0)] for s in series]) if series \
        else np.zeros(0)
    lo = np.floor(np.log10(max(finite.min(), 1e-4))) if finite.size else -2.0
    hi = np.ceil(np.log10(finite.max())) if finite.size else 0.0
    hi = max(hi, lo + 1)
    sx = lambda e: pad_l + e / last * w
    sy = lambda v: pad_t + h - np.clip((np.log10(np.maximum(v, 1e-30)) - lo) / (hi - lo), 0.0, 1.0) * h
    lines = []
    order = [i for i in range(len(series)) if i != best] + ([best] if best is not None else [])
    for i in order:
        x, y = downsample(np.asarray(series[i], np.float64), LOSS_POINTS)
        keep = np.isfinite(y)
        if not keep.any():
            continue
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx(x[keep]), sy(y[keep])))
        lines.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[i]}" '
                     f'stroke-width="{3.5 if i == best else 1.8}" data-run="{i}"><title>{html.escape(labels[i])}'
                     f'</title></polyline>')
    yt = "".join(f'<text x="{pad_l - 4}" y="{sy(10.0 ** k) + 5:.1f}" text-anchor="end">{10.0 ** k:g}</text>'
                 f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{sy(10.0 ** k):.1f}" y2="{sy(10.0 ** k):.1f}" stroke="#eee"/>'
                 for k in range(int(lo), int(hi) + 1))
    xt = "".join(f'<text x="{sx(v):.1f}" y="{pad_t + h + 18}" text-anchor="middle">{_fmt(v)}</text>'
                 for v in _ticks(0, last, 4) if v == int(v))
    return (f'<svg class="nn-plot nn-overlay" viewBox="0 0 {width} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg">{yt}{xt}'
            f'<line class="ax" x1="{pad_l}" x2="{pad_l + w}" y1="{pad_t + h}" y2="{pad_t + h}"/>{"".join(lines)}'
            f'<text x="{pad_l + w / 2}" y="{height - 5}" text-anchor="middle">epoch · {metric} (log scale)</text></svg>')


def legend_html(labels: list[str]) -> str:
    return ('<div class="nn-legend">' + "".join(f'<span><i style="background:{COLOURS[i]}"></i>{html.escape(t)}</span>'
                                                for i, t in enumerate(labels)) + "</div>")


def _num(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    return f"{v:.3f}" if v >= 0.01 else f"{v:.4f}" if v >= 0.0001 else "&lt; 0.0001"


def table_html(rows: list[dict], target: float, name: str) -> str:
    """One row per run: its value, final train and test loss, the epoch its test loss first went below
    ``target``, and whether it is the best or diverged. ``rows``: label, train, test, reached, best, gone."""
    head = (f"<tr><th>{html.escape(name)}</th><th>Train loss</th><th>Test loss</th>"
            f"<th title='The first epoch at which the test loss was below {target:g}'>Test loss &lt; {target:g} at epoch</th>"
            f"<th></th></tr>")
    body = []
    for i, r in enumerate(rows):
        status = ("<b class='good'>★ best</b>" if r["best"] else
                  f"<span class='bad'>✗ {html.escape(r['gone'])}</span>" if r["gone"] else "")
        reached = "–" if r["reached"] is None else f"{r['reached']:,}"
        body.append(f"<tr class='{'best' if r['best'] else ''}' data-run='{i}'><td><i style='background:{COLOURS[i]}'>"
                    f"</i>{html.escape(r['label'])}</td><td>{_num(r['train'])}</td><td>{_num(r['test'])}</td>"
                    f"<td data-reached>{reached}</td><td>{status}</td></tr>")
    return f"<table class='nn-table'>{head}{''.join(body)}</table>"


def epoch_html(epoch: int, note: str) -> str:
    """The epoch every run that goes on has reached (``data-stat`` as in the toy lab), and a note."""
    return (f"<div class='nn-stats'><div class='st-big'><div class='k'>Epoch</div><div class='v' data-stat='Epoch'>"
            f"{epoch:,}</div></div><div class='nn-note'>{note}</div></div>")


def compare_layout(left: str, right: str) -> str:
    return f"<div class='nn-compare'><div class='nn-cl'>{left}</div><div class='nn-cr'>{right}</div></div>"


SWATCH = "display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px"
COMPARE_CSS = (
    "\n" + SVG_CSS +  # a newline: Streamlit takes a one-line string with "[" or "/" for a file path

    ".nn-compare{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}"
    ".nn-compare>.nn-cl{flex:0 1 340px;min-width:0}.nn-compare>.nn-cr{flex:1 1 340px;min-width:0;max-width:640px}"
    ".nn-runs{display:grid;gap:4px}.nn-run{border:2px solid transparent;border-radius:5px;padding:2px}"
    # A grid's label ("rate 0.003 · seed 2") wraps onto a second line rather than lose its second value.
    ".nn-run .lab{font:15px " + FONT + ";color:#333;line-height:1.2;overflow-wrap:anywhere}"
    f".nn-run .lab i,.nn-legend i,.nn-table i{{{SWATCH}}}"
    ".nn-run.best{border-color:#1a7f37;background:#f0faf2}.nn-run .star{color:#1a7f37;font-weight:600}"
    ".nn-run .pic{position:relative;line-height:0}.nn-run.gone svg{opacity:.35}"
    ".nn-run .why{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;text-align:center;"
    "font:bold 14px " + FONT + ";color:#b42318;line-height:1.2;padding:6px}"
    ".nn-legend{display:flex;flex-wrap:wrap;gap:4px 12px;font:14px " + FONT + ";color:#333;margin:2px 0 6px}"
    ".nn-table{border-collapse:collapse;font:14px " + FONT + ";width:100%}"
    ".nn-table th{font-weight:600;color:#555;text-align:right;padding:2px 6px;border-bottom:1px solid #ddd}"
    ".nn-table th:first-child,.nn-table td:first-child{text-align:left}"
    ".nn-table td{text-align:right;padding:2px 6px;white-space:nowrap;font-variant-numeric:tabular-nums;border-bottom:1px solid #f0f0f0}"
    ".nn-table tr.best td{background:#f0faf2}.nn-table .good{color:#1a7f37}.nn-table .bad{color:#b42318}"
    ".nn-note{font-size:14px;color:#555;margin:2px 0 6px}.nn-rate{font-size:14px;color:#666}"
    ".nn-goal{font-size:14px;background:#eef6fc;border-left:4px solid #0877bd;padding:6px 10px;margin-bottom:8px;"
    "border-radius:4px}.nn-goal-title{font-weight:600}.nn-goal-done{color:#1a7f37}.nn-goal-now{color:#555}"
    ".nn-stats{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap}.nn-stats .k{font-size:14px;color:#555}"
    ".nn-stats .v{font-size:20px;font-variant-numeric:tabular-nums}.nn-stats .st-big .v{font-size:30px;font-weight:600}"
)
