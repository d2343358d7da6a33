"""``rules.weights.total_weight`` sums in integers over a common denominator (issue 15: a
division page of a 1,000-unit assembly); it must equal the plain sum of fractions, always."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from asamblea.rules.weights import total_weight

weights = st.dictionaries(
    st.integers(0, 50),
    st.fractions(min_value=0, max_value=10_000, max_denominator=400),
    max_size=40,
)
counts = st.dictionaries(st.integers(0, 60), st.integers(0, 500), max_size=40)


@given(weights, counts)
def test_total_weight_equals_the_sum_of_fractions(w, c):  # type: ignore[no-untyped-def]
    expected = sum((w.get(u, Fraction(0)) * n for u, n in c.items()), Fraction(0))
    got = total_weight(w, c)
    assert got == expected
    assert isinstance(got, Fraction)


def test_units_without_a_weight_count_nothing_and_nothing_sums_to_zero():
    assert total_weight({1: Fraction(100, 3)}, {1: 3, 2: 7}) == Fraction(100)
    assert total_weight({}, {}) == 0
