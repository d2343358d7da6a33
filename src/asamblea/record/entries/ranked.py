"""Sealed ranked elections' record entries: the (unproven) shuffle at close, the decrypted
rankings, and the count (docs/adr/0014-ranked-sealed-stopgap.md).

A sealed ranked vote (IRV, STV, Schulze) is published in this order:

0. ``election_ranked_sealing`` at open: the key, the seal id and the ballot's shape;
1. ``election_ranked_ballots`` chunks and ``election_ranked_closed``: every sealed ballot
   (:mod:`asamblea.crypto.ranked`'s canonical JSON), sorted by tracking code;
2. ``election_rankings_shuffled``: the server re-encrypted and permuted those ballots, in memory,
   and asked the trustees to decrypt the result. The shuffled ciphertexts themselves are the
   decryption request's (``request``, whose ``decryption_ciphertexts`` chunks hold them, ``ranks``
   per ballot, in order); ``digest`` is that request's digest. ``proof`` says, on the record, that
   NO proof of the shuffle exists: until the verifiable mix of issue 14 the running server at
   close could link a ballot to its ranking;
3. the trustees' partial decryptions and the completion (:mod:`.trustees`);
4. ``election_rankings_decrypted`` chunks: for each shuffled ballot the ``ranks`` decrypted numbers
   (0 = nobody at that rank, ``i`` = the i-th candidate of ``election_opened``), which anyone
   checks against the completion's ``points_digest``;
5. ``election_ranked_counted``: the result, which anyone recounts from those numbers
   (:mod:`asamblea.record.recount_ranked`). A ballot whose numbers are not a ranking (a candidate
   twice, a rank after an empty one) is spoilt: counted in ``spoilt``, not in the result.

Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asamblea.record.entries.base import Entry, entry

# Ballots per ``election_rankings_decrypted`` entry.
CHUNK = 1000

UNPROVEN = "none: unproven server shuffle, to be replaced by the verifiable mix of issue 14"

_SEED = "5f" * 32
_RULES: dict[str, Any] = {}


@entry(
    "election_ranked_sealing",
    1,
    example={
        "election": 12,
        "board": "sindicato-minero/trustees/7f3a",
        "public_key": "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY",
        "seal_id": "sindicato-minero/election/12",
        "question": "q1",
        "candidates": 4,
        "ranks": 3,
    },
)
@dataclass(frozen=True)
class RankedSealingV1(Entry):
    """At open: a ranked ballot of this election is ``ranks`` ciphertexts under ``public_key``,
    each proved to hold 0..``candidates``, bound to ``seal_id`` and ``question``."""

    election: int
    board: str
    public_key: str
    seal_id: str
    question: str
    candidates: int
    ranks: int


@entry(
    "election_ranked_ballots",
    1,
    example={"election": 12, "chunk": 0, "chunks": 1, "ballots": [], "digest": "ab" * 32},
)
@dataclass(frozen=True)
class RankedBallotsV1(Entry):
    """At close: sealed ranked ballots (canonical JSON objects of ``crypto.ranked``), sorted by
    tracking code, in chunks; ``digest`` is SHA-256 of the chunk's ballots' RFC 8785 bytes."""

    election: int
    chunk: int
    chunks: int
    ballots: list[dict[str, Any]]
    digest: str


@entry(
    "election_ranked_closed",
    1,
    example={
        "election": 12,
        "voters": 3,
        "roll_size": 40,
        "ballots": 3,
        "chunks": 1,
        "chain": "cd" * 32,
    },
)
@dataclass(frozen=True)
class RankedClosedV1(Entry):
    """The close of a sealed ranked vote: as many ballots as voters, in ``chunks`` whose digests
    chain to ``chain``."""

    election: int
    voters: int
    roll_size: int
    ballots: int
    chunks: int
    chain: str


@entry(
    "election_rankings_shuffled",
    1,
    example={
        "election": 12,
        "seal_id": "sindicato-minero/election/12",
        "question": "q1",
        "ballots": 3,
        "ranks": 3,
        "request": 4,
        "digest": "ab" * 32,
        "proof": UNPROVEN,
    },
)
@dataclass(frozen=True)
class RankingsShuffledV1(Entry):
    election: int
    seal_id: str
    question: str
    ballots: int
    ranks: int
    request: int
    digest: str
    proof: str


@entry(
    "election_rankings_decrypted",
    1,
    example={"election": 12, "request": 4, "chunk": 0, "values": [[2, 1, 0], [3, 0, 0], [1, 1, 0]]},
)
@dataclass(frozen=True)
class RankingsDecryptedV1(Entry):
    """Shuffled ballots ``[chunk * CHUNK, ...)``, each as its decrypted numbers, rank by rank."""

    election: int
    request: int
    chunk: int
    values: list[list[int]]


@entry(
    "election_ranked_counted",
    1,
    example={
        "election": 12,
        "request": 4,
        "method": "irv",
        "seats": 1,
        "rules": _RULES,
        "seed": _SEED,
        "ballots": 3,
        "spoilt": 1,
        "result": {"winners": ["abcdefghijklmnop"], "alternates": [], "voters": 2, "blank": 0},
    },
)
@dataclass(frozen=True)
class RankedCountedV1(Entry):
    """The count of a sealed ranked vote; ``result`` is what ``rules.ballots.count`` returns over
    the rankings that are not spoilt (``voters`` counts those)."""

    election: int
    request: int
    method: str
    seats: int
    rules: dict[str, Any]
    seed: str
    ballots: int
    spoilt: int
    result: dict[str, Any]
