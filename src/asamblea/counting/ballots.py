"""Ballots as counted: ranked (with equal ranks, skipped ranks and overvotes), approval,
single-choice and yes/no, each with an exact integer or fractional weight.

Identical ballots are grouped: a :class:`RankedBallot` carries ``count``, the number of voters who
cast it (times their weight when delegates carry members' weight).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

# A rank is the set of candidates marked at that rank: () is a skipped rank, one name is a
# normal mark, two or more names an overvote (or equal ranking, for methods that allow it).
Rank = tuple[str, ...]
# The source only recorded "overvote" without the names (ES&S overvote label).
OVERVOTE_LABEL = "#overvote"


@dataclass(frozen=True, slots=True)
class RankedBallot:
    ranking: tuple[Rank, ...]
    count: int | Fraction = 1

    @staticmethod
    def of(*ranks: str | Iterable[str], count: int | Fraction = 1) -> RankedBallot:
        """``RankedBallot.of("A", ["B", "C"], (), "D")``: A first, B and C tied second, a skip, D."""
        norm: list[Rank] = []
        for r in ranks:
            norm.append((r,) if isinstance(r, str) else tuple(r))
        return RankedBallot(tuple(norm), count)


@dataclass(slots=True)
class Profile:
    """A grouped list of ranked ballots with the candidates on the ballot paper, in paper order."""

    candidates: list[str]
    ballots: list[RankedBallot] = field(default_factory=list)
    title: str = ""
    seats: int | None = None
    # Candidates withdrawn before the count (BLT negative numbers, RCTab "excluded").
    withdrawn: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[RankedBallot]:
        return iter(self.ballots)

    @property
    def total(self) -> int | Fraction:
        return sum((b.count for b in self.ballots), 0)

    def grouped(self) -> Profile:
        """The same profile with identical rankings merged (first-seen order kept)."""
        merged: dict[tuple[Rank, ...], int | Fraction] = {}
        for b in self.ballots:
            merged[b.ranking] = merged.get(b.ranking, 0) + b.count
        return Profile(
            candidates=list(self.candidates),
            ballots=[RankedBallot(r, c) for r, c in merged.items()],
            title=self.title,
            seats=self.seats,
            withdrawn=list(self.withdrawn),
        )


@dataclass(frozen=True, slots=True)
class ChoiceBallot:
    """Single-choice (plurality) or approval ballot: the set of candidates marked."""

    marks: frozenset[str]
    count: int | Fraction = 1


class YesNo:
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    ALL = (YES, NO, ABSTAIN)
