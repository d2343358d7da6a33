"""The read side of assemblies, shared by pages, API and command line.

The rules in force (mandate mode, weights, legal number, the division's rule and snapshot), who is
present, the live tally and the session summary. Every weight, legal number and amount present is
computed by :mod:`asamblea.rules.weights` (the one seat-weight rule) from the body's current
apportionment: a seat of unit U weighs ``population / seats`` of U's allocation (one in bodies of
one delegate, one vote), so a change of membership moves no weight until the roll is frozen again
and the seats re-apportioned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q

from asamblea.assemblies.models import Attendance, DelegateVote, Division, Motion, Session
from asamblea.core.errors import ActionError
from asamblea.record.entries.assemblies import (
    DivisionRuleV2,
    DivisionSnapshot,
    SnapshotAllocation,
    SnapshotSeat,
)
from asamblea.registry.models import Allocation, Body, Organisation, Seat
from asamblea.rules import weights as weight_rule
from asamblea.rules.divisions import CHOICES, fmt, frac

MANDATE_MODES = ("report", "bound", "recall")


def mandate_mode(organisation: Organisation) -> str:
    mode = (organisation.settings or {}).get("mandate_mode", "report")
    return mode if mode in MANDATE_MODES else "report"


def is_weighted(body: Body) -> bool:
    return body.voting_rule == Body.VotingRule.WEIGHTED


def _allocations(body: Body) -> list[tuple[int, str, int, int]]:
    """(unit id, unit code, population, seats) of the body's current apportionment."""
    return list(
        Allocation.objects.filter(apportionment__receiver=body, apportionment__is_current=True)
        .order_by("sender__code")
        .values_list("sender_id", "sender__code", "population", "seats")
    )


def unit_weights(body: Body) -> dict[int, Fraction]:
    """Weight of one seat of each sending unit, from the body's current apportionment."""
    return weight_rule.unit_weights(
        weighted=True,
        allocations={unit: (pop, seats) for unit, _, pop, seats in _allocations(body)},
    )


def seat_weight(body: Body, unit_id: int) -> Fraction:
    """The weight of one seat of ``unit_id`` in ``body`` (1 in bodies of one delegate, one vote)."""
    if not is_weighted(body):
        return weight_rule.seat_weight(weighted=False, population=None, seats=None)
    row = (
        Allocation.objects.filter(
            apportionment__receiver=body, apportionment__is_current=True, sender_id=unit_id
        )
        .values_list("population", "seats")
        .first()
    )
    try:
        return weight_rule.seat_weight(
            weighted=True, population=row[0] if row else None, seats=row[1] if row else None
        )
    except weight_rule.NoApportionment:
        raise ActionError(
            "this weighted body has no current apportionment for the seat's unit; "
            "apportion its seats from the frozen rolls first",
            code="blocked",
        ) from None


def _amount(counts: dict[int, int], body: Body, weights: dict[int, Fraction] | None = None) -> Any:
    if not is_weighted(body):
        return Fraction(sum(counts.values()))
    return weight_rule.total_weight(unit_weights(body) if weights is None else weights, counts)


def _seat_counts(body: Body) -> dict[int, int]:
    return dict(
        Seat.objects.filter(body=body, abolished_at__isnull=True)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )


def legal_number(body: Body) -> tuple[int, Fraction]:
    """(seats, legal amount): all the body's seats, and their total weight when weighted."""
    counts = _seat_counts(body)
    return sum(counts.values()), _amount(counts, body)


def sitting(session: Session) -> Any:
    """Who sits now; once the session is closed, who sat when it closed (closing ends every
    attendance at the closing time, and a closed session that showed "0 present" beside divisions
    that were quorate read as a contradiction)."""
    if session.status == Session.Status.CLOSED and session.closed_at is not None:
        return Attendance.objects.filter(session=session, left_at__gte=session.closed_at)
    return Attendance.objects.filter(session=session, left_at__isnull=True)


def present_counts(session: Session) -> dict[int, int]:
    """Seats with someone sitting, per sending unit (at its close, for a closed session)."""
    return dict(
        sitting(session)
        .values_list("seat__unit_id")
        .annotate(n=Count("id"))
        .values_list("seat__unit_id", "n")
    )


def present_amount(
    session: Session, weights: dict[int, Fraction] | None = None
) -> tuple[int, Fraction]:
    """(seats present, amount present): weighted when weighted, by ``weights`` when given (a
    division's weights, fixed when it opened), else by the current apportionment."""
    counts = present_counts(session)
    return sum(counts.values()), _amount(counts, session.body, weights)


