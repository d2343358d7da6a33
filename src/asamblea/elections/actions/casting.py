"""Casting: no per-ballot audit or record entry, no time, no log (see the secrecy ADR).

Casting is a private action (:data:`asamblea.core.action.PRIVATE_ACTIONS`), but it does not pass
through ``door()``: the door's transaction would wrap the one-statement cast on PostgreSQL in an
explicit BEGIN and COMMIT, two more round trips on the path that bounds casting throughput
(docs/operations.md). :func:`do_cast` keeps its own all-or-nothing: one statement (PostgreSQL) or
one transaction (SQLite). It takes no actor: a ballot is cast by a voting code, not by a user.

A sealed vote (ADR 0013) stores only the sealed ballot's canonical JSON: the voter's browser sealed
it (``sealed``), or the door seals the selection in memory (:mod:`.sealing`). On PostgreSQL the
cast's values are bound on the server (extended protocol, never inlined in the statement text),
and the spent code, the taken key and a copied ciphertext are checked inside the statement before
anything is inserted: a refused cast writes nothing and fails no statement, so neither the server
log (``log_min_error_statement``) nor anything else receives a ballot, a code's HMAC or a key.
Only two casts racing with the same code or key still meet a unique constraint, whose logged
statement then carries placeholders, not values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction

from asamblea.core.action import PRIVATE_ACTIONS
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.kept import Kept
from asamblea.core.models import ReplacedCredential
from asamblea.elections import secrecy
from asamblea.elections.actions import ranked, sealing
from asamblea.elections.actions._common import State
from asamblea.elections.models import (
    Ballot,
    Candidate,
    CastFingerprint,
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
COPIED = "this ballot repeats a ciphertext already cast in this election: seal your own ballot"
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
    # For a sealed vote: what its ballots are sealed under (None: a plaintext vote).
    seal: sealing.SealSpec | ranked.RankedSpec | None = None

    @classmethod
    def load(cls, election_id: int) -> BallotBox:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT e.state, e.method, e.rules, e.roll_id, e.public_key, e.seal_id, c.key"
                " FROM elections_election e LEFT JOIN elections_candidate c"
                " ON c.election_id = e.id AND c.withdrawn_at IS NULL"
                " WHERE e.id = %s ORDER BY c.position",
                [election_id],
            )
            rows = cur.fetchall()
        if not rows:
            raise NotFoundOrForbidden("election")
        state, method, rules, roll_id, public_key, seal_id, _key = rows[0]
        rules = Election._meta.get_field("rules").from_db_value(rules, None, connection)
        keys = tuple(row[6] for row in rows if row[6] is not None)
        seal = None
        # Ranked ballots are sealed by their own module (crypto.ranked), not as 0/1 answers.
        if public_key and counting.is_sealable(method):
            seal = sealing.SealSpec.of(
                seal_id=seal_id, public_key=public_key, method=method, keys=keys, rules=rules
            )
        elif public_key and ranked.is_ranked(method) and keys:
            seal = ranked.RankedSpec.of(
                seal_id=seal_id, public_key=public_key, keys=keys, rules=rules
            )
        return cls(election_id, state, method, rules, roll_id, keys, seal)

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
    election: Election | BallotBox,
    code: str,
    selection: Mapping[str, Any] | None,
    key: str,
    *,
    sealed: str | None = None,
) -> Receipt:
    """Validate a voter's cast and cast it. Idempotent on ``key``; refuses, writing nothing,
    an unknown candidate, too many choices, a closed election, a code not on the roll, and a
    code already used (unless the same key and ballot, which returns the same receipt).

    A sealed vote takes either ``selection`` (sealed here, in memory) or ``sealed``, the
    canonical JSON of a ballot sealed in the browser (verified here; the server never sees the
    choice); a plaintext vote (opened before sealing existed) only ``selection``.
    """
    election = election if isinstance(election, BallotBox) else BallotBox.load(election.pk)
    if election.state != State.OPEN:
        raise ActionError("this election is not open for voting", field="election", code="conflict")
    if not key or len(key) < 16 or len(key) > 200:
        raise ActionError("a submission key of 16 to 200 characters is needed", field="key")
    if sealed is not None:
        if election.seal is None:
            raise ActionError("this vote takes a selection, not a sealed ballot", field="sealed")
        if isinstance(election.seal, ranked.RankedSpec):
            stored = ranked.accept_sealed_ranking(election.seal, sealed)
        else:
            stored = sealing.accept_sealed(election.seal, sealed)
        content, tracking, fingerprints = stored.content, stored.tracking_code, stored.fingerprints
        digest = secrecy.ballot_digest(key, content)
    else:
        try:
            content = counting.canonical_ballot(
                election.method, dict(selection or {}), list(election.candidates), election.rules
            )
        except counting.BallotError as exc:
            raise ActionError(exc.detail, field=exc.field) from None
        # Keyed by the submission key, which is stored nowhere: a retry of the same selection
        # finds its receipt, and the digest cannot be inverted into the choice.
        digest = secrecy.ballot_digest(key, content)
        tracking, fingerprints = secrecy.new_tracking_code(), ()
        if election.seal is not None:
            if isinstance(election.seal, ranked.RankedSpec):
                stored = ranked.seal_ranked(election.seal, content)
            else:
                stored = sealing.seal_selection(election.seal, content)
            content, tracking, fingerprints = (
                stored.content,
                stored.tracking_code,
                stored.fingerprints,
            )
    try:
        return do_cast(election, code, content, key, digest, tracking, fingerprints)
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
    # A submission key is unique per vote (migration 0004), and the lookup names the vote, so on
    # PostgreSQL it reads that vote's partition only, not every vote's.
    record = (
        IdempotencyRecord.objects.filter(election_id=election.pk, key_hash=secrecy.key_hash(key))
        .values_list("ballot_digest", "tracking_code")
        .first()
    )
    if record is None:
        return None
    ballot_digest, tracking_code = record
    if ballot_digest != digest:
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


def do_cast(
    election: BallotBox,
    code: str,
    content: str,
    key: str,
    digest: str,
    tracking: str | None = None,
    fingerprints: Sequence[str] = (),
) -> Receipt:
    """Insert Participation (who) and Ballot (what) in one transaction, sharing nothing, if
    ``code`` is a valid, unspent voting code of the election, the key is new, no ciphertext
    (``fingerprints``, the alphas) was cast before, and the election is open (checked under a
    lock that a close waits for). Refuses, writing nothing, otherwise.

    Deliberately no audit entry, no record entry, no log line, no timestamp. The database's
    constraints, not checks in Python, keep one ballot per roll entry, one cast per key and one
    cast per ciphertext when casts race.
    """
    code_hmac = secrecy.credential_hmac(code)
    tracking = tracking or secrecy.new_tracking_code()
    ids = [_new_pk(model) for model in (Participation, Ballot, TrackingCode, IdempotencyRecord)]
    cast = _Cast(
        election.pk,
        code_hmac,
        ids,
        content,
        tracking,
        secrecy.key_hash(key),
        digest,
        list(fingerprints),
    )
    try:
        if connection.vendor == "postgresql":
            done = _cast_in_one_statement(cast)
        else:
            done = _cast_in_a_transaction(cast)
    except IntegrityError:
        # Two casts raced with the same code or key (the statement's own checks stop a lone
        # retry before any insert), or with the same copied ciphertext.
        if fingerprints and _copied(election.pk, fingerprints):
            raise ActionError(COPIED, field="sealed", code="conflict") from None
        raise _AlreadyVoted() from None
    if not done:
        # Nothing was written: say why (a rare path, worth its extra queries).
        if election_state(election.pk) != State.OPEN:
            raise ActionError(
                "this election is not open for voting", field="election", code="conflict"
            )
        if (
            _spent(election, cast)
            or IdempotencyRecord.objects.filter(
                election_id=election.pk, key_hash=cast.key_hash
            ).exists()
        ):
            raise _AlreadyVoted()
        if fingerprints and _copied(election.pk, fingerprints):
            raise ActionError(COPIED, field="sealed", code="conflict")
        raise ActionError(_refusal(election.pk, code), field="code")
    return Receipt(tracking)


@dataclass(frozen=True)
class _Cast:
    election_id: int
    code_hmac: str
    ids: list[Any]
    content: str
    tracking: str
    key_hash: str
    digest: str
    fingerprints: list[str]


def _copied(election_id: int, fingerprints: Sequence[str]) -> bool:
    """Whether a ciphertext was cast already (``crypto.ballot.find_copied`` over the table)."""
    cast = set(
        CastFingerprint.objects.filter(
            election_id=election_id, alpha__in=list(fingerprints)
        ).values_list("alpha", flat=True)
    )
    return find_copied(fingerprints, cast) is not None


def find_copied(fingerprints: Sequence[str], already_cast: set[str]) -> str | None:
    for fp in fingerprints:
        if fp in already_cast:
            return fp
    return None


def _spent(election: BallotBox, cast: _Cast) -> bool:
    """Whether the code is a valid code of this election whose roll entry has voted."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM elections_participation p"
            " JOIN registry_rollentry r ON r.id = p.roll_entry_id"
            " JOIN elections_votingcredential c ON c.member_id = r.member_id"
            " WHERE p.election_id = %s AND c.election_id = %s AND c.code_hmac = %s"
            " AND r.roll_id = %s",
            [cast.election_id, cast.election_id, cast.code_hmac, election.roll_id],
        )
        return cur.fetchone() is not None


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


