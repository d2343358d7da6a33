"""The election's state machine as a pure rule (asamblea.rules.lifecycle)."""

from __future__ import annotations

import pytest

from asamblea.rules import lifecycle

METHODS = {"plurality", "irv"}


def _issues(state, to_state, *, kind="delegates", standing=2, method="plurality", certs=0):
    return lifecycle.blocking_issues(
        state=state,
        to_state=to_state,
        kind=kind,
        standing=standing,
        method=method,
        methods=METHODS,
        certifications=certs,
    )


@pytest.mark.parametrize(
    ("state", "to_state"),
    [
        ("draft", "nominations"),
        ("nominations", "open"),
        ("open", "closed"),
        ("closed", "counted"),
    ],
)
def test_each_step_in_order_has_no_blocking_issue(state, to_state):
    assert _issues(state, to_state) == []


def test_a_step_out_of_order_says_which_state_it_needs():
    assert _issues("draft", "closed") == ["the election is draft, not open"]


def test_a_recall_vote_opens_from_its_draft_without_candidates():
    assert _issues("draft", "open", kind="recall", standing=0, method="yesno") == []
    assert _issues("draft", "open") == ["the election is draft, not nominations"]


def test_an_election_with_no_candidate_or_an_unknown_method_may_not_open():
    assert _issues("nominations", "open", standing=0, method="dice") == [
        "no candidate is standing",
        "the counting method 'dice' is not available",
    ]


def test_certifying_needs_two_different_officers():
    assert _issues("counted", "certified", certs=1) == [
        "two different election officers must certify"
    ]
    assert _issues("counted", "certified", certs=2) == []


def test_the_next_state_follows_the_order_and_the_last_stays():
    assert lifecycle.next_state("draft") == "nominations"
    assert lifecycle.next_state("certified") == "certified"
