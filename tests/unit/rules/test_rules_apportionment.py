"""Seat apportionment: hand-checked examples and properties."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.rules.apportionment import (
    Share,
    apportion,
    largest_remainder,
    per_n_seats,
)


def test_per_n_gives_one_seat_per_n_rounded_down():
    assert per_n_seats(2999, 500) == 5
    assert per_n_seats(3000, 500) == 6


def test_per_n_gives_the_minimum_to_small_units():
    assert per_n_seats(20, 500) == 1
    assert per_n_seats(20, 500, minimum_seats=2) == 2
    assert per_n_seats(0, 500, minimum_seats=0) == 0


def test_largest_remainder_hand_checked_example():
    # Populations 5200, 3100, 1700 over 10 seats: quotas 5.2, 3.1, 1.7.
    # Whole parts 5+3+1 = 9; the one seat left goes to the largest remainder (0.7: c).
    result = largest_remainder({"a": 5200, "b": 3100, "c": 1700}, 10, seed="s")
    assert result.seats == {"a": 5, "b": 3, "c": 2}
    assert result.quotas["a"] == Fraction(26, 5)
    assert result.ties == []


def test_largest_remainder_hand_checked_example_with_two_seats_left():
    # 47, 16, 15, 14, 8 of 100 over 10 seats: quotas 4.7, 1.6, 1.5, 1.4, 0.8.
    # Whole parts 4+1+1+1+0 = 7; three left go to .8 (e), .7 (a), .6 (b).
    populations = {"a": 47, "b": 16, "c": 15, "d": 14, "e": 8}
    result = largest_remainder(populations, 10, seed="s")
    assert result.seats == {"a": 5, "b": 2, "c": 1, "d": 1, "e": 1}


def test_largest_remainder_breaks_a_tie_by_lot_from_the_seed_and_records_it():
    # Three equal units over 4 seats: one seat each, then one seat for three tied remainders.
    populations = {"x": 100, "y": 100, "z": 100}
    result = largest_remainder(populations, 4, seed="published-seed")
    assert result.total_seats == 4
    assert len(result.ties) == 1
    tie = result.ties[0]
    assert tie.tied == ["x", "y", "z"]
    assert tie.seats == 1
    assert len(tie.chosen) == 1
    assert result.seats[tie.chosen[0]] == 2
    assert result.as_dict()["seed"] == "published-seed"
    # Same seed, same draw; the draw depends on the seed.
    again = largest_remainder(populations, 4, seed="published-seed")
    assert again.seats == result.seats
    winners = {
        largest_remainder(populations, 4, seed=f"seed-{i}").ties[0].chosen[0] for i in range(30)
    }
    assert winners == {"x", "y", "z"}


def test_largest_remainder_gives_a_minimum_and_divides_the_rest_again():
    # Without a minimum: 950/50 over 10 -> 9.5 and 0.5, tie broken by lot. With a minimum of 1
    # each, "small" is fixed at 1 and "big" gets the other 9.
    result = largest_remainder(
        {"big": 950, "small": 50}, 10, seed="s", minimums={"big": 1, "small": 1}
    )
    assert result.seats == {"big": 9, "small": 1}
    assert result.ties == []


def test_largest_remainder_refuses_minimums_above_the_house_size():
    with pytest.raises(ValueError):
        largest_remainder({"a": 1, "b": 1}, 1, seed="s", minimums={"a": 1, "b": 1})


def test_fixed_rule_gives_each_sender_its_fixed_seats():
    result = apportion("fixed", {"a": Share(10, fixed_seats=3), "b": Share(5000, fixed_seats=3)})
    assert result.seats == {"a": 3, "b": 3}


def test_apportion_dispatches_by_rule_name():
    shares = {"a": Share(1000, members_per_seat=300), "b": Share(20, members_per_seat=300)}
    assert apportion("per_n", shares).seats == {"a": 3, "b": 1}
    with pytest.raises(ValueError):
        apportion("largest_remainder", shares)


populations_st = st.dictionaries(
    st.text(alphabet="abcdefghij", min_size=1, max_size=3),
    st.integers(min_value=0, max_value=5000),
    min_size=1,
    max_size=12,
)


@given(populations_st, st.integers(min_value=0, max_value=300), st.text(max_size=8))
def test_largest_remainder_total_seats_equal_the_house_size(populations, house, seed):
    result = largest_remainder(populations, house, seed=seed)
    assert result.total_seats == house
    assert set(result.seats) == set(populations)


@given(populations_st, st.integers(min_value=1, max_value=300))
def test_largest_remainder_gives_each_sender_its_quota_rounded_down_or_up(populations, house):
    result = largest_remainder(populations, house, seed="p")
    for key, seats in result.seats.items():
        quota = result.quotas[key]
        assert quota - 1 < seats < quota + 1


@given(
    populations_st,
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=3),
    st.data(),
)
def test_per_n_no_unit_loses_a_seat_when_only_its_own_membership_grows(
    populations, per_seat, minimum, data
):
    shares = {
        k: Share(p, members_per_seat=per_seat, minimum_seats=minimum)
        for k, p in populations.items()
    }
    before = apportion("per_n", shares).seats
    grower = data.draw(st.sampled_from(sorted(populations)))
    growth = data.draw(st.integers(min_value=1, max_value=5000))
    grown = dict(shares)
    grown[grower] = Share(
        populations[grower] + growth, members_per_seat=per_seat, minimum_seats=minimum
    )
    after = apportion("per_n", grown).seats
    assert after[grower] >= before[grower]
    assert all(after[k] == before[k] for k in populations if k != grower)


@given(populations_st, st.integers(min_value=0, max_value=300), st.data())
def test_largest_remainder_with_minimums_fills_the_house_and_respects_every_minimum(
    populations, house, data
):
    minimums = {k: data.draw(st.integers(min_value=0, max_value=3)) for k in populations}
    if sum(minimums.values()) > house:
        with pytest.raises(ValueError):
            largest_remainder(populations, house, seed="m", minimums=minimums)
        return
    result = largest_remainder(populations, house, seed="m", minimums=minimums)
    assert result.total_seats == house
    assert all(result.seats[k] >= minimums[k] for k in populations)
