"""Shared fixtures. Tests run from a checkout without installing: put the project on the path."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

os.environ.setdefault("NN_PLAYGROUND_STRICT", "1")  # a bug fails the test instead of becoming a message

# The default digits model is trained once per test session, then loaded from the file the app
# saves (by this process and by the app servers the browser tests start): never the user's cache.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

if "NN_PLAYGROUND_MODELS" not in os.environ:
    os.environ["NN_PLAYGROUND_MODELS"] = tempfile.mkdtemp(prefix="nn-playground-models-")
    atexit.register(shutil.rmtree, os.environ["NN_PLAYGROUND_MODELS"], True)
