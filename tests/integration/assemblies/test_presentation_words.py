"""The rule in words says the same number the rule decides by.

The chair's console and the delegates' page state each division's threshold and quorum as a
number of seats ("2 or more"); these tests check, against :func:`asamblea.rules.divisions.decide`
(the function that closes divisions and recounts them), that the number stated is the least
that passes, for every size of body and fraction tried.
"""

from __future__ import annotations

import re
from fractions import Fraction

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from asamblea.assemblies import presentation
from asamblea.rules.divisions import decide


def _stated(words: str) -> int:
    return int(re.search(r": (\d+) or more\.$", words).group(1))


def _least_for(rule: dict, seats: int) -> int:
    """The least number of votes for that adopts, everyone present, nobody against."""
    for n in range(seats + 1):
        totals = {"for": Fraction(n), "against": Fraction(0), "abstain": Fraction(seats - n)}
        if decide(rule, totals, Fraction(seats)).is_adopted:
            return n
    return seats + 1


def _least_present(rule: dict, seats: int) -> int:
    for n in range(seats + 1):
        if decide(rule, {"for": Fraction(n)}, Fraction(n)).is_quorate:
            return n
    return seats + 1


fractions = st.sampled_from(["1/2", "2/3", "3/5", "2/5", "3/4", "1/3", "7/10"])


@given(seats=st.integers(1, 400), fraction=fractions, strict=st.booleans())
def test_the_quorum_in_words_is_the_least_number_present_that_is_quorate(seats, fraction, strict):
    rule = {
        "threshold": "majority_cast",
        "basis": "seats",
        "legal": str(seats),
        "quorum": fraction,
        "quorum_strict": strict,
    }
    with translation.override("en"):
        assert _stated(presentation.quorum_words(rule)) == _least_present(rule, seats)


@given(seats=st.integers(1, 400), fraction=fractions)
def test_a_qualified_or_absolute_majority_in_words_is_the_least_number_that_adopts(seats, fraction):
    for rule in (
        {"threshold": "qualified", "fraction": fraction},
        {"threshold": "absolute_majority"},
    ):
        rule |= {"basis": "seats", "legal": str(seats), "quorum": "0", "quorum_strict": False}
        with translation.override("en"):
            assert _stated(presentation.threshold_words(rule)) == _least_for(rule, seats)


def test_weights_read_as_decimals_with_the_languages_separators():
    with translation.override("en"):
        assert presentation.amount(Fraction(4000, 3)) == "1,333.33"
        assert presentation.amount(Fraction(87)) == "87"
        assert presentation.exact(Fraction(4000, 3)) == "4000/3"
        assert presentation.is_inexact(Fraction(4000, 3))
        assert not presentation.is_inexact(Fraction(5, 2))
    with translation.override("es"):
        assert re.fullmatch(r"1.333,33", presentation.amount(Fraction(4000, 3)))
