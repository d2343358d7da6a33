"""Elections and recall votes as the public record states them, and their recount.

Pure Python, no Django: the server counts with :func:`asamblea.rules.ballots.count` and anyone
recounts from the exported record with :func:`recount`, so the two cannot disagree by
construction.

Entries this module reads (payload fields besides ``type``, ``v``, ``index``, ``at``):

- ``election_opened`` v1: ``election`` (id), ``kind``, ``title``, ``unit``, ``body``, ``seats``,
  ``method``, ``rules``, ``candidates`` ([{"key", "name"}] in ballot-paper order), ``roll``
  ({"size", "commitment"}), ``seed_commitment`` (SHA-256 hex of the seed).
- ``election_closed`` v1: ``election``, ``voters``, ``tracking_codes`` and ``ballots``: two
  independently shuffled lists; a ballot is canonical JSON content (see :func:`canonical_ballot`).
- ``election_counted`` v1: ``election``, ``method``, ``seats``, ``rules``, ``seed`` (revealed),
  ``result`` (what :func:`count` returns).

Ballot formats and the count itself are rules (:mod:`asamblea.rules.ballots`); this module
replays them over the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asamblea.rules.ballots import (  # noqa: F401  (re-exported: the record's readers use them)
    APPROVAL,
    PLURALITY,
    YESNO,
    BallotError,
    ballot_kind,
    canonical_ballot,
    count,
    dumps,
    seed_commitment,
)


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
