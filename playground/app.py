"""nn-playground: the Streamlit entry point. ``nn-playground`` (or ``make run``) starts it."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` from a checkout

from playground.jaxsetup import configure_jax  # noqa: E402

configure_jax()
st.set_page_config(page_title="nn-playground", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed")

PAGES = Path(__file__).with_name("views")  # not "pages": Streamlit would list that folder twice
st.navigation([
    st.Page(PAGES / "toy.py", title="Toy lab", icon=":material/tune:", default=True, url_path="toy"),
    st.Page(PAGES / "digits.py", title="Digits lab", icon=":material/pin:", url_path="digits"),
    st.Page(PAGES / "draw.py", title="Draw a digit", icon=":material/draw:", url_path="draw"),
    st.Page(PAGES / "lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
]).run()
