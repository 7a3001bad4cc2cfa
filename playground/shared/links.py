"""Links that carry every setting, and the teacher's controls that ride along in them.

A page's URL is its settings (only those that differ from the defaults) plus:

- ``hide=lr,activation`` or ``lr_hide=true`` (as TF Playground): those controls are not shown;
- ``lock=dataset`` or ``dataset_lock=true``: shown, but cannot be changed;
- ``explain=false``: the explanatory text is left out;
- ``lesson=<id>``: the lesson whose goal the page checks live;
- ``restarted=1``: added by the page itself when the server it streamed from restarted.

``Teacher`` and ``split_query`` are plain Python; ``sync_url`` and ``copy_link`` are the
Streamlit side. Whatever a link says is repeated in a notice as plain text only.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Iterable

import streamlit as st

from playground.shared.fields import names, shown

PAGE_KEYS = ("hide", "lock", "explain", "lesson", "restarted")
RESTARTED = ("The server restarted, so the run in progress was lost: it starts again from epoch 0 with the "
             "settings in the link.")


@dataclass(frozen=True)
class Teacher:
    hidden: frozenset[str] = frozenset()
    locked: frozenset[str] = frozenset()
    explain: bool = True
    lesson: str | None = None

    def shows(self, control: str) -> bool:
        return control not in self.hidden

    def locks(self, control: str) -> bool:
        return control in self.locked

    def to_query(self) -> dict[str, str]:
        q = {}
        if self.hidden:
            q["hide"] = ",".join(sorted(self.hidden))
        if self.locked:
            q["lock"] = ",".join(sorted(self.locked))
        if not self.explain:
            q["explain"] = "false"
        if self.lesson:
            q["lesson"] = self.lesson
        return q


def split_query(query: dict[str, str], controls: Iterable[str], lessons: Iterable[str] = (),
                other_lessons: dict[str, str] | None = None) -> tuple[dict[str, str], Teacher, list[str]]:
    """Separate the teacher's parameters from the settings. Returns the settings part, the
    teacher's choices, and notices naming what was not understood. ``lessons`` are the ids this
    page can check; ``other_lessons`` maps the others' ids to the page they belong to."""
    controls, lessons = set(controls), set(lessons)
    settings, notices = {}, []
    hidden, locked, explain, lesson = set(), set(), True, None

    def known(raw: str, what: str) -> set[str]:
        got = {n.strip() for n in raw.split(",") if n.strip()}
        unknown = sorted(got - controls)
        if unknown:
            notices.append(f"cannot {what} {names(unknown)}: no such control (the controls here are "
                           f"{', '.join(sorted(controls))})")
        return got & controls

    for key, raw in query.items():
        if key == "hide":
            hidden |= known(raw, "hide")
        elif key == "lock":
            locked |= known(raw, "lock")
        elif key == "explain":
            if raw.lower() in ("false", "0", "no"):
                explain = False
            elif raw.lower() not in ("true", "1", "yes"):
                notices.append(f"explain={shown(raw)} is not readable (true or false)")
        elif key == "lesson":
            if raw in lessons:
                lesson = raw
            elif raw in (other_lessons or {}):
                notices.append(f"lesson {shown(raw)} belongs to the {other_lessons[raw]}, not this page")
            else:
                notices.append(f"no lesson called {shown(raw)}")
        elif key == "restarted":
            notices.insert(0, RESTARTED)
        elif key.endswith(("_hide", "_lock")) and key.rsplit("_", 1)[0] in controls:
            if raw.lower() in ("true", "1", "yes"):
                (hidden if key.endswith("_hide") else locked).add(key.rsplit("_", 1)[0])
            elif raw.lower() not in ("false", "0", "no"):
                notices.append(f"{key}={shown(raw)} is not readable (true or false)")
        else:
            settings[key] = raw
    return settings, Teacher(frozenset(hidden), frozenset(locked), explain, lesson), notices


def notice_text(notices: list[str]) -> str:
    """One sentence for everything a link got wrong (the restart, if any, said first)."""
    restart = [n for n in notices if n == RESTARTED]
    rest = [n for n in notices if n != RESTARTED]
    return " ".join(restart + (["Ignored in the link: " + "; ".join(rest) + "."] if rest else []))


def read_link(page: str, controls: Iterable[str], settings_type, lessons: Iterable[str] = (),
              other_lessons: dict[str, str] | None = None):
    """(settings, teacher's choices) from the address bar. What the link got wrong is kept for
    ``show_notice(page)`` to name in one line; the rest of the link still counts."""
    query, teacher, notices = split_query(st.query_params.to_dict(), controls, lessons, other_lessons)
    settings, more = settings_type.from_query(query)
    if notices + more:
        st.session_state[f"{page}_notice"] = notice_text(notices + more)
    return settings, teacher


