"""The fast path and the exact path give the same result, ``to_json()`` byte for byte.

The exact path is the specification: every conformance case the fast path takes is counted both
ways, and so are 1,000 small random profiles (seeded NumPy), chosen small and tie-prone so that the
tie-breaks, the last-vacancy rule and the explanations are exercised, not only the winners.
"""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asamblea.counting import io, irv, methods, rctab
from asamblea.counting.ballots import OVERVOTE_LABEL, Profile, RankedBallot
from asamblea.counting.blt import read_blt
from asamblea.counting.fast import NotSupported, count_fast, supports, synth, to_array
from asamblea.counting.fast.arrays import ArrayProfile
from asamblea.counting.result import CountResult
from asamblea.counting.tiebreak import MODES as TIEBREAK_MODES
from asamblea.counting.tiebreak import TieNeedsDecision

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


def _rctab_case(case: Path) -> tuple[Profile, irv.IrvOptions]:
    rules = rctab.load_rules(case / "rules.json")
    profile = io.read_jsonl(
        case / "ballots.jsonl", rules.candidates, extra_names=[irv.UNDECLARED_WRITE_IN]
    ).grouped()
    profile.title = rules.title
    return profile, rules.options


@pytest.mark.parametrize("case", _rctab_cases())
def test_fast_path_equals_exact_path_on_rctab_conformance_case(case: Path) -> None:
    profile, options = _rctab_case(case)
    exact = irv.tabulate(profile, options)
    fast = count_fast("irv", profile, rules=options)
    assert _text(fast) == _text(exact)


@pytest.mark.parametrize(("case", "method"), _blt_cases())
def test_fast_path_equals_exact_path_on_blt_conformance_case(case: Path, method: str) -> None:
    profile = read_blt(case / "ballots.blt")
    seats = profile.seats or 1 if method != "irv" else 1
    assert to_array(profile) is not None, "the conformance BLT ballots are simple rankings"
    exact = methods.count(method, profile, seats=seats, seed=None)
    fast = count_fast(method, profile, seats=seats, seed=None)
    assert _text(fast) == _text(exact)


def test_every_rctab_conformance_case_is_taken_by_the_fast_path() -> None:
    # Pins the coverage: all 70 cases (every mode, overvotes, skipped ranks, repeated candidates,
    # write-ins) reach the fast path; a change of to_array or supports() that sends a case back
    # to the exact path fails here.
    cases = [param.values[0] for param in _rctab_cases()]
    assert len(cases) == 70
    taken = []
    for case in cases:
        profile, options = _rctab_case(case)
        array = to_array(profile)
        if supports("irv", rules=options) is None and array is not None:
            taken.append(case.name)
    assert len(taken) == 70
    # Most cases need the mark layout: the simple one alone would not take them.
    simple = [
        c for c in cases if (a := to_array(_rctab_case(c)[0])) is not None and a.rankings.ndim == 2
    ]
    assert len(simple) < 70


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
    assert to_array(weighted) is None
    for profile in (skipped, overvote, weighted):
        with pytest.raises(NotSupported):
            count_fast("stv-scottish", profile, seats=1)
    with pytest.raises(NotSupported, match="fractional"):
        count_fast("irv", weighted, seats=1)
    with pytest.raises(NotSupported, match="exact path"):
        count_fast("stv-wigm", Profile(names, [RankedBallot.of("A")]), seats=1)
    with pytest.raises(NotSupported, match="decimal places"):
        count_fast("irv", skipped, rules=irv.IrvOptions(places=12))
    repeated = ArrayProfile(names, np.array([[0, 0, 1]], dtype=np.int8))
    with pytest.raises(NotSupported, match="not simple"):
        count_fast("schulze", repeated, seats=1)


# -- random profiles with any ranked ballot, under random RCTab rules ----------------------------


def _random_marks(rng: np.random.Generator, names: list[str], labels: list[str]) -> RankedBallot:
    """One ballot with whatever a voter or a scanner can leave: skipped ranks, overvotes,
    repeated candidates, write-in and overvote labels, trailing blanks."""
    ranks: list[tuple[str, ...]] = []
    for _ in range(int(rng.integers(0, len(names) + 3))):
        kind = rng.random()
        if kind < 0.15:
            ranks.append(())
        elif kind < 0.3 and len(names) > 1:
            size = int(rng.integers(2, min(3, len(names)) + 1))
            ranks.append(tuple(str(x) for x in rng.choice(names, size=size, replace=False)))
        elif kind < 0.38 and labels:
            ranks.append((labels[int(rng.integers(len(labels)))],))
        else:
            ranks.append((names[int(rng.integers(len(names)))],))
    return RankedBallot(tuple(ranks), int(rng.integers(1, 4)))


