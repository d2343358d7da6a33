"""Demo data of `assemblies`, loaded by `asamblea demo` after the registry's federation.

1. The southern joint strike committee (``comite-lucha-sur``) in session: a motion for an
   all-out regional strike, instructed by two of its sending assemblies (one delegation obeys,
   one delegate deviates, flagged on the record), adopted by roll call; a march on Lima adopted.
2. The national assembly (``asamblea-nacional``) adopting the movement's demands, as the
   scenario's source articles report them, as resolutions; their statuses are illustrative.
3. A regional assembly that sends delegates to the committee, in session on the strike mandate:
   one of its base units instructs its delegates by a secret vote through the elections
   machinery, sealed under the demo board of trustees and decrypted by k of them (their shares
   are in ``var/``: DEMO ONLY), before the division; its delegates then vote as instructed.

Everything goes through the actions, so the record holds every step. Idempotent: a body that
already has a session is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable
from typing import Any

from asamblea.assemblies import actions
from asamblea.assemblies.models import Instruction, Session
from asamblea.core.action import System
from asamblea.registry.models import Body, Mandate, Member, Roll, RollEntry, Seat

ACTOR = System("demo")

DEMANDS = [
    # (title, text, kind, status after adoption, note)
    (
        "Libertad para Pedro Castillo",
        "Exigimos la libertad de Pedro Castillo, como lo reclaman las organizaciones movilizadas.",
        "demand",
        "pending",
        "",
    ),
    ("Cierre del Congreso", "Exigimos el cierre del Congreso.", "demand", "pending", ""),
    ("Renuncia de Dina Boluarte", "Exigimos la salida de Dina Boluarte.", "demand", "pending", ""),
    (
        "Nuevas elecciones",
        "Exigimos nuevas elecciones generales.",
        "demand",
        "partly_met",
        "Estado ilustrativo del demo.",
    ),
    (
        "Asamblea constituyente",
        "Exigimos una asamblea constituyente.",
        "demand",
        "pending",
        "",
    ),
]


def _quiet(message: str) -> None:
    del message


def _held_seats(body: Body) -> list[Seat]:
    held = Mandate.objects.filter(
        seat__body=body, ended_at__isnull=True, seat__abolished_at__isnull=True
    ).values_list("seat_id", flat=True)
    return list(
        Seat.objects.filter(pk__in=list(held))
        .select_related("unit")
        .order_by("unit__code", "number")
    )


def _open_session(
    body: Body, title: str, scheduled_at: dt.datetime, agenda: list[str], place: str
) -> tuple[Session, list[Seat]]:
    session = actions.do_schedule_session(
        ACTOR, body, title=title, scheduled_at=scheduled_at, agenda="\n".join(agenda), place=place
    )
    actions.do_open_session(ACTOR, session)
    seats = _held_seats(body)
    for seat in seats:
        actions.do_record_attendance(ACTOR, session, seat)
    return session, seats


def _committee(committee: Body, say: Callable[[str], None]) -> None:
    session, seats = _open_session(
        committee,
        "Sesión del comité de lucha del sur",
        dt.datetime(2022, 12, 28, 15, 0, tzinfo=dt.UTC),
        ["Paro regional indefinido", "Marcha a Lima"],
        "Juliaca",
    )
    strike = actions.do_propose_motion(
        ACTOR,
        session,
        title="Paro regional indefinido",
        text="El comité convoca un paro regional indefinido en los departamentos del sur.",
        proposer_name=seats[0].unit.name if seats else "Comité",
        threshold="absolute_majority",
        resolution_kind="strike_call",
    )
    # The two sending bodies with the most seats instruct their delegates: the first to vote for
    # (obeyed), the second to vote against (one of its delegates deviates).
    by_unit: dict[int, list[Seat]] = {}
    for seat in seats:
        by_unit.setdefault(seat.unit_id, []).append(seat)
    senders = sorted(by_unit.values(), key=lambda group: (-len(group), group[0].unit.code))
    obeying, deviating = senders[0], senders[1]
    for group, instructed in ((obeying, "for"), (deviating, "against")):
        unit = group[0].unit
        if unit.is_base_unit:
            roll = Roll.objects.filter(body=unit).order_by("-frozen_at").first()
            electorate = roll.size if roll else 0
        else:
            electorate = actions.legal_number(unit)[0]
        other = "against" if instructed == "for" else "for"
        counts = {instructed: max(electorate - 1, 1), other: 1 if electorate > 1 else 0}
        actions.do_record_instruction_count(ACTOR, strike, unit, counts)
    division = actions.do_open_division(ACTOR, strike)
    votes: list[tuple[int, str]] = []
    deviating_ids = {s.pk for s in deviating}
    obeying_ids = {s.pk for s in obeying}
    for i, seat in enumerate(seats):
        if seat.pk in deviating_ids:
            choice = "for" if seat.pk == deviating[0].pk else "against"
        elif seat.pk in obeying_ids:
            choice = "for"
        else:
            choice = "abstain" if i % 9 == 4 else "for"
        votes.append((seat.pk, choice))
    actions.do_cast_votes(ACTOR, division, votes)
    division = actions.do_close_division(ACTOR, division)
    say(f"assemblies: committee strike motion {'adopted' if division.is_adopted else 'rejected'}")
    march = actions.do_propose_motion(
        ACTOR,
        session,
        title="Marcha a Lima",
        text="El comité convoca una marcha a Lima.",
        proposer_name="Comité",
        resolution_kind="march",
    )
    division = actions.do_open_division(ACTOR, march)
    actions.do_cast_votes(ACTOR, division, [(seat.pk, "for") for seat in seats])
    actions.do_close_division(ACTOR, division)
    actions.do_close_session(ACTOR, session)


def _national(national: Body, say: Callable[[str], None]) -> None:
    session, seats = _open_session(
        national,
        "Asamblea nacional de trabajadores y campesinos",
        dt.datetime(2023, 1, 8, 15, 0, tzinfo=dt.UTC),
        [title for title, *_ in DEMANDS],
        "Lima",
    )
    adopted = 0
    for n, (title, text, kind, status, note) in enumerate(DEMANDS):
        motion = actions.do_propose_motion(
            ACTOR,
            session,
            title=title,
            text=text,
            proposer_name="Comité de lucha del sur",
            threshold="majority_cast",
            resolution_kind=kind,
        )
        division = actions.do_open_division(ACTOR, motion)
        votes = [
            (seat.pk, "against" if i % 11 == n else "abstain" if i % 13 == n else "for")
            for i, seat in enumerate(seats)
        ]
        actions.do_cast_votes(ACTOR, division, votes)
        division = actions.do_close_division(ACTOR, division)
        if division.is_adopted and status != "pending":
            actions.do_set_resolution_status(ACTOR, division.motion.resolution, status, note=note)
        adopted += bool(division.is_adopted)
    actions.do_close_session(ACTOR, session)
    say(f"assemblies: national assembly adopted {adopted} demands as resolutions")


def _regional_sender(committee: Body) -> Body | None:
    """The assembly that sends the most seats to the committee (and has base units' seats)."""
    counts: dict[int, int] = {}
    for seat in _held_seats(committee):
        if not seat.unit.is_base_unit:
            counts[seat.unit_id] = counts.get(seat.unit_id, 0) + 1
    for pk, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        body = Body.objects.get(pk=pk)
        if _instructing_unit(body) is not None:
            return body
    return None


def _instructing_unit(body: Body) -> Body | None:
    """The base unit with a held seat in ``body`` and the smallest membership of 12 or more
    (the demo stays quick: every ballot is sealed and its proofs checked)."""
    best: tuple[int, str, Body] | None = None
    for seat in _held_seats(body):
        unit = seat.unit
        if not unit.is_base_unit:
            continue
        size = Member.objects.filter(
            memberships__unit=unit, memberships__left_on__isnull=True
        ).count()
        if size >= 12 and (best is None or (size, unit.code) < (best[0], best[1])):
            best = (size, unit.code, unit)
    return best[2] if best else None


def _sealed_instruction(body: Body, say: Callable[[str], None]) -> None:
    """A regional session whose strike mandate is instructed by a base unit's sealed vote."""
    from asamblea.elections.actions import do_reissue_credentials
    from asamblea.elections.actions.casting import check_cast
    from asamblea.registry.actions import do_freeze_roll
    from asamblea.trustees.demo import decrypt_with_demo_shares
    from asamblea.trustees.models import DecryptionRequest
    from asamblea.trustees.queries import board_for

    unit = _instructing_unit(body)
    if unit is None or board_for(body.organisation, unit) is None:
        say("assemblies: no base unit (or no demo board) for a sealed instruction vote; skipped")
        return
    session, seats = _open_session(
        body,
        "Sesión de la asamblea regional sobre el paro",
        dt.datetime(2022, 12, 26, 15, 0, tzinfo=dt.UTC),
        ["Mandato al comité de lucha: paro regional indefinido"],
        "Puno",
    )
    motion = actions.do_propose_motion(
        ACTOR,
        session,
        title="Mandato al comité de lucha: paro regional indefinido",
        text="La asamblea manda a sus delegados al comité votar por el paro regional indefinido.",
        proposer_name=unit.name,
        threshold="majority_cast",
    )
    if not Roll.objects.filter(body=unit).exists():
        do_freeze_roll(ACTOR, unit, purpose="instruction vote")
    instruction = actions.do_open_instruction(ACTOR, motion, unit)
    election = instruction.election
    assert election is not None
    roll_members = list(
        Member.objects.filter(
            pk__in=RollEntry.objects.filter(roll_id=instruction.roll_id).values("member_id")
        ).order_by("pk")
    )
    rng = random.Random(2212)  # noqa: S311 - invented demo votes, reproducible
    voters = rng.sample(roll_members, max(1, len(roll_members) * 2 // 3))
    codes = do_reissue_credentials(None, election, voters)
    options = ["for", "against", "abstain", "free"]
    for member in voters:
        vote = rng.choices(options, weights=[6, 2, 1, 1])[0]
        check_cast(election, codes[member.pk], {"vote": vote}, secrets.token_urlsafe(24))
    actions.do_close_instruction(ACTOR, instruction)
    for request in DecryptionRequest.objects.filter(subject=f"election:{election.pk}:tally"):
        decrypt_with_demo_shares(request)
    instruction = Instruction.objects.get(pk=instruction.pk)
    division = actions.do_open_division(ACTOR, motion)
    instructed = instruction.result
    votes = [
        (seat.pk, instructed if seat.unit_id == unit.pk and instructed != "free" else "for")
        for seat in seats
    ]
    actions.do_cast_votes(ACTOR, division, votes)
    actions.do_close_division(ACTOR, division)
    actions.do_close_session(ACTOR, session)
    say(
        f"assemblies: {unit.code} instructed its delegates '{instructed}' by a sealed vote,"
        " decrypted by the demo trustees"
    )


def load(organisation: Any, *, progress: Any = None) -> None:
    """Idempotent: a body that already has a session gets nothing more."""
    say = progress or _quiet
    bodies = {
        b.code: b
        for b in Body.objects.filter(
            organisation=organisation, code__in=["comite-lucha-sur", "asamblea-nacional"]
        )
    }
    committee = bodies.get("comite-lucha-sur")
    regional = _regional_sender(committee) if committee is not None else None
    if regional is not None and not Session.objects.filter(body=regional).exists():
        _sealed_instruction(regional, say)
    if committee is not None and not Session.objects.filter(body=committee).exists():
        if len({s.unit_id for s in _held_seats(committee)}) >= 2:
            _committee(committee, say)
        else:
            say("assemblies: the committee has fewer than two sending bodies seated; skipped")
    national = bodies.get("asamblea-nacional")
    if national is not None and not Session.objects.filter(body=national).exists():
        if _held_seats(national):
            _national(national, say)
        else:
            say("assemblies: the national assembly has no seated delegate; skipped")
