"""No traceback ever reaches a user: an unexpected error becomes one sentence on the page.

The full traceback goes to the server log. Tests set ``NN_PLAYGROUND_STRICT=1`` so that a bug
fails the test instead of turning into a message.
"""
from __future__ import annotations

import functools
import logging
import os
from typing import Callable

import streamlit as st

log = logging.getLogger("nn-playground")


def guarded(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # Streamlit's rerun/stop signals are BaseExceptions and pass through
            if os.environ.get("NN_PLAYGROUND_STRICT") == "1":
                raise
            log.exception("unexpected error in %s", fn.__qualname__)
            st.error(f"Something went wrong here ({type(e).__name__}). Your settings and your network are "
                     "kept: try again, or press Reset. The details are in the server's log.", icon=":material/build:")
    return wrapper
