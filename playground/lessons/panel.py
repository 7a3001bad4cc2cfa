"""A lesson inside its lab: the explanation beside the live goal, the previous and next lesson one
click away."""
from __future__ import annotations

import streamlit as st

from playground.lessons.catalogue import PAGES, find, load_lessons

PAGE_FILES = {"toy": "toy/page.py", "digits": "digits/page.py", "bigpicture": "bigpicture/page.py",
              "compare": "compare/page.py"}  # relative to playground/app.py


def lesson_panel(lesson_id: str | None) -> None:
    lesson = find(lesson_id)
    if lesson is None:
        return
    lessons = list(load_lessons())
    k = lessons.index(lesson)
    with st.expander(f"Lesson {lesson.order} of {len(lessons)} · {lesson.title}", expanded=True,
                     icon=":material/school:"):
        st.markdown(lesson.text)
        st.markdown(f":material/flag: **Goal:** {lesson.goal.text}. It is checked live, above the results.")
        back, ahead = st.columns(2)
        for col, other, label in ((back, lessons[k - 1] if k else None, "Previous"),
                                  (ahead, lessons[k + 1] if k + 1 < len(lessons) else None, "Next")):
            if other is not None:
                col.page_link(PAGE_FILES[other.page], label=f"{label}: {other.order}. {other.title} "
                                                            f"({PAGES[other.page]})",
                              icon=":material/arrow_back:" if label == "Previous" else ":material/arrow_forward:",
                              query_params=other.link())
