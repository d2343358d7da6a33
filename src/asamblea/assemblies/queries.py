"""The read side of assemblies, shared by pages, API and command line: the rules in force
(weights, legal number, quorum, mandate mode), who is present, the live tally."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any

from django.db.models import Count

from asamblea.assemblies.models import (
    Attendance,
    DelegateVote,
    Division,
    Motion,
    Session,
)
from asamblea.core.errors import ActionError
from asamblea.record.recount_assemblies import (
    CHOICES,
    fmt,
)
from asamblea.registry.models import (
    Allocation,
    Body,
    Organisation,
    Seat,
)

MANDATE_MODES = ("report", "bound", "recall")
RECORD_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Rules in force: weights, legal number, quorum, mandate mode


def mandate_mode(organisation: Organisation) -> str:
    mode = (organisation.settings or {}).get("mandate_mode", "report")
    return mode if mode in MANDATE_MODES else "report"


def is_weighted(body: Body) -> bool:
    return body.voting_rule == Body.VotingRule.WEIGHTED


def unit_weights(body: Body) -> dict[int, Fraction]:
    """Weight of one seat of each sending unit, from the body's current apportionment."""
    rows = Allocation.objects.filter(
        apportionment__receiver=body, apportionment__is_current=True
    ).values_list("sender_id", "population", "seats")
    return {sender: (Fraction(pop, seats) if seats else Fraction(0)) for sender, pop, seats in rows}


def seat_weight(body: Body, unit_id: int) -> Fraction:
    """The weight of one seat of ``unit_id`` in ``body`` (1 in bodies of one delegate, one vote)."""
    if not is_weighted(body):
        return Fraction(1)
    row = (
        Allocation.objects.filter(
            apportionment__receiver=body, apportionment__is_current=True, sender_id=unit_id
        )
        .values_list("population", "seats")
        .first()
    )
    if row is None or not row[1]:
        raise ActionError(
            "this weighted body has no current apportionment for the seat's unit; "
            "apportion its seats from the frozen rolls first",
            code="blocked",
        )
    return Fraction(row[0], row[1])


def _sum_by_unit(counts: dict[int, int], body: Body) -> Fraction:
    if not is_weighted(body):
        return Fraction(sum(counts.values()))
    weights = unit_weights(body)
    return sum((weights.get(unit, Fraction(0)) * n for unit, n in counts.items()), Fraction(0))


def legal_number(body: Body) -> tuple[int, Fraction]:
    """(seats, legal amount): all the body's seats, and their total weight when weighted."""
    counts = dict(
        Seat.objects.filter(body=body, abolished_at__isnull=True)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    return sum(counts.values()), _sum_by_unit(counts, body)


def present_amount(session: Session) -> tuple[int, Fraction]:
    """(seats present, amount present): seats with someone sitting, weighted when weighted."""
    counts = dict(
        Attendance.objects.filter(session=session, left_at__isnull=True)
        .values_list("seat__unit_id")
        .annotate(n=Count("id"))
        .values_list("seat__unit_id", "n")
    )
    return sum(counts.values()), _sum_by_unit(counts, session.body)


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


def live_tally(division: Division) -> dict[str, Any]:
    """Current totals by choice (exact), votes cast and seats that have not voted; 1 query.

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
