"""Sealed ranked elections' record entries: the close, the trustees' verifiable mix of the sealed
rankings, the decrypted rankings, and the count (docs/adr/0014-ranked-sealed-stopgap.md for the
sealing and the count, docs/adr/0015-mixnet.md for the mix).

A sealed ranked vote (IRV, STV, Schulze) is published in this order:

0. ``election_ranked_sealing`` at open: the key, the seal id and the ballot's shape;
1. ``election_ranked_ballots`` chunks and ``election_ranked_closed``: every sealed ballot
   (:mod:`asamblea.crypto.ranked`'s canonical JSON), sorted by tracking code;
2. ``mix_requested`` (:mod:`.mixing`): the board's trustees are asked to shuffle that list, in
   that order; each accepted turn is ``ballots_shuffled`` chunks and ``shuffle_proved``
   (round 1's input is the sealed ballots, round ``r``'s the output of round ``r - 1``);
3. ``election_rankings_shuffled`` v2, written by the last shuffle's door: the mix (``mix``,
   ``rounds``) is complete and the trustees are asked to decrypt its last round's output
   (``request``; ``digest`` is that request's digest, which anyone recomputes from the last
   round's published ciphertexts);
   v1 (no longer written) named the server's UNPROVEN in-memory shuffle of ADR 0014's stopgap,
   whose ciphertexts were only the request's; it stays readable for records that carry it;
4. the trustees' partial decryptions and the completion (:mod:`.trustees`);
5. ``election_rankings_decrypted`` chunks: for each shuffled ballot the ``ranks`` decrypted numbers
   (0 = nobody at that rank, ``i`` = the i-th candidate of ``election_opened``), which anyone
   checks against the completion's ``points_digest``;
6. ``election_ranked_counted``: the result, which anyone recounts from those numbers
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

# What v1 of ``election_rankings_shuffled`` said in its ``proof`` field (ADR 0014's stopgap, gone).
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
    """NO LONGER WRITTEN (ADR 0014's stopgap): the server shuffled the rankings in memory,
    unproven, and asked for the decryption of the result (``request``). Read for old records."""

    election: int
    seal_id: str
    question: str
    ballots: int
    ranks: int
    request: int
    digest: str
    proof: str


@entry(
    "election_rankings_shuffled",
    2,
    example={
        "election": 12,
        "seal_id": "sindicato-minero/election/12",
        "question": "q1",
        "ballots": 3,
        "ranks": 3,
        "mix": 5,
        "rounds": 2,
        "request": 4,
        "digest": "ab" * 32,
    },
)
@dataclass(frozen=True)
class RankingsShuffledV2(Entry):
    """The trustees' mix ``mix`` of the sealed rankings is complete (``rounds`` proved shuffles,
    ``shuffle_proved``), and its last round's output (``ballots`` x ``ranks`` ciphertexts, in
    order) is what decryption request ``request`` asks to decrypt; ``digest`` is that request's
    (``trustees.ciphertexts_digest`` over the last round's output)."""

    election: int
    seal_id: str
    question: str
    ballots: int
    ranks: int
    mix: int
    rounds: int
    request: int
    digest: str


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
