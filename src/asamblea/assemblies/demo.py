"""Demo data of `assemblies`, loaded by `asamblea demo` after the registry's federation.

1. The southern joint strike committee (``comite-lucha-sur``) in session: a motion for an
   all-out regional strike, instructed by two of its sending assemblies (one delegation obeys,
   one delegate deviates, flagged on the record), adopted by roll call; a march on Lima adopted.
2. The national assembly (``asamblea-nacional``) adopting the movement's demands, as the
   scenario's source articles report them, as resolutions; their statuses are illustrative.

Everything goes through the actions, so the record holds every step. Idempotent: a body that
already has a session is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from asamblea.assemblies import actions
from asamblea.assemblies.models import Session
from asamblea.core.action import System
from asamblea.registry.models import Body, Mandate, Roll, Seat

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
