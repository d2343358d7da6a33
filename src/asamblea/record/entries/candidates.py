"""A candidate's withdrawal before a vote opens (the officers' console, issue 13).

Kept apart from :mod:`.elections` so the election entries' module keeps one owner; the same
rules hold: a candidate is named by the key the ballot uses, never more than the nomination
already published. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

from asamblea.record.entries.base import Entry, entry


@entry("candidate_withdrawn", 1, example={"election": 1, "key": "aaaabbbbccccdddd"})
@dataclass(frozen=True)
class CandidateWithdrawnV1(Entry):
    """A nominated candidate no longer stands; the vote opens with the others."""

    election: int
    key: str
