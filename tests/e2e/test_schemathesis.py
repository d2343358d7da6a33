"""Fuzz every endpoint of the JSON API from its own OpenAPI schema: no input may cause a 5xx.

Schemathesis reads /api/openapi.json from the application in-process (WSGI) and generates
requests for every operation, valid and invalid, against a small world (an organisation, a unit
of members, an open election) with the bearer token of a user holding every office of the
organisation (a superuser holds none: docs/adr/0007), so that the authenticated handlers are
reached as well as the authentication check. Only server errors fail the test:
4xx answers to nonsense are the point.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from asamblea.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_test_connection():  # type: ignore[no-untyped-def]
    """The in-process WSGI app would close the test's connection at each request.

    Django's request_started signal closes a connection whose autocommit differs from the
    settings, which is always true inside the test's transaction; on PostgreSQL that kills the
    connection for the rest of the test. Django's own test client disconnects the same handler.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, django_user_model, keep_test_connection):  # type: ignore[no-untyped-def]
    from asamblea.elections import actions as elections
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member, OfficerRole

    admin = django_user_model.objects.create_user("fuzz-officer", "fuzz@example.org", "x" * 20)
    token, _row = registry.do_create_api_token(admin, admin, label="fuzz")
    org = registry.do_create_organisation(None, slug="fuzz", name="Fuzz federation")
    for role in OfficerRole.Role.values:
        OfficerRole.objects.create(user=admin, organisation=org, role=role)
    unit = registry.do_create_body(admin, org, code="U1", name="Unit one", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        admin, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    for i in range(4):
        registry.do_add_member(
            admin,
            org,
            unit,
            member_ref=f"F{i}",
            display_name=f"Fuzz member {i}",
            joined_on=dt.date(2020, 1, 1),
        )
    # A secret vote opens only under a ready board of trustees (ADR 0013).
    from fixtures.trustees import make_board

    make_board(org)
    election = elections.do_create_election(
        admin, organisation=org, unit=unit, body=assembly, title="Fuzz election"
    )
    elections.do_open_nominations(admin, election)
    for member in Member.objects.filter(organisation=org)[:2]:
        elections.do_nominate(admin, election, member)
    elections.do_open_election(admin, election)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_api_endpoint_answers_any_input_with_a_server_error(case, world):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=world, checks=[not_a_server_error])
