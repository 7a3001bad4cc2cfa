"""A minimal Streamlit component that shows trusted HTML, fast.

``st.markdown`` runs every frame's HTML through a JavaScript Markdown and HTML parser before
React draws it; this component hands the string to the browser's own parser instead
(``innerHTML``), which is what lets the live view redraw many times a second. Only HTML that
the app itself builds from numbers goes through here, never text a user typed.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import streamlit as st

_JS = """
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// While ``stream`` names a live route, fetch its frames one after another (the next one asked
// for once the last is drawn and ``interval`` ms have passed) until the script stops it.
async function follow(box, url, interval, setTriggerValue) {
  while (box.dataset.stream === url) {
    const t0 = performance.now();
    let r = null, html = "";
    try {
      r = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      html = await r.text();
    } catch (e) {
      await sleep(500);  // a dropped connection: try again
      continue;
    }
    if (box.dataset.stream !== url) return;  // paused meanwhile: the script's view stands
    if (r.status === 410) {  // the server no longer knows this session (it restarted)
      await sleep(1500);  // unless a rerun replaced the stream meanwhile, reload from the link
      if (box.dataset.stream === url) {
        const u = new URL(window.location.href);
        u.searchParams.set("restarted", "1");
        window.location.replace(u.toString());
      }
      return;
    }
    if (r.status === 429) {  // a frame of this session is still being made: ask again shortly
      await sleep(interval);
      continue;
    }
    if (r.status !== 200) {  // the frame failed: let the page rerun and say why
      box.dataset.stream = "";
      setTriggerValue("stopped", Date.now());
      return;
    }
    box.innerHTML = html;
    if (r.headers.get("X-NN-Playing") !== "1") {  // diverged: the page shows why
      box.dataset.stream = "";
      setTriggerValue("stopped", Date.now());
      return;
    }
    await sleep(Math.max(0, interval - (performance.now() - t0)));
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let box = parentElement.querySelector(":scope > .nn-html");
  if (!box) {
    box = document.createElement("div");
    box.className = "nn-html";
    parentElement.appendChild(box);
  }
  // A click on something that carries data-pick (a neuron, a weight, a bias), or on the output
  // map (where, on the plane), is sent to the script as the "pick" event.
  box._nnTrigger = setTriggerValue;
  if (!box.dataset.picks) {
    box.dataset.picks = "1";
    box.addEventListener("click", (ev) => {
      let value = null;
      const target = ev.target.closest("[data-pick]");
      if (target) value = target.getAttribute("data-pick");
      else {
        const map = ev.target.closest(".nn-map");
        const img = map && map.querySelector("image");
        if (img) {
          const r = img.getBoundingClientRect(), d = parseFloat(map.dataset.domain || "6");
          const u = (ev.clientX - r.left) / r.width, v = (ev.clientY - r.top) / r.height;
          if (u >= 0 && u <= 1 && v >= 0 && v <= 1) value = `p:${(2 * d * u - d).toFixed(3)}:${(d - 2 * d * v).toFixed(3)}`;
        }
      }
      if (value) box._nnTrigger("pick", value + "|" + Date.now());
    });
  }
  // What a weight, a bias or a neuron says on hover (its <title>) is also shown on the page, large,
  // beside the pointer: readable on a projector, and on a tap where there is no hover.
  if (!box.dataset.tips) {
    box.dataset.tips = "1";
    const tip = document.createElement("div");
    tip.className = "nn-tip";
    parentElement.appendChild(tip);
    const show = (ev) => {
      const target = ev.target.closest("[data-pick]");
      const title = target && target.querySelector(":scope > title");
      if (!title) { tip.style.display = "none"; return; }
      tip.textContent = title.textContent;
      tip.style.left = `${ev.clientX + 14}px`;
      tip.style.top = `${ev.clientY + 16}px`;
      tip.style.display = "block";
    };
    box.addEventListener("pointermove", show);
    box.addEventListener("pointerdown", show);
    box.addEventListener("pointerleave", () => { tip.style.display = "none"; });
  }
  const html = (data && data.html) || "";
  if (box.dataset.version !== String(data && data.version)) {
    box.innerHTML = html;
    box.dataset.version = String(data && data.version);
  }
  const stream = (data && data.stream) || "";
  if (box.dataset.stream !== stream) {
    box.dataset.stream = stream;
    if (stream) follow(box, stream, data.interval || 50, setTriggerValue);
  }
}
"""

@lru_cache(maxsize=None)
def make_view(name: str, css: str) -> Callable[..., None]:
    """An HTML view element with its styles (sent to the page once, not in every frame); one per
    name and process. Returns ``view(html, *, key, stream="", interval=0.05, on_stopped=None)``:

    Show ``html`` (built by the app, trusted) in a stable element identified by ``key``. With
    ``stream`` (a URL on this server, see ``playground/server/live.py``), the element then keeps
    fetching frames from it, ``interval`` seconds apart at most, until a rerun clears ``stream``;
    if the server says the stream ended, ``on_stopped`` runs and the page reruns; if the server no
    longer knows the session (it restarted), the page reloads from its link. Returns what was
    clicked in it since the last run ("n:1:0", "w:1:0:2", "b:2:1", "p:x:y"; see
    ``playground/toy/network.py``), or None; ``on_pick`` (a callback, run before the script as
    a widget's is) receives it too."""
    component = st.components.v2.component(name, js=_JS, css=css, isolate_styles=False)

    def view(html: str, *, key: str, stream: str = "", interval: float = 0.05, on_stopped=None,
             on_pick=None) -> str | None:
        version = st.session_state.get(f"_{key}_version", 0) + 1
        st.session_state[f"_{key}_version"] = version
        picked = (lambda: on_pick(_picked(st.session_state.get(key)))) if on_pick else (lambda: None)
        result = component(data={"html": html, "version": version, "stream": stream,
                                  "interval": int(interval * 1000)},
                           key=key, on_stopped_change=on_stopped or (lambda: None), on_pick_change=picked)
        return _picked(result)
    return view


def _picked(result) -> str | None:
    """What a view's "pick" event carried ("n:1:0", …), without the time that makes each click new."""
    value = result.get("pick") if result else None
    return value.split("|", 1)[0] if isinstance(value, str) else None


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
