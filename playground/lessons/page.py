"""Lessons: a path from one neuron to deep networks, each with a goal the labs check live."""
from __future__ import annotations

import streamlit as st

from playground.lessons.catalogue import PAGES, load_lessons
from playground.shared.guard import guarded
from playground.shared.pagestate import enter

PAGE_FILES = {"toy": "toy/page.py", "digits": "digits/page.py", "bigpicture": "bigpicture/page.py",
              "compare": "compare/page.py"}  # relative to playground/app.py


@guarded
def main() -> None:
    enter("lessons")
    st.markdown("#### Lessons · from one neuron to deep networks")
    st.caption("Each lesson opens a lab already set up, with its goal shown above the results and ticked "
               "the moment you reach it. Teachers: the lab's address carries everything, including locked "
               "or hidden controls; copy it with the lab's *Copy link* button.")
    lessons = load_lessons()
    for row in range(0, len(lessons), 2):
        for col, lesson in zip(st.columns(2, gap="medium"), lessons[row:row + 2]):
            with col.container(border=True, key=f"lesson_{lesson.id}"):
                st.markdown(f"**{lesson.order}. {lesson.title}**")
                st.markdown(lesson.text)
                st.markdown(f":material/flag: **Goal:** {lesson.goal.text}.")
                st.page_link(PAGE_FILES[lesson.page], label=f"Start in the {PAGES[lesson.page]}",
                             icon=":material/play_circle:", query_params=lesson.link())


main()