# The voter's roll entry, when the code is valid, the election open, the roll entry has not
# voted, the submission key is new and no ciphertext of the ballot was cast before: every check
# a unique constraint would otherwise make by failing a statement.
_VOTER = (
    "SELECT e.id AS election_id, r.id AS entry_id FROM elections_election e"
    " JOIN elections_votingcredential c ON c.election_id = e.id AND c.code_hmac = %s"
    " JOIN registry_rollentry r ON r.roll_id = e.roll_id AND r.member_id = c.member_id"
    " WHERE e.id = %s AND e.state = %s"
    " AND NOT EXISTS (SELECT 1 FROM elections_participation p"
    " WHERE p.election_id = e.id AND p.roll_entry_id = r.id)"
    " AND NOT EXISTS (SELECT 1 FROM elections_idempotencyrecord k"
    " WHERE k.election_id = e.id AND k.key_hash = %s)"
)
_NOT_COPIED_PG = (
    " AND NOT EXISTS (SELECT 1 FROM elections_castfingerprint f"
    " WHERE f.election_id = e.id AND f.alpha = ANY(%s::varchar[]))"
)


_CAST_ROWS = (
    "INSERT INTO elections_participation (id, election_id, roll_entry_id)"
    " SELECT %s, election_id, entry_id FROM v",
    "INSERT INTO elections_ballot (id, election_id, content) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_trackingcode (id, election_id, code) SELECT %s, election_id, %s FROM v",
    "INSERT INTO elections_castfingerprint (id, election_id, alpha)"
    " SELECT gen_random_uuid(), election_id, alpha FROM v, unnest(%s::varchar[]) AS alpha",
    "INSERT INTO elections_idempotencyrecord"
    " (id, election_id, key_hash, tracking_code, ballot_digest)"
    " SELECT %s, election_id, %s, %s, %s FROM v",
)