def present_seats(session: Session) -> list[int]:
    return sorted(
        Attendance.objects.filter(session=session, left_at__isnull=True).values_list(
            "seat_id", flat=True
        )
    )


def division_rule(motion: Motion) -> dict[str, Any]:
    """The rule in force for a division, fixed when it opens and written on the record."""
    body = motion.session.body
    org = body.organisation
    seats, legal = legal_number(body)
    quorum = (org.settings or {}).get("assembly_quorum") or {}
    rule: dict[str, Any] = {
        "threshold": motion.threshold,
        "basis": "weight" if is_weighted(body) else "seats",
        "seats": seats,
        "legal": fmt(legal),
        "quorum": str(Fraction(str(quorum.get("fraction", "1/2")))),
        "quorum_strict": bool(quorum.get("strict", True)),
        "mandate_mode": mandate_mode(org),
        "voting_rule": body.voting_rule,
    }
    if motion.threshold == Motion.Threshold.QUALIFIED:
        rule["fraction"] = fmt(motion.threshold_fraction)
    return rule


def record_rule(rule: dict[str, Any]) -> DivisionRuleV2:
    """A division's stored rule (:func:`division_rule`) as its v2 record entries carry it."""
    fraction = rule.get("fraction")
    return DivisionRuleV2(
        threshold=rule["threshold"],
        basis=rule["basis"],
        seats=int(rule["seats"]),
        quorum_strict=bool(rule["quorum_strict"]),
        mandate_mode=rule["mandate_mode"],
        voting_rule=rule["voting_rule"],
        legal=frac(rule["legal"]),
        quorum=frac(rule["quorum"]),
        fraction=None if fraction is None else frac(fraction),
    )


def division_snapshot(body: Body) -> DivisionSnapshot:
    """Every seat of the body and each sending unit's weight inputs, as the record states them."""
    seats = (
        Seat.objects.filter(body=body, abolished_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "unit__code")
    )
    allocations = _allocations(body) if is_weighted(body) else []
    return DivisionSnapshot(
        voting_rule=body.voting_rule,
        seats=[SnapshotSeat(seat_id=pk, unit=code) for pk, code in seats],
        allocations=[
            SnapshotAllocation(unit=code, population=pop, seats=n)
            for _, code, pop, n in allocations
        ],
    )


def division_weights(division: Division) -> dict[int, Fraction] | None:
    """The weights fixed when ``division`` opened (None in bodies of one delegate, one vote)."""
    if not division.weights:
        return None
    return {int(unit): _stored_fraction(w) for unit, w in division.weights.items()}


def _stored_fraction(text: str) -> Fraction:
    """A stored "num/den" (or "num", as ``fmt`` writes it) without ``Fraction``'s text parser,
    which costs three times more (1,000 units' weights are read on every division page)."""
    num, _slash, den = text.partition("/")
    return Fraction(int(num), int(den or 1))


def live_tally(division: Division) -> dict[str, Any]:
    """Current totals by choice (exact) and votes by choice; 1 query, whatever the votes.

    Read from the division's running tally (``Division.live_totals``), which the casting action
    keeps in each cast's transaction, and read afresh, so a caller holding an older copy of the
    division still sees every vote committed. :func:`recount_tally` counts the votes themselves.
    """
    totals, counts = (
        Division.objects.filter(pk=division.pk).values_list("live_totals", "live_counts").get()
    )
    return tally_from_stored(totals, counts)


def tally_from_stored(totals: dict[str, str], counts: dict[str, int]) -> dict[str, Any]:
    """The tally of a division's stored running totals ({} before any vote)."""
    return {
        "totals": {c: Fraction(totals.get(c, "0")) for c in CHOICES},
        "counts": {c: int(counts.get(c, 0)) for c in CHOICES},
    }


def recount_tally(division: Division) -> dict[str, Any]:
    """The tally counted from the votes (what :func:`live_tally` caches); 1 query.

    Grouping by weight keeps the work proportional to the number of distinct weights, not votes.
    """
    totals = {c: Fraction(0) for c in CHOICES}
    counts = Counter[str]()
    rows = (
        DelegateVote.objects.filter(division=division)
        .values_list("choice", "weight_num", "weight_den")
        .annotate(n=Count("id"))
        .order_by()
    )
    for choice, num, den, n in rows:
        totals[choice] += Fraction(num, den) * n
        counts[choice] += n
    return {"totals": totals, "counts": {c: counts[c] for c in CHOICES}}


