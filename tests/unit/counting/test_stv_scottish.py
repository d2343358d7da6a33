"""Scottish STV (SSI 2007/42 rules 45-52) on small profiles worked by hand."""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.stv_scottish import count, truncated_transfer_value


def profile(cands: str, *ballots: tuple[str, int], withdrawn: str = "") -> Profile:
    return Profile(
        candidates=list(cands),
        ballots=[RankedBallot.of(*r, count=n) for r, n in ballots],
        withdrawn=list(withdrawn),
    )


def test_transfer_value_is_truncated_to_five_places() -> None:
    assert truncated_transfer_value(Fraction(1), Fraction(3), Fraction(7)) == Fraction(42857, 10**5)
    assert truncated_transfer_value(Fraction(1, 2), Fraction(1), Fraction(3)) == Fraction(
        16666, 10**5
    )


def test_surplus_truncation_loss_is_reported_and_counted_as_non_transferable() -> None:
    # Quota floor(10/3)+1 = 4; A's surplus 3 moves at 3/7 = 0.42857 per paper: B gets 2.99999.
    p = profile("ABC", ("AB", 7), ("B", 1), ("C", 2))
    out = count(p, seats=2).to_json()
    assert out["quota"] == "4.00000"
    stage2 = out["rounds"][1]
    assert stage2["action"] == "surplus of A"
    assert stage2["tally"] == {"A": "4.00000", "B": "3.99999", "C": "2.00000"}
    assert stage2["inactive"] == {"non_transferable": "0.00000", "rounding": "0.00001"}
    assert stage2["exhausted"] == "0.00001"
    # B is short of the quota by the truncation: C is excluded and rule 52 elects B.
    assert stage2["eliminated"] == ["C"]
    assert out["winners"] == ["A", "B"]
    assert out["rounds"][2]["elected"] == ["B"]


def test_equal_lowest_candidates_are_separated_by_an_earlier_stage() -> None:
    # Quota floor(23/3)+1 = 8. After A's surplus B and C both have 4; at stage 1 B had 3, C had 4.
    p = profile("ABCD", ("AB", 5), ("A", 5), ("BC", 3), ("C", 4), ("D", 6))
    result = count(p, seats=2)
    stage2 = result.rounds[1]
    assert stage2.tally["B"] == stage2.tally["C"] == 4
    assert stage2.eliminated == ["B"]
    assert [(d.tied, d.chosen, d.how) for d in stage2.draws] == [
        (["B", "C"], "B", "totals at stage 1")
    ]
    assert result.winners == ["A", "C"]


def test_candidates_equal_at_every_stage_are_separated_by_lot_from_the_seed() -> None:
    p = profile("ABC", ("AC", 3), ("B", 3), ("C", 4))
    chosen = set()
    for seed in range(20):
        first = count(p, seats=1, seed=seed)
        again = count(p, seats=1, seed=seed)
        assert first.to_json() == again.to_json()
        assert first.seed == seed
        (draw,) = first.rounds[0].draws
        assert draw.tied == ["A", "B"]
        assert draw.how == f"lot: random.Random('{seed}'), ballot-paper order"
        assert first.rounds[0].eliminated == [draw.chosen]
        chosen.add(draw.chosen)
    assert chosen == {"A", "B"}


def test_without_a_seed_the_lot_takes_ballot_paper_order_and_says_so() -> None:
    p = profile("ABC", ("AC", 3), ("B", 3), ("C", 4))
    (draw,) = count(p, seats=1).rounds[0].draws
    assert draw.chosen == "A"
    assert "no seed given" in draw.how


def test_largest_surplus_is_transferred_first() -> None:
    # Quota floor(30/4)+1 = 8: A 9 (surplus 1), B 10 (surplus 2, moving at 0.2 a paper).
    p = profile("ABCD", ("AC", 9), ("BD", 10), ("C", 5), ("D", 6))
    rounds = count(p, seats=3).rounds
    assert rounds[0].elected == ["B", "A"]
    assert rounds[1].action == "surplus of B"
    assert rounds[1].tally["D"] == 8
    assert rounds[1].elected == ["D"]


def test_last_vacancies_are_filled_without_transferring_a_surplus() -> None:
    p = profile("AB", ("A", 10), ("B", 1))
    result = count(p, seats=2)
    assert len(result.rounds) == 1
    assert result.rounds[0].elected == ["A", "B"]
    assert result.rounds[0].extra["filled_last_vacancies"] is True


def test_an_excluded_candidates_papers_move_at_their_current_value() -> None:
    # Quota floor(13/3)+1 = 5. A's surplus (1 of 6) moves at 1/6 = 0.16666 to B.
    # Then B (1.99996) is excluded and its papers reach C at that value, the rest exhaust.
    p = profile("ABCD", ("ABC", 6), ("BC", 1), ("C", 3), ("D", 3))
    rounds = count(p, seats=2).to_json()["rounds"]
    assert rounds[1]["tally"]["B"] == "1.99996"
    assert rounds[1]["eliminated"] == ["B"]
    assert rounds[2]["action"] == "exclusion of B"
    assert rounds[2]["tally"] == {"A": "5.00000", "B": "0.00000", "C": "4.99996", "D": "3.00000"}


def test_withdrawn_candidates_and_unusable_papers_are_not_counted() -> None:
    # The A=B paper has no single first preference; W is withdrawn so its paper counts for B.
    p = profile("ABW", ("WB", 2), ("A", 3), withdrawn="W")
    p.ballots.append(RankedBallot.of(["A", "B"], count=4))
    result = count(p, seats=1)
    assert result.rules["valid_poll"] == "5"
    assert result.rounds[0].tally == {"A": 3, "B": 2}
    assert result.winners == ["A"]


def test_the_round_table_lists_every_stage() -> None:
    p = profile("ABC", ("AB", 7), ("B", 1), ("C", 2))
    table = count(p, seats=2).table()
    assert "round 3" in table
    assert "3.99999" in table
    assert table.endswith("winners: A, B")
