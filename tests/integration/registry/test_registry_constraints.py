"""The database itself enforces the registry's invariants, not only Python.

Runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from asamblea.core.action import System
from asamblea.core.clock import now
from asamblea.registry import actions
from asamblea.registry.models import Mandate, Membership, Roll, Seat

# Fixtures are built by the platform itself; the tests of who may act go through check_*.
ACTOR = System("test")


def test_the_database_refuses_a_second_open_membership(org, units, populated):
    member = populated["mina"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            member=member, unit=units["escuela"], joined_on=dt.date(2022, 1, 1)
        )


def test_the_database_refuses_a_second_holder_of_a_seat(org, units, populated):
    actions.do_apportion(ACTOR, units["asamblea"])
    seat = Seat.objects.filter(body=units["asamblea"]).first()
    Mandate.objects.create(seat=seat, member=populated["mina"][0], started_at=now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Mandate.objects.create(seat=seat, member=populated["mina"][1], started_at=now())


def test_a_seat_can_be_held_again_after_the_mandate_ends(org, units, populated):
    actions.do_apportion(ACTOR, units["asamblea"])
    seat = Seat.objects.filter(body=units["asamblea"], unit=units["mina"]).first()
    first = actions.do_start_mandate(ACTOR, seat, populated["mina"][0], source="test")
    actions.do_end_mandate(ACTOR, first, reason="resigned")
    second = actions.do_start_mandate(ACTOR, seat, populated["mina"][1], source="test")
    assert second.pk != first.pk


def test_raw_sql_update_of_a_frozen_roll_fails(org, units, populated):
    roll = Roll.objects.filter(body=units["mina"]).get()
    with (
        pytest.raises(Exception, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE registry_roll SET size = 1 WHERE id = %s", [roll.pk])
    roll.refresh_from_db()
    assert roll.size == 25


def test_raw_sql_update_of_a_roll_entry_fails(org, units, populated):
    roll = Roll.objects.filter(body=units["mina"]).get()
    with (
        pytest.raises(Exception, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE registry_rollentry SET member_id = %s WHERE roll_id = %s",
            [populated["escuela"][0].pk, roll.pk],
        )


@pytest.mark.postgres_only
def test_raw_sql_delete_of_a_frozen_roll_fails_on_postgresql(org, units, populated):
    roll = Roll.objects.filter(body=units["mina"]).get()
    with (
        pytest.raises(Exception, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM registry_rollentry WHERE roll_id = %s", [roll.pk])


def test_the_model_layer_refuses_to_change_or_delete_a_roll(org, units, populated):
    roll = Roll.objects.filter(body=units["mina"]).get()
    roll.size = 3
    with pytest.raises(ValueError):
        roll.save()
    with pytest.raises(ValueError):
        roll.delete()


def test_a_membership_cannot_end_before_it_began(org, units, populated):
    membership = Membership.objects.filter(member=populated["mina"][0]).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(left_on=dt.date(2000, 1, 1))
