"""The STV methods against real and reference counts, called directly (no command line): the 10
Scottish wards of 2017 (official stage totals) and the 3 Meek reference counts. The command-line
run of the same cases is counting-rctab's parametrised conformance test, with the same
comparators."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from compare_stv import compare_meek, compare_scottish

from asamblea.counting import stv_meek, stv_scottish, stv_wigm
from asamblea.counting.blt import read_blt

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
WARDS = sorted(p for p in (CONFORMANCE / "scottish-stv").iterdir() if p.is_dir())
MEEK = sorted(p for p in (CONFORMANCE / "meek-reference").iterdir() if p.is_dir())


def test_all_cases_are_found() -> None:
    assert len(WARDS) == 10
    assert len(MEEK) == 3


@pytest.mark.parametrize("case", WARDS, ids=lambda p: p.name)
def test_scottish_count_reproduces_the_official_stages(case: Path) -> None:
    profile = read_blt(case / "ballots.blt")
    assert profile.seats is not None
    result = stv_scottish.count(profile, seats=profile.seats)
    compare_scottish(case, result.to_json())


@pytest.mark.parametrize("case", MEEK, ids=lambda p: p.name)
def test_meek_count_reproduces_the_reference_rounds(case: Path) -> None:
    profile = read_blt(case / "ballots.blt")
    assert profile.seats is not None
    result = stv_meek.count(profile, seats=profile.seats)
    compare_meek(case, result.to_json())


@pytest.mark.parametrize("case", WARDS, ids=lambda p: p.name)
def test_exact_wigm_elects_the_same_councillors_as_the_statute(case: Path) -> None:
    profile = read_blt(case / "ballots.blt")
    assert profile.seats is not None
    exact = stv_wigm.count(profile, seats=profile.seats)
    statute = stv_scottish.count(profile, seats=profile.seats)
    assert sorted(exact.winners) == sorted(statute.winners)


def test_scottish_comparator_rejects_a_total_off_by_one_hundred_thousandth() -> None:
    case = CONFORMANCE / "scottish-stv" / "glasgow-2017-ward07-langside"
    profile = read_blt(case / "ballots.blt")
    good = stv_scottish.count(profile, seats=4).to_json()
    bad = copy.deepcopy(good)
    name = "Jane COLLINS    UKI"
    assert bad["rounds"][1]["tally"][name] == "110.78629"
    bad["rounds"][1]["tally"][name] = "110.78630"
    with pytest.raises(AssertionError, match="stage 2 totals differ"):
        compare_scottish(case, bad)
    reordered = copy.deepcopy(good)
    reordered["winners"] = list(reversed(good["winners"]))
    with pytest.raises(AssertionError, match="winners"):
        compare_scottish(case, reordered)


def test_meek_comparator_rejects_a_vote_off_in_the_ninth_place() -> None:
    case = CONFORMANCE / "meek-reference" / "voting-matters-issue12-example"
    profile = read_blt(case / "ballots.blt")
    good = stv_meek.count(profile, seats=3).to_json()
    bad = copy.deepcopy(good)
    assert bad["rounds"][1]["tally"]["Y"] == "667.166666562"
    bad["rounds"][1]["tally"]["Y"] = "667.166666563"
    with pytest.raises(AssertionError, match="round 2 votes differ"):
        compare_meek(case, bad)
    bad_kf = copy.deepcopy(good)
    bad_kf["rounds"][2]["keep_factors"]["A"] = "0.799464313"
    with pytest.raises(AssertionError, match="keep factors"):
        compare_meek(case, bad_kf)


def test_meek_reference_tie_is_recorded_as_a_draw() -> None:
    case = CONFORMANCE / "meek-reference" / "voting-matters-issue12-example"
    result = stv_meek.count(read_blt(case / "ballots.blt"), seats=3)
    draws = result.rounds[1].draws
    assert [(d.tied, d.chosen) for d in draws] == [(["X", "Y", "Z"], "X")]
