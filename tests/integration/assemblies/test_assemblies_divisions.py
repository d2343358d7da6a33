"""Divisions by public roll call: thresholds, quorum, amendments, the record and its recount."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from assembly_builders import all_entries, build_body

from asamblea.assemblies import actions
from asamblea.assemblies.models import DelegateVote, Division, Motion, Resolution, Session
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.models import AuditEntry
from asamblea.record.recount_assemblies import RecountMismatch, recount
from asamblea.recordstore.models import RecordEntry

pytestmark = pytest.mark.django_db


def open_session(built, title="Session"):
    session = actions.do_schedule_session(None, built.body, title=title, scheduled_at=now())
    return actions.do_open_session(None, session)


def entries(org, entry_type):
    return [
        json.loads(e.canonical)
        for e in RecordEntry.objects.filter(organisation=org, entry_type=entry_type).order_by(
            "index"
        )
    ]


def peru_congress():
    # 130 seats from 26 constituencies of 5, one delegate one vote.
    return build_body(
        units=[(f"Constituency {i + 1}", 5) for i in range(26)], name="Congress of the Republic"
    )


def replay(built, session, *, title, threshold, fraction, yes, no, abstain):
    """Mark present and vote ``yes`` for, ``no`` against, ``abstain`` abstaining; close."""
    voters = built.seats[: yes + no + abstain]
    for seat in voters:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(
        None,
        session,
        title=title,
        text=title,
        proposer_name="Board of Congress",
        threshold=threshold,
        fraction=fraction,
    )
    division = actions.do_open_division(None, motion)
    choices = ["for"] * yes + ["against"] * no + ["abstain"] * abstain
    for seat, choice in zip(voters, choices, strict=True):
        actions.do_cast_vote(None, division, seat, choice)
    division = actions.do_close_division(None, division)
    for seat in voters:
        actions.do_record_departure(None, session, seat)
    return division


@pytest.mark.parametrize(
    ("title", "threshold", "fraction", "yes", "no", "abstain", "adopted"),
    [
        # 28 Mar 2022: more for than against, far below 87 of 130.
        ("Second removal motion", "qualified", Fraction(2, 3), 55, 54, 19, False),
        # 1 Dec 2022: admission needs 40% of 130 = 52.
        ("Admission of the third motion", "qualified", Fraction(2, 5), 73, 32, 6, True),
        # 7 Dec 2022: 101 of 87 needed.
        ("Third removal motion", "qualified", Fraction(2, 3), 101, 6, 10, True),
    ],
)
def test_peru_congress_votes_replayed_as_a_130_seat_body_give_the_recorded_outcomes(
    title, threshold, fraction, yes, no, abstain, adopted
):
    built = peru_congress()
    assert len(built.seats) == 130
    session = open_session(built)
    division = replay(
        built,
        session,
        title=title,
        threshold=threshold,
        fraction=fraction,
        yes=yes,
        no=no,
        abstain=abstain,
    )
    assert division.is_quorate is True
    assert division.is_adopted is adopted
    assert division.motion.status == ("adopted" if adopted else "rejected")
    assert division.totals["for"] == str(yes)
    [result] = entries(built.org, "assembly_division_result")
    assert result["outcome"] == ("adopted" if adopted else "rejected")
    # v2 forms (ADR 0009): exact numbers num/den, whole ones included.
    assert result["rule"]["legal"] == "130/1"
    assert result["rule"]["fraction"] == f"{fraction.numerator}/{fraction.denominator}"
    assert result["totals"]["for"] == f"{yes}/1"
    assert len(result["votes"]) == yes + no + abstain
    recount(result, all_entries(built.org))


def test_two_thirds_of_130_needs_87_not_86():
    built = peru_congress()
    session = open_session(built)
    passed = replay(
        built,
        session,
        title="A",
        threshold="qualified",
        fraction=Fraction(2, 3),
        yes=87,
        no=0,
        abstain=0,
    )
    failed = replay(
        built,
        session,
        title="B",
        threshold="qualified",
        fraction=Fraction(2, 3),
        yes=86,
        no=10,
        abstain=0,
    )
    assert passed.is_adopted is True
    assert failed.is_adopted is False
    assert "87 needed" in failed.explanation


def test_a_division_without_quorum_adopts_nothing_even_unanimous():
    built = build_body(units=[("North", 5), ("South", 5)])
    session = open_session(built)
    division = replay(
        built, session, title="A", threshold="majority_cast", fraction=None, yes=5, no=0, abstain=0
    )
    assert division.is_quorate is False
    assert division.is_adopted is False
    assert division.explanation.startswith("not quorate")


def test_absolute_majority_counts_all_seats_not_those_present():
    built = build_body(units=[("North", 5), ("South", 5)])
    session = open_session(built)
    # 8 present, 5 for: a majority of those voting but exactly half of 10 seats.
    division = replay(
        built,
        session,
        title="A",
        threshold="absolute_majority",
        fraction=None,
        yes=5,
        no=3,
        abstain=0,
    )
    assert division.is_quorate is True
    assert division.is_adopted is False


def test_amendments_are_voted_before_the_main_motion():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    main = actions.do_propose_motion(
        None, session, title="Strike", text="All-out strike", proposer_name="North"
    )
    amendment = actions.do_propose_motion(
        None,
        session,
        title="From Monday",
        text="Start on Monday",
        proposer_name="North",
        amends=main,
    )
    with pytest.raises(ActionError, match="amendment"):
        actions.do_open_division(None, main)
    assert not Division.objects.exists()
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    division = actions.do_open_division(None, amendment)
    for seat in built.seats:
        actions.do_cast_vote(None, division, seat, "for")
    actions.do_close_division(None, division)
    assert actions.do_open_division(None, main).motion_id == main.pk


def test_a_seat_votes_once_and_only_when_present():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    actions.do_record_attendance(None, session, built.seats[0])
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    actions.do_cast_vote(None, division, built.seats[0], "for")
    with pytest.raises(ActionError, match="already voted"):
        actions.do_cast_vote(None, division, built.seats[0], "against")
    with pytest.raises(ActionError, match="nobody is marked present"):
        actions.do_cast_vote(None, division, built.seats[1], "against")
    assert DelegateVote.objects.filter(division=division).count() == 1


def test_adopted_motion_becomes_a_resolution_with_a_status_history():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(
        None,
        session,
        title="Close Congress",
        text="We demand...",
        proposer_name="North",
        resolution_kind="demand",
    )
    division = actions.do_open_division(None, motion)
    for seat in built.seats:
        actions.do_cast_vote(None, division, seat, "for")
    actions.do_close_division(None, division)
    resolution = Resolution.objects.get(motion=motion)
    assert (resolution.kind, resolution.status) == ("demand", "pending")
    actions.do_set_resolution_status(
        None, resolution, "partly_met", note="elections brought forward"
    )
    actions.do_set_resolution_status(None, resolution, "dropped")
    assert [h.status for h in resolution.history.all()] == ["pending", "partly_met", "dropped"]
    assert [e["status"] for e in entries(built.org, "assembly_resolution_status")] == [
        "partly_met",
        "dropped",
    ]
    assert entries(built.org, "assembly_resolution_adopted")[0]["kind"] == "demand"


def test_closing_a_session_with_an_open_division_is_refused():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    actions.do_open_division(None, motion)
    before = AuditEntry.objects.count()
    with pytest.raises(ActionError, match="still open"):
        actions.do_close_session(None, session)
    assert AuditEntry.objects.count() == before
    assert Session.objects.get(pk=session.pk).status == "open"


def test_recount_detects_a_tampered_division_result():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    division = replay(
        built, session, title="T", threshold="majority_cast", fraction=None, yes=2, no=1, abstain=0
    )
    assert division.is_adopted
    [result] = entries(built.org, "assembly_division_result")
    recount(result, all_entries(built.org))
    flipped = json.loads(json.dumps(result))
    flipped["votes"][0]["choice"] = "against"
    with pytest.raises(RecountMismatch, match="totals"):
        recount(flipped, [])
    forged = json.loads(json.dumps(result))
    forged["outcome"] = "rejected"
    with pytest.raises(RecountMismatch):
        recount(forged, [])


def test_every_step_of_a_division_is_on_the_record():
    built = build_body(units=[("North", 3)])
    session = open_session(built)
    replay(
        built, session, title="T", threshold="majority_cast", fraction=None, yes=2, no=1, abstain=0
    )
    actions.do_close_session(None, session)
    types = list(
        RecordEntry.objects.filter(organisation=built.org)
        .order_by("index")
        .values_list("entry_type", flat=True)
    )
    assert types[:2] == ["assembly_session_scheduled", "assembly_session_opened"]
    assert types.count("assembly_attendance") == 6  # three arrivals, three departures
    assert "assembly_motion" in types
    assert types.index("assembly_division_opened") < types.index("assembly_division_result")
    assert types[-1] == "assembly_session_closed"
    assert Motion.objects.get().status == "adopted"


@pytest.mark.slow  # 6-8 CPU-seconds: exports and verifies a whole record
def test_verify_recomputes_every_division_from_the_exported_record(tmp_path):
    from asamblea.record.verify import open_source, verify_record
    from asamblea.recordstore.actions import do_sign_checkpoint
    from asamblea.recordstore.export import export_to_dir

    built = peru_congress()
    session = open_session(built)
    replay(
        built,
        session,
        title="Second removal motion",
        threshold="qualified",
        fraction=Fraction(2, 3),
        yes=55,
        no=54,
        abstain=19,
    )
    replay(
        built,
        session,
        title="Third removal motion",
        threshold="qualified",
        fraction=Fraction(2, 3),
        yes=101,
        no=6,
        abstain=10,
    )
    do_sign_checkpoint(built.org)
    export_to_dir(built.org, tmp_path)
    summary = verify_record(open_source(str(tmp_path)))
    assert summary.recounted["assembly_division_result"] == 2
    assert not summary.unregistered_types


def _lying_close(built, session, monkeypatch, *, present_seats):
    """Close a division on a server that overstates attendance: it claims ``present_seats``
    seats present (and their weight) in the closing entry, appended and signed as usual."""
    from asamblea.assemblies.actions import divisions

    honest = divisions.present_amount
    monkeypatch.setattr(
        divisions, "present_amount", lambda s, w=None: (present_seats, Fraction(present_seats))
    )
    motion = actions.do_propose_motion(None, session, title="Paro", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    for seat in built.seats[:3]:
        actions.do_cast_vote(None, division, seat, "for")
    division = actions.do_close_division(None, division)
    monkeypatch.setattr(divisions, "present_amount", honest)
    return division


@pytest.mark.parametrize("lie", ["count", "list"])
def test_verify_catches_a_server_that_overstates_attendance_naming_the_closing_entry(
    tmp_path, monkeypatch, capsys, lie
):
    from asamblea.cli import main
    from asamblea.record.verify import VerificationFailed, open_source, verify_record
    from asamblea.recordstore.actions import do_sign_checkpoint
    from asamblea.recordstore.export import export_to_dir

    built = build_body(units=[("Norte", 5), ("Sur", 5)])
    session = open_session(built)
    for seat in built.seats[:3]:  # 3 of 10 seats: not quorate
        actions.do_record_attendance(None, session, seat)
    if lie == "list":
        # The lie also covers its tracks in the list of seats present (v2's present_seats).
        monkeypatch.setattr(
            "asamblea.assemblies.actions.divisions.present_seats",
            lambda s: [seat.pk for seat in built.seats[:6]],
        )
    division = _lying_close(built, session, monkeypatch, present_seats=6)
    assert division.is_quorate is True  # the forged result made it quorate
    [closing] = entries(built.org, "assembly_division_result")
    do_sign_checkpoint(built.org)  # signed with the organisation's real key
    export_to_dir(built.org, tmp_path)
    with pytest.raises(VerificationFailed) as failure:
        verify_record(open_source(str(tmp_path)))
    assert f"entry {closing['index']}" in str(failure.value)
    assert "present" in str(failure.value)
    assert main(["verify", str(tmp_path)]) != 0
    assert f"entry {closing['index']}" in capsys.readouterr().err


def test_a_division_is_recounted_from_its_opening_snapshot_and_the_votes_cast():
    built = build_body(units=[("Norte", 2), ("Sur", 1)], weighted=True, populations=[300, 50])
    session = open_session(built)
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    actions.do_cast_votes(
        None, division, [(built.seats[0].pk, "for"), (built.seats[2].pk, "against")]
    )
    actions.do_close_division(None, division)
    log = all_entries(built.org)
    [opened] = [e for e in log if e["type"] == "assembly_division_opened"]
    assert opened["v"] == 2
    assert opened["snapshot"]["allocations"] == [
        {"unit": built.units[0].code, "population": 300, "seats": 2},
        {"unit": built.units[1].code, "population": 50, "seats": 1},
    ]
    [cast] = [e for e in log if e["type"] == "assembly_votes_cast"]
    assert [v["weight"] for v in cast["votes"]] == ["150/1", "50/1"]
    result = log[-1]
    assert result["type"] == "assembly_division_result" and result["v"] == 2
    assert sorted(result["present_seats"]) == sorted(s.pk for s in built.seats)
    recount(result, log)
    # A weight that is not the snapshot's, or a legal number that is not, is caught.
    forged = json.loads(json.dumps(result))
    forged["votes"][0]["weight"] = "200/1"
    forged["totals"]["for"] = "200/1"
    with pytest.raises(RecountMismatch, match=f"entry {result['index']}.*weight"):
        recount(forged, log)
    forged = json.loads(json.dumps(result))
    forged["rule"]["legal"] = "400/1"
    log_forged = [dict(e) for e in log]
    for e in log_forged:
        if e["type"] == "assembly_division_opened":
            e["rule"] = forged["rule"]
    with pytest.raises(RecountMismatch, match="snapshot gives"):
        recount(forged, log_forged)
    # A vote the closing entry adds that was never published as cast is caught.
    forged = json.loads(json.dumps(result))
    forged["votes"] = forged["votes"][:1]
    forged["totals"] = {"for": "150/1", "against": "0/1", "abstain": "0/1"}
    with pytest.raises(RecountMismatch, match="published as cast"):
        recount(forged, log)
    # A v2 entry holds one spelling of each number: the v1 spelling of the same value is refused.
    forged = json.loads(json.dumps(result))
    forged["totals"]["against"] = "50"
    with pytest.raises(RecountMismatch, match="'50' is not in the v2 exact-number form"):
        recount(forged, log)


def _v1_spelling(text):
    return str(Fraction(text))


def test_a_v1_division_recounts_present_from_the_replayed_attendance():
    built = build_body(units=[("Norte", 3)])
    session = open_session(built)
    for seat in built.seats[:2]:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    division = actions.do_open_division(None, motion)
    actions.do_cast_vote(None, division, built.seats[0], "for")
    actions.do_close_division(None, division)
    log = all_entries(built.org)
    # The closing entry as v1 wrote it: no present_seats, numbers as str(Fraction).
    v2 = log[-1]
    v1 = {k: v for k, v in v2.items() if k != "present_seats"} | {
        "v": 1,
        "present": _v1_spelling(v2["present"]),
        "totals": {c: _v1_spelling(t) for c, t in v2["totals"].items()},
        "votes": [{**v, "weight": _v1_spelling(v["weight"])} for v in v2["votes"]],
        "rule": {
            k: _v1_spelling(r) if k in ("legal", "quorum") else r
            for k, r in v2["rule"].items()
            if k != "fraction"  # v1 wrote it for qualified majorities only
        },
    }
    assert v1["present"] == "2" and v1["totals"]["against"] == "0"
    recount(v1, log)
    v1["present"], v1["seats_present"] = "3", 3
    with pytest.raises(RecountMismatch, match="attendance on the record gives 2"):
        recount(v1, log)
