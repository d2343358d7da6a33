"""Tie-breaks: each mode chooses as RCTab documents, and every draw says how it chose."""

from __future__ import annotations

import pytest

from asamblea.counting.tiebreak import (
    GENERATE_PERMUTATION,
    LOT,
    PREVIOUS_ROUND_COUNTS_THEN_ASK,
    PREVIOUS_ROUND_COUNTS_THEN_RANDOM,
    RANDOM,
    STOP_COUNTING_AND_ASK,
    USE_CANDIDATE_ORDER,
    TieBreaker,
    TieNeedsDecision,
    seed_to_long,
)


def test_candidate_order_eliminates_the_latest_and_elects_the_earliest() -> None:
    tb = TieBreaker(USE_CANDIDATE_ORDER, order=["A", "B", "C"])
    assert tb.choose(["A", "C"], selecting_winner=False).chosen == "C"
    assert tb.choose(["C", "A"], selecting_winner=True).chosen == "A"


def test_random_draws_from_the_sorted_tied_names_with_java_random() -> None:
    # new Random(1).nextDouble() = 0.7308781907032909: floor(0.73 * 3) = 2, the third name.
    draw = TieBreaker(RANDOM, seed=1).choose(["C", "A", "B"], selecting_winner=False)
    assert draw.chosen == "C"
    assert draw.tied == ["A", "B", "C"]
    assert draw.how == "random(seed=1)"
    assert draw.purpose == "elimination"


def test_the_same_seed_gives_the_same_draws() -> None:
    def draws(seed: int | str) -> list[str]:
        tb = TieBreaker(LOT, seed=seed)
        return [tb.choose(list("ABCDEFG"), selecting_winner=False).chosen for _ in range(20)]

    assert draws(7) == draws(7)
    assert draws("published before the count") == draws("published before the count")
    assert draws(7) != draws(8)


def test_text_seeds_become_java_longs() -> None:
    assert seed_to_long("42") == 42
    assert seed_to_long(" -3 ") == -3
    value = seed_to_long("asamblea 2026")
    assert -(1 << 63) <= value < (1 << 63)
    assert value == seed_to_long("asamblea 2026")


def test_generated_permutation_is_a_seeded_shuffle_of_the_sorted_candidates() -> None:
    tb = TieBreaker(GENERATE_PERMUTATION, seed=0, order=list("GFEDCBA"))
    # The configured order does not matter: the names are sorted before the shuffle.
    assert sorted(tb.order) == list("ABCDEFG")
    assert tb.order != list("ABCDEFG")
    again = TieBreaker(GENERATE_PERMUTATION, seed=0, order=list("ABCDEFG"))
    assert again.order == tb.order


def test_previous_round_counts_decide_before_any_random_draw() -> None:
    tb = TieBreaker(PREVIOUS_ROUND_COUNTS_THEN_RANDOM, seed=5)
    history = [{"A": 4, "B": 3, "C": 4}, {"A": 5, "B": 5, "C": 6}]
    draw = tb.choose(["A", "B"], selecting_winner=False, history=history)
    assert draw.chosen == "B"
    assert draw.how == "previous round counts (round 1)"
    winner = tb.choose(["A", "C"], selecting_winner=True, history=history)
    assert winner.chosen == "C"
    assert winner.how == "previous round counts (round 2)"


def test_previous_round_counts_fall_back_to_random_when_always_tied() -> None:
    tb = TieBreaker(PREVIOUS_ROUND_COUNTS_THEN_RANDOM, seed=5)
    draw = tb.choose(["A", "B"], selecting_winner=False, history=[{"A": 1, "B": 1}])
    assert draw.how.startswith("previous round counts, then random(seed=5)")


@pytest.mark.parametrize("mode", [STOP_COUNTING_AND_ASK, PREVIOUS_ROUND_COUNTS_THEN_ASK])
def test_modes_that_ask_an_operator_stop_the_count(mode: str) -> None:
    with pytest.raises(TieNeedsDecision):
        TieBreaker(mode).choose(["A", "B"], selecting_winner=False, history=[{"A": 1, "B": 1}])


def test_random_modes_refuse_to_run_without_a_seed() -> None:
    with pytest.raises(ValueError, match="needs a seed"):
        TieBreaker(RANDOM)
    with pytest.raises(ValueError, match="unknown tie-break mode"):
        TieBreaker("coin")
