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

from asamblea.crypto.ballot import Question
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
    return _yesno_result(tally, len(ballots), rules, roll_size)


def _yesno_result(
    tally: dict[str, int], voters: int, rules: Mapping[str, Any], roll_size: int
) -> dict[str, Any]:
    # The organisation's recall rules in force, as announced when the vote opened; an abstention
    # is a blank ballot: it counts for turnout, not as a valid vote.
    recall_rules = RecallRules.from_settings({"recall": rules.get("recall") or {}})
    decision = recall_rules.vote_result(tally["yes"], tally["no"], tally["abstain"], 0, roll_size)
    return {
        "method": YESNO,
        "tally": tally,
        "voters": voters,
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
    return _instruction_result(tally, len(ballots), roll_size)


def _instruction_result(tally: dict[str, int], voters: int, roll_size: int) -> dict[str, Any]:
    return {
        "method": INSTRUCTION,
        "tally": tally,
        "voters": voters,
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


# --- sealed ballots (ADR 0013) ------------------------------------------------------------------
#
# A sealed vote's ballot is one question, "q1", whose answers are 0/1 ciphertexts
# (crypto.ballot): yes/no has the answers (yes, no), selecting neither abstains; instruction has
# its four options, exactly one selected; plurality one answer per standing candidate in
# ballot-paper order, at most one selected (none is blank); approval the same with at most
# ``max_choices``. What is counted is the decrypted total of each answer, never a ballot.

SEALED_KINDS = ("yesno", "instruction", "choice", "approval")
QUESTION_ID = "q1"


def is_sealable(method: str) -> bool:
    """Whether a method's ballots are counted from homomorphic totals (ranked ones are not)."""
    return ballot_kind(method) in SEALED_KINDS


def sealed_answers(method: str, keys: Sequence[str]) -> list[str]:
    """The answers of the one question, in order: what each ciphertext of a ballot stands for."""
    kind = ballot_kind(method)
    if kind == "yesno":
        return ["yes", "no"]
    if kind == "instruction":
        return list(INSTRUCTION_OPTIONS)
    if kind in ("choice", "approval"):
        return list(keys)
    raise ValueError(f"{method!r} ballots are not counted from sealed totals")


def sealed_question(method: str, keys: Sequence[str], rules: Mapping[str, Any]) -> Question:
    """The shape of a sealed ballot's question (its id, answers and how many may be chosen)."""
    kind = ballot_kind(method)
    if kind == "yesno":
        return Question.yes_no(QUESTION_ID)
    if kind == "instruction":
        return Question(QUESTION_ID, len(INSTRUCTION_OPTIONS), 1, 1)
    if not keys:
        raise ValueError("a sealed ballot needs at least one candidate")
    if kind == "choice":
        return Question.plurality(QUESTION_ID, len(keys), allow_blank=True)
    if kind == "approval":
        limit = min(int(rules.get("max_choices") or len(keys)), len(keys))
        return Question.approval(QUESTION_ID, len(keys), limit)
    raise ValueError(f"{method!r} ballots are not counted from sealed totals")


def selection_vector(content: str, method: str, keys: Sequence[str]) -> list[int]:
    """The 0/1 vector a canonical content (:func:`canonical_ballot`) is sealed as."""
    answers = sealed_answers(method, keys)
    data = json.loads(content)
    if "vote" in data:
        abstains = data["vote"] == "abstain" and ballot_kind(method) == "yesno"
        marked = set() if abstains else {data["vote"]}
    elif "choice" in data:
        marked = {data["choice"]} if data["choice"] else set()
    elif "approve" in data:
        marked = set(data["approve"])
    else:
        raise ValueError("a ranked ballot is not sealed as a 0/1 vector")
    return [1 if a in marked else 0 for a in answers]


def count_totals(
    method: str,
    keys: Sequence[str],
    totals: Sequence[int],
    ballots: int,
    *,
    seats: int,
    seed: str,
    rules: Mapping[str, Any],
    roll_size: int,
) -> dict[str, Any]:
    """The result from the decrypted totals of a sealed vote: the same shape as :func:`count`,
    which only ever needed these totals for these methods. ``ballots`` is how many were cast."""
    answers = sealed_answers(method, keys)
    if len(totals) != len(answers) or any(t < 0 for t in totals):
        raise ValueError("one non-negative total per answer")
    by_answer = dict(zip(answers, totals, strict=True))
    kind = ballot_kind(method)
    if kind == "yesno":
        yes, no = by_answer["yes"], by_answer["no"]
        if yes + no > ballots:
            raise ValueError("more answers than ballots")
        tally = {"yes": yes, "no": no, "abstain": ballots - yes - no}
        result = _yesno_result(tally, ballots, rules, roll_size)
    elif kind == "instruction":
        if sum(totals) != ballots:
            raise ValueError("an instruction ballot has exactly one answer")
        result = _instruction_result(dict(by_answer), ballots, roll_size)
    else:
        marked = sum(totals)
        if kind == "choice" and marked > ballots:
            raise ValueError("more answers than ballots")
        result = _count_engine_totals(method, keys, by_answer, seats, seed)
        result["voters"] = ballots
        # Plurality: a ballot with no answer is blank. Approval: how many ballots approved no one
        # is not in the totals (only each candidate's approvals are decrypted).
        result["blank"] = ballots - marked if kind == "choice" else None
    return json.loads(dumps(result))


def _count_engine_totals(
    method: str, keys: Sequence[str], by_answer: Mapping[str, int], seats: int, seed: str
) -> dict[str, Any]:
    from asamblea.counting.ballots import Profile, RankedBallot
    from asamblea.counting.methods import METHODS

    profile = Profile(candidates=list(keys), seats=seats)
    profile.ballots = [RankedBallot(((k,),), t) for k, t in by_answer.items() if t]
    result = METHODS[method](profile, seats=seats, seed=seed)
    out = json.loads(json.dumps(result.to_json(), sort_keys=True))
    out["alternates"] = _engine_alternates(out, keys)
    return out
