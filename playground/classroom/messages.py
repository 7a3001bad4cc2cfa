"""What the teacher sends everyone: a link to one of the app's pages (a lesson, a preset), as a
message the students' pages offer at once ("Your teacher sent: … Open"). No Streamlit here."""
from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

# The students' pages, by url_path: each page's folder is its url_path (``playground/app.py``).
PAGES = tuple(sorted(p.parent.name for p in Path(__file__).resolve().parents[1].glob("*/page.py")
                     if p.parent.name != "classroom"))
MAX_LINK = 4000


def message(page: str, query: dict[str, str], label: str) -> dict:
    return {"id": int(time.time() * 1000), "page": page, "query": dict(query), "label": label, "at": time.time()}


def from_lesson(lesson) -> dict:
    return message(lesson.page, lesson.link(), f"Lesson {lesson.order}: {lesson.title}")


def from_link(text: str) -> dict:
    """A pasted link (``http://host:8501/digits?hidden=64``, ``/toy?dataset=xor``, ``?dataset=xor``) as a
    message; raises ValueError with one sentence for anything that is not a link to a page of this app."""
    text = (text or "").strip()
    if not text:
        raise ValueError("Paste a link first (copy it from a lab's Copy link button).")
    if len(text) > MAX_LINK:
        raise ValueError(f"That link is {len(text):,} characters long; a link to send has at most {MAX_LINK:,}.")
    parts = urlsplit(text if "://" in text or text.startswith(("/", "?")) else "/" + text)
    if parts.scheme not in ("", "http", "https"):
        raise ValueError(f"That is not a link to this app's pages (it starts with {parts.scheme}:).")
    segments = [s for s in parts.path.split("/") if s]
    page = segments[-1] if segments else "toy"
    if page not in PAGES:
        raise ValueError(f"That link is not to one of the students' pages ({', '.join(PAGES)}): it ends in "
                         f"/{page}.")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.pop("key", None)  # never the teacher's key
    shown = "/" + page + ("?" + urlencode(query, safe=",") if query else "")
    return message(page, query, shown if len(shown) <= 80 else shown[:77] + "…")
