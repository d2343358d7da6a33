"""Ballot formats and the count's entry point: how a voter's marks become a ballot's canonical
content, and how published ballots are counted.

Pure Python, no Django: the server counts with :func:`count` and anyone recounts from the exported
record (:mod:`asamblea.record.recount_elections`) with the same function, so the two cannot
disagree by construction.

Ballot contents: ``{"vote": "yes"|"no"|"abstain"}`` (yes/no), ``{"vote": "for"|"against"|
"abstain"|"free"}`` (instruction), ``{"choice": key|null}``
(plurality; null is blank), ``{"approve": [keys, sorted]}`` (approval), ``{"ranking": [keys]}``
(ranked methods; an empty ranking is blank).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from asamblea.rules.divisions import INSTRUCTION_OPTIONS, instruction_result
from asamblea.rules.recall import RecallRules

YESNO = "yesno"
PLURALITY = "plurality"
APPROVAL = "approval"
# A unit's instruction to its delegates (rules.divisions.INSTRUCTION_OPTIONS, fixed options).
INSTRUCTION = "instruction"


class BallotError(ValueError):
    """A ballot that may not be cast; ``field`` names the input at fault."""

    def __init__(self, detail: str, field: str = "ballot") -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def ballot_kind(method: str) -> str:
    if method == YESNO:
        return "yesno"
    if method == PLURALITY:
        return "choice"
    if method == APPROVAL:
        return "approval"
    if method == INSTRUCTION:
        return "instruction"
    return "ranked"


def dumps(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_ballot(
    method: str, selection: Mapping[str, Any], keys: Sequence[str], rules: Mapping[str, Any]
) -> str:
    """Validate a voter's selection and return the ballot's canonical JSON content.

    Raises :class:`BallotError` for an unknown candidate, too many choices, a repeated choice or
    a malformed ballot. ``keys`` are the candidates standing, in ballot-paper order.
    """
    kind = ballot_kind(method)
    known = set(keys)
    if kind == "yesno":
        vote = selection.get("vote")
        if vote not in ("yes", "no", "abstain"):
            raise BallotError("choose yes, no or abstain", "vote")
        return dumps({"vote": vote})
    if kind == "instruction":
        vote = selection.get("vote")
        if vote not in INSTRUCTION_OPTIONS:
            raise BallotError("choose for, against, abstain or free", "vote")
        return dumps({"vote": vote})
    if kind == "choice":
        choice = selection.get("choice")
        if isinstance(choice, list):
            if len(choice) > 1:
                raise BallotError("too many choices: choose at most one candidate", "choice")
            choice = choice[0] if choice else None
        if choice in ("", None):
            return dumps({"choice": None})
        if choice not in known:
            raise BallotError("unknown candidate", "choice")
        return dumps({"choice": choice})
    if kind == "approval":
        marks = selection.get("approve") or []
        if not isinstance(marks, list):
            raise BallotError("approve must be a list of candidates", "approve")
        if len(set(marks)) != len(marks):
            raise BallotError("a candidate is marked twice", "approve")
        unknown = [m for m in marks if m not in known]
        if unknown:
            raise BallotError("unknown candidate", "approve")
        limit = int(rules.get("max_choices") or len(keys))
        if len(marks) > limit:
            raise BallotError(f"too many choices: at most {limit}", "approve")
        return dumps({"approve": sorted(marks)})
    ranking = selection.get("ranking") or []
    if not isinstance(ranking, list):
        raise BallotError("ranking must be a list of candidates", "ranking")
    if any(r not in known for r in ranking):
        raise BallotError("unknown candidate", "ranking")
    if len(set(ranking)) != len(ranking):
        raise BallotError("a candidate is ranked twice", "ranking")
    limit = int(rules.get("max_rankings") or len(keys))
    if len(ranking) > limit:
        raise BallotError(f"too many choices: at most {limit} rankings", "ranking")
    return dumps({"ranking": list(ranking)})


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _count_yesno(
    ballots: Sequence[Mapping[str, Any]], rules: Mapping[str, Any], roll_size: int
) -> dict[str, Any]:
    tally = {"yes": 0, "no": 0, "abstain": 0}
    for b in ballots:
        tally[b["vote"]] += 1
    # The organisation's recall rules in force, as announced when the vote opened; an abstention
    # is a blank ballot: it counts for turnout, not as a valid vote.
    recall_rules = RecallRules.from_settings({"recall": rules.get("recall") or {}})
    decision = recall_rules.vote_result(tally["yes"], tally["no"], tally["abstain"], 0, roll_size)
    return {
        "method": YESNO,
        "tally": tally,
        "voters": len(ballots),
        "roll_size": roll_size,
        "decision": decision.as_dict(),
        "passed": decision.passed,
        "winners": [],
        "alternates": [],
    }


def _count_instruction(ballots: Sequence[Mapping[str, Any]], roll_size: int) -> dict[str, Any]:
    tally = dict.fromkeys(INSTRUCTION_OPTIONS, 0)
    for b in ballots:
        tally[b["vote"]] += 1
    return {
        "method": INSTRUCTION,
        "tally": tally,
        "voters": len(ballots),
        "roll_size": roll_size,
        "instruction": instruction_result(tally),
        "winners": [],
        "alternates": [],
    }


def _as_ranks(ballot: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    if "choice" in ballot:
        return ((ballot["choice"],),) if ballot["choice"] else ()
    if "approve" in ballot:
        return (tuple(ballot["approve"]),) if ballot["approve"] else ()
    return tuple((k,) for k in ballot.get("ranking", []))


def _engine_alternates(result: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """Not elected candidates, best first: still standing at the end, then the last excluded."""
    winners = list(result.get("winners", []))
    eliminated: list[str] = []
    for rnd in result.get("rounds", []):
        for name in rnd.get("eliminated", []):
            if name not in eliminated:
                eliminated.append(name)
    final = (result.get("rounds") or [{}])[-1].get("tally", {})
    standing = [k for k in keys if k not in winners and k not in eliminated]
    standing.sort(key=lambda k: -Fraction(str(final.get(k) or 0)))
    return standing + [k for k in reversed(eliminated) if k not in winners]


def _count_engine(
    method: str,
    keys: Sequence[str],
    ballots: Sequence[Mapping[str, Any]],
    seats: int,
    seed: str,
    rules: Mapping[str, Any],
) -> dict[str, Any]:
    from asamblea.counting.ballots import Profile, RankedBallot
    from asamblea.counting.methods import METHODS

    if method not in METHODS:
        raise ValueError(f"unknown counting method {method!r}")
    # Plurality: the choice as a first rank; approval: every approval as one equal first rank;
    # ranked: the ranking. Blank ballots count for turnout and are reported, not counted.
    marked = [_as_ranks(b) for b in ballots]
    profile = Profile(candidates=list(keys), seats=seats)
    profile.ballots = [RankedBallot(ranks) for ranks in marked if ranks]
    profile = profile.grouped()
    result = METHODS[method](profile, seats=seats, seed=seed)
    out = json.loads(json.dumps(result.to_json(), sort_keys=True))
    out["voters"] = len(ballots)
    out["blank"] = sum(1 for ranks in marked if not ranks)
    out["alternates"] = _engine_alternates(out, keys)
    return out


def count(
    method: str,
    keys: Sequence[str],
    ballots: Sequence[Mapping[str, Any]],
    *,
    seats: int,
    seed: str,
    rules: Mapping[str, Any],
    roll_size: int,
) -> dict[str, Any]:
    """Count published ballots; the result is JSON data with ``winners`` and ``alternates``."""
    kind = ballot_kind(method)
    if kind == "yesno":
        result = _count_yesno(ballots, rules, roll_size)
    elif kind == "instruction":
        result = _count_instruction(ballots, roll_size)
    else:
        result = _count_engine(method, keys, ballots, seats, seed, rules)
    # As the record will hold it (canonical JSON round trip), so a recount compares equal.
    return json.loads(dumps(result))
