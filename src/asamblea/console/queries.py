"""The console's read side: what one officer may do now, by organisation and body.

Everything listed here is an *offer*: the forms it leads to call the same ``check_*`` as the API
and the command line, which decide again through the one predicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from asamblea.assemblies.models import Session
from asamblea.console.access import Offices, offices_of
from asamblea.console.models import ImportJob
from asamblea.console.templatetags.console_tags import zone_of
from asamblea.core import approvals
from asamblea.core.clock import now
from asamblea.core.permissions import Role
from asamblea.elections import queries as election_queries
from asamblea.elections.models import Election, RecallPetition

UNDER_WAY = (
    Election.State.DRAFT,
    Election.State.NOMINATIONS,
    Election.State.OPEN,
    Election.State.CLOSED,
    Election.State.COUNTED,
)


@dataclass
class ElectionStep:
    election: Election
    next_state: str
    issues: list[str]


@dataclass
class Board:
    """One organisation's part of an officer's dashboard."""

    offices: Offices
    elections: list[ElectionStep] = field(default_factory=list)
    petitions_to_check: list[RecallPetition] = field(default_factory=list)
    meetings_to_enter: list[RecallPetition] = field(default_factory=list)
    approvals: list[tuple[Any, str, bool]] = field(default_factory=list)
    sessions_today: list[Session] = field(default_factory=list)
    imports: list[ImportJob] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.elections
            or self.petitions_to_check
            or self.meetings_to_enter
            or self.approvals
            or self.sessions_today
            or self.imports
        )


def _in_scope(ids: set[int] | None, *fields: str) -> Q:
    """Rows whose ``fields`` name one of the bodies ``ids`` (None: the whole organisation)."""
    if ids is None:
        return Q()
    scope = Q(pk__in=[])
    for name in fields:
        scope |= Q(**{f"{name}__in": sorted(ids)})
    return scope


def elections_for(offices: Offices) -> list[ElectionStep]:
    """Elections under way where the user is an election officer, with their next step's
    blocking issues (in the order they must be dealt with)."""
    if not offices.holds(Role.ELECTION_OFFICER):
        return []
    scope = _in_scope(offices.body_ids(Role.ELECTION_OFFICER), "unit_id", "body_id")
    rows = (
        Election.objects.filter(scope, organisation=offices.organisation, state__in=UNDER_WAY)
        .exclude(kind=Election.Kind.INSTRUCTION)
        .select_related("unit", "body", "organisation")
        .order_by("-created_at")[:50]
    )
    out = []
    for e in rows:
        step = election_queries.next_state(e)
        out.append(ElectionStep(e, step, election_queries.blocking_issues(e, step)))
    return out


def board_for(user: Any, offices: Offices) -> Board:
    org = offices.organisation
    board = Board(offices, elections=elections_for(offices))
    readers = offices.holds(Role.ELECTION_OFFICER) or offices.holds(Role.REGISTRAR)
    if readers:
        ids = (
            None
            if offices.everywhere(Role.ELECTION_OFFICER) or offices.everywhere(Role.REGISTRAR)
            else (offices.body_ids(Role.ELECTION_OFFICER) or set())
            | (offices.body_ids(Role.REGISTRAR) or set())
        )
        board.petitions_to_check = list(
            RecallPetition.objects.filter(
                _in_scope(ids, "unit_id"), organisation=org, state=RecallPetition.State.OPEN
            )
            .select_related("unit", "mandate__member")
            .order_by("deadline_at")[:50]
        )
    if offices.holds(Role.TELLER):
        board.meetings_to_enter = list(
            RecallPetition.objects.filter(
                _in_scope(offices.body_ids(Role.TELLER), "unit_id"),
                organisation=org,
                state=RecallPetition.State.MEETING,
            )
            .select_related("unit", "mandate__member")
            .order_by("opened_at")[:50]
        )
    board.approvals = [
        (a, approvals.describe(a), a.proposer_id == user.pk)
        for a in approvals.pending_for(user, org.pk)
    ]
    if offices.holds(Role.CHAIR):
        zone = zone_of(org)
        today = now().astimezone(zone).date()
        start = dt.datetime.combine(today, dt.time(), zone)
        board.sessions_today = list(
            Session.objects.filter(
                _in_scope(offices.body_ids(Role.CHAIR), "body_id"),
                body__organisation=org,
                scheduled_at__gte=start,
                scheduled_at__lt=start + dt.timedelta(days=1),
            )
            .select_related("body")
            .order_by("scheduled_at")
        )
    if offices.holds(Role.REGISTRAR):
        jobs = ImportJob.objects.filter(
            organisation=org, state__in=[ImportJob.State.READY, ImportJob.State.APPLYING]
        )
        if not offices.everywhere(Role.REGISTRAR):
            # A unit's registrar sees only their own files (see views.registers.may_see_job).
            jobs = jobs.filter(uploaded_by_id=user.pk)
        board.imports = list(jobs.order_by("-created_at")[:20])
    return board


def dashboard(user: Any) -> list[Board]:
    return [board_for(user, offices) for offices in offices_of(user)]
