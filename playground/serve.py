"""The app's server: Streamlit's, plus the route that streams live frames (``playground/live.py``).

``nn-playground`` and ``make run`` start the app as ``streamlit run playground/serve.py``;
Streamlit finds the ``st.App`` below and serves ``app.py`` with the extra route.
"""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` from a checkout

from playground import live  # noqa: E402

app = st.App(str(Path(__file__).with_name("app.py")), routes=live.mount())
