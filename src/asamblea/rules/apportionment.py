"""How many seats each sending body holds in a receiving body.

Three rules (``Body.SeatRule``):

- ``per_n``: one seat per N members of the sender's frozen roll, rounded down, at least the
  link's minimum (default 1). Each sender's seats depend only on its own population, so no
  sender loses a seat when only its own membership grows.
- ``largest_remainder`` (Hamilton): a fixed house size H is divided in proportion to the
  populations. Each sender first gets the whole part of its exact quota ``pop * H / total``;
  the seats left go one each to the largest remainders. Remainders are compared exactly
  (``Fraction``). Equal remainders competing for the last seats are a tie broken by lot: the tied
  senders are sorted by key, then shuffled by ``random.Random(seed)``; the seed and the draw are
  returned so they can be published. A sender with a minimum above its share gets the minimum and
  the rest of the house is divided again among the others (repeated until stable).
- ``fixed``: a fixed number of seats per sender.

Populations are whole numbers of members; the result holds exact quotas for the record.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

PER_N = "per_n"
LARGEST_REMAINDER = "largest_remainder"
FIXED = "fixed"


@dataclass(frozen=True)
class Share:
    """One sender's input: its population and the parameters of its link."""

    population: int
    members_per_seat: int | None = None
    minimum_seats: int = 1
    fixed_seats: int | None = None


@dataclass(frozen=True)
class Tie:
    """Equal remainders competing for fewer seats than there were tied senders."""

    tied: list[str]
    seats: int
    chosen: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"tied": list(self.tied), "seats": self.seats, "chosen": list(self.chosen)}


@dataclass
class ApportionmentResult:
    rule: str
    seats: dict[str, int]
    house_size: int | None = None
    quotas: dict[str, Fraction] = field(default_factory=dict)
    ties: list[Tie] = field(default_factory=list)
    seed: str | None = None

    @property
    def total_seats(self) -> int:
        return sum(self.seats.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "house_size": self.house_size,
            "total_seats": self.total_seats,
            "seats": dict(sorted(self.seats.items())),
            "quotas": {k: f"{q.numerator}/{q.denominator}" for k, q in sorted(self.quotas.items())},
            "ties": [t.as_dict() for t in self.ties],
            "seed": self.seed,
        }


def per_n_seats(population: int, members_per_seat: int, minimum_seats: int = 1) -> int:
    """One seat per ``members_per_seat`` members (rounded down), at least ``minimum_seats``."""
    if population < 0:
        raise ValueError("population must not be negative")
    if members_per_seat < 1:
        raise ValueError("members_per_seat must be at least 1")
    if minimum_seats < 0:
        raise ValueError("minimum_seats must not be negative")
    return max(minimum_seats, population // members_per_seat)


def apportion_per_n(shares: Mapping[str, Share]) -> ApportionmentResult:
    seats = {}
    for key, share in shares.items():
        if share.members_per_seat is None:
            raise ValueError(f"{key}: per_n needs members_per_seat")
        seats[key] = per_n_seats(share.population, share.members_per_seat, share.minimum_seats)
    return ApportionmentResult(PER_N, seats)


def apportion_fixed(shares: Mapping[str, Share]) -> ApportionmentResult:
    seats = {}
    for key, share in shares.items():
        if share.fixed_seats is None:
            raise ValueError(f"{key}: fixed needs fixed_seats")
        seats[key] = share.fixed_seats
    return ApportionmentResult(FIXED, seats)


def largest_remainder(
    populations: Mapping[str, int],
    house_size: int,
    *,
    seed: str,
    minimums: Mapping[str, int] | None = None,
) -> ApportionmentResult:
    """Hamilton's method over ``house_size`` seats; ties by lot from ``seed`` (recorded)."""
    if house_size < 0:
        raise ValueError("house_size must not be negative")
    if any(p < 0 for p in populations.values()):
        raise ValueError("populations must not be negative")
    minimums = dict(minimums or {})
    if sum(minimums.get(k, 0) for k in populations) > house_size:
        raise ValueError("the minimum seats exceed the house size")
    fixed_at_minimum: dict[str, int] = {}
    while True:
        free = {k: p for k, p in populations.items() if k not in fixed_at_minimum}
        house = house_size - sum(fixed_at_minimum.values())
        seats, quotas, ties = _hamilton(free, house, rng_seed=seed)
        below = {k for k, s in seats.items() if s < minimums.get(k, 0)}
        if not below:
            break
        for k in below:
            fixed_at_minimum[k] = minimums[k]
    seats.update(fixed_at_minimum)
    for k in fixed_at_minimum:
        quotas[k] = Fraction(fixed_at_minimum[k])
    return ApportionmentResult(LARGEST_REMAINDER, seats, house_size, quotas, ties, seed)


def _hamilton(
    populations: Mapping[str, int], house: int, *, rng_seed: str
) -> tuple[dict[str, int], dict[str, Fraction], list[Tie]]:
    keys = sorted(populations)
    total_pop = sum(populations.values())
    if not keys:
        if house:
            raise ValueError("no senders to give the seats to")
        return {}, {}, []
    if total_pop == 0:
        # No one to divide by: every sender has an equal claim, so the whole house is a tie.
        quotas = {k: Fraction(house, len(keys)) for k in keys}
    else:
        quotas = {k: Fraction(populations[k] * house, total_pop) for k in keys}
    seats = {k: quotas[k].numerator // quotas[k].denominator for k in keys}
    left = house - sum(seats.values())
    ties: list[Tie] = []
    if left:
        remainders = {k: quotas[k] - seats[k] for k in keys}
        # Distinct remainder values, largest first; whole groups are served while they fit.
        for value in sorted(set(remainders.values()), reverse=True):
            group = [k for k in keys if remainders[k] == value]
            if len(group) <= left:
                for k in group:
                    seats[k] += 1
                left -= len(group)
            else:
                # A fresh generator per draw: the outcome depends only on the seed and the tie.
                rng = random.Random(f"{rng_seed}:{','.join(group)}:{left}")
                order = list(group)
                rng.shuffle(order)
                chosen = sorted(order[:left])
                for k in chosen:
                    seats[k] += 1
                ties.append(Tie(group, left, chosen))
                left = 0
            if not left:
                break
    return seats, quotas, ties


def apportion(
    rule: str,
    shares: Mapping[str, Share],
    *,
    house_size: int | None = None,
    seed: str = "",
) -> ApportionmentResult:
    """Apply ``rule`` to ``shares`` (sender key -> :class:`Share`)."""
    if rule == PER_N:
        return apportion_per_n(shares)
    if rule == FIXED:
        return apportion_fixed(shares)
    if rule == LARGEST_REMAINDER:
        if house_size is None:
            raise ValueError("largest_remainder needs a house size")
        return largest_remainder(
            {k: s.population for k, s in shares.items()},
            house_size,
            seed=seed,
            minimums={k: s.minimum_seats for k, s in shares.items()},
        )
    raise ValueError(f"unknown seat rule {rule!r}")
