"""The verifiable mix of sealed ranked ballots on the record (docs/adr/0015-mixnet.md).

Each shuffle (a trustee's turn, ``round`` 1, 2, ...) is published as:

- ``ballots_shuffled`` chunks: the output ballots ``[chunk * CHUNK, ...)`` (each a list of
  ``[alpha, beta]``, one per rank) and, for the same ballots, the per-ballot parts of the proof
  (``commitments``, ``chain``, ``t_hat``, ``s_hat``, ``s_prime``: see ``crypto/shuffle.py``);
  ``digest`` is SHA-256 of the RFC 8785 bytes of those six lists (``chunk_digest``);
- ``shuffle_proved``: the proof's fixed parts (``t1``, ``t2``, ``t3``, ``t4`` per rank, ``s1`` to
  ``s4``, the challenge), the counts, and ``chain``, the hash chain of the chunks' digests.

The input of round 1 is the list of sealed ballots as ``election_ranked_ballots`` published it
(tracking-code order, each ballot's ``ranks``); the input of round ``r`` is the output of round
``r - 1``. Anyone checks every proof with ``crypto/shuffle_verify.py``
(:mod:`asamblea.record.recount_mixing`).

Pure: no Django.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from asamblea.record.entries.base import Entry, entry

# Ballots per ``ballots_shuffled`` entry.
CHUNK = 1000
PER_BALLOT = ("ballots", "commitments", "chain", "t_hat", "s_hat", "s_prime")
FIXED = ("t1", "t2", "t3", "t4", "s1", "s2", "s3", "s4", "challenge")

_P = "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY"
_S = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def chunk_digest(chunk: Mapping[str, Any]) -> str:
    """SHA-256 of the RFC 8785 bytes of a chunk's six per-ballot lists."""
    return hashlib.sha256(bytes(rfc8785.dumps({k: chunk[k] for k in PER_BALLOT}))).hexdigest()


def chain_digests(digests: Iterable[str]) -> str:
    h = hashlib.sha256(b"asamblea/shuffle-chunks/v1").digest()
    for d in digests:
        h = hashlib.sha256(h + bytes.fromhex(d)).digest()
    return h.hex()


@entry(
    "ballots_shuffled",
    1,
    example={
        "election": 12,
        "round": 1,
        "trustee": 2,
        "chunk": 0,
        "chunks": 1,
        "ballots": [[[_P, _P], [_P, _P]]],
        "commitments": [_P],
        "chain": [_P],
        "t_hat": [_P],
        "s_hat": [_S],
        "s_prime": [_S],
        "digest": "ab" * 32,
    },
)
@dataclass(frozen=True)
class BallotsShuffledV1(Entry):
    """One chunk of a shuffle's output ballots, with the per-ballot parts of its proof."""

    election: int
    round: int
    trustee: int
    chunk: int
    chunks: int
    ballots: list[list[list[str]]]
    commitments: list[str]
    chain: list[str]
    t_hat: list[str]
    s_hat: list[str]
    s_prime: list[str]
    digest: str


@entry(
    "shuffle_proved",
    1,
    example={
        "election": 12,
        "round": 1,
        "trustee": 2,
        "ballots": 1,
        "ranks": 2,
        "chunks": 1,
        "chain": "cd" * 32,
        "t1": _P,
        "t2": _P,
        "t3": _P,
        "t4": [[_P, _P], [_P, _P]],
        "s1": _S,
        "s2": _S,
        "s3": _S,
        "s4": [_S, _S],
        "challenge": _S,
    },
)
@dataclass(frozen=True)
class ShuffleProvedV1(Entry):
    """A trustee's shuffle of the whole list (round ``round``), proved: the proof's fixed parts;
    its per-ballot parts are in the ``ballots_shuffled`` chunks that chain to ``chain``."""

    election: int
    round: int
    trustee: int
    ballots: int
    ranks: int
    chunks: int
    chain: str
    t1: str
    t2: str
    t3: str
    t4: list[list[str]]
    s1: str
    s2: str
    s3: str
    s4: list[str]
    challenge: str


def shuffle_entries(
    *,
    election: int,
    round: int,
    trustee: int,
    outputs: list[list[list[str]]],
    proof: Mapping[str, Any],
) -> tuple[list[BallotsShuffledV1], ShuffleProvedV1]:
    """A shuffle's output list (``shuffle.ballots_to_json``) and proof (``shuffle.proof_to_json``)
    as the entries that publish them, chunked."""
    starts = range(0, len(outputs), CHUNK)
    chunks: list[BallotsShuffledV1] = []
    for n, start in enumerate(starts):
        end = start + CHUNK
        part: dict[str, Any] = {"ballots": outputs[start:end]}
        part.update({k: list(proof[k][start:end]) for k in PER_BALLOT if k != "ballots"})
        chunks.append(
            BallotsShuffledV1(
                election=election,
                round=round,
                trustee=trustee,
                chunk=n,
                chunks=len(starts),
                ballots=part["ballots"],
                commitments=part["commitments"],
                chain=part["chain"],
                t_hat=part["t_hat"],
                s_hat=part["s_hat"],
                s_prime=part["s_prime"],
                digest=chunk_digest(part),
            )
        )
    proved = ShuffleProvedV1(
        election=election,
        round=round,
        trustee=trustee,
        ballots=len(outputs),
        ranks=len(outputs[0]) if outputs else 0,
        chunks=len(chunks),
        chain=chain_digests(c.digest for c in chunks),
        **{k: proof[k] for k in FIXED},
    )
    return chunks, proved


@entry(
    "mix_requested",
    1,
    example={
        "mix": 3,
        "subject": "election:12:rankings",
        "board": "sindicato-minero/trustees/7f3a",
        "election": 12,
        "seal_id": "sindicato-minero/election/12",
        "question": "q1",
        "ballots": 3,
        "ranks": 2,
        "rounds": 2,
    },
)
@dataclass(frozen=True)
class MixRequestedV1(Entry):
    """The board's trustees are asked to shuffle the list in turn: ``rounds`` shuffles (the
    board's threshold), each by a different trustee, every one proved (``shuffle_proved``)."""

    mix: int
    subject: str
    board: str
    election: int
    seal_id: str
    question: str
    ballots: int
    ranks: int
    rounds: int
