"""Weights from frozen rolls, recall mid-session, and imperative mandates (report, bound, recall)."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from assembly_builders import (
    all_entries,
    apportion,
    build_body,
    freeze_roll,
    make_alternate,
    make_member,
)

from asamblea.assemblies import actions
from asamblea.assemblies.models import (
    Attendance,
    DelegateVote,
    Deviation,
    Instruction,
    InstructionParticipation,
)
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.models import AuditEntry
from asamblea.record.recount_assemblies import recount
from asamblea.recordstore.models import RecordEntry
from asamblea.registry.models import Mandate

pytestmark = pytest.mark.django_db


def open_session(built):
    session = actions.do_schedule_session(None, built.body, title="S", scheduled_at=now())
    return actions.do_open_session(None, session)


def weighted_body(**settings):
    # North: 300 members, 3 seats (100 each); South: 50 members, 1 seat.
    return build_body(
        units=[("North", 3), ("South", 1)], populations=[300, 50], weighted=True, **settings
    )


def record_types(org):
    return list(
        RecordEntry.objects.filter(organisation=org)
        .order_by("index")
        .values_list("entry_type", flat=True)
    )


def test_weights_are_members_represented_per_seat_from_the_apportionment():
    built = weighted_body()
    session = open_session(built)
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    assert division.rule["basis"] == "weight"
    assert division.rule["legal"] == "350"
    north, south = built.units
    actions.do_cast_vote(None, division, built.seats_of(south)[0], "for")
    actions.do_cast_vote(None, division, built.seats_of(north)[0], "against")
    tally = actions.live_tally(division)
    assert tally["totals"]["for"] == Fraction(50)
    assert tally["totals"]["against"] == Fraction(100)
    division = actions.do_close_division(None, division)
    assert division.is_adopted is False
    assert division.totals["present"] == "350"


def test_weight_is_exact_when_population_does_not_divide_by_seats():
    built = build_body(units=[("North", 3)], populations=[100], weighted=True)
    assert actions.seat_weight(built.body, built.units[0].pk) == Fraction(100, 3)
    assert actions.legal_number(built.body) == (3, Fraction(100))


def test_weight_does_not_change_when_membership_changes_until_the_next_freeze():
    built = weighted_body()
    north, south = built.units
    for i in range(50):
        make_member(built.org, south, f"South member {i}")
    roll = freeze_roll(south)
    apportion(built.body, {north: (300, 3), south: (roll.size, 1)})
    before = actions.seat_weight(built.body, south.pk)
    assert before == Fraction(51)  # 50 members and the delegate
    # Thirty more join after the freeze: the weight holds.
    for i in range(30):
        make_member(built.org, south, f"Newcomer {i}")
    assert actions.seat_weight(built.body, south.pk) == before
    # The next freeze and apportionment carry the change.
    roll = freeze_roll(south)
    apportion(built.body, {north: (300, 3), south: (roll.size, 1)})
    assert actions.seat_weight(built.body, south.pk) == Fraction(81)


def test_a_recall_mid_session_moves_the_seats_weight_to_the_alternate():
    built = weighted_body()
    north, south = built.units
    seat = built.seats_of(south)[0]
    alternate = make_alternate(built, south, "Alternate of the South")
    session = open_session(built)
    for s in built.seats:
        actions.do_record_attendance(None, session, s)
    # Recall: the mandate ends at certification, the first alternate takes the seat.
    old = Mandate.objects.get(seat=seat, ended_at__isnull=True)
    at = now()
    Mandate.objects.filter(pk=old.pk).update(ended_at=at, end_reason="recalled")
    Mandate.objects.create(
        seat=seat, member=alternate.member, started_at=at, source=f"succession:{old.pk}"
    )
    alternate.used_at = at
    alternate.save()
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    with pytest.raises(ActionError, match="mandate .* has ended"):
        actions.do_cast_vote(None, division, seat, "for")
    actions.do_record_attendance(None, session, seat)
    vote = actions.do_cast_vote(None, division, seat, "for")
    assert vote.member == alternate.member
    assert vote.weight == Fraction(50)
    assert Attendance.objects.filter(session=session, seat=seat).count() == 2
    assert (
        Attendance.objects.get(session=session, seat=seat, left_at__isnull=True).member
        == alternate.member
    )


def test_an_alternate_stands_in_for_an_absent_delegate_with_the_seats_weight():
    built = weighted_body()
    south = built.units[1]
    alternate = make_alternate(built, south, "Stand-in")
    session = open_session(built)
    seat = built.seats_of(south)[0]
    attendance = actions.do_record_attendance(None, session, seat, member=alternate.member)
    assert attendance.is_alternate
    stranger = make_member(built.org, south, "Not an alternate")
    with pytest.raises(ActionError, match="alternates"):
        actions.do_record_attendance(
            None, session, built.seats_of(built.units[0])[0], member=stranger
        )
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    vote = actions.do_cast_vote(None, division, seat, "abstain")
    assert (vote.member_name, vote.is_alternate, vote.weight) == ("Stand-in", True, Fraction(50))


def instructed_division(mode, instruct="against"):
    built = weighted_body(mandate_mode=mode)
    south = built.units[1]
    for i in range(9):
        make_member(built.org, south, f"South member {i}")
    freeze_roll(south)
    session = open_session(built)
    for s in built.seats:
        actions.do_record_attendance(None, session, s)
    motion = actions.do_propose_motion(
        None, session, title="Strike", text="All-out strike", proposer_name="P"
    )
    counts = {"for": 2, "against": 6, "abstain": 1, "free": 1}
    if instruct == "for":
        counts = {"for": 6, "against": 2, "abstain": 1, "free": 1}
    actions.do_record_instruction_count(None, motion, south, counts)
    division = actions.do_open_division(None, motion)
    return built, division, built.seats_of(south)[0]


def test_report_mode_flags_a_deviation_on_the_vote_and_the_record():
    built, division, seat = instructed_division("report")
    vote = actions.do_cast_vote(None, division, seat, "for")
    assert vote.is_deviation
    assert Deviation.objects.get(vote=vote).mode == "report"
    [entry] = [
        json.loads(e.canonical) for e in RecordEntry.objects.filter(entry_type="assembly_deviation")
    ]
    assert (entry["instructed"], entry["choice"]) == ("against", "for")
    recount(entry, [])
    result = actions.do_close_division(None, division)
    assert result.is_adopted is True  # South's 50 for, nobody against, all 350 present
    [res] = [
        json.loads(e.canonical)
        for e in RecordEntry.objects.filter(entry_type="assembly_division_result")
    ]
    assert res["votes"][0]["deviation"] is True
    recount(res, all_entries(built.org))


def test_bound_mode_makes_a_deviating_vote_impossible():
    built, division, seat = instructed_division("bound")
    entries_before = RecordEntry.objects.count()
    audits_before = AuditEntry.objects.count()
    with pytest.raises(ActionError, match="bound mandate"):
        actions.do_cast_vote(None, division, seat, "for")
    with pytest.raises(ActionError, match="bound mandate"):
        actions.do_cast_vote(None, division, seat, "abstain")
    assert not DelegateVote.objects.exists()
    assert RecordEntry.objects.count() == entries_before
    assert AuditEntry.objects.count() == audits_before
    vote = actions.do_cast_vote(None, division, seat, "against")
    assert vote.is_deviation is False
    assert not Deviation.objects.exists()


def test_a_free_instruction_binds_nobody():
    built = weighted_body(mandate_mode="bound")
    south = built.units[1]
    freeze_roll(south)
    session = open_session(built)
    actions.do_record_attendance(None, session, built.seats_of(south)[0])
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    instruction = actions.do_record_instruction_count(
        None, motion, south, {"for": 0, "against": 0, "abstain": 0, "free": 1}
    )
    assert instruction.result == "free"
    division = actions.do_open_division(None, motion)
    assert (
        actions.do_cast_vote(None, division, built.seats_of(south)[0], "for").is_deviation is False
    )


def test_recall_mode_deviation_opens_a_recall_petition():
    from asamblea.elections.models import RecallPetition

    built, division, seat = instructed_division("recall")
    mandate = Mandate.objects.get(seat=seat, ended_at__isnull=True)
    vote = actions.do_cast_vote(None, division, seat, "for")
    deviation = Deviation.objects.get(vote=vote)
    petition = RecallPetition.objects.get(mandate=mandate)
    assert deviation.consequence == f"recall_petition:{petition.pk}"
    assert petition.state == "open"
    assert "against the unit's instruction" in petition.reason
    types = record_types(built.org)
    assert types.index("recall_petition_opened") < types.index("assembly_deviation")


def test_report_mode_deviation_opens_no_petition():
    from asamblea.elections.models import RecallPetition

    built, division, seat = instructed_division("report")
    actions.do_cast_vote(None, division, seat, "for")
    assert not RecallPetition.objects.exists()


def test_instruction_secret_ballot_counts_only_the_roll_and_stores_no_choice_by_member():
    # The first path, kept for instruction votes opened before they went through the elections
    # machinery (tests/integration/assemblies/test_instruction_votes.py): one such vote, open.
    built = weighted_body()
    south = built.units[1]
    voters = [make_member(built.org, south, f"Voter {i}") for i in range(5)]
    roll = freeze_roll(south)
    late = make_member(built.org, south, "Joined after the freeze")
    session = open_session(built)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    instruction = Instruction.objects.create(
        motion=motion, unit=south, roll=roll, electorate=roll.size, opened_at=now()
    )
    audits = AuditEntry.objects.count()
    records = RecordEntry.objects.count()
    for member, choice in zip(voters, ["for", "for", "for", "against", "free"], strict=True):
        actions.do_cast_instruction_ballot(None, member, instruction, choice)
    # Casting wrote no audit and no record entry.
    assert AuditEntry.objects.count() == audits
    assert RecordEntry.objects.count() == records
    with pytest.raises(ActionError, match="already voted"):
        actions.do_cast_instruction_ballot(None, voters[0], instruction, "against")
    with pytest.raises(NotFoundOrForbidden):
        actions.do_cast_instruction_ballot(None, late, instruction, "against")
    # Nothing stored next to a member says how they voted.
    fields = {f.name for f in InstructionParticipation._meta.get_fields()}
    assert fields == {"id", "instruction", "member"}
    instruction = actions.do_close_instruction(None, instruction)
    assert instruction.counts() == {"for": 3, "against": 1, "abstain": 0, "free": 1}
    assert instruction.result == "for"
    [entry] = [
        json.loads(e.canonical)
        for e in RecordEntry.objects.filter(entry_type="assembly_instruction_result")
    ]
    assert entry["counts"]["for"] == 3
    recount(entry, [])


def test_an_instruction_tie_leaves_the_delegate_free():
    built = weighted_body()
    south = built.units[1]
    for i in range(6):
        make_member(built.org, south, f"South member {i}")
    freeze_roll(south)
    session = open_session(built)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    with pytest.raises(ActionError, match="more votes than members"):
        actions.do_record_instruction_count(None, motion, south, {"for": 4, "against": 4})
    instruction = actions.do_record_instruction_count(None, motion, south, {"for": 3, "against": 3})
    assert instruction.result == "free"


def test_an_instruction_after_the_division_opened_is_refused():
    built, division, seat = instructed_division("report")
    north = built.units[0]
    freeze_roll(north, at=now() - dt.timedelta(minutes=1))
    with pytest.raises(ActionError, match="before the division"):
        actions.do_record_instruction_count(None, division.motion, north, {"for": 1})
    assert Instruction.objects.count() == 1


def test_weights_here_agree_with_the_registrys_mandate_weight():
    from asamblea.registry.actions import mandate_weight

    built = build_body(units=[("North", 3), ("South", 2)], populations=[100, 7], weighted=True)
    for mandate in built.mandates:
        assert actions.seat_weight(built.body, mandate.seat.unit_id) == mandate_weight(mandate)
    assert actions.legal_number(built.body)[1] == sum(mandate_weight(m) for m in built.mandates)
