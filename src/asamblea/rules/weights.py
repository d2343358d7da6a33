"""The one seat-weight rule (SYSTEM.md, "Weighted voting").

A body is either *one delegate, one vote* (every seat weighs 1) or *weighted by members
represented*: each seat of a sending unit weighs the unit's frozen population divided among its
seats in the body's current apportionment, exactly (a ``Fraction``, never rounded). Every weight
in the program (the body page, a division's snapshot, the tally, the recount) comes from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K")


class NoApportionment(ValueError):
    """A weighted body has no current allocation (or zero seats) for the seat's unit."""


def seat_weight(*, weighted: bool, population: int | None, seats: int | None) -> Fraction:
    """The weight of one seat: 1 when not weighted, else ``population / seats``.

    ``population`` and ``seats`` are the sending unit's current allocation in the body (None when
    there is none); a weighted body without one raises :class:`NoApportionment`.
    """
    if not weighted:
        return Fraction(1)
    if population is None or not seats:
        raise NoApportionment("this weighted body has no current apportionment for the seat's unit")
    if population < 0 or seats < 0:
        raise ValueError("population and seats are counts")
    return Fraction(population, seats)


def unit_weights(*, weighted: bool, allocations: Mapping[K, tuple[int, int]]) -> dict[K, Fraction]:
    """Weight of one seat of each sending unit, from ``{unit: (population, seats)}``.

    Units with no seats weigh 0 (they can have no one present).
    """
    return {
        unit: (
            seat_weight(weighted=weighted, population=population, seats=seats)
            if seats
            else Fraction(0)
        )
        for unit, (population, seats) in allocations.items()
    }


def total_weight(weights: Mapping[K, Fraction], counts: Mapping[K, int]) -> Fraction:
    """The weight of ``counts[unit]`` seats of each unit (present, legal number, a choice).

    Summed in integers over one common denominator, exactly as a sum of fractions would be: a
    ``Fraction`` addition per unit reduces by a gcd each time, and a national assembly's 1,000
    units cost a page 15 ms that way."""
    terms = [(weights.get(unit, Fraction(0)), n) for unit, n in counts.items()]
    common = math.lcm(*(w.denominator for w, _n in terms)) if terms else 1
    return Fraction(sum(w.numerator * n * (common // w.denominator) for w, n in terms), common)
