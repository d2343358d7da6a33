"""The elections' record entries: delegate elections, by-elections, recall petitions and votes.

Every v1 type keeps the bytes the first release wrote; scheduled times (``opens_at``,
``closes_at``, ``deadline_at``) are ``seconds`` (``YYYY-MM-DDTHH:MM:SSZ``). Nothing here ever
names a voter, a signer or the member a voting code was issued to: a roll appears as its size and
commitment, a petition's support as a count, ballots only after close, shuffled apart from the
tracking codes.

Pure: no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from asamblea.record.entries.base import Entry, Part, entry, time_field

_KEY = "aaaabbbbccccdddd"
_ROLL: dict[str, Any] = {"size": 120, "commitment": "ab" * 32}


@dataclass(frozen=True)
class RollSizePart(Part):
    """A frozen roll as a vote announces it: how many, and the commitment to who."""

    size: int
    commitment: str


@dataclass(frozen=True)
class CandidatePart(Part):
    key: str
    name: str


# --- the election's lifecycle ---------------------------------------------------------------------


@entry(
    "election_created",
    1,
    example={
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
)
@dataclass(frozen=True)
class ElectionCreatedV1(Entry):
    election: int
    kind: str
    title: str
    unit: str
    body: str
    seats: int
    method: str
    seat: int | None
    opens_at: dt.datetime | None = time_field("seconds")
    closes_at: dt.datetime | None = time_field("seconds")


@entry("nominations_opened", 1, example={"election": 1})
@dataclass(frozen=True)
class NominationsOpenedV1(Entry):
    election: int


@entry("candidate_nominated", 1, example={"election": 1, "key": _KEY, "name": "Rosa Quispe"})
@dataclass(frozen=True)
class CandidateNominatedV1(Entry):
    election: int
    key: str
    name: str


@entry(
    "election_opened",
    1,
    example={
        "election": 1,
        "kind": "delegates",
        "title": "Delegates to the regional assembly",
        "unit": "mine-7",
        "body": "region-north",
        "seats": 2,
        "method": "plurality",
        "rules": {},
        "candidates": [{"key": _KEY, "name": "Rosa Quispe"}],
        "roll": _ROLL,
        "seed_commitment": "cd" * 32,
        "closes_at": "2026-05-01T20:00:00Z",
    },
)
@dataclass(frozen=True)
class ElectionOpenedV1(Entry):
    """The ballot paper (candidates in order), the rules, the roll and the lot's committed seed."""

    election: int
    kind: str
    title: str
    unit: str
    body: str
    seats: int
    method: str
    rules: dict[str, Any]
    candidates: list[CandidatePart]
    roll: RollSizePart
    seed_commitment: str
    closes_at: dt.datetime | None = time_field("seconds")


@entry(
    "election_closed",
    1,
    example={
        "election": 1,
        "voters": 1,
        "roll_size": 120,
        "tracking_codes": ["ABCDEFGHJKLM"],
        "ballots": [{"choice": _KEY}],
    },
)
@dataclass(frozen=True)
class ElectionClosedV1(Entry):
    """Ballots and tracking codes as two independently shuffled lists (nothing links them)."""

    election: int
    voters: int
    roll_size: int
    tracking_codes: list[str]
    ballots: list[dict[str, Any]]


@entry(
    "election_counted",
    1,
    example={
        "election": 1,
        "method": "plurality",
        "seats": 2,
        "rules": {},
        "seed": "ef" * 32,
        "result": {"winners": [_KEY], "alternates": []},
    },
)
@dataclass(frozen=True)
class ElectionCountedV1(Entry):
    election: int
    method: str
    seats: int
    rules: dict[str, Any]
    seed: str
    result: dict[str, Any]


# --- sealed votes (docs/adr/0013-sealed-votes-threat-model.md) ----------------------------------

_PT = "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY"  # a point's text (the generator)
_SC = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # a scalar's text (1)
_SEALED_BALLOT: dict[str, Any] = {
    "v": 1,
    "election": "sindicato-minero/election/1",
    "answers": [
        {
            "question": "q1",
            "choices": [[_PT, _PT], [_PT, _PT]],
            "choice_proofs": [[[_SC, _SC], [_SC, _SC]], [[_SC, _SC], [_SC, _SC]]],
            "overall_proof": [[_SC, _SC], [_SC, _SC]],
        }
    ],
}


