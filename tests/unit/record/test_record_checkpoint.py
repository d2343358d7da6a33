"""Signed notes and checkpoints in the C2SP formats."""

from __future__ import annotations

import base64

import pytest

from asamblea.record.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
    sign_note,
    verify_note,
)

# The example key pair and signature of Go's golang.org/x/mod/sumdb/note tests: Ed25519 is
# deterministic, so our notes are byte-identical to the reference implementation's.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf"
    "qdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_notes_are_byte_identical_to_the_go_reference_implementation():
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.verifier().vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + GO_SIGNATURE


def test_a_reference_note_verifies_and_a_changed_one_does_not():
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    note = GO_TEXT + "\n" + GO_SIGNATURE
    assert verify_note(note, [verifier]) == (GO_TEXT, [verifier])
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(note.replace("answer", "answers"), [verifier])


def test_a_note_signed_only_by_unknown_keys_is_rejected():
    note = sign_note("hello\n", [NoteSigner.generate("example.org/log")])
    with pytest.raises(NoteError, match="not signed by any known key"):
        verify_note(note, [NoteVerifier.from_vkey(GO_VKEY)])


def test_unknown_cosigners_are_ignored():
    ours, witness = NoteSigner.generate("example.org/log"), NoteSigner.generate("witness.example")
    note = sign_note("hello\n", [witness, ours])
    assert verify_note(note, [ours.verifier()])[1] == [ours.verifier()]


def test_a_verifier_key_with_a_wrong_key_id_is_refused():
    with pytest.raises(NoteError, match="does not match"):
        NoteVerifier.from_vkey(GO_VKEY.replace("c74f20a3", "c74f20a4"))


def test_key_names_with_spaces_or_plus_are_refused():
    for name in ("", "a b", "a+b"):
        with pytest.raises(NoteError):
            NoteSigner.generate(name)


def test_checkpoint_body_has_origin_size_and_base64_root():
    cp = Checkpoint("example.org/record/fed", 20852163, bytes(range(32)))
    body = cp.body()
    assert body == (
        "example.org/record/fed\n20852163\n" + base64.b64encode(bytes(range(32))).decode() + "\n"
    )
    assert Checkpoint.parse(body) == cp


@pytest.mark.parametrize(
    "text",
    [
        "origin\n012\nAAAA\n",
        "origin\n12\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n12\n",
        "\n12\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text):
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_a_signed_checkpoint_opens_with_its_key_and_names_the_signers():
    old, new = NoteSigner.generate("h/record/f"), NoteSigner.generate("h/record/f")
    cp = Checkpoint("h/record/f", 3, bytes(32))
    note = sign_checkpoint(cp, [new, old])
    opened, signers = open_checkpoint(note, [old.verifier(), new.verifier()])
    assert opened == cp
    assert {v.key_id for v in signers} == {old.key_id, new.key_id}
    assert old.key_id != new.key_id


def test_the_signer_never_shows_its_seed():
    signer = NoteSigner.generate("h/record/f")
    assert base64.b64encode(signer.seed).decode() not in repr(signer)
