"""The Schulze method."""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import OVERVOTE_LABEL, Profile, RankedBallot
from asamblea.counting.schulze import count, pairwise, strongest_paths

# The 45-voter example of Schulze (2011), section 3.1: the winner is E, the order E A C B D.
SCHULZE_EXAMPLE = [
    ("ACBED", 5),
    ("ADECB", 5),
    ("BEDAC", 8),
    ("CABED", 3),
    ("CAEBD", 7),
    ("CBADE", 2),
    ("DCEBA", 7),
    ("EBADC", 8),
]


def example() -> Profile:
    return Profile(list("ABCDE"), [RankedBallot.of(*r, count=n) for r, n in SCHULZE_EXAMPLE])


def test_the_published_example_elects_e_and_orders_e_a_c_b_d() -> None:
    result = count(example(), seats=1)
    assert result.winners == ["E"]
    assert result.rounds[0].extra["ranking"] == list("EACBD")
    assert result.rounds[0].draws == []


def test_the_published_example_has_the_published_strongest_paths() -> None:
    cands, d = pairwise(example())
    assert d["A"]["B"] == 20 and d["B"]["A"] == 25
    assert d["E"]["D"] == 31 and d["D"]["E"] == 14
    p = strongest_paths(cands, d)
    assert [p["A"][x] for x in "BCDE"] == [28, 28, 30, 24]
    assert [p["E"][x] for x in "ABCD"] == [25, 28, 28, 31]
    explained = count(example(), seats=1).to_json()["rounds"][0]
    assert explained["strongest_paths"]["E"]["A"] == "25"
    assert explained["pairwise"]["A"]["B"] == "20"


def test_several_seats_take_the_ranking_order() -> None:
    assert count(example(), seats=3).winners == ["E", "A", "C"]


def test_unranked_candidates_are_below_ranked_ones_and_equal_ranks_are_equal() -> None:
    p = Profile(list("ABC"), [RankedBallot.of(["A", "B"], count=2), RankedBallot.of("C")])
    _, d = pairwise(p)
    assert d["A"]["B"] == 0 and d["B"]["A"] == 0
    assert d["A"]["C"] == 2 and d["C"]["A"] == 1


def test_a_perfect_tie_is_decided_by_lot_from_the_seed() -> None:
    p = Profile(list("AB"), [RankedBallot.of("A", "B"), RankedBallot.of("B", "A")])
    chosen = set()
    for seed in range(16):
        result = count(p, seats=1, seed=seed)
        assert result.to_json() == count(p, seats=1, seed=seed).to_json()
        (draw,) = result.rounds[0].draws
        assert draw.tied == ["A", "B"]
        assert result.winners == [draw.chosen]
        assert result.seed == seed
        chosen.add(draw.chosen)
    assert chosen == {"A", "B"}


def test_weighted_ballots_and_withdrawn_candidates() -> None:
    p = Profile(
        list("ABW"),
        [
            RankedBallot.of("W", "A", count=Fraction(3, 2)),
            RankedBallot.of("B", "A", count=1),
            RankedBallot.of("A", OVERVOTE_LABEL, "B", count=Fraction(1, 4)),
        ],
        withdrawn=["W"],
    )
    result = count(p, seats=1)
    assert result.candidates == ["A", "B"]
    assert result.winners == ["A"]
    assert result.rounds[0].extra["pairwise"]["A"]["B"] == "7/4"
