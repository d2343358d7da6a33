"""Breaking ties: RCTab's tie-break modes and our own seeded lot.

Every tie broken is returned as a :class:`~asamblea.counting.result.Draw`, which the method puts
in the round where the tie happened, so the explanation shows who was tied and why one was chosen.

RCTab modes (``tiebreakMode`` in RCTab's ``config_file_documentation.txt``):

- ``random``: the tied candidates are sorted by name (Java string order) and one is picked with
  ``floor(nextDouble() * n)`` from one ``java.util.Random(seed)`` shared by the whole count.
- ``useCandidateOrder``: the loser is the tied candidate latest in the configured candidate
  order; the winner the earliest.
- ``generatePermutation``: the configured candidates are sorted, shuffled once with
  ``Collections.shuffle(list, new Random(seed))``, and that order is used as above.
- ``previousRoundCountsThenRandom``: the tied candidate with the fewest (most, when choosing a
  winner) votes in the latest earlier round where they differ; still tied in round 1: random.
- ``stopCountingAndAsk`` / ``previousRoundCountsThenAsk``: the count stops with
  :class:`TieNeedsDecision` (there is no operator at the command line).

``lot`` (our own elections): like ``random``, with the seed published before the count; a text
seed is turned into a Java ``long`` by SHA-256, so the same seed always gives the same draws.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from asamblea.counting.javarandom import JavaRandom, floor_times
from asamblea.counting.result import Draw, Number

RANDOM = "random"
USE_CANDIDATE_ORDER = "useCandidateOrder"
GENERATE_PERMUTATION = "generatePermutation"
PREVIOUS_ROUND_COUNTS_THEN_RANDOM = "previousRoundCountsThenRandom"
PREVIOUS_ROUND_COUNTS_THEN_ASK = "previousRoundCountsThenAsk"
STOP_COUNTING_AND_ASK = "stopCountingAndAsk"
LOT = "lot"

MODES = (
    RANDOM,
    USE_CANDIDATE_ORDER,
    GENERATE_PERMUTATION,
    PREVIOUS_ROUND_COUNTS_THEN_RANDOM,
    PREVIOUS_ROUND_COUNTS_THEN_ASK,
    STOP_COUNTING_AND_ASK,
    LOT,
)
_NEEDS_SEED = (RANDOM, GENERATE_PERMUTATION, PREVIOUS_ROUND_COUNTS_THEN_RANDOM, LOT)


class TieNeedsDecision(Exception):
    """A tie that the rules leave to a person (``stopCountingAndAsk``); the count cannot go on."""


def seed_to_long(seed: int | str) -> int:
    """A Java ``long`` from a seed: integers as given, text through SHA-256 (first 8 bytes)."""
    if isinstance(seed, int):
        return seed
    text = seed.strip()
    try:
        return int(text)
    except ValueError:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def _java_string_hash(name: str) -> int:
    h = 0
    data = name.encode("utf-16-be")
    for k in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[k : k + 2], "big")) & 0xFFFFFFFF
    return h


def java_hashset_order(names: Sequence[str]) -> list[str]:
    """The iteration order of ``new HashSet<>(names)`` in Java (bucket order of the spread hash,
    insertion order within a bucket). RCTab's previous-round tie-break hands its remaining
    candidates to the random draw in this order, so reproducing it is part of the rule."""
    capacity = 16
    needed = max(int(len(names) / 0.75) + 1, 16)
    while capacity < needed:
        capacity *= 2

    def bucket(name: str) -> int:
        h = _java_string_hash(name)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(names, key=bucket)


def _java_sorted(names: Sequence[str]) -> list[str]:
    # Java's String.compareTo orders by UTF-16 code units; identical to code points in the BMP.
    return sorted(names, key=lambda s: s.encode("utf-16-be"))


class TieBreaker:
    """One per count: holds the random generator so successive draws continue one sequence."""

    def __init__(
        self, mode: str, *, seed: int | str | None = None, order: Sequence[str] = ()
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown tie-break mode {mode!r}")
        if mode in _NEEDS_SEED and seed is None:
            raise ValueError(f"tie-break mode {mode} needs a seed")
        self.mode = mode
        self.seed = seed
        self._rng = JavaRandom(seed_to_long(seed)) if seed is not None else None
        self.order = list(order)
        if mode == GENERATE_PERMUTATION:
            assert self._rng is not None
            self.order = _java_sorted(self.order)
            self._rng.shuffle(self.order)

    def _random(self, tied: list[str], *, presorted: bool = False) -> tuple[str, str]:
        assert self._rng is not None
        ordered = tied if presorted else _java_sorted(tied)
        index = floor_times(self._rng.next_double_units(), len(ordered))
        return ordered[index], f"random(seed={self.seed})"

    def choose(
        self,
        tied: Sequence[str],
        *,
        selecting_winner: bool,
        history: Sequence[Mapping[str, Number]] = (),
        purpose: str | None = None,
    ) -> Draw:
        """Choose one of ``tied``: the winner if ``selecting_winner``, else the one to eliminate.

        ``history`` holds the tallies of the earlier rounds, oldest first (for the
        previous-round modes)."""
        tied = list(tied)
        purpose = purpose or ("election" if selecting_winner else "elimination")
        mode = self.mode
        if mode in (RANDOM, LOT):
            chosen, how = self._random(tied)
        elif mode in (USE_CANDIDATE_ORDER, GENERATE_PERMUTATION):
            order = self.order if selecting_winner else list(reversed(self.order))
            found = [c for c in order if c in tied]
            if not found:
                raise TieNeedsDecision(f"none of {tied} is in the tie-break order")
            chosen = found[0]
            how = "candidate order" if mode == USE_CANDIDATE_ORDER else "generated permutation"
            how += f" ({'earliest' if selecting_winner else 'latest'})"
        elif mode in (PREVIOUS_ROUND_COUNTS_THEN_RANDOM, PREVIOUS_ROUND_COUNTS_THEN_ASK):
            contention = _java_sorted(tied)
            how = ""
            for back, tally in enumerate(reversed(history)):
                values = {c: tally[c] for c in contention if c in tally}
                if not values:
                    continue
                pick = max(values.values()) if selecting_winner else min(values.values())
                contention = [c for c in java_hashset_order(contention) if values.get(c) == pick]
                if len(contention) == 1:
                    how = f"previous round counts (round {len(history) - back})"
                    break
            if len(contention) == 1:
                chosen = contention[0]
            elif mode == PREVIOUS_ROUND_COUNTS_THEN_RANDOM:
                chosen, how = self._random(contention, presorted=True)
                how = "previous round counts, then " + how
            else:
                raise TieNeedsDecision(f"tie between {', '.join(tied)} needs a decision")
        else:
            raise TieNeedsDecision(f"tie between {', '.join(tied)} needs a decision")
        return Draw(purpose=purpose, tied=_java_sorted(tied), chosen=chosen, how=how)
