"""Reading RCTab rule files into count options."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from asamblea.counting import irv
from asamblea.counting.rctab import RulesError, load_rules, rules_from_dict

RCTAB = Path(__file__).resolve().parents[2] / "conformance" / "rctab"


def test_every_option_is_read_from_rctab_fields() -> None:
    rules = load_rules(RCTAB / "2013_minneapolis_park" / "rules.json")
    o = rules.options
    assert (o.seats, o.mode, o.overvote_rule) == (3, irv.STV_FRACTIONAL, irv.ALWAYS_SKIP)
    assert (o.max_skipped_ranks, o.max_rankings, o.places) == (2, 3, 4)
    assert (o.tiebreak_mode, o.seed) == ("random", 0)
    assert o.undeclared_write_in == irv.UNDECLARED_WRITE_IN
    assert rules.title == "2013 Minneapolis Park Board"
    assert len(rules.candidates) == 10


def test_percentage_threshold_and_excluded_candidates() -> None:
    pct = load_rules(RCTAB / "multi_seat_bottoms_up_with_dynamic_threshold" / "rules.json")
    assert pct.options.bottoms_up_percentage == Fraction(15, 100)
    assert pct.options.seats == 0
    excluded = load_rules(RCTAB / "excluded_test" / "rules.json")
    assert len(excluded.options.excluded) == 3


def _base() -> dict[str, object]:
    return json.loads((RCTAB / "tiebreak_seed_test" / "rules.json").read_text())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("winnerElectionMode", "borda", "winnerElectionMode: unknown"),
        ("overvoteRule", "ignore", "overvoteRule: unknown"),
        ("tiebreakMode", "coin", "tiebreakMode: unknown"),
        ("numberOfWinners", "x", "numberOfWinners: not an integer"),
        ("numberOfWinners", "0", "numberOfWinners: must be at least 1"),
    ],
)
def test_bad_rule_fields_are_named(field: str, value: str, message: str) -> None:
    data = _base()
    data["rctab_rules"][field] = value  # type: ignore[index]
    with pytest.raises(RulesError, match=message):
        rules_from_dict(data)


def test_missing_rctab_rules_is_refused() -> None:
    with pytest.raises(RulesError, match="rctab_rules: missing"):
        rules_from_dict({"summary": {}})
