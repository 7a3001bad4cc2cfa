"""What every page does with its widgets' values in ``st.session_state``.

Streamlit forgets a widget's value once a run of another page does not draw that widget, and
two pages may use the same names (both labs have a ``learning_rate``). So a page's settings live
in an object the page owns, under a key no widget owns, and its widgets' keys are filled from
it: every one of them when the page is entered from another page, the missing ones on every
run (a widget drawn for the first time, such as a new layer's size).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from playground.classroom.student import visit

_PAGE = "_nn_page"


def enter(page: str) -> bool:
    """Note that ``page`` is running; True when the last run was of another page (or none).

    A session that has never run a page but already holds widget values is a browser tab that
    reconnected to a restarted server: its run was lost, and ``lost_run()`` says so once."""
    if _PAGE not in st.session_state and any(not str(k).startswith("_") for k in st.session_state):
        st.session_state["_nn_lost_run"] = True
    came = st.session_state.get(_PAGE) != page
    st.session_state[_PAGE] = page
    visit(page)  # in a class: the student's nickname, progress reports and the teacher's messages
    return came


def lost_run() -> bool:
    """Whether this session's tab came back to a restarted server (once)."""
    return bool(st.session_state.pop("_nn_lost_run", False))


def seed(values: dict[str, Any], force: bool = False) -> None:
    """Give widget keys their values: all of them (``force``), or only those not set yet."""
    for key, value in values.items():
        if force or key not in st.session_state:
            st.session_state[key] = value
