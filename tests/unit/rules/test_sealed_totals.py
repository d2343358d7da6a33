"""Counting a sealed vote from its decrypted totals gives exactly the result of counting the same
ballots in the clear (the only thing the totals lose is approval's number of blank ballots)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.rules import ballots as counting

KEYS = ["aaaa", "bbbb", "cccc", "dddd"]


def _totals(method: str, contents: list[str]) -> list[int]:
    vectors = [counting.selection_vector(c, method, KEYS) for c in contents]
    width = len(counting.sealed_answers(method, KEYS))
    return [sum(v[i] for v in vectors) for i in range(width)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["yes", "no", "abstain"]), max_size=30), st.integers(1, 60))
def test_yes_no_from_totals_is_the_plain_count(votes: list[str], roll: int) -> None:
    ballots = [{"vote": v} for v in votes]
    contents = [counting.canonical_ballot("yesno", b, [], {}) for b in ballots]
    plain = counting.count("yesno", [], ballots, seats=1, seed="s", rules={}, roll_size=roll)
    sealed = counting.count_totals(
        "yesno",
        [],
        _totals("yesno", contents),
        len(ballots),
        seats=1,
        seed="s",
        rules={},
        roll_size=roll,
    )
    assert sealed == plain


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*KEYS, None]), max_size=30), st.integers(1, 2))
def test_plurality_from_totals_is_the_plain_count(choices: list[str | None], seats: int) -> None:
    ballots = [{"choice": c} for c in choices]
    contents = [counting.canonical_ballot("plurality", b, KEYS, {}) for b in ballots]
    kwargs = {"seats": seats, "seed": "lot", "rules": {}, "roll_size": 99}
    plain = counting.count("plurality", KEYS, ballots, **kwargs)
    sealed = counting.count_totals(
        "plurality", KEYS, _totals("plurality", contents), len(ballots), **kwargs
    )
    assert sealed == plain


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.sampled_from(KEYS), max_size=2), max_size=25))
def test_approval_from_totals_is_the_plain_count_but_for_blanks(marks: list[set[str]]) -> None:
    ballots = [{"approve": sorted(m)} for m in marks]
    rules = {"max_choices": 2}
    contents = [counting.canonical_ballot("approval", b, KEYS, rules) for b in ballots]
    kwargs = {"seats": 1, "seed": "lot", "rules": rules, "roll_size": 99}
    plain = counting.count("approval", KEYS, ballots, **kwargs)
    sealed = counting.count_totals(
        "approval", KEYS, _totals("approval", contents), len(ballots), **kwargs
    )
    assert sealed.pop("blank") is None
    plain.pop("blank")
    assert sealed == plain


def test_totals_that_cannot_come_from_the_ballots_are_refused() -> None:
    with pytest.raises(ValueError, match="more answers than ballots"):
        counting.count_totals("yesno", [], [3, 2], 4, seats=1, seed="s", rules={}, roll_size=9)
    with pytest.raises(ValueError, match="one non-negative total per answer"):
        counting.count_totals(
            "plurality", KEYS, [1, 2], 4, seats=1, seed="s", rules={}, roll_size=9
        )


def test_the_sealed_question_follows_the_method() -> None:
    q = counting.sealed_question("approval", KEYS, {"max_choices": 9})
    assert (q.choices, q.min_selected, q.max_selected) == (4, 0, 4)
    assert counting.sealed_question("instruction", [], {}).allowed_totals() == (1,)
    with pytest.raises(ValueError):
        counting.sealed_question("irv", KEYS, {})
