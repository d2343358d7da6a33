"""Quorum and the default recall rules, with exact boundaries."""

import datetime as dt
from fractions import Fraction

import pytest

from asamblea.rules.quorum import (
    QuorumRule,
    body_quorum,
    meeting_quorum,
    weighted_body_quorum,
)
from asamblea.rules.recall import RecallRules


def test_body_quorum_needs_a_majority_of_seats_present():
    assert not body_quorum(65, 130).passed
    assert body_quorum(66, 130).passed


def test_weighted_body_quorum_counts_weight_not_heads():
    heavy = Fraction(3000, 7)
    assert weighted_body_quorum([heavy], [heavy, 20, 20]).passed
    assert not weighted_body_quorum([20, 20], [heavy, 20, 20]).passed


def test_meeting_quorum_default_is_at_least_a_third_of_the_roll():
    assert meeting_quorum(10, 30).passed
    assert not meeting_quorum(9, 30).passed


def test_quorum_rule_round_trips_through_settings():
    rule = QuorumRule(Fraction(2, 5), strict=False)
    assert QuorumRule.from_dict(rule.as_dict(), QuorumRule()) == rule


def test_recall_petition_needs_twenty_percent_of_the_roll():
    rules = RecallRules()
    assert rules.petition_reached(20, 100).passed
    assert not rules.petition_reached(19, 100).passed
    assert rules.signatures_needed(101) == 21


def test_recall_petition_window_is_thirty_days_by_default():
    opened = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    assert RecallRules().petition_deadline(opened) == dt.datetime(2023, 1, 31, tzinfo=dt.UTC)


def test_recall_passes_with_majority_and_a_third_turning_out():
    result = RecallRules().vote_result(yes=20, no=10, blank=3, spoilt=0, roll_size=99)
    assert result.passed
    assert result.as_dict()["rules"]["turnout_fraction"] == "1/3"


def test_recall_fails_when_turnout_below_quorum():
    result = RecallRules().vote_result(yes=30, no=1, blank=0, spoilt=0, roll_size=100)
    assert not result.passed
    assert result.majority.passed
    assert not result.turnout.passed


def test_recall_fails_on_a_tie_of_yes_and_no():
    assert not RecallRules().vote_result(20, 20, 0, 0, 60).passed


def test_recall_rules_are_read_from_organisation_settings():
    rules = RecallRules.from_settings({"recall": {"petition_fraction": "1/4", "petition_days": 14}})
    assert rules.petition_fraction == Fraction(1, 4)
    assert rules.petition_days == 14
    assert rules.turnout_fraction == Fraction(1, 3)
    assert not rules.petition_reached(24, 100).passed


def test_recall_settings_out_of_range_are_refused():
    with pytest.raises(ValueError):
        RecallRules.from_settings({"recall": {"petition_fraction": "3/2"}})
