"""Meek STV as the Proportional Representation Foundation's reference rule ("Reference Meek Rule",
prfound.org; Droop's rule ``meek-prf``).

Rule steps, as the reference numbers them:

- A. Every standing candidate is hopeful with keep factor kf = 1 (withdrawn: 0); omega = 10^-6.
- B.1. The count is complete when every seat is filled or the hopeful candidates are no more than
  the seats left.
- B.2.a. Distribute votes: each ballot starts with weight w = 1; for each candidate in rank order,
  the candidate receives w x kf (to 9 decimal places, rounded up) and w is reduced by the same
  amount, until the ranking ends or w is 0.
- B.2.b. Quota = (sum of all candidates' votes) / (seats + 1), truncated to 9 decimal places, plus
  10^-9.
- B.2.c. Every hopeful candidate whose vote is at least the quota is elected.
- B.2.d. Total surplus s = sum over elected of (vote - quota), not less than 0.
- B.2.e. If B.2.c elected someone, the round ends (back to B.1). Otherwise, if s < omega, or (after
  the first iteration) s is not less than the previous iteration's surplus, go to B.3.
- B.2.f. Each elected candidate's kf becomes kf x quota (9 places, rounded up) / vote (9 places,
  rounded up); iterate again from B.2.a.
- B.3. Defeat the hopeful candidate with the lowest vote; every hopeful candidate whose vote is at
  most that lowest vote plus s is tied with it, and the tie is broken per T. Its kf becomes 0.
- C. When the count is complete, the remaining hopeful candidates are elected if seats are left,
  otherwise defeated.
- T. Ties are broken by lot (``stv_common.Lot``): with a seed, ``random.Random(str(seed))``;
  without one, the first tied candidate in ballot-paper order, which is what Droop's reference
  counts do (its "tie order" is the ballot-file order) and reproduces them.

Arithmetic: fixed point with 9 decimal places, as integers scaled by 10^9, with exactly the
rounding directions above (keep values and keep factors rounded up, the quota truncated). No
floats. Ballot weights must be whole numbers or have at most 9 decimal places; a weighted ballot's
kept value (keep x weight) is truncated to 9 places when the weight is not whole.

Explanation: a round is one round of the reference rule that elects or defeats (B.1 to B.4):
``tally`` is every candidate's vote at the end of the round's last iteration (defeated candidates
0, the candidate defeated in this round still shown with the vote that made it lowest), with the
keep factors in ``keep_factors``, the quota in ``threshold``, the total surplus in ``surplus``, the
iterations run in ``iterations``; ``exhausted`` is the residual (votes held by no candidate,
including what rounding leaves). Candidates elected in the same iteration are listed in
ballot-paper order, as the reference lists them. The first-preference count is in the first
round's ``first_preferences``.

Known deviations: none for ballots with one candidate per rank. Papers with skipped ranks or
several marks at one rank stop there (see ``stv_common``); the reference rule has no equal ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from asamblea.counting.ballots import Profile
from asamblea.counting.result import CountResult, Draw, Round, format_value
from asamblea.counting.stv_common import Lot, usable_papers

PLACES = 9
SCALE = 10**PLACES
OMEGA = SCALE // 10**6  # 10^-6

RULES = (
    "Meek STV, Proportional Representation Foundation reference rule: fixed point 9 decimal "
    "places, omega 10^-6, quota = votes/(seats+1) truncated + 10^-9"
)


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _scaled(weight: Fraction) -> int:
    s = weight * SCALE
    if s.denominator != 1:
        raise ValueError(f"ballot weight {weight} has more than {PLACES} decimal places")
    return int(s)


def _v(x: int) -> Fraction:
    return Fraction(x, SCALE)


def count(profile: Profile, *, seats: int, seed: int | str | None = None) -> CountResult:
    if seats < 1:
        raise ValueError("seats must be at least 1")
    candidates, grouped = usable_papers(profile)
    # (ranking, weight scaled by 10^9, whether the weight is whole)
    papers = [(ranking, _scaled(n), n.denominator == 1) for ranking, n in grouped]
    lot = Lot(profile.candidates, seed)
    total_s = sum(m for _, m, _ in papers)
    first: dict[str, int] = dict.fromkeys(candidates, 0)
    for ranking, m, _ in papers:
        first[ranking[0]] += m

    def distribute(vote: dict[str, int], kf: dict[str, int], state: dict[str, str]) -> None:
        for c in vote:
            vote[c] = 0
        for ranking, m, whole in papers:
            w = SCALE
            for c in ranking:
                k = kf[c]
                if not k:
                    continue
                keep = _ceil_div(w * k, SCALE)
                vote[c] += keep * (m // SCALE) if whole else keep * m // SCALE
                w -= keep
                if w <= 0:
                    break

    return count_rounds(candidates, first, total_s, distribute, seats=seats, lot=lot, seed=seed)


# Fills ``vote`` (candidate -> scaled votes) from the keep factors and the candidates' states.
Distribute = Callable[[dict[str, int], dict[str, int], dict[str, str]], None]


def count_rounds(
    candidates: list[str],
    first: dict[str, int],
    total_s: int,
    distribute: Distribute,
    *,
    seats: int,
    lot: Lot,
    seed: int | str | None,
) -> CountResult:
    """Steps B and C of the rule, given a way to distribute the votes (shared with the fast path)."""
    state = dict.fromkeys(candidates, "hopeful")
    kf = dict.fromkeys(candidates, SCALE)
    vote = dict.fromkeys(candidates, 0)
    winners: list[str] = []
    rounds: list[Round] = []
    quota = total_s // (seats + 1) + 1

    def hopeful() -> list[str]:
        return [c for c in candidates if state[c] == "hopeful"]

    def seats_left() -> int:
        return seats - len(winners)

    def new_round(surplus: int, iterations: int) -> Round:
        rnd = Round(
            round=len(rounds) + 1,
            tally={c: _v(vote[c]) for c in candidates},
            threshold=_v(quota),
            exhausted=_v(total_s - sum(vote.values())),
        )
        rnd.extra = {
            "keep_factors": {c: format_value(_v(kf[c]), PLACES) for c in candidates},
            "surplus": format_value(_v(surplus), PLACES),
            "iterations": iterations,
        }
        rounds.append(rnd)
        return rnd

    vote.update(first)
    while len(hopeful()) > seats_left() > 0:
        status = "iterate"
        last_surplus = total_s
        iterations = 0
        elected_now: list[str] = []
        while True:
            distribute(vote, kf, state)
            iterations += 1
            votes_total = sum(vote.values())
            quota = votes_total // (seats + 1) + 1
            for c in hopeful():
                if vote[c] >= quota:
                    state[c] = "elected"
                    elected_now.append(c)
                    status = "elected"
            surplus = max(0, sum(vote[c] - quota for c in candidates if state[c] == "elected"))
            if status != "elected":
                if surplus < OMEGA:
                    status = "omega"
                elif surplus >= last_surplus:
                    status = "stable"
            if status != "iterate":
                break
            last_surplus = surplus
            for c in candidates:
                if state[c] == "elected":
                    kf[c] = _ceil_div(_ceil_div(kf[c] * quota, SCALE) * SCALE, vote[c])
        rnd = new_round(surplus, iterations)
        if status == "elected":
            winners.extend(elected_now)
            rnd.elected.extend(elected_now)
            rnd.action = "election of " + ", ".join(elected_now)
            continue
        rnd.extra["stop"] = "surplus below omega" if status == "omega" else "stable surplus"
        hope = hopeful()
        low = min(vote[c] for c in hope)
        tied = [c for c in hope if vote[c] <= low + surplus]
        if len(tied) == 1:
            loser = tied[0]
        else:
            loser, draw = lot.choose(tied, "exclusion")
            rnd.draws.append(
                Draw(
                    purpose=draw.purpose,
                    tied=draw.tied,
                    chosen=loser,
                    how=f"{draw.how}; tied: within the surplus of the lowest vote (rule B.3)",
                )
            )
        state[loser] = "defeated"
        kf[loser] = 0
        vote[loser] = 0
        rnd.eliminated.append(loser)
        rnd.action = f"defeat of {loser}"

    # C. Count complete: elect or defeat the remaining hopeful candidates.
    rest = hopeful()
    if rest:
        if not rounds:
            new_round(0, 0)
        last = rounds[-1]
        for c in rest:
            if len(winners) < seats:
                state[c] = "elected"
                winners.append(c)
                last.elected.append(c)
            else:
                state[c] = "defeated"
                last.eliminated.append(c)
        last.extra["remaining"] = "elected" if state[rest[0]] == "elected" else "defeated"
    if rounds:
        rounds[0].extra["first_preferences"] = {
            c: format_value(_v(first[c]), PLACES) for c in candidates
        }

    return CountResult(
        method="stv-meek",
        seats=seats,
        winners=winners,
        rounds=rounds,
        places=PLACES,
        quota=_v(quota),
        seed=seed,
        rules={"rules": RULES, "omega": "0.000001"},
        candidates=list(candidates),
    )
