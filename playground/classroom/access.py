"""Who may see the class: the session that opened the teacher's address (its key checked once, in
constant time, then remembered by the session), and no one else."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.classroom.hub import in_class, is_teacher_key

TEACHER_FLAG = "_nn_teacher"  # in a session: it opened the class page with the right key


def teacher_session() -> bool:
    """Whether this browser session holds the teacher's key. A key in the link decides (a wrong one
    also takes back an earlier right one); without one, what the session was told before stands."""
    given = st.query_params.get("key")
    if given is not None:
        st.session_state[TEACHER_FLAG] = is_teacher_key(given)
    return in_class() and bool(st.session_state.get(TEACHER_FLAG))


def class_pages(here: Path) -> list:
    """The teacher's page for the navigation: listed only for the teacher's session (a student who
    types its address gets one sentence, never the data)."""
    return [st.Page(here / "classroom" / "page.py", title="Class", icon=":material/groups:", url_path="class",
                    visibility="visible" if teacher_session() else "hidden")]
