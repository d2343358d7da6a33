"""Sealed votes from cast to count (issue 18; ADR 0013): only ciphertexts are stored, the record
publishes every sealed ballot in chunks, the trustees decrypt the totals, the count and an
offline recount agree, and every step of the recount fails, named, when tampered with."""

from __future__ import annotations

import copy
import json
import secrets

import pytest
from elections_builders import (
    build_world,
    decrypt_tally,
    open_election,
    record_entries,
)

from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.crypto import ballot as sealed
from asamblea.crypto.group import point_from_text
from asamblea.elections import actions
from asamblea.elections.actions import sealing
from asamblea.elections.models import Ballot, CastFingerprint, Election, TrackingCode
from asamblea.record.recount import RecountMismatch
from asamblea.record.recount_elections import check_ballot_chunk, recount, sealed_questions
from asamblea.rules import ballots as counting

pytestmark = pytest.mark.django_db


def _key() -> str:
    return secrets.token_urlsafe(24)


def _cast_all(election: Election, codes: dict[int, str], choices: list[dict]) -> list[str]:
    receipts = []
    for code, choice in zip(codes.values(), choices, strict=False):
        receipts.append(actions.check_cast(election, code, choice, _key()).tracking_code)
    return receipts


def _counted(world, method: str = "plurality", rules: dict | None = None):  # noqa: ANN001, ANN202
    election, codes = open_election(world, method=method, rules=rules)
    keys = actions.candidate_keys(election)
    if method == "approval":
        choices = [{"approve": keys[:2]}, {"approve": [keys[0]]}, {"approve": []}]
    else:
        choices = [{"choice": keys[0]}, {"choice": keys[0]}, {"choice": keys[1]}, {"choice": None}]
    receipts = _cast_all(election, codes, choices)
    officer = world.officers[0]
    actions.do_close_election(officer, election)
    election.refresh_from_db()
    return election, receipts


def test_a_sealed_vote_stores_only_ciphertexts_and_counts_from_decrypted_totals():
    world = build_world(12)
    election, receipts = _counted(world)
    assert election.is_sealed and election.board_id == world.board.pk
    # Storage: every ballot is a sealed ballot, and its tracking code is its hash.
    contents = list(Ballot.objects.filter(election=election).values_list("content", flat=True))
    for content in contents:
        ballot = sealed.ballot_from_json(json.loads(content))
        assert sealed.canonical_bytes(ballot).decode() == content
    assert sorted(receipts) == sorted(
        sealed.tracking_code(sealed.ballot_from_json(json.loads(c))) for c in contents
    )
    assert set(TrackingCode.objects.filter(election=election).values_list("code", flat=True)) == (
        set(receipts)
    )
    assert not CastFingerprint.objects.filter(election=election).exists()
    # Counting waits for the trustees.
    with pytest.raises(BlockingIssues, match="awaiting decryption"):
        actions.do_count_election(world.officers[0], election)
    decrypt_tally(world, election)
    keys = actions.candidate_keys(election)
    assert election.totals == [{"question": "q1", "totals": [2, 1, 0]}]
    actions.do_count_election(world.officers[0], election)
    election.refresh_from_db()
    assert election.result["winners"] == [keys[0]]
    assert election.result["voters"] == 4 and election.result["blank"] == 1
    # The record: chunks, the close, the tally, the decryption, the count; and it recounts.
    entries = record_entries(world.org)
    types = [e["type"] for e in entries]
    for t in ("election_sealing", "ballots_published", "election_tallied"):
        assert t in types
    counted = [e for e in entries if e["type"] == "election_counted"][-1]
    assert counted["v"] == 2
    recount(counted, entries)


def test_approval_is_sealed_with_its_maximum_and_recounts():
    world = build_world(12)
    election, _ = _counted(world, "approval", {"max_choices": 2})
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    entries = record_entries(world.org)
    sealing_entry = next(e for e in entries if e["type"] == "election_sealing")
    assert sealing_entry["questions"][0]["max"] == 2
    recount([e for e in entries if e["type"] == "election_counted"][-1], entries)