def _random_rctab(rng: np.random.Generator, i: int, mode: str) -> tuple[Profile, irv.IrvOptions]:
    c = int(rng.integers(2, 7))
    names = [f"C{k}" for k in range(c)]
    uwi = irv.UNDECLARED_WRITE_IN if rng.random() < 0.4 else None
    # The write-in label can be on ballots without being declared (then it is never counted).
    labels = [OVERVOTE_LABEL] if rng.random() < 0.5 else []
    if uwi is not None or rng.random() < 0.2:
        labels.append(irv.UNDECLARED_WRITE_IN)
    ballots = [_random_marks(rng, names, labels) for _ in range(int(rng.integers(1, 25)))]
    profile = Profile(names, ballots).grouped()
    tiebreaks = [m for m in TIEBREAK_MODES if m not in ("stopCountingAndAsk",)]
    multi = mode not in (irv.IRV, irv.BOTTOMS_UP_PERCENTAGE)
    options = irv.IrvOptions(
        seats=int(rng.integers(2, c + 2)) if multi else (0 if mode != irv.IRV else 1),
        mode=mode,
        overvote_rule=irv.OVERVOTE_RULES[int(rng.integers(3))],
        max_skipped_ranks=[None, 0, 1, 2][int(rng.integers(4))],
        max_rankings=int(rng.integers(1, c + 3)) if rng.random() < 0.3 else None,
        exhaust_on_duplicate=bool(rng.random() < 0.5),
        batch_elimination=bool(rng.random() < 0.3),
        continue_until_two=bool(mode == irv.IRV and rng.random() < 0.2),
        minimum_vote_threshold=int(rng.integers(1, 4)) if rng.random() < 0.15 else 0,
        stop_after_round=int(rng.integers(1, 5)) if rng.random() < 0.1 else None,
        hare_quota=bool(rng.random() < 0.2),
        non_integer_threshold=bool(rng.random() < 0.3),
        first_round_determines_threshold=bool(mode == irv.IRV and rng.random() < 0.2),
        bottoms_up_percentage=Fraction(int(rng.integers(5, 40)), 100)
        if mode == irv.BOTTOMS_UP_PERCENTAGE
        else None,
        cutoff_elimination=bool(rng.random() < 0.5),
        places=int(rng.integers(0, 6)),
        tiebreak_mode=tiebreaks[i % len(tiebreaks)],
        seed=i,
        excluded=(names[int(rng.integers(c))],) if c > 2 and rng.random() < 0.2 else (),
        undeclared_write_in=uwi,
    )
    return profile, options


def _same_outcome(profile: Profile, options: irv.IrvOptions, where: object) -> bool:
    """Both paths give the same text, or fail with the same error. True when they counted."""
    try:
        exact = irv.tabulate(profile, options)
    except Exception as exc:  # noqa: BLE001 - the fast path must fail the same way
        with pytest.raises(type(exc)) as raised:
            count_fast("irv", profile, rules=options)
        assert str(raised.value) == str(exc), where
        return False
    fast = count_fast("irv", profile, rules=options)
    assert _text(fast) == _text(exact), where
    return True


@pytest.mark.parametrize("mode", irv.MODES)
def test_fast_path_equals_exact_path_on_marked_ballots_under_random_rctab_rules(
    mode: str,
) -> None:
    # 6 modes x 60 small, tie-prone profiles with overvotes, skipped ranks, repeated
    # candidates and labels; each of RCTab's ballot rules drawn at random.
    rng = np.random.default_rng(irv.MODES.index(mode) + 100)
    counted = 0
    for i in range(60):
        profile, options = _random_rctab(rng, i, mode)
        counted += _same_outcome(profile, options, (mode, i))
    # Most draws must count to the end, or the comparison says little.
    assert counted >= 40, counted


def test_fast_path_equals_exact_path_on_multi_seat_irv_with_marked_ballots() -> None:
    # ``irv`` with several seats (our elections): RCTab's fractional STV, 4 places.
    rng = np.random.default_rng(11)
    for i in range(60):
        profile, _ = _random_rctab(rng, i, irv.STV_FRACTIONAL)
        seats = int(rng.integers(1, len(profile.candidates) + 1))
        exact = methods.count("irv", profile, seats=seats, seed=i)
        fast = count_fast("irv", profile, seats=seats, seed=i)
        assert _text(fast) == _text(exact), i


def _text_or_none(profile: Profile, options: irv.IrvOptions) -> str | None:
    """The exact count's text, or None when the rules stop the count with an error."""
    try:
        return _text(irv.tabulate(profile, options))
    except (irv.CountError, TieNeedsDecision):
        return None


def test_each_ballot_rule_changes_some_random_count() -> None:
    # The random profiles exercise the rules the fast path reproduces: flipping one rule changes
    # the exact result of some profile (else the agreement above could not see that rule).
    rng = np.random.default_rng(5)
    flips = {
        "overvote_rule": lambda o: replace(o, overvote_rule=irv.EXHAUST_IMMEDIATELY),
        "max_skipped_ranks": lambda o: replace(o, max_skipped_ranks=0),
        "exhaust_on_duplicate": lambda o: replace(o, exhaust_on_duplicate=True),
        "undeclared_write_in": lambda o: replace(o, undeclared_write_in=None),
    }
    changed: set[str] = set()
    for i in range(80):
        profile, options = _random_rctab(rng, i, irv.IRV)
        base = replace(
            options,
            overvote_rule=irv.ALWAYS_SKIP,
            max_skipped_ranks=None,
            exhaust_on_duplicate=False,
        )
        before = _text_or_none(profile, base)
        for name, flip in flips.items():
            after = _text_or_none(profile, flip(base))
            if before is not None and after is not None and after != before:
                changed.add(name)
                assert _same_outcome(profile, flip(base), (name, i))
    assert changed == set(flips)
