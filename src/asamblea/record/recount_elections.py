"""Elections and recall votes as the public record states them, and their recount.

Pure Python, no Django: the server counts with :func:`count` and anyone recounts from the exported
record with :func:`recount`, so the two cannot disagree by construction.

Entries this module reads (payload fields besides ``type``, ``v``, ``index``, ``at``):

- ``election_opened`` v1: ``election`` (id), ``kind``, ``title``, ``unit``, ``body``, ``seats``,
  ``method``, ``rules``, ``candidates`` ([{"key", "name"}] in ballot-paper order), ``roll``
  ({"size", "commitment"}), ``seed_commitment`` (SHA-256 hex of the seed).
- ``election_closed`` v1: ``election``, ``voters``, ``tracking_codes`` and ``ballots``: two
  independently shuffled lists; a ballot is canonical JSON content (see :func:`canonical_ballot`).
- ``election_counted`` v1: ``election``, ``method``, ``seats``, ``rules``, ``seed`` (revealed),
  ``result`` (what :func:`count` returns).

Ballot contents: ``{"vote": "yes"|"no"|"abstain"}`` (yes/no), ``{"choice": key|null}``
(plurality; null is blank), ``{"approve": [keys, sorted]}`` (approval), ``{"ranking": [keys]}``
(ranked methods; an empty ranking is blank).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

YESNO = "yesno"
PLURALITY = "plurality"
APPROVAL = "approval"


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
    from asamblea.rules.recall import RecallRules

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
    else:
        result = _count_engine(method, keys, ballots, seats, seed, rules)
    # As the record will hold it (canonical JSON round trip), so a recount compares equal.
    return json.loads(dumps(result))


def _mismatch(message: str) -> Exception:
    try:
        from asamblea.record.recount import RecountMismatch
    except ImportError:  # the record's recount table is not there: a local stand-in
        return RecountMismatchError(message)
    return RecountMismatch(message)


class RecountMismatchError(Exception):
    """Raised when :mod:`asamblea.record.recount` (and its ``RecountMismatch``) is absent."""


def _find(
    entries: Iterable[Mapping[str, Any]], entry_type: str, election: int
) -> Mapping[str, Any]:
    found = [e for e in entries if e.get("type") == entry_type and e.get("election") == election]
    if len(found) != 1:
        raise _mismatch(f"election {election}: expected one {entry_type} entry, found {len(found)}")
    return found[0]


def recount(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    """Recount an ``election_counted`` entry from the record alone; raise on any difference."""
    election = entry["election"]
    opened = _find(entries, "election_opened", election)
    closed = _find(entries, "election_closed", election)
    seed = entry.get("seed", "")
    if seed_commitment(seed) != opened.get("seed_commitment"):
        raise _mismatch(f"election {election}: the revealed seed does not match its commitment")
    for field in ("method", "seats", "rules"):
        if entry.get(field) != opened.get(field):
            raise _mismatch(f"election {election}: {field} differs from the one announced at open")
    ballots = [json.loads(b) if isinstance(b, str) else b for b in closed["ballots"]]
    if len(ballots) != closed.get("voters") or len(closed.get("tracking_codes", [])) != len(
        ballots
    ):
        raise _mismatch(f"election {election}: ballots, tracking codes and voters differ in number")
    keys = [c["key"] for c in opened["candidates"]]
    for b in ballots:
        try:
            content = canonical_ballot(opened["method"], b, keys, opened.get("rules") or {})
        except BallotError as exc:
            raise _mismatch(f"election {election}: a published ballot is invalid: {exc}") from None
        if json.loads(content) != b:
            raise _mismatch(f"election {election}: a published ballot is not canonical")
    again = count(
        opened["method"],
        keys,
        ballots,
        seats=opened["seats"],
        seed=seed,
        rules=opened.get("rules") or {},
        roll_size=opened["roll"]["size"],
    )
    if again != entry.get("result"):
        raise _mismatch(f"election {election}: the recount differs from the recorded result")


def recount_meeting(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    """Recompute a general meeting's recall decision from the tellers' agreed figures."""
    from asamblea.rules.recall import RecallRules

    petition = entry["petition"]
    found = [
        e
        for e in entries
        if e.get("type") == "recall_petition_opened" and e.get("petition") == petition
    ]
    if len(found) != 1:
        raise _mismatch(f"recall petition {petition}: its opening entry is missing")
    opened = found[0]
    rules = RecallRules.from_settings({"recall": opened.get("rules") or {}})
    present, yes, no, abstain = (entry[k] for k in ("present", "yes", "no", "abstain"))
    if yes + no + abstain > present:
        raise _mismatch(f"recall petition {petition}: more votes than members present")
    decision = rules.vote_result(
        yes, no, abstain, present - yes - no - abstain, opened["roll"]["size"]
    )
    if json.loads(dumps(decision.as_dict())) != entry.get("decision"):
        raise _mismatch(f"recall petition {petition}: the decision does not follow from the count")


RECOUNTERS = {"election_counted": recount, "recall_meeting_result": recount_meeting}


def _register() -> None:
    from asamblea.record.encoding import register_entry_type

    key = "aaaabbbbccccdddd"
    roll = {"size": 120, "commitment": "ab" * 32}
    examples: dict[str, dict[str, Any]] = {
        "election_created": {
            "election": 1,
            "kind": "delegates",
            "title": "Delegates to the regional assembly",
            "unit": "mine-7",
            "body": "region-north",
            "seats": 2,
            "method": "plurality",
            "seat": None,
            "opens_at": "2026-05-01T08:00:00Z",
            "closes_at": "2026-05-01T20:00:00Z",
        },
        "nominations_opened": {"election": 1},
        "candidate_nominated": {"election": 1, "key": key, "name": "Rosa Quispe"},
        "election_opened": {
            "election": 1,
            "kind": "delegates",
            "title": "Delegates to the regional assembly",
            "unit": "mine-7",
            "body": "region-north",
            "seats": 2,
            "method": "plurality",
            "rules": {},
            "candidates": [{"key": key, "name": "Rosa Quispe"}],
            "roll": roll,
            "seed_commitment": "cd" * 32,
            "closes_at": "2026-05-01T20:00:00Z",
        },
        "election_closed": {
            "election": 1,
            "voters": 1,
            "roll_size": 120,
            "tracking_codes": ["ABCDEFGHJKLM"],
            "ballots": [{"choice": key}],
        },
        "election_counted": {
            "election": 1,
            "method": "plurality",
            "seats": 2,
            "rules": {},
            "seed": "ef" * 32,
            "result": {"winners": [key], "alternates": []},
        },
        "election_certified": {
            "election": 1,
            "certifications": 2,
            "passed": None,
            "winners": [key],
            "alternates": [],
        },
        "recall_petition_opened": {
            "petition": 1,
            "mandate": 3,
            "member": key,
            "name": "Rosa Quispe",
            "unit": "mine-7",
            "body": "region-north",
            "reason": "She voted against the strike the unit instructed.",
            "roll": roll,
            "signatures_needed": 24,
            "deadline_at": "2026-06-01T08:00:00Z",
            "rules": {"petition_fraction": "1/5", "petition_days": 30, "turnout_fraction": "1/3"},
        },
        "recall_threshold_reached": {
            "petition": 1,
            "signatures": 24,
            "roll_size": 120,
            "rule": {"passed": True},
            "route": "vote",
        },
        "recall_meeting_result": {
            "petition": 1,
            "tellers": 2,
            "present": 60,
            "yes": 40,
            "no": 15,
            "abstain": 5,
            "decision": {"passed": True},
        },
        "recall_certified": {
            "petition": 1,
            "mandate": 3,
            "passed": True,
            "how": "vote",
            "successor": key,
            "by_election": None,
        },
        "recall_petition_expired": {"petition": 1, "signatures": 10},
    }
    for name, example in examples.items():
        register_entry_type(name, 1, example.keys(), example=example)


_register()
