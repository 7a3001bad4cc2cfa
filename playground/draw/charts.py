"""The draw page's view of one drawing, as light HTML (every stroke must show within ~0.1 s).
Arrays in, HTML strings out; nothing here calls Streamlit."""
from __future__ import annotations

import numpy as np

from playground.shared.png import GREY, as_grid, png_uri, symmetric_range, tile


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