def test_a_browser_sealed_ballot_is_accepted_and_a_copy_of_its_ciphertext_refused():
    world = build_world(12)
    election, codes = open_election(world)
    box = actions.BallotBox.load(election.pk)
    assert box.seal is not None
    first, second, third = list(codes.values())[:3]
    vector = [0, 1, 0]
    ballot, _ = sealed.seal_ballot(
        box.seal.public_key, election.seal_id, box.seal.questions, [vector]
    )
    text = sealed.canonical_bytes(ballot).decode()
    receipt = actions.check_cast(box, first, None, _key(), sealed=text)
    assert receipt.tracking_code == sealed.tracking_code(ballot)
    # The same ballot again, with another voter's code: a copy, refused, nothing written.
    with pytest.raises(ActionError, match="already cast"):
        actions.check_cast(box, second, None, _key(), sealed=text)
    assert Ballot.objects.filter(election=election).count() == 1
    # A ballot sealed for another election does not verify here.
    other, _ = sealed.seal_ballot(
        box.seal.public_key, "fed/election/999", box.seal.questions, [vector]
    )
    with pytest.raises(ActionError, match="another election"):
        actions.check_cast(box, third, None, _key(), sealed=sealed.canonical_bytes(other).decode())
    # Loose JSON is refused with the field named.
    with pytest.raises(ActionError) as exc:
        actions.check_cast(box, third, None, _key(), sealed='{"v": 1}')
    assert exc.value.field == "sealed"


def test_a_retried_cast_returns_the_same_receipt_and_a_spent_code_is_refused_before_any_insert():
    world = build_world(12)
    election, codes = open_election(world)
    keys = actions.candidate_keys(election)
    code = next(iter(codes.values()))
    key = _key()
    first = actions.check_cast(election, code, {"choice": keys[0]}, key)
    again = actions.check_cast(election, code, {"choice": keys[0]}, key)
    assert again.replayed and again.tracking_code == first.tracking_code
    with pytest.raises(ActionError, match="already been used"):
        actions.check_cast(election, code, {"choice": keys[1]}, _key())
    with pytest.raises(ActionError, match="different ballot"):
        actions.check_cast(election, code, {"choice": keys[1]}, key)
    assert Ballot.objects.filter(election=election).count() == 1


def test_a_secret_vote_cannot_open_without_a_ready_board():
    world = build_world(12)
    world.board.state = world.board.State.RETIRED
    world.board.save(update_fields=["state"])
    with pytest.raises(BlockingIssues, match="no trustee board: name trustees first"):
        open_election(world)


def _sealed_record(world):  # noqa: ANN001, ANN202
    election, _ = _counted(world)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    entries = record_entries(world.org)
    counted = [e for e in entries if e["type"] == "election_counted"][-1]
    return entries, counted


def test_the_recount_names_each_tampered_step():
    world = build_world(12)
    entries, counted = _sealed_record(world)

    def tampered(kind: str, change) -> list[dict]:  # noqa: ANN001
        out = copy.deepcopy(entries)
        for e in out:
            if e["type"] == kind:
                change(e)
                break
        return out

    # The published tally is not the sum of the ballots.
    def swap_tally(e: dict) -> None:
        e["tally"][0]["ciphertexts"][0], e["tally"][0]["ciphertexts"][1] = (
            e["tally"][0]["ciphertexts"][1],
            e["tally"][0]["ciphertexts"][0],
        )

    with pytest.raises(RecountMismatch, match="encrypted tally of q1 is not the sum"):
        recount(counted, tampered("election_tallied", swap_tally))
    # A ballot removed from its chunk: the digest no longer matches.
    with pytest.raises(RecountMismatch, match="digest does not match"):
        recount(counted, tampered("ballots_published", lambda e: e["ballots"].pop()))

    # Totals that the trustees' decryption does not give.
    def more_votes(e: dict) -> None:
        e["totals"][0]["totals"][0] += 1

    bad = tampered("election_tally_decrypted", more_votes)
    changed = copy.deepcopy(counted)
    more_votes(changed)
    with pytest.raises(RecountMismatch, match="do not follow from the trustees' partial"):
        recount(changed, bad)


def test_a_copied_ciphertext_on_the_record_fails_the_verifier():
    world = build_world(12)
    election, _ = _counted(world)
    entries = record_entries(world.org)
    chunk = copy.deepcopy(next(e for e in entries if e["type"] == "ballots_published"))
    sealing_entry = next(e for e in entries if e["type"] == "election_sealing")
    chunk["ballots"].append(copy.deepcopy(chunk["ballots"][0]))
    chunk["ballots"].sort(key=lambda b: sealed.tracking_code(sealed.ballot_from_json(b)))
    from asamblea.record.recount_elections import chunk_digest

    chunk["digest"] = chunk_digest(chunk["ballots"])
    with pytest.raises(RecountMismatch, match="copy|sorted"):
        check_ballot_chunk(
            chunk,
            public_key=sealing_entry["public_key"],
            seal_id=sealing_entry["seal_id"],
            questions=sealed_questions(sealing_entry),
        )


