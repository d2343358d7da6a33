"""Shared helpers of the fast-path tests: conformance cases loaded as the command line loads them."""

from __future__ import annotations

import sys
from pathlib import Path

# The benchmark's peer adapters (bench/peers) are used by the differential tests.
ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
