"""Test data for the harnesses: one unit of N members and an open plurality election, and
(``build_division``) a weighted assembly of delegates with a division open for their votes.

Runs in-process through the project's own actions (``asamblea.registry.actions``,
``asamblea.elections.actions``), so the data is what the application itself would have written,
record entries included. The voting codes come back in memory (members have no e-mail, so the
codes are "printed") and are written by the caller to a file the clients read; they never reach
the database in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Fixture:
    organisation: str
    election_id: int
    candidates: list[str]
    codes: list[str]
    # Pages a reader looks at while the vote runs.
    pages: list[str] = field(default_factory=list)
    # An assembly's open division, and its delegates as [bearer token, seat id] (load harness).
    division_id: int | None = None
    delegates: list[list[Any]] = field(default_factory=list)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> Fixture:
        return cls(**json.loads(path.read_text()))


def build(
    voters: int, *, slug: str | None = None, candidates: int = 3, delegates: int = 0
) -> Fixture:
    """Create an organisation, a unit of ``voters`` members, and open an election of that unit;
    with ``delegates``, also an assembly of that many delegates (each with an API token) in
    session with a division open."""
    from asamblea.core.clock import now
    from asamblea.elections import actions as elections
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member, Membership

    slug = slug or f"bench-{secrets.token_hex(3)}"
    org = registry.do_create_organisation(None, slug=slug, name=f"Bench {slug}")
    unit = registry.do_create_body(
        None, org, code="U1", name="Bench unit", kind=Body.Kind.WORKPLACE
    )
    assembly = registry.do_create_body(
        None, org, code="A1", name="Bench assembly", kind=Body.Kind.ASSEMBLY
    )
    # Members are bulk-inserted with the ORM (test data, not an action under test), so that the
    # set-up of a few thousand voters takes a second; everything after goes through the actions.
    at = now()
    Member.objects.bulk_create(
        [
            Member(
                organisation=org,
                member_ref=f"M{i:07d}",
                display_name=f"Member {i}",
                created_at=at,
            )
            for i in range(voters)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(member_id=pk, unit=unit, joined_on=dt.date(2020, 1, 1))
            for pk in Member.objects.filter(organisation=org).values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    election = elections.do_create_election(
        None,
        organisation=org,
        unit=unit,
        body=assembly,
        title="Bench delegate election",
    )
    elections.do_open_nominations(None, election)
    keys = []
    for member in Member.objects.filter(organisation=org).order_by("member_ref")[:candidates]:
        keys.append(elections.do_nominate(None, election, member).key)
    # A secret vote opens only under a ready board of trustees (ADR 0013): its ballots are sealed.
    SHARES[slug] = make_board(org)
    opened = elections.do_open_election(None, election)
    codes = list(opened.printed_codes.values())
    division_id, delegate_tokens = None, []
    if delegates:
        built = build_division(delegates, org=org, tokens=True)
        division_id = built.division.pk
        delegate_tokens = [[t, s.pk] for t, s in zip(built.tokens, built.seats, strict=True)]
    return Fixture(
        organisation=slug,
        election_id=election.pk,
        candidates=keys,
        codes=codes,
        division_id=division_id,
        delegates=delegate_tokens,
        pages=[
            f"/elections/{election.pk}/",
            f"/api/elections/{election.pk}",
            "/elections/",
            f"/o/{slug}/",
        ],
    )


# The trustees' shares of each fixture's board, by organisation (bench data: in memory only).
SHARES: dict[str, list[Any]] = {}


def make_board(org: Any, k: int = 2, n: int = 3) -> list[Any]:
    """A ready board of ``n`` trustees (members in no unit) for ``org``, its key generation run
    in this process through the trustees' actions (bench data only); returns the shares."""
    from django.contrib.auth import get_user_model

    from asamblea.core.action import System
    from asamblea.core.clock import now
    from asamblea.registry.models import Member
    from asamblea.trustees.actions.boards import do_create_board
    from asamblea.trustees.ceremony import run_in_process

    users = []
    for i in range(1, n + 1):
        user = get_user_model().objects.create_user(
            username=f"trustee-{org.slug}-{i}", password=secrets.token_urlsafe(16)
        )
        Member.objects.create(
            organisation=org,
            member_ref=f"trustee-{i}",
            display_name=f"Trustee {i}",
            user=user,
            created_at=now(),
        )
        users.append(user)
    board = do_create_board(System("bench"), org, unit=None, k=k, n=n, trustees=users)
    return [f.share for f in run_in_process(board)]


