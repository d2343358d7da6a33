"""Thresholds compare exactly; the Peru Congress votes of 2022 are the reference cases."""

from fractions import Fraction

import pytest

from asamblea.rules import thresholds as t

LEGAL_NUMBER = 130  # Peru's unicameral Congress


def test_removal_with_55_for_54_against_19_abstaining_fails_the_87_of_130_rule():
    result = t.qualified_majority(55, LEGAL_NUMBER, Fraction(2, 3))
    assert not result.passed
    assert result.data["needed"] == 87
    # More for than against, which a simple majority of votes cast would have passed.
    assert t.majority_of_valid(55, 54).passed


def test_removal_with_101_for_6_against_10_abstaining_passes_the_87_of_130_rule():
    result = t.qualified_majority(101, LEGAL_NUMBER, "2/3")
    assert result.passed
    assert result.rule == "qualified_majority_of_legal_number"
    assert result.data == {"for": 101, "legal_number": 130, "fraction": "2/3", "needed": 87}


def test_admission_with_73_for_reaches_40_percent_of_130():
    result = t.fraction_of_roll(73, LEGAL_NUMBER, Fraction(2, 5), what="for")
    assert result.passed
    assert result.data["needed"] == 52


def test_two_thirds_of_130_needs_87_not_86():
    assert not t.qualified_majority(86, 130).passed
    assert t.qualified_majority(87, 130).passed


def test_majority_of_valid_ignores_blank_and_spoilt_ballots():
    assert t.majority_of_valid(10, 9, blank=50, spoilt=50).passed
    assert not t.majority_of_valid(10, 10, blank=1).passed


def test_absolute_majority_needs_more_than_half_of_all_seats():
    assert not t.absolute_majority(65, 130).passed
    assert t.absolute_majority(66, 130).passed
    assert t.absolute_majority(66, 130).rule == "absolute_majority_of_seats"
    assert t.absolute_majority(51, 101, of_what="roll").passed


def test_twenty_percent_of_the_roll_is_compared_exactly_at_the_boundary():
    assert t.fraction_of_roll(20, 100, Fraction(1, 5)).passed
    assert not t.fraction_of_roll(19, 100, Fraction(1, 5)).passed
    # 20% of 101 is 20.2: 21 signatures are needed, 20 are not enough.
    assert not t.fraction_of_roll(20, 101, Fraction(1, 5)).passed
    assert t.fraction_of_roll(21, 101, "1/5").data["needed"] == 21


def test_turnout_of_a_third_is_met_at_exactly_a_third():
    assert t.turnout_quorum(33, 99).passed
    assert not t.turnout_quorum(32, 99).passed
    assert not t.turnout_quorum(33, 100).passed


def test_weighted_majority_sums_fraction_weights_exactly():
    third = Fraction(1, 3)
    # Three weights of 1/3 sum to exactly 1: a float sum would give 0.9999999999999999.
    assert not t.weighted_majority_of_valid([third, third, third], [1]).passed
    assert t.weighted_majority_of_valid([third] * 4, [1]).passed


def test_weighted_qualified_majority_compares_against_the_whole_weight():
    weights_for = [Fraction(250, 3)] * 2  # two seats of a unit of 250 members with 3 seats
    all_weights = [Fraction(250, 3)] * 3
    result = t.weighted_qualified_majority(weights_for, all_weights)
    assert result.passed
    assert result.data["for"] == "500/3"
    assert result.data["needed"] == "500/3"
    assert not t.weighted_qualified_majority(weights_for[:1], all_weights).passed


def test_weighted_absolute_majority_of_weight():
    assert t.weighted_absolute_majority([Fraction(3, 2)], [Fraction(3, 2), 1]).passed
    assert not t.weighted_absolute_majority([1], [Fraction(3, 2), 1]).passed


def test_floats_are_refused():
    with pytest.raises(TypeError):
        t.majority_of_valid(0.5, 0)  # type: ignore[arg-type]


def test_result_carries_the_rule_as_text_and_data():
    result = t.qualified_majority(55, 130)
    as_dict = result.as_dict()
    assert as_dict["passed"] is False
    assert "87 needed" in result.text
    assert as_dict["fraction"] == "2/3"
