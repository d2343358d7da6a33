"""The mix on the record: three trustees' shuffles in turn, published in chunks and checked from the
entries alone (record/recount_mixing.py); a tampered output, chunk, order of rounds or proof is
refused naming the round, the trustee and the step."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from asamblea.crypto import ranked
from asamblea.crypto import shuffle as S
from asamblea.crypto.elgamal import Ciphertext, encrypt
from asamblea.crypto.group import base_mul, point_from_text, point_to_text, random_scalar
from asamblea.crypto.transcript import Context
from asamblea.record.entries import mixing as M
from asamblea.record.recount import RecountMismatch, recounters
from asamblea.record.recount_mixing import recount_shuffle

KEY = base_mul(random_scalar())
SEAL = "federacion/election/12"
QUESTION = ranked.RankedQuestion("q1", candidates=4, ranks=3)


def _as_ballots(rows: list[list[list[str]]]) -> list[tuple[Ciphertext, ...]]:
    return [tuple(Ciphertext(point_from_text(a), point_from_text(b)) for a, b in r) for r in rows]


def _record(n: int = 7, rounds: int = 3, chunk: int = 3) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []

    def add(kind: str, payload: dict[str, Any]) -> None:
        entries.append({"type": kind, "index": len(entries), **payload})

    add(
        "election_ranked_sealing",
        {
            "election": 12,
            "board": "b",
            "public_key": point_to_text(KEY),
            "seal_id": SEAL,
            "question": "q1",
            "candidates": 4,
            "ranks": 3,
        },
    )
    sealed_rankings = sorted(
        (ranked.seal_ranking(KEY, SEAL, QUESTION, [1 + i % 4])[0] for i in range(n)),
        key=ranked.tracking_code,
    )
    sealed = [ranked.ranking_to_json(b) for b in sealed_rankings]
    for c, start in enumerate(range(0, n, 4)):
        add(
            "election_ranked_ballots",
            {"election": 12, "chunk": c, "ballots": sealed[start : start + 4]},
        )
    current = _as_ballots([b["ranks"] for b in sealed])
    ctx = Context(SEAL, "q1", KEY)
    old = M.CHUNK
    M.CHUNK = chunk
    try:
        for rnd in range(1, rounds + 1):
            outputs, proof = S.shuffle_with_proof(ctx, current)
            chunks, proved = M.shuffle_entries(
                election=12,
                round=rnd,
                trustee=rnd + 1,
                outputs=S.ballots_to_json(outputs),
                proof=S.proof_to_json(proof),
            )
            for e in chunks:
                add(e.TYPE, e.to_payload())
            add(proved.TYPE, proved.to_payload())
            current = outputs
    finally:
        M.CHUNK = old
    return entries


def _recount_all(entries: list[dict[str, Any]]) -> int:
    done = 0
    for e in entries:
        if e["type"] == "shuffle_proved":
            recount_shuffle(e, entries)
            done += 1
    return done


def test_three_shuffles_in_turn_verify_from_the_record() -> None:
    entries = _record()
    assert _recount_all(entries) == 3
    assert recounters()["shuffle_proved"] is recount_shuffle
    # Chunked: 7 ballots in chunks of 3 are 3 chunks per round.
    assert sum(e["type"] == "ballots_shuffled" for e in entries) == 9


def _proved(entries: list[dict[str, Any]], rnd: int) -> dict[str, Any]:
    return next(e for e in entries if e["type"] == "shuffle_proved" and e["round"] == rnd)


def _refused(entries: list[dict[str, Any]], rnd: int, match: str) -> None:
    with pytest.raises(RecountMismatch, match=match):
        recount_shuffle(_proved(entries, rnd), entries)


def test_an_output_replaced_with_its_digests_redone_is_refused_at_the_challenge() -> None:
    entries = _record()
    chunk = next(e for e in entries if e["type"] == "ballots_shuffled" and e["round"] == 2)
    chunk["ballots"][0][0] = [point_to_text(c) for c in encrypt(KEY, 2)[0].parts()]  # type: ignore[arg-type]
    chunk["digest"] = M.chunk_digest(chunk)
    chunks = [e for e in entries if e["type"] == "ballots_shuffled" and e["round"] == 2]
    _proved(entries, 2)["chain"] = M.chain_digests(c["digest"] for c in chunks)
    _refused(entries, 2, r"shuffle 2 by trustee 3\): shuffle proof, step challenge")
    # Round 3 took round 2's published (tampered) list as its input: its proof no longer holds.
    _refused(entries, 3, r"step challenge")
    recount_shuffle(_proved(entries, 1), entries)


def test_an_output_changed_without_its_digest_is_refused() -> None:
    entries = _record()
    chunk = next(e for e in entries if e["type"] == "ballots_shuffled" and e["round"] == 1)
    chunk["ballots"][1], chunk["ballots"][0] = chunk["ballots"][0], chunk["ballots"][1]
    _refused(entries, 1, "does not match its digest")


def test_a_response_changed_fails_its_equation() -> None:
    entries = _record()
    proved = _proved(entries, 3)
    proved["s1"] = S.scalar_to_text(S.ORDER - 1)
    _refused(entries, 3, "step t1")


def test_a_missing_round_or_chunk_or_a_second_proof_is_refused() -> None:
    entries = _record()
    without_round_one = [
        e for e in entries if not (e["type"] == "shuffle_proved" and e["round"] == 1)
    ]
    _refused(without_round_one, 2, "round 1 is not proved before round 2")
    dropped = [
        e
        for e in entries
        if not (e["type"] == "ballots_shuffled" and e["round"] == 3 and e["chunk"] == 1)
    ]
    _refused(dropped, 3, "chunks are not 0, 1, 2")
    doubled = [*entries, {**copy.deepcopy(_proved(entries, 2)), "index": len(entries)}]
    _refused(doubled, 2, "2 proofs of round 2")


def test_the_first_round_reads_ballots_checked_ahead_by_the_workers() -> None:
    """With the verifier's worker pool the sealed ballots are dropped from the entries and kept
    as their check's outcome: round 1 still finds its input there."""
    from asamblea.record.chunks import CheckedChunk
    from asamblea.record.recount_ranked import check_ranked_chunk
    from asamblea.record.recount_ranked import chunk_digest as ballots_digest

    entries = _record(n=5, rounds=1)
    for i, e in enumerate(entries):
        if e["type"] == "election_ranked_ballots":
            e["digest"] = ballots_digest(e["ballots"])
            outcome = check_ranked_chunk(
                e, public_key=point_to_text(KEY), seal_id=SEAL, question=QUESTION
            )
            stub = CheckedChunk({k: v for k, v in e.items() if k != "ballots"})
            stub.outcome = outcome
            entries[i] = stub
    assert _recount_all(entries) == 1


def test_the_rank_checks_over_worker_processes_give_the_same_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from asamblea.record import recount_mixing

    monkeypatch.setattr(recount_mixing, "PARALLEL_FROM", 0)
    monkeypatch.setattr(recount_mixing.os, "cpu_count", lambda: 2)
    entries = _record(n=5, rounds=2)
    assert _recount_all(entries) == 2
    proved = _proved(entries, 2)
    proved["s4"] = [proved["s4"][0], S.scalar_to_text(5), proved["s4"][2]]
    _refused(entries, 2, "step t4: rank 2")
