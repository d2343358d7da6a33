"""A unit's instruction vote goes through the elections machinery (issue 17 item 3): an election of
kind "instruction", voted with the same codes and cast action, sealed under the board's standing
key, decrypted by the trustees as a total; the division waits for it; the instruction result is
recounted from the election's count; the first path still finishes instructions already open."""

from __future__ import annotations

import json
import secrets

import pytest
from assembly_builders import all_entries, build_body, freeze_roll, make_member

from asamblea.assemblies import actions
from asamblea.assemblies.models import Instruction
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.elections import actions as elections
from asamblea.elections.models import Ballot, Election
from asamblea.record.recount import RecountMismatch, recounters
from asamblea.trustees.models import DecryptionRequest
from fixtures.sample import make_sample_board
from fixtures.trustees import decrypt

pytestmark = pytest.mark.django_db


def _world(voters: int = 5):  # type: ignore[no-untyped-def]
    built = build_body(units=[("North", 1), ("South", 1)])
    south = built.units[1]
    members = [make_member(built.org, south, f"Voter {i}") for i in range(voters)]
    freeze_roll(south)
    board, shares = make_sample_board(built.org, now())
    session = actions.do_schedule_session(None, built.body, title="S", scheduled_at=now())
    session = actions.do_open_session(None, session)
    motion = actions.do_propose_motion(None, session, title="Strike", text="T", proposer_name="P")
    return built, south, members, shares, motion


def _recount_everything(org) -> list[dict]:  # type: ignore[no-untyped-def]
    entries = all_entries(org)
    table = recounters()
    for entry in entries:
        check = table.get(entry["type"])
        if check is not None:
            check(entry, entries)
    return entries


def test_an_instruction_vote_is_a_sealed_election_decrypted_by_the_trustees():
    built, south, members, shares, motion = _world()
    instruction = actions.do_open_instruction(None, motion, south)
    election = instruction.election
    assert election is not None
    assert election.kind == Election.Kind.INSTRUCTION and election.method == "instruction"
    assert election.state == Election.State.OPEN and election.is_sealed
    assert election.roll_id == instruction.roll_id
    codes = list(instruction.printed_codes.values())
    assert len(codes) == 6  # the five voters and South's delegate, on the frozen roll
    # Members vote with their codes on the election, like any vote; storage holds ciphertexts.
    for code, vote in zip(codes, ["for", "for", "against", "for", "free"], strict=False):
        elections.check_cast(election, code, {"vote": vote}, secrets.token_urlsafe(24))
    for content in Ballot.objects.filter(election=election).values_list("content", flat=True):
        assert '"vote"' not in content and "answers" in json.loads(content)
    with pytest.raises(ActionError, match="ballot page"):
        actions.do_cast_instruction_ballot(None, members[0], instruction, "for")
    # Closing waits for the trustees; so does the division, saying why.
    instruction = actions.do_close_instruction(None, instruction)
    assert instruction.status == Instruction.Status.DECRYPTING
    with pytest.raises(ActionError, match="trustees have not yet decrypted"):
        actions.do_open_division(None, motion)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")
    decrypt(request, shares[:1])
    instruction.refresh_from_db()
    assert instruction.status == Instruction.Status.DECRYPTING  # one of two is not enough
    decrypt(request, shares[1:2])
    instruction.refresh_from_db()
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    assert instruction.status == Instruction.Status.CLOSED
    assert instruction.counts() == {"for": 3, "against": 1, "abstain": 0, "free": 1}
    assert instruction.result == "for"
    # The result entry (v2) names the election and recounts against its count.
    entries = _recount_everything(built.org)
    [result] = [e for e in entries if e["type"] == "assembly_instruction_result"]
    assert result["v"] == 2 and result["election"] == election.pk
    assert result["method"] == "election" and result["counts"]["for"] == 3
    [opened] = [e for e in entries if e["type"] == "assembly_instruction_opened"]
    assert opened["v"] == 2 and opened["election"] == election.pk
    # The division now opens, carrying the instruction.
    division = actions.do_open_division(None, motion)
    assert division.instructed[str(south.pk)] == [instruction.pk, "for"]


def test_an_instruction_result_that_differs_from_its_election_count_fails_the_recount():
    built, south, members, shares, motion = _world(2)
    instruction = actions.do_open_instruction(None, motion, south)
    for code in instruction.printed_codes.values():
        elections.check_cast(instruction.election, code, {"vote": "against"}, secrets.token_hex(12))
    actions.do_close_instruction(None, instruction)
    decrypt(DecryptionRequest.objects.get(), shares[:2])
    entries = all_entries(built.org)
    [result] = [e for e in entries if e["type"] == "assembly_instruction_result"]
    recount = recounters()["assembly_instruction_result"]
    recount(result, entries)
    forged = {
        **result,
        "counts": {"for": 3, "against": 0, "abstain": 0, "free": 0},
        "result": "for",
    }
    with pytest.raises(RecountMismatch, match="differ from election"):
        recount(forged, entries)
    elsewhere = {**result, "election": result["election"] + 1000}
    with pytest.raises(RecountMismatch, match="not opened and counted"):
        recount(elsewhere, entries)


def test_an_instruction_nobody_voted_on_is_free():
    built, south, members, shares, motion = _world(2)
    instruction = actions.do_open_instruction(None, motion, south)
    instruction = actions.do_close_instruction(None, instruction)
    # No ballot: a sealed tally of nothing still goes to the trustees, or is counted at once.
    for request in DecryptionRequest.objects.all():
        decrypt(request, shares[:2])
    instruction.refresh_from_db()
    assert instruction.status == Instruction.Status.CLOSED
    assert instruction.result == "free"
    _recount_everything(built.org)


def test_an_instruction_opened_on_the_first_path_still_finishes_on_it():
    built, south, members, shares, motion = _world(3)
    # As an instruction vote opened before this change left it: running counts, no election.
    legacy = Instruction.objects.create(
        motion=motion,
        unit=south,
        roll=south.rolls.order_by("-frozen_at").first(),
        electorate=3,
        method="ballot",
        opened_at=now(),
    )
    for member, choice in zip(members, ["against", "against", "for"], strict=True):
        actions.do_cast_instruction_ballot(None, member, legacy, choice)
    legacy = actions.do_close_instruction(None, legacy)
    assert legacy.result == "against"
    entries = _recount_everything(built.org)
    [result] = [e for e in entries if e["type"] == "assembly_instruction_result"]
    assert result["v"] == 1 and result["method"] == "ballot"
