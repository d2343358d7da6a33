"""votelib (https://github.com/simberaj/votelib) counting the bench profiles.

- IRV: ``TransferableVoteSelector`` with one seat and the Droop quota (elected at a majority of
  all votes, or as the last candidate standing: the same winner as a majority of continuing votes).
- 3-seat STV: ``TransferableVoteSelector`` with the Gregory transferer and the Droop quota. This is
  votelib's nearest rule to Scottish STV, not the same rule: surpluses are transferred in exact
  fractions without the 5-decimal truncation, all at once rather than largest first.
- Meek: not available (votelib's transfer module lists Meek as future work).
- Schulze: ``RankedToCondorcetVotes`` (unranked at the bottom) then ``condorcet.Schulze``.
"""

from __future__ import annotations

# Imported at module level so that import time stays outside the timed region.
from collections.abc import Callable

import numpy as np
from votelib.convert import RankedToCondorcetVotes
from votelib.evaluate.condorcet import Schulze
from votelib.evaluate.sequential import TransferableVoteSelector

from . import distinct_rankings

NAME = "votelib"


def _votes(array: np.ndarray) -> dict[tuple[int, ...], int]:
    rankings, counts = distinct_rankings(array)
    return {r: n for r, n in zip(rankings, counts, strict=True) if r}


def _transferable(array: np.ndarray, seats: int) -> list[int]:
    return list(TransferableVoteSelector(quota_function="droop").evaluate(_votes(array), seats))


def irv(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    return _transferable(array, 1)


def stv(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    return _transferable(array, seats)


def schulze(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    pairs = RankedToCondorcetVotes(unranked_at_bottom=True).convert(_votes(array))
    return list(Schulze().evaluate(pairs, 1))


METHODS: dict[str, Callable[[np.ndarray, int, int], list[int]] | str] = {
    "irv": irv,
    "stv_scottish": stv,
    "meek": "n/a: votelib has no Meek transfer (its transfer module lists Meek as future work)",
    "schulze": schulze,
}
