"""Shared fixtures of the registry's integration tests: a small federation built by actions."""

from __future__ import annotations

import datetime as dt

import pytest

from asamblea.core.action import System
from asamblea.registry import actions
from asamblea.registry.models import Body

# Fixtures are built by the platform itself; the tests of who may act go through check_*.
ACTOR = System("test")


@pytest.fixture
def org(db):
    return actions.do_create_organisation(ACTOR, slug="fed", name="Federación de prueba")


@pytest.fixture
def units(org):
    """Three base units and a regional assembly receiving one seat per 10 members, minimum 1."""
    mine = actions.do_create_body(
        ACTOR, org, code="mina", name="Mina", kind=Body.Kind.WORKPLACE, region="Arequipa"
    )
    school = actions.do_create_body(
        ACTOR, org, code="escuela", name="Escuela", kind=Body.Kind.WORKPLACE, region="Arequipa"
    )
    market = actions.do_create_body(
        ACTOR, org, code="mercado", name="Mercado", kind=Body.Kind.WORKPLACE, region="Arequipa"
    )
    assembly = actions.do_create_body(
        ACTOR,
        org,
        code="asamblea-arequipa",
        name="Asamblea regional de Arequipa",
        kind=Body.Kind.ASSEMBLY,
        level="regional",
        voting_rule=Body.VotingRule.WEIGHTED,
    )
    for unit in (mine, school, market):
        actions.do_link_bodies(ACTOR, unit, assembly, members_per_seat=10, minimum_seats=1)
    return {"mina": mine, "escuela": school, "mercado": market, "asamblea": assembly}


def add_members(org, unit, n, prefix):
    return [
        actions.do_add_member(
            ACTOR,
            org,
            unit,
            member_ref=f"{prefix}-{i}",
            display_name=f"Persona {prefix} {i}",
            joined_on=dt.date(2020, 1, 1),
        )
        for i in range(n)
    ]


@pytest.fixture
def populated(org, units):
    """25 members in the mine, 7 in the school, 10 in the market; rolls frozen."""
    members = {
        "mina": add_members(org, units["mina"], 25, "m"),
        "escuela": add_members(org, units["escuela"], 7, "e"),
        "mercado": add_members(org, units["mercado"], 10, "k"),
    }
    for code in ("mina", "escuela", "mercado"):
        actions.do_freeze_roll(ACTOR, units[code], purpose="test")
    return members
