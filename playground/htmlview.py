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
