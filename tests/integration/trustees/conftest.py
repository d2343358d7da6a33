"""The trustees' tests share their helpers (trustees_helpers.py) and fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trustees_helpers import _clear, org, unit  # noqa: E402, F401
