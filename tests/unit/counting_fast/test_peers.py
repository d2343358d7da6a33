"""Differential tests: the same winners as two independent libraries, pref_voting and votelib,
on thousands of random profiles without ties.

"Without ties" is decided by our own count: a profile whose count needed any draw (a tie broken by
lot or by an earlier stage) is set aside, because libraries break ties differently (pref_voting
eliminates all tied candidates at once, votelib refuses). Every profile is counted by the fast
path (the same result as the exact path: see ``test_agreement``) and by the peers through the
benchmark's adapters (``bench/peers``), so the benchmark compares like with like.

Where a library's rule differs from ours, the comparison says which rule and why, and compares
only where the rules must agree:

- IRV: both libraries eliminate until one candidate remains; we stop at a majority of continuing
  votes. The winner is the same (a majority of continuing votes is never overtaken).
  votelib also counts the pile of exhausted votes as a contender when it chooses whom to retain
  (``TransferableVoteDistributor.select_retained``), which can eliminate two candidates at once
  when that pile is large: votelib is given complete rankings, on which no vote exhausts in IRV.
- STV with pref_voting: ``stv_scottish`` follows the same statute (SSI 2007/42) in floating point
  with the same five-decimal truncation: compared with our ``stv-scottish``.
- STV with votelib: votelib's transferable vote with the Gregory transferer is a weighted inclusive
  Gregory count in exact fractions, but it transfers the surpluses of candidates elected together
  at once, where SSI 2007/42 rule 49 transfers them one per stage (largest first), and a candidate
  reaching the quota in between receives no more. Compared with our ``stv-wigm`` (exact
  fractions, the statute's stages) on profiles where no stage elects two candidates at once, on
  complete rankings (see IRV). Not compared with ``stv-scottish``: votelib does not truncate
  transfer values to five places.
- Schulze: both read a truncated ballot as ranking its candidates above the unranked ones, as
  ours, and measure a link by winning votes (pref_voting's default is margins, another variant
  on truncated ballots: its adapter passes ``strength_function=profile.support``).
- Meek: not compared. votelib has no Meek; pref_voting's ``stv_meek`` iterates in floating point
  to a tolerance of 1e-10, not the reference rule's 9-decimal fixed point with omega 10^-6, and
  takes minutes per profile of a few thousand ballots.
"""

from __future__ import annotations

import numpy as np
import pytest

from asamblea.counting.fast import count_fast, synth
from asamblea.counting.fast.arrays import ArrayProfile

pytest.importorskip("pref_voting", reason="pref_voting is a test dependency (pip install .[dev])")
pytest.importorskip("votelib", reason="votelib is a test dependency (pip install .[dev])")

from bench.peers import pref_voting_peer, votelib_peer  # noqa: E402

PROFILES = 1000


def _profiles(seed: int, *, complete: bool):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    while True:
        c = int(rng.integers(3, 7))
        n = int(rng.integers(15, 120))
        kind = "mallows" if rng.random() < 0.5 else "impartial"
        array = synth.generate(kind, n, c, int(rng.integers(2**31)), min_len=c if complete else 1)
        yield c, array


def _ours(method: str, c: int, array: np.ndarray, seats: int):  # type: ignore[no-untyped-def]
    names = [f"C{i}" for i in range(c)]
    result = count_fast(method, ArrayProfile(names, array), seats=seats, seed=0)
    if any(r.draws for r in result.rounds):
        return None, result
    return sorted(names.index(w) for w in result.winners), result


def _compare(method: str, peer_method, seed: int, *, seats: int, complete: bool, accept=None):  # type: ignore[no-untyped-def]
    compared = 0
    tried = 0
    for c, array in _profiles(seed, complete=complete):
        tried += 1
        assert tried < PROFILES * 5, "too few profiles without ties"
        s = min(seats, c - 1)
        ours, result = _ours(method, c, array, s)
        if ours is None or (accept is not None and not accept(result)):
            continue
        theirs = sorted(int(w) for w in peer_method(array, c, s))
        assert theirs == ours, (method, seed, tried, array.tolist())
        compared += 1
        if compared == PROFILES:
            return


@pytest.mark.slow
def test_irv_winner_equals_pref_voting_instant_runoff() -> None:
    _compare("irv", pref_voting_peer.irv, 1, seats=1, complete=False)


@pytest.mark.slow
def test_irv_winner_equals_votelib_transferable_vote_on_complete_rankings() -> None:
    _compare("irv", votelib_peer.irv, 2, seats=1, complete=True)


@pytest.mark.slow
def test_scottish_stv_winners_equal_pref_voting_stv_scottish() -> None:
    _compare("stv-scottish", pref_voting_peer.stv_scottish, 3, seats=3, complete=False)


def _one_election_per_stage(result) -> bool:  # type: ignore[no-untyped-def]
    return all(len(r.elected) <= 1 or r.extra.get("filled_last_vacancies") for r in result.rounds)


@pytest.mark.slow
def test_wigm_stv_winners_equal_votelib_gregory_when_one_election_per_stage() -> None:
    from asamblea.counting import methods
    from asamblea.counting.ballots import Profile, RankedBallot

    compared = 0
    for c, array in _profiles(4, complete=True):
        names = [f"C{i}" for i in range(c)]
        profile = Profile(
            names,
            [RankedBallot(tuple((names[x],) for x in row if x >= 0)) for row in array.tolist()],
        ).grouped()
        seats = min(3, c - 1)
        result = methods.count("stv-wigm", profile, seats=seats, seed=0)
        if any(r.draws for r in result.rounds) or not _one_election_per_stage(result):
            continue
        ours = sorted(names.index(w) for w in result.winners)
        assert sorted(votelib_peer.stv(array, c, seats)) == ours, array.tolist()
        compared += 1
        if compared == PROFILES:
            return


@pytest.mark.slow
def test_schulze_winner_equals_pref_voting_beat_path() -> None:
    _compare("schulze", pref_voting_peer.schulze, 5, seats=1, complete=False)


@pytest.mark.slow
def test_schulze_winner_equals_votelib_schulze() -> None:
    _compare("schulze", votelib_peer.schulze, 6, seats=1, complete=False)