# A delegate's or unit's name searched on the roll call: at most this many characters.
FIND_MAX = 100
_ROLL_CALL_COLUMNS = (
    "member_name",
    "member__public_id",
    "unit_name",
    "is_alternate",
    "choice",
    "weight_num",
    "weight_den",
    "instruction__result",
    "is_deviation",
    "seat_id",
)


@dataclass(frozen=True)
class RollCallPage:
    """One keyset page of a division's votes in roll-call order (unit, name, seat).

    ``rows`` are tuples of :data:`_ROLL_CALL_COLUMNS`; ``first`` and ``last`` the seat ids that
    are the cursors of the pages before and after (``before=``/``after=``)."""

    rows: list[tuple[Any, ...]]
    first: int | None
    last: int | None
    has_previous: bool
    has_next: bool


def _seat_cursor(text: str | None, field: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ActionError("not a roll-call cursor: follow the page's links", field=field)
    return int(text)


def roll_call_page(
    division: Division,
    *,
    after: str | None = None,
    before: str | None = None,
    find: str = "",
    limit: int = 100,
) -> RollCallPage:
    """``limit`` votes of ``division`` after the seat ``after`` (or before ``before``), in roll-call
    order; with ``find``, only votes whose delegate's or unit's name contains it.

    Keyset, never ``OFFSET``: the last page of 10,000 votes costs what the first one costs (the
    index on division, unit name, delegate name and seat serves the order and the start). A cursor
    is a seat id; one of a seat that has not voted in this division starts from the beginning.
    Two queries at most: the cursor's names, and the page.
    """
    find = find.strip()
    if len(find) > FIND_MAX:
        raise ActionError(f"search for at most {FIND_MAX} characters", field="find")
    votes = DelegateVote.objects.filter(division=division)
    if find:
        votes = votes.filter(Q(member_name__icontains=find) | Q(unit_name__icontains=find))
    end = _seat_cursor(before, "before")
    start = None if end is not None else _seat_cursor(after, "after")
    seat = end if end is not None else start
    key = (
        DelegateVote.objects.filter(division=division, seat_id=seat)
        .values_list("unit_name", "member_name")
        .first()
        if seat is not None
        else None
    )
    if key is None:
        rows = list(
            votes.order_by("unit_name", "member_name", "seat_id").values_list(*_ROLL_CALL_COLUMNS)[
                : limit + 1
            ]
        )
        shown = rows[:limit]
        return _roll_call(shown, has_previous=False, has_next=len(rows) > limit)
    unit, name = key
    # Backwards from the cursor (the page ending just before it, read in reverse and then put in
    # order) or forwards from it: the same comparison with the other sign.
    back = end is not None
    sign = "lt" if back else "gt"
    rows = list(
        votes.filter(**{f"unit_name__{sign}e": unit})
        .filter(
            Q(**{f"unit_name__{sign}": unit})
            | Q(unit_name=unit, **{f"member_name__{sign}": name})
            | Q(unit_name=unit, member_name=name, **{f"seat_id__{sign}": seat})
        )
        .order_by(*(f"-{c}" if back else c for c in ("unit_name", "member_name", "seat_id")))
        .values_list(*_ROLL_CALL_COLUMNS)[: limit + 1]
    )
    more = len(rows) > limit
    if back:
        return _roll_call(rows[:limit][::-1], has_previous=more, has_next=True)
    return _roll_call(rows[:limit], has_previous=True, has_next=more)


def _roll_call(rows: list[tuple[Any, ...]], *, has_previous: bool, has_next: bool) -> RollCallPage:
    return RollCallPage(
        rows=rows,
        first=rows[0][-1] if rows else None,
        last=rows[-1][-1] if rows else None,
        has_previous=has_previous,
        has_next=has_next,
    )


def session_summary(session: Session) -> dict[str, Any]:
    """What pages, API and CLI show of a session: seats, legal number, who is present, motions."""
    seats, legal = legal_number(session.body)
    seats_present, present = present_amount(session)
    motions = list(
        Motion.objects.filter(session=session).select_related("division").order_by("number")
    )
    return {
        "seats": seats,
        "legal": legal,
        "seats_present": seats_present,
        "present": present,
        "motions": motions,
        "is_weighted": is_weighted(session.body),
    }
