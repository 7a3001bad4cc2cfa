"""The teacher's page as HTML: one card per student, sorted, and the class drawings board's grid.
Records in, strings out; every text a student typed (a nickname) is escaped. No Streamlit here.
"""
from __future__ import annotations

import html
import math
import time

import numpy as np

from playground.shared.png import GREY, png_uri

AWAY = 15.0  # seconds without a report before a card says its student is away (tab closed)
PAGE_NAMES = {"toy": "Toy lab", "digits": "Digits lab", "draw": "Draw a digit", "lessons": "Lessons",
              "glossary": "Glossary", "compare": "Compare", "bigpicture": "Big picture"}
SORTS = {  # name -> key: the first card is the one furthest on
    "progress": lambda r: (r.get("goal_at") is None, r.get("goal_at") or 0.0, -(r.get("epoch") or 0),
                           r.get("nickname", "").lower()),
    "nickname": lambda r: (r.get("nickname", "").lower(),),
    "page": lambda r: (r.get("page", ""), r.get("lesson") or "", r.get("nickname", "").lower()),
}

CSS = """
.nn-class{font-family:Helvetica,Arial,sans-serif;color:#222}
.nn-sum{font-size:22px;margin:0 0 8px}.nn-sum b{font-size:28px}
.nn-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:8px}
.nn-card{border:1px solid #d4d8dc;border-left:6px solid #b9c0c7;border-radius:8px;padding:6px 8px 6px 10px;
 background:#fff;display:grid;grid-template-columns:minmax(0,1fr) 56px;gap:1px 8px;align-content:start}
.nn-card.done{border-left-color:#1b8a3a;background:#f2faf4}
.nn-card.away{opacity:.45}
.nn-card .who{grid-column:1/3;font-size:19px;font-weight:700;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.nn-card .where{font-size:13px;color:#555;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.nn-card .goal{grid-column:1/3;font-size:14px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.nn-card.done .goal{color:#1b6b31;font-weight:700}
.nn-card .nums{font-size:14px;color:#333}.nn-card .nums b{font-size:16px;color:#111}
.nn-card .pic{grid-column:2;grid-row:2/5;width:56px;height:56px;image-rendering:pixelated;border-radius:4px;
 align-self:center}
.nn-card .acc{grid-column:2;grid-row:2/5;align-self:center;text-align:center;font-size:21px;font-weight:700;
 color:#0877bd}.nn-card .acc small{display:block;font-size:11px;font-weight:400;color:#555}
.nn-empty{font-size:18px;color:#555;padding:16px 0}
.nn-board{display:grid;grid-template-columns:repeat(auto-fill,minmax(92px,1fr));gap:8px}
.nn-draw{text-align:center;font-size:14px;border:1px solid #d4d8dc;border-radius:6px;padding:4px}
.nn-draw img{width:64px;height:64px;image-rendering:pixelated;display:block;margin:0 auto 2px}
.nn-draw.wrong{border:2px solid #d33f2a;background:#fdf0ee}.nn-draw .n{color:#666;font-size:11px;
 overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
"""


def summary(records: dict[str, dict]) -> tuple[int, int]:
    """(students, goals reached)."""
    return len(records), sum(r.get("goal_at") is not None for r in records.values())


def sort_records(records: dict[str, dict], by: str = "progress") -> list[dict]:
    return sorted(records.values(), key=SORTS.get(by, SORTS["progress"]))


def _num(v, fmt: str) -> str:
    return "–" if v is None or not math.isfinite(v) else format(v, fmt)


def card_html(r: dict, now: float | None = None) -> str:
    now = time.time() if now is None else now
    nick = html.escape(str(r.get("nickname", "?")))
    page = PAGE_NAMES.get(r.get("page", ""), html.escape(str(r.get("page", ""))).capitalize())
    lesson = html.escape(r.get("lesson_title") or "")
    where = page + (f" · {lesson}" if lesson else "")
    if r.get("goal_at") is not None:
        when = time.strftime("%H:%M", time.localtime(r["goal_at"]))
        goal = f'&#10003; Goal at epoch {r.get("goal_epoch") or 0:,} · {when}'
    elif r.get("lesson"):
        goal = "Goal not reached yet"
    else:
        goal = "No lesson open"
    nums = (f'<div class="nums">epoch <b>{r.get("epoch", 0) or 0:,}</b></div>'
            f'<div class="nums">test loss <b>{_num(r.get("test_loss"), ".3f")}</b></div>'
            if r.get("lab") else '<div class="nums">&nbsp;</div><div class="nums">&nbsp;</div>')
    if r.get("picture"):
        side = f'<img class="pic" src="{html.escape(r["picture"])}" alt="decision map">'
    elif r.get("lab") and r.get("accuracy") is not None:
        side = f'<div class="acc">{_num(100 * r["accuracy"] if r.get("accuracy") is not None else None, ".0f")}%' \
               f'<small>accuracy</small></div>'
    else:
        side = ""
    cls = " done" if r.get("goal_at") is not None else ""
    cls += " away" if now - float(r.get("at", now)) > AWAY else ""
    return (f'<div class="nn-card{cls}" data-nick="{nick}"><div class="who">{nick}</div>{side}'
            f'<div class="where">{where}</div>{nums}<div class="goal">{goal}</div></div>')


def cards_html(records: dict[str, dict], by: str = "progress", now: float | None = None) -> str:
    n, goals = summary(records)
    if not n:
        return ('<div class="nn-class"><div class="nn-empty">No student has opened the app yet: give the class '
                'the students\' address.</div></div>')
    head = (f'<div class="nn-sum"><b>{n}</b> student{"s" if n != 1 else ""} · <b>{goals}</b> reached their '
            f'lesson\'s goal</div>')
    return (f'<div class="nn-class">{head}<div class="nn-cards">'
            + "".join(card_html(r, now) for r in sort_records(records, by)) + "</div></div>")


def board_html(drawings, guesses) -> str:
    """The class's drawings as a grid: each with the digit meant and what the model read (a red frame
    where the two differ)."""
    cells = []
    for d, g in zip(drawings, guesses):
        wrong = int(g) != d.digit
        cells.append(f'<div class="nn-draw{" wrong" if wrong else ""}" data-digit="{d.digit}" data-read="{int(g)}">'
                     f'<img src="{png_uri(np.asarray(d.pixels), 0.0, 1.0, lut=GREY)}" alt="a drawing of {d.digit}">'
                     f'meant <b>{d.digit}</b> · read <b>{int(g)}</b><div class="n">{html.escape(d.nickname)}</div></div>')
    return '<div class="nn-class"><div class="nn-board">' + "".join(cells) + "</div></div>"