def test_a_proof_whose_challenge_omits_the_election_id_fails_verification():
    """A prover that hashes an empty election id (weak Fiat-Shamir): its ballot, labelled with
    the right election, is refused by the door and by the chunk check."""
    world = build_world(12)
    election, codes = open_election(world)
    box = actions.BallotBox.load(election.pk)
    assert box.seal is not None
    weak, _ = sealed.seal_ballot(box.seal.public_key, "", box.seal.questions, [[1, 0, 0]])
    relabelled = sealed.SealedBallot(election.seal_id, weak.answers)
    with pytest.raises(sealed.InvalidBallot):
        sealed.verify_ballot(box.seal.public_key, election.seal_id, box.seal.questions, relabelled)
    text = sealed.canonical_bytes(relabelled).decode()
    with pytest.raises(ActionError, match="not proved"):
        actions.check_cast(box, next(iter(codes.values())), None, _key(), sealed=text)


def test_sealing_at_the_door_makes_the_selection_unreadable_without_the_trustees():
    world = build_world(12)
    election, _ = open_election(world)
    spec = sealing.SealSpec.of(
        seal_id=election.seal_id,
        public_key=election.public_key,
        method=election.method,
        keys=actions.candidate_keys(election),
        rules=election.rules,
    )
    keys = actions.candidate_keys(election)
    content = counting.canonical_ballot("plurality", {"choice": keys[1]}, keys, {})
    stored = sealing.seal_selection(spec, content)
    assert keys[1] not in stored.content
    assert '"choice":' not in stored.content and content not in stored.content
    ballot = sealed.ballot_from_json(json.loads(stored.content))
    sealed.verify_ballot(
        point_from_text(election.public_key), election.seal_id, spec.questions, ballot
    )


def test_a_recall_reaching_its_threshold_without_a_board_waits_in_draft_and_opens_later():
    from asamblea.core.clock import now
    from asamblea.registry import actions as registry
    from fixtures.sample import make_sample_board

    world = build_world(10)
    world.board.state = world.board.State.RETIRED
    world.board.save(update_fields=["state"])
    mandate = registry.do_start_mandate(None, world.seats[0], world.members[0], source="test")
    petition = actions.do_open_petition(None, mandate, world.members[1], "Broke the mandate")
    for m in world.members[1:]:
        actions.do_sign(None, petition, m)
        petition.refresh_from_db()
        if petition.election_id:
            break
    # The signature that reached the threshold stands; the vote waits, saying why.
    election = petition.election
    assert petition.state == petition.State.VOTING and election.state == Election.State.DRAFT
    from asamblea.elections.queries import blocking_issues

    assert any("no trustee board" in i for i in blocking_issues(election, Election.State.OPEN))
    make_sample_board(world.org, now())
    opened = actions.do_open_election(world.officers[0], election)
    assert opened.election.state == Election.State.OPEN and opened.election.is_sealed


def test_the_api_casts_a_client_sealed_ballot_and_refuses_both_or_neither(client):
    world = build_world(6)
    election, codes = open_election(world)
    box = actions.BallotBox.load(election.pk)
    assert box.seal is not None
    ballot, _ = sealed.seal_ballot(
        box.seal.public_key, election.seal_id, box.seal.questions, [[0, 0, 1]]
    )
    text = sealed.canonical_bytes(ballot).decode()
    first, second = list(codes.values())[:2]
    url = f"/api/elections/{election.pk}/vote"
    reply = client.post(
        url, {"code": first, "sealed": text, "key": _key()}, content_type="application/json"
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["tracking_code"] == sealed.tracking_code(ballot)
    both = {"code": second, "sealed": text, "ballot": {"choice": None}, "key": _key()}
    neither = {"code": second, "key": _key()}
    for body in (both, neither):
        refused = client.post(url, body, content_type="application/json")
        assert refused.status_code == 400 and refused.json()["field"] == "ballot"
    assert Ballot.objects.filter(election=election).count() == 1


def test_asamblea_verify_checks_a_sealed_vote_from_the_exported_record(tmp_path):
    import subprocess
    import sys

    from asamblea.recordstore import actions as record_actions
    from asamblea.recordstore.export import export_to_dir

    world = build_world(12)
    record_actions.do_sign_checkpoint(world.org)
    election, _ = _counted(world)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    record_actions.do_sign_checkpoint(world.org)
    out = tmp_path / "record"
    export_to_dir(world.org, out)
    vkey = (out / "key.pub").read_text().strip()
    done = subprocess.run(
        [sys.executable, "-m", "asamblea", "verify", str(out), "--key", vkey, "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    recounted = next(line for line in done.stdout.splitlines() if line.startswith("recounted:"))
    assert "election_counted 1" in recounted
