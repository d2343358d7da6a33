"""Grouping and the array form of ballots."""

from __future__ import annotations

import numpy as np

from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.fast import synth
from asamblea.counting.fast.arrays import group, group_marks, is_simple, strike, to_array


def _python_grouping(
    rows: np.ndarray, counts: np.ndarray | None
) -> list[tuple[tuple[int, ...], int]]:
    merged: dict[tuple[int, ...], int] = {}
    weights = counts.tolist() if counts is not None else [1] * len(rows)
    for row, w in zip(map(tuple, rows.tolist()), weights, strict=True):
        merged[row] = merged.get(row, 0) + w
    return [(r, n) for r, n in merged.items() if n > 0]


def test_grouping_in_first_seen_order_equals_a_dict_past_one_slice_of_rows() -> None:
    # More rows than one packing slice (2^18), to cover the sliced packing and position fill.
    rows = synth.mallows(300_000, 6, 5)
    got_rows, got_counts = group(rows, None, 6, first_seen=True)
    got = list(zip(map(tuple, got_rows.tolist()), got_counts.tolist(), strict=True))
    assert got == _python_grouping(rows, None)


def test_grouping_with_counts_and_many_candidates_equals_a_dict() -> None:
    rng = np.random.default_rng(1)
    for c, width in ((5, 3), (15, 16), (20, 6), (40, 40)):
        rows = synth.impartial(3000, c, c)[:, :width]
        counts = rng.integers(0, 4, size=len(rows))
        got_rows, got_counts = group(rows, counts, c, first_seen=True)
        got = list(zip(map(tuple, got_rows.tolist()), got_counts.tolist(), strict=True))
        assert got == _python_grouping(rows, counts), (c, width)
        sorted_rows, sorted_counts = group(rows, None, c)
        pairs = zip(map(tuple, sorted_rows.tolist()), sorted_counts.tolist(), strict=True)
        assert sorted(pairs) == sorted(_python_grouping(rows, None))


def test_simple_rows_are_one_candidate_per_rank_without_gaps_or_repeats() -> None:
    assert is_simple(np.array([[0, 1, -1], [2, -1, -1]]), 3)
    assert not is_simple(np.array([[0, 0, -1]]), 3)  # repeated
    assert not is_simple(np.array([[0, -1, 1]]), 3)  # mark after the end
    assert not is_simple(np.array([[0, 3]]), 3)  # not a candidate
    assert not is_simple(np.array([[40, 41, 40]]), 50)


def test_struck_candidates_close_the_gaps_in_rank_order() -> None:
    rows = np.array([[2, 0, 1, -1], [0, -1, -1, -1]], dtype=np.int16)
    assert strike(rows, [0]).tolist() == [[2, 1, -1, -1], [-1, -1, -1, -1]]


def test_array_form_of_a_profile_keeps_order_counts_and_withdrawn() -> None:
    names = ["A", "B", "C"]
    profile = Profile(
        names, [RankedBallot.of("B", "A", count=3), RankedBallot.of("C")], withdrawn=["A"]
    )
    array = to_array(profile)
    assert array is not None
    assert array.rankings.tolist() == [[1, 0], [2, -1]]
    assert array.counts is not None and array.counts.tolist() == [3, 1]
    assert array.withdrawn == ["A"]


def test_array_form_of_marked_ballots_is_the_mark_layout_with_labels() -> None:
    names = ["A", "B", "C"]
    profile = Profile(
        names,
        [
            RankedBallot.of(["A", "B"], (), "C", count=2),  # overvote, skipped rank
            RankedBallot.of("Undeclared Write-ins", "A", "A"),  # write-in label, repeat
            RankedBallot.of("#overvote", "B"),
            RankedBallot.of("C"),
        ],
    )
    array = to_array(profile)
    assert array is not None
    assert array.labels == ["Undeclared Write-ins", "#overvote"]
    assert array.rankings.tolist() == [
        [[0, 1], [-1, -1], [2, -1]],
        [[3, -1], [0, -1], [0, -1]],
        [[4, -1], [1, -1], [-1, -1]],
        [[2, -1], [-1, -1], [-1, -1]],
    ]
    assert array.counts is not None and array.counts.tolist() == [2, 1, 1, 1]


def test_grouping_the_mark_layout_merges_identical_ballots() -> None:
    cells = np.array([[[0, 1], [-1, -1]], [[2, -1], [0, -1]], [[0, 1], [-1, -1]]], dtype=np.int16)
    rows, counts = group_marks(cells, np.array([2, 1, 3]), 3)
    got = sorted(zip(map(str, rows.tolist()), counts.tolist(), strict=True))
    assert got == sorted([(str(cells[0].tolist()), 5), (str(cells[1].tolist()), 1)])
