"""The pure ballot rules and recount of elections (no database)."""

from __future__ import annotations

import copy
import json

import pytest

from asamblea.record import recount_elections as rc

KEYS = ["ana", "beto", "cira"]


@pytest.mark.parametrize(
    ("method", "selection", "expected"),
    [
        ("yesno", {"vote": "no"}, '{"vote":"no"}'),
        ("plurality", {"choice": "beto"}, '{"choice":"beto"}'),
        ("plurality", {"choice": []}, '{"choice":null}'),
        ("approval", {"approve": ["cira", "ana"]}, '{"approve":["ana","cira"]}'),
        ("irv", {"ranking": ["cira", "ana"]}, '{"ranking":["cira","ana"]}'),
    ],
)
def test_a_valid_selection_becomes_its_canonical_ballot(method, selection, expected):
    assert rc.canonical_ballot(method, selection, KEYS, {}) == expected


@pytest.mark.parametrize(
    ("method", "selection", "rules", "message"),
    [
        ("yesno", {"vote": "maybe"}, {}, "yes, no or abstain"),
        ("plurality", {"choice": "zoe"}, {}, "unknown candidate"),
        ("plurality", {"choice": ["ana", "beto"]}, {}, "too many choices"),
        ("approval", {"approve": ["ana", "beto"]}, {"max_choices": 1}, "too many choices"),
        ("approval", {"approve": ["ana", "ana"]}, {}, "twice"),
        ("irv", {"ranking": ["ana", "zoe"]}, {}, "unknown candidate"),
        ("irv", {"ranking": ["ana", "beto"]}, {"max_rankings": 1}, "too many choices"),
        ("irv", {"ranking": "ana"}, {}, "must be a list"),
    ],
)
def test_a_bad_selection_is_refused_with_a_reason(method, selection, rules, message):
    with pytest.raises(rc.BallotError, match=message):
        rc.canonical_ballot(method, selection, KEYS, rules)


def test_a_recall_passes_with_a_majority_of_valid_votes_and_a_third_of_the_roll():
    ballots = [{"vote": "yes"}] * 3 + [{"vote": "no"}] * 2 + [{"vote": "abstain"}] * 2
    result = rc.count("yesno", [], ballots, seats=1, seed="s", rules={}, roll_size=21)
    assert result["passed"] is True and result["tally"] == {"yes": 3, "no": 2, "abstain": 2}
    short = rc.count("yesno", [], ballots, seats=1, seed="s", rules={}, roll_size=22)
    assert short["passed"] is False  # 7 × 3 < 22: turnout below a third


def test_a_recall_fails_on_a_tie_of_yes_and_no():
    ballots = [{"vote": "yes"}, {"vote": "no"}]
    assert (
        rc.count("yesno", [], ballots, seats=1, seed="s", rules={}, roll_size=3)["passed"] is False
    )


def _record(ballots, seed="seed-1"):
    opened = {
        "type": "election_opened",
        "election": 7,
        "method": "plurality",
        "seats": 1,
        "rules": {},
        "candidates": [{"key": k, "name": k.title()} for k in KEYS],
        "roll": {"size": 10, "commitment": "00" * 32},
        "seed_commitment": rc.seed_commitment(seed),
    }
    closed = {
        "type": "election_closed",
        "election": 7,
        "voters": len(ballots),
        "tracking_codes": [f"CODE{i:08d}" for i in range(len(ballots))],
        "ballots": ballots,
    }
    result = rc.count("plurality", KEYS, ballots, seats=1, seed=seed, rules={}, roll_size=10)
    counted = {
        "type": "election_counted",
        "election": 7,
        "method": "plurality",
        "seats": 1,
        "rules": {},
        "seed": seed,
        "result": result,
    }
    return [opened, closed, counted]


BALLOTS = [{"choice": "ana"}] * 3 + [{"choice": "beto"}] * 2 + [{"choice": None}]


def test_a_plurality_count_recounts_from_the_record_alone():
    entries = _record(BALLOTS)
    assert entries[2]["result"]["winners"] == ["ana"]
    assert entries[2]["result"]["alternates"][0] == "beto"
    rc.recount(entries[2], entries)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e[1]["ballots"].__setitem__(0, {"choice": "beto"}),
        lambda e: e[1]["ballots"].append({"choice": "ana"}),
        lambda e: e[1]["ballots"].__setitem__(0, {"choice": "zoe"}),
        lambda e: e[2].__setitem__("seed", "another-seed"),
        lambda e: e[2]["result"].__setitem__("winners", ["beto"]),
    ],
)
def test_the_recount_fails_when_the_record_was_tampered_with(tamper):
    entries = copy.deepcopy(_record(BALLOTS))
    tamper(entries)
    with pytest.raises(Exception) as exc:
        rc.recount(entries[2], entries)
    assert type(exc.value).__name__ in ("RecountMismatch", "RecountMismatchError")


def test_the_registered_entry_formats_have_examples_for_their_golden_files():
    from asamblea.record.encoding import entry_type

    for name in ("election_opened", "election_closed", "election_counted", "recall_certified"):
        known = entry_type(name, 1)
        assert known is not None and known.example is not None
        assert json.loads(json.dumps(dict(known.example))) == dict(known.example)
