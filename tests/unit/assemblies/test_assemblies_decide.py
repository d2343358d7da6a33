"""The pure decision and recount of divisions and instructions (no database)."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.record.encoding import entry_type
from asamblea.record.recount_assemblies import (
    ENTRY_EXAMPLES,
    RecountMismatch,
    decide,
    instruction_result,
    is_deviation,
    recount,
    tally,
)


def rule(threshold="majority_cast", legal="130", basis="seats", **extra):
    return {
        "threshold": threshold,
        "legal": legal,
        "basis": basis,
        "quorum": "1/2",
        "quorum_strict": True,
        **extra,
    }


def totals(yes, no, abstain=0):
    return {"for": Fraction(yes), "against": Fraction(no), "abstain": Fraction(abstain)}


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "fraction", "adopted"),
    [
        (55, 54, 19, "2/3", False),  # 28 Mar 2022
        (73, 32, 6, "2/5", True),  # 1 Dec 2022: 52 needed
        (101, 6, 10, "2/3", True),  # 7 Dec 2022
        (87, 0, 0, "2/3", True),
        (86, 0, 0, "2/3", False),
        (52, 0, 0, "2/5", True),
        (51, 0, 0, "2/5", False),
    ],
)
def test_qualified_majority_of_the_legal_number_of_130(yes, no, abstain, fraction, adopted):
    decision = decide(rule("qualified", fraction=fraction), totals(yes, no, abstain), Fraction(130))
    assert decision.is_quorate
    assert decision.is_adopted is adopted


def test_quorum_is_a_strict_majority_of_seats_by_default():
    assert decide(rule(legal="10"), totals(5, 0), Fraction(5)).is_quorate is False
    assert decide(rule(legal="10"), totals(6, 0), Fraction(6)).is_quorate is True
    lax = rule(legal="10", quorum="1/2", quorum_strict=False)
    assert decide(lax, totals(5, 0), Fraction(5)).is_quorate is True


def test_majority_of_votes_cast_ignores_abstentions_and_ties_fail():
    assert decide(rule(legal="10"), totals(3, 2, 5), Fraction(10)).is_adopted is True
    assert decide(rule(legal="10"), totals(3, 3, 4), Fraction(10)).is_adopted is False


def test_absolute_majority_counts_all_seats():
    assert (
        decide(rule("absolute_majority", legal="10"), totals(5, 0), Fraction(10)).is_adopted
        is False
    )
    assert (
        decide(rule("absolute_majority", legal="10"), totals(6, 4), Fraction(10)).is_adopted is True
    )


def test_quorum_threshold_needs_a_quorum_voting_not_only_present():
    r = rule("quorum", legal="10")
    assert decide(r, totals(4, 1, 0), Fraction(10)).is_adopted is False  # 5 voting of 10
    assert decide(r, totals(4, 1, 1), Fraction(10)).is_adopted is True


def test_weighted_amounts_compare_exactly():
    r = rule("absolute_majority", legal="100", basis="weight")
    just_half = totals(Fraction(50), Fraction(0))
    assert decide(r, just_half, Fraction(100)).is_adopted is False
    assert decide(
        r, totals(Fraction(100, 3) + Fraction(50, 3) + Fraction(1, 10**9), 0), Fraction(100)
    ).is_adopted


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["for", "against", "abstain"]),
            st.integers(1, 10**6),
            st.integers(1, 500),
        ),
        max_size=60,
    )
)
def test_tally_conserves_the_weight_of_every_vote(votes):
    recorded = [{"choice": c, "weight": str(Fraction(n, d))} for c, n, d in votes]
    result = tally(recorded)
    assert sum(result.values()) == sum((Fraction(n, d) for _, n, d in votes), Fraction(0))


def test_instruction_is_the_option_with_most_ballots_and_a_tie_leaves_free():
    assert instruction_result({"for": 3, "against": 1}) == "for"
    assert instruction_result({"for": 2, "against": 2, "abstain": 1}) == "free"
    assert instruction_result({}) == "free"
    assert instruction_result({"free": 5, "for": 4}) == "free"


def test_a_free_or_missing_instruction_is_never_deviated_from():
    assert not is_deviation(None, "for")
    assert not is_deviation("free", "against")
    assert is_deviation("against", "abstain")
    assert not is_deviation("for", "for")


def test_the_example_entries_recount_cleanly_and_a_forgery_is_caught():
    for name in ("assembly_division_result", "assembly_instruction_result", "assembly_deviation"):
        recount({"type": name, "v": 1, "index": 0, **ENTRY_EXAMPLES[name]}, [])
    bad = copy.deepcopy(
        {"type": "assembly_division_result", **ENTRY_EXAMPLES["assembly_division_result"]}
    )
    bad["votes"][0]["weight"] = "1300/4"
    with pytest.raises(RecountMismatch, match="totals"):
        recount(bad, [])
    bound = copy.deepcopy({"type": "assembly_deviation", **ENTRY_EXAMPLES["assembly_deviation"]})
    bound["mode"] = "bound"
    with pytest.raises(RecountMismatch, match="bound"):
        recount(bound, [])
    inflated = copy.deepcopy(
        {"type": "assembly_instruction_result", **ENTRY_EXAMPLES["assembly_instruction_result"]}
    )
    inflated["counts"]["for"] = 2000
    with pytest.raises(RecountMismatch, match="more ballots"):
        recount(inflated, [])


def test_a_division_whose_rule_or_instructions_differ_from_what_was_published_is_caught():
    def entry(name, index):
        return {"type": name, "v": 1, "index": index, **copy.deepcopy(ENTRY_EXAMPLES[name])}

    opened = entry("assembly_division_opened", 0)
    instruction = entry("assembly_instruction_result", 1)
    result = entry("assembly_division_result", 2)
    recount(result, [opened, instruction, result])
    opened["rule"]["fraction"] = "1/2"
    with pytest.raises(RecountMismatch, match="rule"):
        recount(result, [opened, instruction, result])
    opened = entry("assembly_division_opened", 0)
    # The vote says it was instructed "for"; its unit published "against".
    instruction["result"] = "against"
    instruction["counts"] = {"for": 1, "against": 5, "abstain": 0, "free": 0}
    with pytest.raises(RecountMismatch, match="instructed"):
        recount(result, [opened, instruction, result])
    # An instruction published after the division does not count for it.
    late = entry("assembly_instruction_result", 3)
    with pytest.raises(RecountMismatch, match="instructed"):
        recount(result, [opened, entry("assembly_motion", 1), result, late])


def v2_division_log():
    """The v2 examples as one consistent log: a committee of three seats of one unit (400 each)
    opens, all three sit, the unit instructs "for", seat 41 votes and the division closes."""

    def example(name, version, index, **changes):
        payload = copy.deepcopy(dict(entry_type(name, version).example))
        return {"type": name, "v": version, "index": index, **payload, **changes}

    log = [example("assembly_session_opened", 1, 0)]
    for seat in (41, 42, 43):
        log.append(example("assembly_attendance", 1, len(log), seat_id=seat))
    log.append(example("assembly_instruction_result", 1, len(log)))
    log.append(example("assembly_division_opened", 2, len(log)))
    log.append(example("assembly_votes_cast", 1, len(log)))
    log.append(example("assembly_division_result", 2, len(log)))
    return log


def test_the_v2_examples_recount_cleanly_with_every_number_in_the_num_den_form():
    log = v2_division_log()
    result = log[-1]
    assert (result["present"], result["totals"]["against"]) == ("1200/1", "0/1")
    recount(result, log)


def test_a_v2_result_overstating_attendance_is_caught():
    log = v2_division_log()
    result = log[-1]
    result["present"] = "1600/1"
    with pytest.raises(RecountMismatch, match="1600/1 recorded present"):
        recount(result, log)


@pytest.mark.parametrize(
    ("where", "spelling"),
    [
        ("present", "1200"),  # the v1 spelling of the same value
        ("totals", "400"),
        ("vote", "400"),
        ("cast", "400"),
        ("legal", "2400/2"),  # not in lowest terms
    ],
)
def test_a_v2_division_with_a_number_in_another_spelling_is_a_mismatch(where, spelling):
    log = v2_division_log()
    opened, cast, result = log[-3], log[-2], log[-1]
    if where == "present":
        result["present"] = spelling
    elif where == "totals":
        result["totals"]["for"] = spelling
    elif where == "vote":
        result["votes"][0]["weight"] = spelling
    elif where == "cast":
        cast["votes"][0]["weight"] = spelling
    else:
        opened["rule"]["legal"] = result["rule"]["legal"] = spelling
    with pytest.raises(RecountMismatch, match=f"'{spelling}' is not in the v2 exact-number form"):
        recount(result, log)


def test_the_v2_forms_are_values_not_text_for_the_decision():
    # The same rule in v1 and v2 spelling decides the same way (the comparison stays exact).
    v1 = rule("qualified", legal="130", fraction="2/3")
    v2 = {**v1, "legal": Fraction(130), "fraction": Fraction(2, 3), "quorum": Fraction(1, 2)}
    for yes in (86, 87):
        assert decide(v1, totals(yes, 0), Fraction(130)) == decide(
            v2, totals(yes, 0), Fraction(130)
        )
