"""Demo data of `assemblies`, loaded by `asamblea demo` after the registry's federation."""

from __future__ import annotations

from typing import Any


def load(organisation: Any, *, progress: Any = None) -> None:
    """Idempotent: loads nothing twice. (Being built.)"""
