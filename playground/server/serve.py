"""The app's server: Streamlit's, plus the route that streams live frames (``live.py`` here).

``nn-playground`` and ``make run`` start the app as ``streamlit run playground/server/serve.py``;
Streamlit finds the ``st.App`` below and serves ``playground/app.py`` with the extra route.
"""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `streamlit run` from a checkout

from playground.server import live  # noqa: E402

app = st.App(str(ROOT / "playground" / "app.py"), routes=live.mount())
