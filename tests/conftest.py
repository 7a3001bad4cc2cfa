"""Shared fixtures. Tests run from a checkout without installing: put the project on the path."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

os.environ.setdefault("NN_PLAYGROUND_STRICT", "1")  # a bug fails the test instead of becoming a message
