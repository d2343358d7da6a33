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
- ``credentials_reissued`` v1: ``election``, ``count``, ``reissued_at`` (checked against the roll
  size: see :func:`check_ballots_within_roll`).
- ``election_counted`` v1: ``election``, ``method``, ``seats``, ``rules``, ``seed`` (revealed),
  ``result`` (what :func:`count` returns).

Ballot formats and the count itself are rules (:mod:`asamblea.rules.ballots`); this module
replays them over the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The typed classes of the entries this module reads (importing registers them).
from asamblea.record.entries import elections as _entries  # noqa: F401
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
    check_ballots_within_roll(election, opened, closed, entries)
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


def check_ballots_within_roll(
    election: int,
    opened: Mapping[str, Any],
    closed: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
) -> None:
    """No stuffing through reissued cards: ballots <= credentials issued at open.

    One credential is issued per roll entry at open (``election_opened``'s ``roll.size``); a
    reissue (``credentials_reissued``) *replaces* a member's code, deleting the old one, so it
    never adds a credential: the bound stays the roll size however many cards were reissued.
    Each reissue also replaces at most the roll's size.
    """
    size = int(opened["roll"]["size"])
    published = len(closed.get("ballots", []))
    if published > size:
        raise _mismatch(
            f"election {election}: entry {closed.get('index')} (election_closed) publishes "
            f"{published} ballots, more than the {size} credentials issued at open"
        )
    for e in entries:
        reissue = e.get("type") == "credentials_reissued" and e.get("election") == election
        if reissue and int(e.get("count", 0)) > size:
            raise _mismatch(
                f"election {election}: entry {e.get('index')} (credentials_reissued) "
                f"replaces {e.get('count')} cards, more than the roll's {size}"
            )


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