@dataclass(frozen=True)
class SealedQuestionPart(Part):
    """A sealed ballot's question: what each 0/1 ciphertext stands for, and how many of them
    may be 1 (``min``..``max``)."""

    id: str
    answers: list[str]
    min: int
    max: int


@entry(
    "election_sealing",
    1,
    example={
        "election": 1,
        "board": "sindicato-minero/trustees/7f3a",
        "public_key": _PT,
        "seal_id": "sindicato-minero/election/1",
        "questions": [{"id": "q1", "answers": ["yes", "no"], "min": 0, "max": 1}],
    },
)
@dataclass(frozen=True)
class ElectionSealingV1(Entry):
    """Written at open, after ``election_opened``: the vote's ballots are sealed under the
    board's ``public_key``, every proof bound to ``seal_id`` and its question's id."""

    election: int
    board: str
    public_key: str
    seal_id: str
    questions: list[SealedQuestionPart]


@entry(
    "ballots_published",
    1,
    example={
        "election": 1,
        "chunk": 0,
        "chunks": 1,
        "ballots": [_SEALED_BALLOT],
        "digest": "ab" * 32,
    },
)
@dataclass(frozen=True)
class BallotsPublishedV1(Entry):
    """One chunk of a sealed vote's ballots (at most 1,000 ballots and 1 MiB), written at close:
    chunks numbered from 0, ballots sorted by tracking code (never cast order). ``digest`` is the
    SHA-256 of the RFC 8785 bytes of ``ballots``."""

    election: int
    chunk: int
    chunks: int
    ballots: list[dict[str, Any]]
    digest: str


@entry(
    "election_closed",
    2,
    example={
        "election": 1,
        "voters": 1,
        "roll_size": 120,
        "ballots": 1,
        "chunks": 1,
        "chain": "cd" * 32,
    },
)
@dataclass(frozen=True)
class ElectionClosedV2(Entry):
    """A sealed vote closed: its ``ballots`` are in ``chunks`` ``ballots_published`` entries
    before this one, and ``chain`` is the hash chain of their digests (a missing, repeated or
    reordered chunk breaks it). A ballot's tracking code is the hash of the ballot itself."""

    election: int
    voters: int
    roll_size: int
    ballots: int
    chunks: int
    chain: str


@dataclass(frozen=True)
class EncryptedTotalsPart(Part):
    question: str
    ciphertexts: list[list[str]]


@entry(
    "election_tallied",
    1,
    example={
        "election": 1,
        "ballots": 1,
        "request": 1,
        "tally": [{"question": "q1", "ciphertexts": [[_PT, _PT], [_PT, _PT]]}],
    },
)
@dataclass(frozen=True)
class ElectionTalliedV1(Entry):
    """The encrypted tally of a sealed vote (per question, the sum of every ballot's
    ciphertexts), sent to the trustees for decryption as ``request``."""

    election: int
    ballots: int
    request: int
    tally: list[EncryptedTotalsPart]


@dataclass(frozen=True)
class TotalsPart(Part):
    question: str
    totals: list[int]


@entry(
    "election_tally_decrypted",
    1,
    example={"election": 1, "request": 1, "totals": [{"question": "q1", "totals": [1, 0]}]},
)
@dataclass(frozen=True)
class ElectionTallyDecryptedV1(Entry):
    """The decrypted totals of each answer (the bounded discrete log of what k trustees'
    partial decryptions of ``request`` give); the vote can now be counted."""

    election: int
    request: int
    totals: list[TotalsPart]


@entry(
    "election_counted",
    2,
    example={
        "election": 1,
        "method": "plurality",
        "seats": 2,
        "rules": {},
        "seed": "ef" * 32,
        "ballots": 1,
        "totals": [{"question": "q1", "totals": [1, 0]}],
        "result": {"winners": [_KEY], "alternates": []},
    },
)
@dataclass(frozen=True)
class ElectionCountedV2(Entry):
    """A sealed vote counted from its decrypted totals (no ballot was ever decrypted)."""

    election: int
    method: str
    seats: int
    rules: dict[str, Any]
    seed: str
    ballots: int
    totals: list[TotalsPart]
    result: dict[str, Any]


