"""Three to six classes as pictures: the colour-blind-safe palette, the decision map coloured by
the winning class (lighter where the network is less sure), each output neuron's own map, and
the confusion matrix. Arrays in, pixels or HTML out; nothing here calls Streamlit.

Two classes keep TF Playground's orange and blue (``playground/shared/png.py``).
"""
from __future__ import annotations

import base64
import html

import numpy as np

from playground.shared.png import png_bytes

# Okabe & Ito's palette (2008), told apart with every common colour-vision deficiency; its
# yellow and black are left out (yellow vanishes on white, black hides the points' outlines).
PALETTE = {"blue": (0, 114, 178), "orange": (230, 159, 0), "green": (0, 158, 115), "vermilion": (213, 94, 0),
           "sky blue": (86, 180, 233), "purple": (204, 121, 167)}
CLASS_RGB = np.array(list(PALETTE.values()), np.float32)  # (6, 3)
CLASS_HEX = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in CLASS_RGB.astype(int)]
COLOUR_NAMES = tuple(PALETTE)
MAP_STRENGTH = 0.5  # the map behind the points is at most this strong, so that the points stand out


def confidence(probs: np.ndarray) -> np.ndarray:
    """How sure the network is of its winning class, 0 (all k classes equally likely, 1/k each)
    to 1 (probability 1): (max p − 1/k) / (1 − 1/k)."""
    k = probs.shape[-1]
    return (probs.max(-1) - 1 / k) / (1 - 1 / k)


def class_map_rgb(probs: np.ndarray, discretise: bool = False, strength: float = MAP_STRENGTH) -> np.ndarray:
    """(…, k) class probabilities -> (…, 3) uint8: the winning class's colour, mixed with white
    as much as the network is unsure (all white where every class is equally likely).
    ``discretise``: the winning class's colour at full strength everywhere."""
    probs = np.nan_to_num(np.asarray(probs, np.float32))
    win = probs.argmax(-1)
    t = np.ones(win.shape, np.float32) if discretise else np.clip(confidence(probs), 0, 1)
    t = (t * strength)[..., None]
    return np.rint(255 - (255 - CLASS_RGB[win]) * t).astype(np.uint8)


def neuron_rgb(p: np.ndarray, k: int) -> np.ndarray:
    """Output neuron ``k``'s own map: its class's probability, white (0) to its colour (1)."""
    t = np.clip(np.nan_to_num(np.asarray(p, np.float32)), 0, 1)[..., None]
    return np.rint(255 - (255 - CLASS_RGB[k]) * t).astype(np.uint8)


def rgb_uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode()


def confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts: row = true class, column = the class the network chose."""
    return np.bincount(np.asarray(truth, np.int64) * k + np.asarray(predicted, np.int64), minlength=k * k).reshape(k, k)


def _shade(right: bool, share: float) -> str:
    """A cell's background: green on the diagonal, vermilion off it, stronger for a larger share of its row."""
    return f"rgba(26,127,55,{0.45 * share:.2f})" if right else f"rgba(213,94,0,{0.6 * share:.2f})"


def confusion_html(counts: np.ndarray, names: list[str], which: str = "test") -> str:
    """The confusion matrix as a small table: each cell shaded by its share of its row."""
    k = len(names)
    rows = counts.sum(1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape, np.float64), where=rows > 0)
    swatch = lambda i: f'<span class="sw" style="background:{CLASS_HEX[i]}"></span>'
    head = "".join(f"<th title='{html.escape(names[j])}'>{swatch(j)}</th>" for j in range(k))
    body = ""
    for i in range(k):
        cells = "".join(
            f"<td style='background:{_shade(i == j, share[i, j])}' "
            f"title='{counts[i, j]} {html.escape(names[i])} point{'s' * int(counts[i, j] != 1)} taken for "
            f"{html.escape(names[j])}'>{counts[i, j]}</td>" for j in range(k))
        body += f"<tr><th>{swatch(i)}{html.escape(names[i])}</th>{cells}</tr>"
    total = int(counts.sum())
    caption = (f"Confusion matrix of the {total} {which} points: each row a true class, each column the class the "
               f"network chose; right answers on the diagonal")
    return (f"<div class='nn-cm-cap'>{caption}</div>"
            f"<table class='nn-confusion'><tr><th></th>{head}</tr>{body}</table>")


CONFUSION_CSS = (
    ".nn-confusion{border-collapse:collapse;font-size:14px;margin-top:3px}"
    ".nn-cm-cap{font-size:14px;color:#555;margin-top:8px;max-width:420px}"
    ".nn-confusion th{font-weight:normal;text-align:left;padding:1px 6px 1px 0;white-space:nowrap}"
    ".nn-confusion td{min-width:34px;text-align:center;padding:2px 4px;font-variant-numeric:tabular-nums;"
    "border:1px solid #ddd}"
    ".nn-confusion .sw,.nn-legend .sw{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:4px;"
    "vertical-align:-1px;border:1px solid #fff;box-shadow:0 0 0 1px #999}"
    ".nn-legend{font-size:14px;color:#444;display:flex;flex-wrap:wrap;gap:2px 12px}"
)


TWO_HEX = ["#f59322", "#0877bd"]  # two classes: TF Playground's orange (-1) and blue (+1)


def legend_html(names: list[str]) -> str:
    """Which colour is which class: 3 to 6 classes in the palette, two in orange and blue."""
    colours = TWO_HEX if len(names) == 2 else CLASS_HEX
    return "<div class='nn-legend'>" + "".join(
        f"<span><span class='sw' style='background:{colours[i]}'></span>{html.escape(n)}</span>"
        for i, n in enumerate(names)) + "</div>"
