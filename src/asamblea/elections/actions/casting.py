"""Casting: no per-ballot audit or record entry, no time, no log (see the secrecy ADR).

Casting is a private action (:data:`asamblea.core.action.PRIVATE_ACTIONS`), but it does not pass
through ``door()``: the door's transaction would wrap the one-statement cast on PostgreSQL in an
explicit BEGIN and COMMIT, two more round trips on the path that bounds casting throughput
(docs/operations.md). :func:`do_cast` keeps its own all-or-nothing: one statement (PostgreSQL) or
one transaction (SQLite). It takes no actor: a ballot is cast by a voting code, not by a user.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction

from asamblea.core.action import PRIVATE_ACTIONS
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.kept import Kept
from asamblea.core.models import ReplacedCredential
from asamblea.elections import secrecy
from asamblea.elections.actions._common import State
from asamblea.elections.models import (
    Ballot,
    Candidate,
    Election,
    IdempotencyRecord,
    Participation,
    TrackingCode,
)
from asamblea.rules import ballots as counting

CAST = "elections.cast"
PRIVATE_ACTIONS[CAST] = (
    "a ballot must never be linked to its voter: no audit entry, no record entry, no time; "
    "the ballots enter the record at close, shuffled apart from the tracking codes"
)


@dataclass(frozen=True)
class Receipt:
    tracking_code: str
    replayed: bool = False


INVALID_CODE = "this voting code is not valid for this election"
REPLACED_CODE = (
    "this card was replaced on {date}: vote with the new card; if you did not ask for a new "
    "one, tell your election officers"
)


@dataclass(frozen=True)
class BallotBox:
    """What casting needs of an election (state, ballot rules, roll, standing candidates' keys),
    read with one plain query: the ORM's compilation of the whole election with its
    organisation, bodies and roll cost more CPU than the rest of a cast."""

    pk: int
    state: str
    method: str
    rules: dict[str, Any]
    roll_id: int | None
    candidates: tuple[str, ...]

    @classmethod
    def load(cls, election_id: int) -> BallotBox:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT e.state, e.method, e.rules, e.roll_id, c.key FROM elections_election e"
                " LEFT JOIN elections_candidate c"
                " ON c.election_id = e.id AND c.withdrawn_at IS NULL"
                " WHERE e.id = %s ORDER BY c.position",
                [election_id],
            )
            rows = cur.fetchall()
        if not rows:
            raise NotFoundOrForbidden("election")
        state, method, rules, roll_id, _key = rows[0]
        rules = Election._meta.get_field("rules").from_db_value(rules, None, connection)
        keys = tuple(row[4] for row in rows if row[4] is not None)
        return cls(election_id, state, method, rules, roll_id, keys)

    @classmethod
    def cached(cls, election_id: int) -> BallotBox:
        """:meth:`load`, kept by this process for a few seconds while the election is open.
        Safe because casting checks the state again in the database, and an open election's
        method, rules and candidates do not change."""
        box = BALLOT_BOXES.get(election_id)
        if box is None:
            box = cls.load(election_id)
            if box.state == State.OPEN:
                BALLOT_BOXES.put(election_id, box)
        return box


BALLOT_BOXES: Kept[BallotBox] = Kept(seconds=5.0)


def verify_credential(election: Election | BallotBox, code: str) -> int:
    """The id of the roll entry that ``code`` votes for; one answer for unknown codes of any kind
    (no such code, another election's code, a member no longer on the frozen roll)."""
    row = None
    if election.roll_id is not None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT r.id FROM registry_rollentry r JOIN elections_votingcredential c"
                " ON c.member_id = r.member_id"
                " WHERE c.election_id = %s AND c.code_hmac = %s AND r.roll_id = %s",
                [election.pk, secrecy.credential_hmac(code), election.roll_id],
            )
            row = cur.fetchone()
    if row is None:
        raise ActionError(_refusal(election.pk, code), field="code")
    return int(row[0])


def _refusal(election_id: int, code: str) -> str:
    """Why a code was refused: "replaced on DATE" for a card that a reissue replaced, the one
    answer for every other unknown code. Only the refusal path pays for this query."""
    replaced = (
        ReplacedCredential.objects.filter(
            election_id=election_id, code_hmac=secrecy.credential_hmac(code)
        )
        .values_list("replaced_at", flat=True)
        .first()
    )
    if replaced is None:
        return INVALID_CODE
    return REPLACED_CODE.format(date=replaced.strftime("%Y-%m-%d %H:%M UTC"))


def has_voted(election: Election, roll_entry_id: int) -> bool:
    return Participation.objects.filter(election=election, roll_entry_id=roll_entry_id).exists()


def candidate_keys(election: Election) -> list[str]:
    return list(
        Candidate.objects.filter(election_id=election.pk, withdrawn_at__isnull=True)
        .order_by("position")
        .values_list("key", flat=True)
    )


def check_cast(
    election: Election | BallotBox, code: str, selection: Mapping[str, Any], key: str
) -> Receipt:
    """Validate a voter's cast and cast it. Idempotent on ``key``; refuses, writing nothing,
    an unknown candidate, too many choices, a closed election, a code not on the roll, and a
    code already used (unless the same key and ballot, which returns the same receipt).
    """
    election = election if isinstance(election, BallotBox) else BallotBox.load(election.pk)
    if election.state != State.OPEN:
        raise ActionError("this election is not open for voting", field="election", code="conflict")
    if not key or len(key) < 16 or len(key) > 200:
        raise ActionError("a submission key of 16 to 200 characters is needed", field="key")
    try:
        content = counting.canonical_ballot(
            election.method, selection, list(election.candidates), election.rules
        )
    except counting.BallotError as exc:
        raise ActionError(exc.detail, field=exc.field) from None
    digest = secrecy.ballot_digest(key, content)
    try:
        return do_cast(election, code, content, key, digest)
    except _AlreadyVoted:
        # A retry of a cast that went through (or raced with itself on another connection)
        # finds its code used or its key taken: same key and ballot, same receipt. Looking the
        # key up only then saves every first cast a query.
        replay = _replayed(election, key, digest)
        if replay is not None:
            return replay
        raise ActionError(
            "this voting code has already been used", field="code", code="conflict"
        ) from None


def _replayed(election: BallotBox, key: str, digest: str) -> Receipt | None:
    record = (
        IdempotencyRecord.objects.filter(key_hash=secrecy.key_hash(key))
        .values_list("election_id", "ballot_digest", "tracking_code")
        .first()
    )
    if record is None:
        return None
    election_id, ballot_digest, tracking_code = record
    if election_id != election.pk or ballot_digest != digest:
        raise ActionError(
            "this submission was already cast with a different ballot", field="key", code="conflict"
        )
    return Receipt(tracking_code, replayed=True)


class _AlreadyVoted(Exception):
    pass


def election_state(election_id: int) -> str | None:
    """The election's state (None when there is no such election), by one plain query."""
    with connection.cursor() as cur:
        cur.execute("SELECT state FROM elections_election WHERE id = %s", [election_id])
        row = cur.fetchone()
    return row[0] if row else None


def do_cast(election: BallotBox, code: str, content: str, key: str, digest: str) -> Receipt:
    """Insert Participation (who) and Ballot (what) in one transaction, sharing nothing, if
    ``code`` is a valid voting code of the election and the election is open (checked under a
    share lock that a close waits for). Refuses, writing nothing, otherwise.

    Deliberately no audit entry, no record entry, no log line, no timestamp. The database's
    constraints, not checks in Python, keep one ballot per roll entry and one cast per key.
    """
    code_hmac = secrecy.credential_hmac(code)
    tracking = secrecy.new_tracking_code()
    ids = [_new_pk(model) for model in (Participation, Ballot, TrackingCode, IdempotencyRecord)]
    values = [content, tracking, secrecy.key_hash(key), tracking, digest]
    try:
        if connection.vendor == "postgresql":
            cast = _cast_in_one_statement(election.pk, code_hmac, ids, values)
        else:
            cast = _cast_in_a_transaction(election.pk, code_hmac, ids, values)
    except IntegrityError:
        # The code was used already, or the key raced with itself on another connection.
        raise _AlreadyVoted() from None
    if not cast:
        # Nothing was written: say why (a rare path, worth its extra query).
        if election_state(election.pk) != State.OPEN:
            raise ActionError(
                "this election is not open for voting", field="election", code="conflict"
            )
        raise ActionError(_refusal(election.pk, code), field="code")
    return Receipt(tracking)


def _new_pk(model: type[models.Model]) -> Any:
    return model._meta.pk.get_db_prep_value(uuid.uuid4(), connection)  # type: ignore[union-attr]


# PostgreSQL advisory lock (class, election id) between casting and closing: every cast holds it
# shared for its one transaction, a close takes it exclusively. A share lock on the election row
# did the same, but each one rewrote the row's header (a new MultiXact per concurrent cast), so
# every cast and every read of the election queued on that one row.
CASTING_LOCK_CLASS = 0x43415354  # "CAST"


def lock_casting(election_id: int, *, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE serialises a close with every cast already
    kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {kind}(%s, %s)", [CASTING_LOCK_CLASS, election_id])


# The voter's roll entry, when the code is valid and the election open.
_VOTER = (
    "SELECT e.id AS election_id, r.id AS entry_id FROM elections_election e"
    " JOIN elections_votingcredential c ON c.election_id = e.id AND c.code_hmac = %s"
    " JOIN registry_rollentry r ON r.roll_id = e.roll_id AND r.member_id = c.member_id"
    " WHERE e.id = %s AND e.state = %s"
)


_CAST_ROWS = (
    "INSERT INTO elections_participation (id, election_id, roll_entry_id)"
    " SELECT %s, election_id, entry_id FROM v",
    "INSERT INTO elections_ballot (id, election_id, content) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_trackingcode (id, election_id, code) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_idempotencyrecord"
    " (id, election_id, key_hash, tracking_code, ballot_digest)"
    " SELECT %s, election_id, %s, %s, %s FROM v",
)


def _cast_params(ids: list[Any], values: list[Any]) -> list[list[Any]]:
    content, tracking, key_hash, tracking_again, digest = values
    return [
        [ids[0]],
        [ids[1], content],
        [ids[2], tracking],
        [ids[3], key_hash, tracking_again, digest],
    ]


def _cast_in_one_statement(
    election_id: int, code_hmac: str, ids: list[Any], values: list[Any]
) -> bool:
    """PostgreSQL: the casting lock, then the check and the four inserts as one statement (a
    data-modifying WITH; every sub-statement runs to completion), sent together in one round
    trip instead of nine, which is what bounded casting throughput (docs/operations.md).

    Both go as one simple query (Django's default client-side binding cursor), which PostgreSQL
    runs as one implicit transaction: the lock is held until its end, and the second statement's
    snapshot is taken after the lock is granted, so a close that committed meanwhile is seen."""
    parts = [f"v AS ({_VOTER})"]
    parts += [f"i{n} AS ({sql})" for n, sql in enumerate(_CAST_ROWS[:-1])]
    params: list[Any] = [CASTING_LOCK_CLASS, election_id, code_hmac, election_id, State.OPEN]
    for row in _cast_params(ids, values):
        params += row
    sql = f"SELECT pg_advisory_xact_lock_shared(%s, %s); WITH {', '.join(parts)} {_CAST_ROWS[-1]}"
    # Inside an outer transaction (tests), a savepoint keeps a refused cast from aborting it.
    scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with scope, connection.cursor() as cur:
        cur.execute(sql, params)
        cur.nextset()  # the insert's result, after the lock's
        return cur.rowcount == 1


def _cast_in_a_transaction(
    election_id: int, code_hmac: str, ids: list[Any], values: list[Any]
) -> bool:
    """SQLite (no data-modifying WITH): the same four inserts, each from the same check, in one
    transaction; BEGIN IMMEDIATE serialises writers, so the check stands until the commit."""
    voter = [code_hmac, election_id, State.OPEN]
    with transaction.atomic(), connection.cursor() as cur:
        for sql, row in zip(_CAST_ROWS, _cast_params(ids, values), strict=True):
            # The check as a subquery, not a WITH: sqlite3 counts rows only of statements that
            # start with INSERT.
            cur.execute(sql.replace(" FROM v", f" FROM ({_VOTER}) v"), row + voter)
            if cur.rowcount != 1:
                return False  # only the first can find no voter; nothing was written
    return True
