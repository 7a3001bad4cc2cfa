"""nn-playground: the Streamlit entry point. ``nn-playground`` (or ``make run``) starts it.

Each lab is a folder of its own (``toy/``, ``digits/``, ``draw/``, ``lessons/``) whose ``page.py``
is the page; what the labs share is in ``shared/``, serving in ``server/``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `streamlit run` from a checkout

from playground.server.jaxsetup import configure_jax  # noqa: E402
from playground.classroom.access import class_pages  # noqa: E402

configure_jax()
st.set_page_config(page_title="nn-playground", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed")

# Room for the labs on a projector's 1024×768: narrower side margins than Streamlit's wide layout.
st.html("<style>.block-container{padding-top:3.6rem;padding-bottom:1rem}"
        "@media (max-width:1300px){.block-container{padding-left:1.2rem;padding-right:1.2rem}}</style>")
st.navigation([
    st.Page(HERE / "toy" / "page.py", title="Toy lab", icon=":material/tune:", default=True, url_path="toy"),
    st.Page(HERE / "compare" / "page.py", title="Compare", icon=":material/compare:", url_path="compare"),
    st.Page(HERE / "digits" / "page.py", title="Digits lab", icon=":material/pin:", url_path="digits"),
    st.Page(HERE / "draw" / "page.py", title="Draw a digit", icon=":material/draw:", url_path="draw"),
    st.Page(HERE / "bigpicture" / "page.py", title="Big picture", icon=":material/insights:", url_path="bigpicture"),
    st.Page(HERE / "lessons" / "page.py", title="Lessons", icon=":material/school:", url_path="lessons"),
    st.Page(HERE / "glossary" / "page.py", title="Glossary", icon=":material/menu_book:", url_path="glossary"),
    *class_pages(HERE),  # the teacher's page: listed only for the session holding the teacher's key
], position="top").run()
