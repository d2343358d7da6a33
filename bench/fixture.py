"""Test data for the harnesses: one unit of N members and an open plurality election.

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


@dataclass
class Fixture:
    organisation: str
    election_id: int
    candidates: list[str]
    codes: list[str]
    # Pages a reader looks at while the vote runs.
    pages: list[str] = field(default_factory=list)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> Fixture:
        return cls(**json.loads(path.read_text()))


def build(voters: int, *, slug: str | None = None, candidates: int = 3) -> Fixture:
    """Create an organisation, a unit of ``voters`` members, and open an election of that unit."""
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
        trusted=True,
    )
    elections.do_open_nominations(None, election)
    keys = []
    for member in Member.objects.filter(organisation=org).order_by("member_ref")[:candidates]:
        keys.append(elections.do_nominate(None, election, member).key)
    opened = elections.do_open_election(None, election)
    codes = list(opened.printed_codes.values())
    return Fixture(
        organisation=slug,
        election_id=election.pk,
        candidates=keys,
        codes=codes,
        pages=[
            f"/elections/{election.pk}/",
            f"/api/elections/{election.pk}",
            "/elections/",
            f"/o/{slug}/",
        ],
    )
