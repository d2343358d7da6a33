"""The fast path and the exact path give the same result, ``to_json()`` byte for byte.

The exact path is the specification: every conformance case the fast path takes is counted both
ways, and so are 1,000 small random profiles (seeded NumPy), chosen small and tie-prone so that the
tie-breaks, the last-vacancy rule and the explanations are exercised, not only the winners.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asamblea.counting import io, irv, methods, rctab
from asamblea.counting.ballots import Profile, RankedBallot
from asamblea.counting.blt import read_blt
from asamblea.counting.fast import NotSupported, count_fast, supports, synth, to_array
from asamblea.counting.fast.arrays import ArrayProfile
from asamblea.counting.result import CountResult
from asamblea.counting.tiebreak import MODES as TIEBREAK_MODES

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"


def _text(result: CountResult) -> str:
    # The command line writes json.dumps(to_json()): key order is part of the output.
    return json.dumps(result.to_json(), ensure_ascii=False)


def _rctab_cases() -> list[Any]:
    return [
        pytest.param(case, id=f"rctab/{case.name}")
        for case in sorted(p for p in (CONFORMANCE / "rctab").iterdir() if p.is_dir())
    ]


def _blt_cases() -> list[Any]:
    params = []
    for group, method in (("scottish-stv", "stv-scottish"), ("meek-reference", "stv-meek")):
        for case in sorted(p for p in (CONFORMANCE / group).iterdir() if p.is_dir()):
            for m in (method, "schulze", "irv"):
                params.append(pytest.param(case, m, id=f"{group}/{case.name}/{m}"))
    return params


@pytest.mark.parametrize("case", _rctab_cases())
def test_fast_path_equals_exact_path_on_rctab_conformance_case(case: Path) -> None:
    rules = rctab.load_rules(case / "rules.json")
    profile = io.read_jsonl(
        case / "ballots.jsonl", rules.candidates, extra_names=[irv.UNDECLARED_WRITE_IN]
    ).grouped()
    profile.title = rules.title
    reason = supports("irv", rules=rules.options)
    if reason is None and to_array(profile) is None:
        reason = "ballots with skipped ranks, overvotes, repeated or write-in marks"
    if reason is not None:
        with pytest.raises(NotSupported):
            count_fast("irv", profile, rules=rules.options)
        pytest.skip(f"exact path only: {reason}")
    exact = irv.tabulate(profile, rules.options)
    fast = count_fast("irv", profile, rules=rules.options)
    assert _text(fast) == _text(exact)


@pytest.mark.parametrize(("case", "method"), _blt_cases())
def test_fast_path_equals_exact_path_on_blt_conformance_case(case: Path, method: str) -> None:
    profile = read_blt(case / "ballots.blt")
    seats = profile.seats or 1 if method != "irv" else 1
    assert to_array(profile) is not None, "the conformance BLT ballots are simple rankings"
    exact = methods.count(method, profile, seats=seats, seed=None)
    fast = count_fast(method, profile, seats=seats, seed=None)
    assert _text(fast) == _text(exact)


def test_every_rctab_single_seat_case_with_simple_ballots_is_compared() -> None:
    # Pins how many conformance cases the fast path covers: a change of to_array or of
    # supports() that silently drops cases fails here.
    covered = 0
    for param in _rctab_cases():
        case = param.values[0]
        rules = rctab.load_rules(case / "rules.json")
        profile = io.read_jsonl(
            case / "ballots.jsonl", rules.candidates, extra_names=[irv.UNDECLARED_WRITE_IN]
        )
        if supports("irv", rules=rules.options) is None and to_array(profile) is not None:
            covered += 1
    assert covered == 18


# -- random profiles ---------------------------------------------------------------------------


def _random_profile(rng: np.random.Generator, seed: int) -> tuple[Profile, ArrayProfile]:
    """A small profile (often tied), as the exact path's ballots and as an ungrouped array."""
    c = int(rng.integers(2, 8))
    n = int(rng.integers(1, 50))
    kind = "mallows" if rng.random() < 0.5 else "impartial"
    array = synth.generate(kind, n, c, seed)
    names = [f"C{i}" for i in range(c)]
    withdrawn = [names[int(rng.integers(c))]] if c > 2 and rng.random() < 0.2 else []
    ballots = [RankedBallot(tuple((names[x],) for x in row if x >= 0)) for row in array.tolist()]
    profile = Profile(candidates=names, ballots=ballots, withdrawn=withdrawn)
    return profile, ArrayProfile(candidates=names, rankings=array, withdrawn=withdrawn)


