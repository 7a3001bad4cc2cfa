"""The one rule for where the app keeps what it makes for itself (downloads, models, compiled code)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """The folder for ``kind`` ("data", "models", "jax"): ``$NN_PLAYGROUND_<KIND>`` when set, else
    ``<kind>`` under ``$NN_PLAYGROUND_CACHE``, else under ``nn-playground`` in the user's cache
    directory (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    own = os.environ.get(f"NN_PLAYGROUND_{kind.upper()}")
    if own:
        return Path(own)
    base = os.environ.get("NN_PLAYGROUND_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "nn-playground")
    return Path(base) / kind