_MARKDOWN = set(string.punctuation)
# GitHub-flavoured Markdown turns bare addresses (https://…, www.…, name@host) into links after
# the escapes are undone, so no escape stops it; an invisible word joiner inside each does.
JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=http:)(?=//)|(?<=https:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def plain(text: str) -> str:
    """``text`` for a Markdown element, shown as typed: every ASCII punctuation mark escaped, and
    a word joiner (invisible) in every web or mail address, so that nothing in it becomes a link,
    an image, an icon, a colour or a formula."""
    return "".join("\\" + c if c in _MARKDOWN else c for c in _AUTOLINK.sub(JOINER, text))


def show_notice(page: str) -> None:
    """The one-line notice of what the last link opened on this page could not use, once (and that
    the server restarted, if this tab came back to a restarted server while paused)."""
    from playground.shared.pagestate import lost_run
    notice = st.session_state.pop(f"{page}_notice", None)
    if lost_run() and (not notice or RESTARTED not in notice):
        notice = RESTARTED + (" " + notice if notice else "")
    if notice:
        st.warning(plain(notice), icon=":material/link:")


def url_changed(page: str) -> bool:
    """True when the address bar carries parameters this page did not write itself: a link
    was opened (or edited by hand) while the session already had this page's state."""
    query = st.query_params.to_dict()
    return bool(query) and query != st.session_state.get(f"_{page}_url")


def sync_url(page: str, query: dict[str, str]) -> None:
    """Make the address bar say ``query`` (so that copying it copies every setting)."""
    st.session_state[f"_{page}_url"] = query
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


SIDEBAR = "[data-testid=stSidebar],[data-testid=stExpandSidebarButton],[data-testid=stSidebarCollapsedControl]"


def hide_css(keys: Iterable[str]) -> None:
    """Hide the widgets with these keys (their values stay in force); "advanced" hides the sidebar."""
    keys = list(keys)
    selectors = [SIDEBAR if k == "advanced" else f".st-key-{k}" for k in keys]
    if selectors:
        st.html("<style>" + ",".join(selectors) + "{display:none!important}</style>")


_COPY_JS = """
const LABEL = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" style="vertical-align:-3px;margin-right:4px">'
  + '<path fill="currentColor" d="M3.9 12a3.1 3.1 0 0 1 3.1-3.1h4V7H7a5 5 0 0 0 0 10h4v-1.9H7A3.1 3.1 0 0 1 3.9 12M8 13h8v-2H8'
  + 'v2m9-6h-4v1.9h4a3.1 3.1 0 0 1 0 6.2h-4V17h4a5 5 0 0 0 0-10"/></svg>Copy link';
export default function (component) {
  const { parentElement, data } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.className = "nn-copy";
    button.type = "button";
    button.innerHTML = LABEL;
    button.dataset.title = "Copy a link to this page with every setting: whoever opens it gets the same data, the same starting weights and so the same run";
    button.addEventListener("click", async () => {
      const url = window.location.href;
      let done = false;
      try { await navigator.clipboard.writeText(url); done = true; } catch (e) { done = false; }
      if (!done) {  // plain http on a classroom network: no clipboard API, use a selection
        const t = document.createElement("textarea");
        t.value = url; document.body.appendChild(t); t.select();
        try { done = document.execCommand("copy"); } catch (e) { done = false; }
        t.remove();
      }
      window.__nnCopied = url;
      const left = button.dataset.note ? ", without your points" : "";
      button.textContent = done ? "✓ Link copied" + left : "Copy the address bar instead";
      setTimeout(() => { button.innerHTML = LABEL; }, 2000);
    });
    parentElement.appendChild(button);
  }
  // What the link leaves out (the page's own data, when too large for a link): said under the
  // button and in its tooltip, before and after a click.
  const note = (data && data.note) || "";
  button.dataset.note = note;
  button.title = note || button.dataset.title;
  let said = parentElement.querySelector(".nn-copy-note");
  if (!said) {
    said = document.createElement("div");
    said.className = "nn-copy-note";
    parentElement.appendChild(said);
  }
  said.textContent = note ? "without your points" : "";
  said.title = note;
}
"""
_COPY_CSS = """.nn-copy{font:inherit;font-size:.875rem;padding:.25rem .75rem;border:1px solid rgba(49,51,63,.2);
border-radius:.5rem;background:#fff;cursor:pointer;white-space:nowrap}.nn-copy:hover{border-color:#0877bd;color:#0877bd}
.nn-copy-note{font-size:.8rem;color:#a15c00;white-space:nowrap}"""

_copy = st.components.v2.component("nn_playground_copy_link", js=_COPY_JS, css=_COPY_CSS)


def copy_link(*, key: str, note: str = "") -> None:
    """A button that copies the page's address, which carries every setting. ``note``: what the
    link leaves out, in one sentence (shown under the button as "without your points", and in
    its tooltip)."""
    _copy(key=key, data={"note": note})
