"""The Fiat-Shamir transcript: its exact bytes (an independent verifier must reproduce them), and
that every challenge made while sealing, verifying and decrypting hashes the whole statement."""

from __future__ import annotations

import hashlib

import pytest

from asamblea.crypto import ballot as B
from asamblea.crypto import proofs
from asamblea.crypto import threshold as T
from asamblea.crypto.elgamal import encrypt
from asamblea.crypto.group import GENERATOR, ORDER, base_mul, random_scalar
from asamblea.crypto.transcript import BoardContext, Context, challenge


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def test_a_challenge_is_sha512_of_the_length_framed_parts_reduced_mod_l() -> None:
    ctx = Context("election-1", "question-1", GENERATOR)
    expected = hashlib.sha512(
        _framed(
            b"asamblea/sealed-ballot/v1",
            b"choice",
            b"ristretto255",
            b"election",
            bytes(GENERATOR),
            b"election-1",
            b"question-1",
            b"part",
        )
    ).digest()
    assert challenge("choice", ctx, b"part") == int.from_bytes(expected, "little") % ORDER


def test_a_board_challenge_hashes_the_board_threshold_and_size() -> None:
    board = BoardContext("org/board", 3, 5)
    expected = hashlib.sha512(
        _framed(
            b"asamblea/sealed-ballot/v1",
            b"pok",
            b"ristretto255",
            b"board",
            b"org/board",
            (3).to_bytes(4, "big"),
            (5).to_bytes(4, "big"),
        )
    ).digest()
    assert challenge("pok", board) == int.from_bytes(expected, "little") % ORDER


def test_framing_keeps_neighbouring_parts_apart() -> None:
    ctx = Context("e", "q", GENERATOR)
    assert challenge("t", ctx, b"ab", b"c") != challenge("t", ctx, b"a", b"bc")
    assert challenge("t", ctx) != challenge("u", ctx)


@pytest.fixture
def spy(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[tuple[str, object, tuple[bytes, ...]]] = []

    def recording(tag, context, *parts):  # type: ignore[no-untyped-def]
        calls.append((tag, context, parts))
        return challenge(tag, context, *parts)

    monkeypatch.setattr(proofs, "challenge", recording)
    return calls


def test_every_ballot_challenge_hashes_its_context_and_every_ciphertext_of_its_answer(spy) -> None:  # type: ignore[no-untyped-def]
    key = base_mul(random_scalar())
    questions = [B.Question.yes_no("recall"), B.Question.approval("committee", 4, 2)]
    ballot, _ = B.seal_ballot(key, "election-5", questions, [[0, 1], [1, 0, 0, 1]])
    sealing = len(spy)
    B.verify_ballot(key, "election-5", questions, ballot)
    assert sealing == len(spy) - sealing == 2 + 1 + 4 + 1
    for tag, context, parts in spy:
        assert tag in {"choice", "overall"}
        assert isinstance(context, Context)
        assert context.election_id == "election-5" and context.public_key == key
        answer = next(a for a in ballot.answers if a.question_id == context.question_id)
        for c in answer.choices:
            assert bytes(c.alpha) in parts and bytes(c.beta) in parts
        # The commitments: two per branch, after the statement.
        branches = 2 if tag == "choice" else 3 if context.question_id == "committee" else 2
        assert len(parts) >= 2 * branches + 2 * len(answer.choices)


def test_every_decryption_challenge_hashes_the_ciphertext_the_factor_and_the_key(spy) -> None:  # type: ignore[no-untyped-def]
    board = BoardContext("b", 2, 3)
    ids = [T.new_trustee(board, i) for i in range(1, 4)]
    certs = [c for _, c in ids]
    polys = [T.make_polynomial(board, s, certs) for s, _ in ids]
    keys = [T.complete_key(board, s, certs, polys) for s, _ in ids]
    params = T.assemble_board(board, certs, polys, [vk for _, vk in keys])
    ctx = Context("election-6", "q", params.public_key)
    tally = (encrypt(params.public_key, 3)[0],)
    spy.clear()
    partial = T.partial_decrypt(ctx, keys[1][0], tally)
    T.verify_partial_decryption(ctx, params, tally, partial)
    assert len(spy) == 2
    for tag, context, parts in spy:
        assert tag == "decrypt" and context == ctx
        for needed in (tally[0].alpha, tally[0].beta, partial.factors[0], keys[1][1].public):
            assert bytes(needed) in parts