@pytest.mark.parametrize("method", ["irv", "stv-scottish", "stv-meek", "schulze"])
def test_fast_path_equals_exact_path_on_250_random_profiles(method: str) -> None:
    # 4 methods x 250 = the 1,000 random profiles of the acceptance criteria.
    rng = np.random.default_rng(["irv", "stv-scottish", "stv-meek", "schulze"].index(method))
    for i in range(250):
        profile, array = _random_profile(rng, i)
        c = len(profile.candidates)
        seats = 1 if method == "irv" else int(rng.integers(1, c + 1))
        seed: int | str = i if i % 3 else f"seed-{i}"
        exact = methods.count(method, profile, seats=seats, seed=seed)
        fast = count_fast(method, array, seats=seats, seed=seed)
        assert _text(fast) == _text(exact), (method, i)


def test_fast_path_equals_exact_path_under_random_rctab_options() -> None:
    rng = np.random.default_rng(7)
    modes = [
        m for m in TIEBREAK_MODES if m not in ("stopCountingAndAsk", "previousRoundCountsThenAsk")
    ]
    for i in range(200):
        profile, array = _random_profile(rng, 1000 + i)
        profile = profile.grouped()
        options = irv.IrvOptions(
            seats=1,
            mode=irv.IRV,
            batch_elimination=bool(rng.random() < 0.5),
            continue_until_two=bool(rng.random() < 0.3),
            first_round_determines_threshold=bool(rng.random() < 0.2),
            max_rankings=int(rng.integers(1, 8)) if rng.random() < 0.3 else None,
            tiebreak_mode=modes[i % len(modes)],
            seed=i,
            places=int(rng.integers(0, 5)),
            excluded=tuple(profile.withdrawn),
        )
        try:
            exact = irv.tabulate(profile, options)
        except irv.CountError as exc:
            with pytest.raises(irv.CountError, match=str(exc)):
                count_fast("irv", array, rules=options)
            continue
        fast = count_fast("irv", array, rules=options)
        assert _text(fast) == _text(exact), i


def test_grouping_in_any_order_gives_the_same_result() -> None:
    # The Scottish explanation lists recipients in the order the papers meet them; shuffling the
    # ballots changes that order the same way on both paths.
    rng = np.random.default_rng(3)
    array = synth.mallows(400, 6, 3)
    names = [f"C{i}" for i in range(6)]
    for _ in range(5):
        rows = array[rng.permutation(len(array))]
        ballots = [RankedBallot(tuple((names[x],) for x in row if x >= 0)) for row in rows.tolist()]
        exact = methods.count("stv-scottish", Profile(names, ballots), seats=3, seed=1)
        fast = count_fast("stv-scottish", ArrayProfile(names, rows), seats=3, seed=1)
        assert _text(fast) == _text(exact)


def test_fast_path_refuses_what_it_does_not_count() -> None:
    names = ["A", "B", "C"]
    skipped = Profile(names, [RankedBallot.of("A", (), "B")])
    overvote = Profile(names, [RankedBallot.of(["A", "B"], "C")])
    weighted = Profile(
        names, [RankedBallot.of("A", "B", count=__import__("fractions").Fraction(1, 2))]
    )
    for profile in (skipped, overvote, weighted):
        assert to_array(profile) is None
        with pytest.raises(NotSupported):
            count_fast("stv-scottish", profile, seats=1)
    with pytest.raises(NotSupported, match="exact path"):
        count_fast("stv-wigm", Profile(names, [RankedBallot.of("A")]), seats=1)
    with pytest.raises(NotSupported, match="multi-seat"):
        count_fast("irv", Profile(names, [RankedBallot.of("A")]), seats=2)
    repeated = ArrayProfile(names, np.array([[0, 0, 1]], dtype=np.int8))
    with pytest.raises(NotSupported, match="not simple"):
        count_fast("schulze", repeated, seats=1)
