"""Re-exports of :mod:`asamblea.core.apischema` for code written before the layout change."""

from asamblea.core.apischema import (
    MAX_LIMIT,
    BearerToken,
    ErrorOut,
    Page,
    hash_token,
    paginate,
)

__all__ = ["MAX_LIMIT", "BearerToken", "ErrorOut", "Page", "hash_token", "paginate"]