@dataclass
class BuiltDivision:
    division: Any
    session: Any
    seats: list[Any]
    # Each seat's delegate's bearer token (same order as ``seats``), when asked for.
    tokens: list[str] = field(default_factory=list)


def build_division(
    delegates: int,
    *,
    org: Any = None,
    per_unit: int = 10,
    tokens: bool = False,
    attendance_on_record: bool = False,
) -> BuiltDivision:
    """A weighted assembly of ``delegates`` seats (units of ``per_unit`` seats, populations from
    20 to 3,000) in session, every delegate present, with a two-thirds motion's division open.

    Units, seats, members and mandates are bulk-inserted (test data, as an apportionment leaves
    them); the session, motion and division go through the actions. With ``tokens``, every
    delegate gets a user and a bearer token, so that they vote through the API. With
    ``attendance_on_record``, every delegate is marked present through the clerk's action (an
    attendance entry each, so that the record verifies) rather than bulk-inserted."""
    from fractions import Fraction

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from asamblea.assemblies import actions
    from asamblea.assemblies.models import Attendance
    from asamblea.core.clock import now
    from asamblea.registry import actions as registry
    from asamblea.registry.models import (
        Allocation,
        Apportionment,
        Body,
        Mandate,
        Member,
        Organisation,
    )
    from asamblea.registry.models import Seat as SeatModel

    at = now()
    tag = secrets.token_hex(3)
    if org is None:
        org = Organisation.objects.create(
            slug=f"bench-{tag}", name="Bench", settings={"mandate_mode": "report"}, created_at=at
        )
    body = Body.objects.create(
        organisation=org,
        code=f"national-{tag}",
        name="National assembly",
        kind=Body.Kind.ASSEMBLY,
        voting_rule=Body.VotingRule.WEIGHTED,
        created_at=at,
    )
    n_units = max(1, delegates // per_unit)
    units = Body.objects.bulk_create(
        [
            Body(
                organisation=org,
                code=f"u{tag}-{i:05d}",
                name=f"Unit {i:05d}",
                kind=Body.Kind.WORKPLACE,
                created_at=at,
            )
            for i in range(n_units)
        ]
    )
    app = Apportionment.objects.create(
        receiver=body, computed_at=at, rule=body.seat_rule, total_seats=n_units * per_unit
    )
    Allocation.objects.bulk_create(
        [
            Allocation(apportionment=app, sender=u, population=20 + (i * 37) % 2981, seats=per_unit)
            for i, u in enumerate(units)
        ]
    )
    seats = SeatModel.objects.bulk_create(
        [
            SeatModel(body=body, unit=u, number=k + 1, created_at=at)
            for u in units
            for k in range(per_unit)
        ],
        batch_size=2000,
    )
    users: list[Any] = [None] * len(seats)
    if tokens:
        User = get_user_model()
        unusable = make_password(None)
        User.objects.bulk_create(
            # make_password(None): an unusable password; the delegates sign in with tokens.
            [User(username=f"d{tag}-{i:06d}", password=unusable) for i in range(len(seats))],
            batch_size=2000,
        )
        users = list(User.objects.filter(username__startswith=f"d{tag}-").order_by("username"))
    members = Member.objects.bulk_create(
        [
            Member(
                organisation=org,
                member_ref=f"d{tag}-{i:06d}",
                display_name=f"Delegada {i:05d} Quispe Mamani",
                user=users[i],
                created_at=at,
            )
            for i in range(len(seats))
        ],
        batch_size=2000,
    )
    mandates = Mandate.objects.bulk_create(
        [
            Mandate(seat=s, member=m, started_at=at - dt.timedelta(days=1), source="bench")
            for s, m in zip(seats, members, strict=True)
        ],
        batch_size=2000,
    )
    session = actions.do_schedule_session(None, body, title="Bench session", scheduled_at=at)
    session = actions.do_open_session(None, session)
    if attendance_on_record:
        # Through the clerk's action, one record entry a seat: the record then verifies.
        for seat in seats:
            actions.do_record_attendance(None, session, seat)
    else:
        Attendance.objects.bulk_create(
            [
                Attendance(session=session, seat=s, mandate=md, member=m, arrived_at=at)
                for s, md, m in zip(seats, mandates, members, strict=True)
            ],
            batch_size=2000,
        )
    motion = actions.do_propose_motion(
        None,
        session,
        title="General strike",
        text="Bench motion.",
        proposer_name="Bench",
        threshold="qualified",
        fraction=Fraction(2, 3),
    )
    division = actions.do_open_division(None, motion)
    issued = [registry.do_create_api_token(None, u, label="bench")[0] for u in users if u]
    return BuiltDivision(division=division, session=session, seats=seats, tokens=issued)
