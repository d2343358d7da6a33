"""Frozen rolls: who may vote or sign in a body, fixed at a stated moment.

The one place a roll is frozen. A base unit's roll is its members; a lower assembly or committee
holding an election votes by its current delegates, and their roll is frozen here in the same
form and entry. Elections freeze the roll of a vote as a nested action (``do_freeze_roll(ctx,
...)``), so the roll and the vote that counts against it commit together.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from django.db import connection

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Role, require_role
from asamblea.record.commitment import merkle_root_streamed, roll_leaf
from asamblea.record.entries.registry import RollFrozenV1, RollPart
from asamblea.registry.actions._shared import BULK_BATCH, _chunks
from asamblea.registry.models import Body, Membership, Roll, RollEntry
from asamblea.registry.queries import current_mandates

# Who may freeze a roll by hand (a vote freezes its own roll inside its action).
FREEZE_ROLES = (Role.REGISTRAR, Role.ELECTION_OFFICER)


def check_freeze_roll(user: Any, unit: Body, *, purpose: str = "") -> Roll:
    """A registrar or election officer of the organisation (or of this body) freezes its roll."""
    require_role(user, unit.organisation, FREEZE_ROLES, unit)
    if len(purpose) > 200:
        raise ActionError("a purpose has at most 200 characters", field="purpose")
    return do_freeze_roll(user, unit, purpose=purpose)


# Rows fetched per round trip when the commitment's leaves are streamed from the database.
LEAF_BATCH = 10_000


# The scratch table an opening roll is gathered in (dropped at commit): one snapshot of who is
# eligible, from which the size, the commitment and the entries are all taken.
SCRATCH = "asamblea_roll_scratch"


def _gather_members(unit: Body) -> None:
    """Who is eligible, into the scratch table, by the database itself (``INSERT ... SELECT``):
    a base unit's members with an open membership that began on or before today, or an
    assembly's current delegates (a few thousand at most, so listed here)."""
    memberships = connection.ops.quote_name(Membership._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        suffix = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        cur.execute(f"CREATE TEMPORARY TABLE {SCRATCH} (member_id bigint PRIMARY KEY){suffix}")
        if not unit.is_base_unit:
            ids = sorted(set(current_mandates(unit).values_list("member_id", flat=True)))
            for chunk in _chunks(ids, BULK_BATCH * 4):
                rows = [(i,) for i in chunk]
                cur.executemany(f"INSERT INTO {SCRATCH} VALUES (%s)", rows)  # noqa: S608
            return
        cur.execute(
            f"INSERT INTO {SCRATCH} (member_id) SELECT DISTINCT member_id"  # noqa: S608 - names
            f" FROM {memberships} WHERE unit_id = %s AND left_on IS NULL AND joined_on <= %s",
            [unit.pk, now().date()],
        )


def _gathered_size() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {SCRATCH}")  # noqa: S608 - fixed name
        return int(cur.fetchone()[0])


def _sorted_leaves(salt_hex: str) -> Iterator[bytes]:
    """The gathered members' leaves ``SHA-256(salt || public_id)``, computed and sorted by the
    database and read in batches (a server-side cursor on PostgreSQL), never all held here."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        salt = bytes.fromhex(salt_hex)
        connection.connection.create_function(
            "asamblea_roll_leaf", 1, lambda pid: roll_leaf(salt, pid), deterministic=True
        )
        leaf, params = "asamblea_roll_leaf(m.public_id)", []
    else:
        leaf, params = "sha256(decode(%s, 'hex') || convert_to(m.public_id, 'UTF8'))", [salt_hex]
    sql = (
        f"SELECT {leaf} AS leaf FROM {SCRATCH} s"  # noqa: S608 - fixed text
        " JOIN registry_member m ON m.id = s.member_id ORDER BY leaf"
    )
    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(LEAF_BATCH):
            for (value,) in rows:
                yield bytes(value)


def _insert_entries(roll: Roll) -> None:
    entries = connection.ops.quote_name(RollEntry._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {entries} (roll_id, member_id)"  # noqa: S608 - names from models
            f" SELECT %s, member_id FROM {SCRATCH} ORDER BY member_id",
            [roll.pk],
        )
        cur.execute(f"DROP TABLE {SCRATCH}")


@door("registry.freeze_roll")
def do_freeze_roll(ctx: ActionContext, unit: Body, *, purpose: str = "") -> Roll:
    """Freeze ``unit``'s roll now: roll, entries and commitment in one transaction.

    A base unit: its members with an open membership that began on or before today. An assembly
    or committee: its current delegates. The record gets the size and a hiding commitment.
    """
    if unit.dissolved_at is not None:
        raise ActionError("the unit is dissolved", field="unit")
    at = now()
    # One snapshot of who is eligible (a scratch table), from which the size, the commitment and
    # the entries are all taken by the database: nothing per member is held here at once.
    _gather_members(unit)
    salt = secrets.token_hex(32)
    roll = Roll(
        body=unit,
        frozen_at=at,
        purpose=purpose[:200],
        size=_gathered_size(),
        salt=salt,
        commitment=merkle_root_streamed(_sorted_leaves(salt)).hex(),
    )
    roll.save(force_insert=True)
    _insert_entries(roll)
    ctx.audit("roll.freeze", roll, unit=unit.code, size=roll.size, purpose=roll.purpose)
    part = RollPart(
        id=roll.pk,
        body=unit.code,
        purpose=roll.purpose,
        size=roll.size,
        commitment=roll.commitment,
        frozen_at=at,
    )
    ctx.record(unit.organisation, RollFrozenV1(roll=part), body=unit)
    return roll
