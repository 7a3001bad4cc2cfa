"""A minimal Streamlit component that shows trusted HTML, fast.

``st.markdown`` runs every frame's HTML through a JavaScript Markdown and HTML parser before
React draws it; this component hands the string to the browser's own parser instead
(``innerHTML``), which is what lets the live view redraw many times a second. Only HTML that
the app itself builds from numbers goes through here, never text a user typed.
"""
from __future__ import annotations

import streamlit as st

from playground.charts import LIVE_CSS
from playground.digit_charts import DRAW_CSS

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let box = parentElement.querySelector(":scope > .nn-html");
  if (!box) {
    box = document.createElement("div");
    box.className = "nn-html";
    parentElement.appendChild(box);
  }
  const html = (data && data.html) || "";
  if (box.dataset.version !== String(data && data.version)) {
    box.innerHTML = html;
    box.dataset.version = String(data && data.version);
  }
}
"""

_view = st.components.v2.component("nn_playground_html", js=_JS, css=LIVE_CSS + DRAW_CSS, isolate_styles=False)


def html_view(html: str, *, key: str) -> None:
    """Show ``html`` (built by the app, trusted) in a stable element identified by ``key``."""
    version = st.session_state.get(f"_{key}_version", 0) + 1
    st.session_state[f"_{key}_version"] = version
    _view(data={"html": html, "version": version}, key=key)


# streamlit-drawable-canvas 0.13 sends a finished stroke only after its own 200 ms debounce
# (``Bc = 200`` in its bundle). Its toolbar's "Update the app with this drawing" button sends at
# once and cancels that wait, so at the end of every stroke begun on a canvas this element
# presses it: the reading follows the pen ~200 ms sooner. Without this element (or if a future
# version renames the button) the canvas still sends, only later.
_FLUSH_JS = """
export default function () {
  if (window.__nnCanvasFlush) return;
  window.__nnCanvasFlush = true;
  let root = null;
  document.addEventListener("pointerdown", (ev) => {
    // the canvas lives in its component's shadow root: look along the composed path
    root = ev.composedPath().find((el) => el.classList && el.classList.contains("dc-root")) || null;
  }, true);
  document.addEventListener("pointerup", () => {
    const r = root;
    root = null;
    if (!r) return;
    setTimeout(() => {
      const send = r.querySelector('button[aria-label="Update the app with this drawing"]');
      if (send) send.click();
    }, 0);
  }, true);
}
"""

_flush = st.components.v2.component("nn_playground_canvas_flush", js=_FLUSH_JS)


def canvas_flush(*, key: str) -> None:
    """Make every drawable canvas on the page send its drawing the moment a stroke ends."""
    _flush(key=key)