def _cast_in_one_statement(cast: _Cast) -> bool:
    """PostgreSQL: the casting lock, then the checks and the inserts as one statement (a
    data-modifying WITH; every sub-statement runs to completion), pipelined with BEGIN and
    COMMIT in one round trip, which is what bounds casting throughput (docs/operations.md).

    The values are bound on the server (psycopg's ``Cursor``, the extended protocol), whatever
    the connection's own cursors do: the statement text PostgreSQL may log holds placeholders
    only. The lock is taken by its own statement, so the insert's snapshot is taken after it is
    granted, and a close that committed meanwhile is seen."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    parts = [f"v AS ({_VOTER}{_NOT_COPIED_PG})"]
    parts += [f"i{n} AS ({sql})" for n, sql in enumerate(_CAST_ROWS[:-1])]
    sql = f"WITH {', '.join(parts)} {_CAST_ROWS[-1]}"
    params: list[Any] = [
        cast.code_hmac,
        cast.election_id,
        State.OPEN,
        cast.key_hash,
        cast.fingerprints,
        cast.ids[0],
        cast.ids[1],
        cast.content,
        cast.ids[2],
        cast.tracking,
        cast.fingerprints,
        cast.ids[3],
        cast.key_hash,
        cast.tracking,
        cast.digest,
    ]
    lock = [CASTING_LOCK_CLASS, cast.election_id]
    control, insert = psycopg.Cursor(raw), psycopg.Cursor(raw)
    try:
        if connection.in_atomic_block:
            # Inside an outer transaction (tests, the demo): a savepoint keeps a refused cast
            # from aborting it; the outer transaction's end releases the lock.
            with transaction.atomic(), raw.pipeline():
                control.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", lock)
                insert.execute(sql, params)
            return insert.rowcount == 1
        try:
            with raw.pipeline():
                control.execute("BEGIN")
                control.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", lock)
                insert.execute(sql, params)
                control.execute("COMMIT")
        except psycopg.Error:
            raw.execute("ROLLBACK")
            raise
    except psycopg.IntegrityError:
        # Raised by psycopg itself (this cursor is not Django's): Django's kind, and no detail
        # (PostgreSQL's names the key's values).
        raise IntegrityError() from None
    return insert.rowcount == 1


def _cast_in_a_transaction(cast: _Cast) -> bool:
    """SQLite (no data-modifying WITH): the checks, then the inserts, in one transaction;
    BEGIN IMMEDIATE serialises writers, so the checks stand until the commit."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_VOTER, [cast.code_hmac, cast.election_id, State.OPEN, cast.key_hash])
        row = cur.fetchone()
        if row is None:
            return False
        if (
            cast.fingerprints
            and CastFingerprint.objects.filter(
                election_id=cast.election_id, alpha__in=cast.fingerprints
            ).exists()
        ):
            return False
        entry_id = row[1]
        e = cast.election_id
        cur.execute(
            "INSERT INTO elections_participation (id, election_id, roll_entry_id)"
            " VALUES (%s, %s, %s)",
            [cast.ids[0], e, entry_id],
        )
        cur.execute(
            "INSERT INTO elections_ballot (id, election_id, content) VALUES (%s, %s, %s)",
            [cast.ids[1], e, cast.content],
        )
        cur.execute(
            "INSERT INTO elections_trackingcode (id, election_id, code) VALUES (%s, %s, %s)",
            [cast.ids[2], e, cast.tracking],
        )
        if cast.fingerprints:
            cur.executemany(
                "INSERT INTO elections_castfingerprint (id, election_id, alpha)"
                " VALUES (%s, %s, %s)",
                [[_new_pk(CastFingerprint), e, alpha] for alpha in cast.fingerprints],
            )
        cur.execute(
            "INSERT INTO elections_idempotencyrecord"
            " (id, election_id, key_hash, tracking_code, ballot_digest)"
            " VALUES (%s, %s, %s, %s, %s)",
            [cast.ids[3], e, cast.key_hash, cast.tracking, cast.digest],
        )
    return True
