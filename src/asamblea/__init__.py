"""Asamblea: delegates elected from below and recallable at any moment."""

__version__ = "0.1.0"
