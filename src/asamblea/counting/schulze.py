"""The Schulze method (beatpath / strongest paths), single and multi-winner by ranking order.

Rules followed (Markus Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36 (2011),
sections 2.1-2.3, with the "winning votes" measure of a link):

1. Pairwise preferences: d[a][b] is the total weight of ballots ranking a above b. Candidates at
   the same rank are equal; candidates not ranked are below every ranked candidate and equal to
   one another.
2. Links: the strength of the link a->b is d[a][b] when d[a][b] > d[b][a], otherwise 0 (no link).
3. Strongest paths: p[a][b] is the strength of the strongest path from a to b, a path's strength
   being its weakest link (widest path, computed Floyd-Warshall style, section 2.3).
4. a beats b when p[a][b] > p[b][a]; this relation is transitive (section 4.1). The winners are the
   candidates no one beats.
5. Several seats: the ranking order. Repeatedly the candidates not beaten by any candidate still
   unplaced take the next place; when there are several, the lot (``stv_common.Lot``: seeded
   ``random.Random(str(seed))``, or ballot-paper order without a seed) picks one and every draw is
   recorded. The first ``seats`` candidates of the order are elected, in order.

Arithmetic: exact (integers, or ``Fraction`` for weighted ballots). No floats.

Explanation: one round. ``tally`` is the number of candidates each candidate beats (step 4);
``extra["pairwise"]`` is d and ``extra["strongest_paths"]`` is p (exact decimal or ``a/b``
strings), ``extra["ranking"]`` the full order.

Known deviations: ties in the ranking are broken by the seeded lot, not by Schulze's "tie-breaking
ranking of the candidates" (section 5); overvotes recorded only as a label (``#overvote``) end a
ballot's ranking there.
"""

from __future__ import annotations

from fractions import Fraction

from asamblea.counting.ballots import OVERVOTE_LABEL, Profile
from asamblea.counting.result import CountResult, Round
from asamblea.counting.stv_common import Lot

Num = int | Fraction

RULES = "Schulze (winning votes, strongest paths); several seats by ranking order, ties by lot"


def _text(x: Num) -> str:
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def pairwise(profile: Profile) -> tuple[list[str], dict[str, dict[str, Num]]]:
    """Standing candidates (ballot-paper order) and d[a][b], the weight preferring a to b."""
    withdrawn = set(profile.withdrawn)
    cands = [c for c in profile.candidates if c not in withdrawn]
    index = {c: i for i, c in enumerate(cands)}
    n = len(cands)
    d: list[list[Num]] = [[0] * n for _ in range(n)]
    for b in profile.ballots:
        if not b.count:
            continue
        level: dict[int, int] = {}  # candidate index -> rank level (lower is preferred)
        for lvl, rank in enumerate(b.ranking):
            if OVERVOTE_LABEL in rank:
                break
            for c in rank:
                if c in withdrawn:
                    continue
                if c not in index:
                    raise ValueError(f"ballot names {c!r}, which is not a candidate")
                level.setdefault(index[c], lvl)
        unranked = len(b.ranking) + 1
        ranks = [level.get(i, unranked) for i in range(n)]
        for i in range(n):
            for j in range(n):
                if ranks[i] < ranks[j]:
                    d[i][j] += b.count
    return cands, {a: {b: d[i][j] for j, b in enumerate(cands)} for i, a in enumerate(cands)}


def strongest_paths(cands: list[str], d: dict[str, dict[str, Num]]) -> dict[str, dict[str, Num]]:
    p: dict[str, dict[str, Num]] = {
        a: {b: (d[a][b] if a != b and d[a][b] > d[b][a] else 0) for b in cands} for a in cands
    }
    for k in cands:
        for i in cands:
            if i == k:
                continue
            pik = p[i][k]
            if not pik:
                continue
            row = p[i]
            for j in cands:
                if j != i and j != k:
                    via = min(pik, p[k][j])
                    if via > row[j]:
                        row[j] = via
    return p


def count(profile: Profile, *, seats: int, seed: int | str | None = None) -> CountResult:
    if seats < 1:
        raise ValueError("seats must be at least 1")
    cands, d = pairwise(profile)
    return count_pairwise(profile.candidates, cands, d, seats=seats, seed=seed)


def count_pairwise(
    paper: list[str],
    cands: list[str],
    d: dict[str, dict[str, Num]],
    *,
    seats: int,
    seed: int | str | None,
) -> CountResult:
    """Steps 2 to 5 and the explanation, from d (shared with the fast path, which computes d on
    arrays). ``paper``: the ballot-paper order, which orders the lot; ``cands``: the standing."""
    p = strongest_paths(cands, d)
    lot = Lot(paper, seed)
    beats = {a: [b for b in cands if b != a and p[a][b] > p[b][a]] for a in cands}

    rnd = Round(round=1, tally={a: len(beats[a]) for a in cands}, action="strongest paths")
    order: list[str] = []
    rest = list(cands)
    while rest:
        top = [a for a in rest if not any(a in beats[b] for b in rest if b != a)]
        if len(top) > 1:
            chosen, draw = lot.choose(top, f"place {len(order) + 1}")
            rnd.draws.append(draw)
        else:
            chosen = top[0]
        order.append(chosen)
        rest.remove(chosen)
    winners = order[:seats]
    rnd.elected = list(winners)
    rnd.extra = {
        "ranking": order,
        "pairwise": {a: {b: _text(d[a][b]) for b in cands if b != a} for a in cands},
        "strongest_paths": {a: {b: _text(p[a][b]) for b in cands if b != a} for a in cands},
    }
    return CountResult(
        method="schulze",
        seats=seats,
        winners=winners,
        rounds=[rnd],
        places=0,
        seed=seed,
        rules={"rules": RULES},
        candidates=list(cands),
    )