@entry("election_certification_given", 1, example={"election": 1, "certifications": 1})
@dataclass(frozen=True)
class ElectionCertificationGivenV1(Entry):
    """One election officer certified the count; ``certifications`` is how many distinct officers
    have so far. The result takes effect with ``election_certified`` when enough have."""

    election: int
    certifications: int


@entry(
    "election_certified",
    1,
    example={
        "election": 1,
        "certifications": 2,
        "passed": None,
        "winners": [_KEY],
        "alternates": [],
    },
)
@dataclass(frozen=True)
class ElectionCertifiedV1(Entry):
    election: int
    certifications: int
    passed: bool | None
    winners: list[str]
    alternates: list[str]


# --- voting credentials ---------------------------------------------------------------------------


@entry(
    "credentials_reissued",
    1,
    example={"election": 1, "count": 3, "reissued_at": "2026-05-01T12:00:00.000000Z"},
)
@dataclass(frozen=True)
class CredentialsReissuedV1(Entry):
    """New voting codes replaced old ones for ``count`` roll members who had not voted. Never
    which members: that would say who had not voted yet."""

    election: int
    count: int
    reissued_at: dt.datetime = time_field("micro")


# --- recall ---------------------------------------------------------------------------------------


@entry(
    "recall_petition_opened",
    1,
    example={
        "petition": 1,
        "mandate": 3,
        "member": _KEY,
        "name": "Rosa Quispe",
        "unit": "mine-7",
        "body": "region-north",
        "reason": "She voted against the strike the unit instructed.",
        "roll": _ROLL,
        "signatures_needed": 24,
        "deadline_at": "2026-06-01T08:00:00Z",
        "rules": {"petition_fraction": "1/5", "petition_days": 30, "turnout_fraction": "1/3"},
    },
)
@dataclass(frozen=True)
class RecallPetitionOpenedV1(Entry):
    """A petition against a delegate: who is to be recalled (a public office), never who opened
    or signed it."""

    petition: int
    mandate: int
    member: str
    name: str
    unit: str
    body: str
    reason: str
    roll: RollSizePart
    signatures_needed: int
    rules: dict[str, Any]
    deadline_at: dt.datetime = time_field("seconds")


@entry(
    "recall_threshold_reached",
    1,
    example={
        "petition": 1,
        "signatures": 24,
        "roll_size": 120,
        "rule": {"passed": True},
        "route": "vote",
    },
)
@dataclass(frozen=True)
class RecallThresholdReachedV1(Entry):
    petition: int
    signatures: int
    roll_size: int
    rule: dict[str, Any]
    route: str


@entry("recall_teller_entered", 1, example={"petition": 1, "tellers": 1})
@dataclass(frozen=True)
class RecallTellerEnteredV1(Entry):
    """A teller entered a general meeting's count; ``tellers`` is how many have so far. The
    figures go on the record once two tellers agree (``recall_meeting_result``)."""

    petition: int
    tellers: int


@entry(
    "recall_meeting_result",
    1,
    example={
        "petition": 1,
        "tellers": 2,
        "present": 60,
        "yes": 40,
        "no": 15,
        "abstain": 5,
        "decision": {"passed": True},
    },
)
@dataclass(frozen=True)
class RecallMeetingResultV1(Entry):
    petition: int
    tellers: int
    present: int
    yes: int
    no: int
    abstain: int
    decision: dict[str, Any]


@entry(
    "recall_certified",
    1,
    example={
        "petition": 1,
        "mandate": 3,
        "passed": True,
        "how": "vote",
        "successor": _KEY,
        "by_election": None,
    },
)
@dataclass(frozen=True)
class RecallCertifiedV1(Entry):
    petition: int
    mandate: int
    passed: bool
    how: str
    successor: str | None
    by_election: int | None


@entry("recall_petition_expired", 1, example={"petition": 1, "signatures": 10})
@dataclass(frozen=True)
class RecallPetitionExpiredV1(Entry):
    petition: int
    signatures: int
