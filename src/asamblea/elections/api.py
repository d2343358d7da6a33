"""API endpoints of elections and recalls.

Reads are public. Writes authenticate with a bearer token (officers, and members whose user has
a token), except casting, which authenticates with the voting code alone and is never logged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from asamblea.core.apischema import BearerToken, ErrorOut, paginate
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.kept import Kept
from asamblea.core.ratelimit import TooManyRequests, client_address
from asamblea.elections import actions, published, queries, secrecy
from asamblea.elections.models import Election, RecallPetition
from asamblea.registry.models import Body, Member, Organisation

router = Router(tags=["elections"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ElectionOut(Schema):
    id: int
    title: str
    kind: str
    state: str
    unit: str
    body: str
    seats: int
    method: str
    opens_at: str | None
    closes_at: str | None
    opened_at: str | None
    closed_at: str | None


class CandidateOut(Schema):
    key: str
    name: str


class ElectionDetailOut(ElectionOut):
    rules: dict[str, Any]
    candidates: list[CandidateOut]
    roll_size: int | None
    seed_commitment: str
    seed: str | None
    voters: int | None
    result: dict[str, Any] | None
    blocking_issues: list[str]


class ElectionPage(Schema):
    items: list[ElectionOut]
    count: int


class BallotPage(Schema):
    items: list[dict[str, Any]]
    count: int
    next: str | None = Field(description="the next page's path, null on the last page")


class CodePage(Schema):
    items: list[str]
    count: int
    next: str | None = Field(description="the next page's path, null on the last page")


def _published(e: Election) -> bool:
    return queries.is_published(e)


@router.get("/elections", response={200: ElectionPage, **ERRORS})
def list_elections(
    request: HttpRequest, state: str | None = None, limit: int = 50, offset: int = 0
):  # type: ignore[no-untyped-def]
    qs = Election.objects.select_related("unit", "body").order_by("id")
    if state:
        qs = qs.filter(state=state)
    rows, count = paginate(qs, limit, offset)
    return {"items": [queries.election_summary(e) for e in rows], "count": count}


def _detail(e: Election) -> dict[str, Any]:
    return queries.election_detail(e)


# The most-read document during a vote is the open election itself: every voter fetches its
# ballot paper. While the election stays open its detail does not change (bar a rename of its
# unit or body), so each worker keeps it for two seconds and serves it without a query. A worker
# forgets it as soon as it saves the election itself; the others may show "open" for up to two
# seconds after a close, while casting, which checks the state in its own statement, refuses.
OPEN_DETAILS: Kept[dict[str, Any]] = Kept(seconds=2.0)


@router.get("/elections/{election_id}", response={200: ElectionDetailOut, **ERRORS})
def get_election(request: HttpRequest, election_id: int):  # type: ignore[no-untyped-def]
    detail = OPEN_DETAILS.get(election_id)
    if detail is None:
        detail = _detail(actions.access_election_by_id(election_id))
        if detail["state"] == Election.State.OPEN:
            OPEN_DETAILS.put(election_id, detail)
    return detail


class PublishedPageIn(Schema):
    limit: int = Field(100, description=f"rows per page, 1 to {published.PAGE_MAX:,}")
    after: str | None = Field(
        None, description="the cursor of the page before: copy it from that page's next link"
    )
    offset: int | None = Field(
        None,
        description=f"rows to skip, at most {published.OFFSET_MAX:,} (deprecated: follow next)",
    )


def _next_link(path: str, page: published.Page, limit: int) -> str | None:
    if not page.has_next or page.last is None:
        return None
    return f"{path}?{urlencode({'after': page.last, 'limit': limit})}"


@router.get("/elections/{election_id}/ballots", response={200: BallotPage, **ERRORS})
def list_ballots(request: HttpRequest, election_id: int, params: Query[PublishedPageIn]):  # type: ignore[no-untyped-def]
    """The ballots, after close, in the order of their random ids (given at close, never the
    order they were cast in). Keyset pages: follow ``next`` (``?after=CURSOR``) to the end; each
    page costs the same however far in it is. ``offset`` is read up to 10,000 only."""
    e = actions.access_election_by_id(election_id)
    if not _published(e):
        raise ActionError("ballots are published when the vote closes", code="conflict")
    limit = published.check_limit(params.limit)
    offset = published.check_offset(params.offset, params.after)
    page = published.ballots(e, after=params.after, limit=limit, offset=offset)
    return {
        "items": [json.loads(c) for c in page.items],
        "count": published.count_ballots(e),
        "next": _next_link(request.path, page, limit),
    }


@router.get("/elections/{election_id}/tracking-codes", response={200: CodePage, **ERRORS})
def list_tracking_codes(request: HttpRequest, election_id: int, params: Query[PublishedPageIn]):  # type: ignore[no-untyped-def]
    """The tracking codes, after close, in alphabetical order (nothing links one to a ballot or a
    voter). Keyset pages: follow ``next`` (``?after=CODE``) to the end."""
    e = actions.access_election_by_id(election_id)
    if not _published(e):
        raise ActionError("tracking codes are published when the vote closes", code="conflict")
    limit = published.check_limit(params.limit)
    offset = published.check_offset(params.offset, params.after)
    page = published.tracking_codes(e, after=params.after, limit=limit, offset=offset)
    return {
        "items": page.items,
        "count": published.count_tracking_codes(e),
        "next": _next_link(request.path, page, limit),
    }


class CreateElectionIn(Schema):
    organisation: str
    unit: str
    body: str
    title: str
    seats: int = 1
    method: str = "plurality"
    rules: dict[str, Any] = {}


@router.post("/elections", auth=BearerToken(), response={201: ElectionDetailOut, **ERRORS})
def create_election(request: HttpRequest, payload: CreateElectionIn):  # type: ignore[no-untyped-def]
    org = Organisation.objects.filter(slug=payload.organisation).first()
    if org is None:
        raise ActionError("no such organisation", field="organisation")
    bodies = {b.code: b for b in Body.objects.filter(organisation=org)}
    if payload.unit not in bodies:
        raise ActionError("no such unit", field="unit")
    if payload.body not in bodies:
        raise ActionError("no such body", field="body")
    e = actions.check_create_election(
        request.user,
        organisation=org,
        unit=bodies[payload.unit],
        body=bodies[payload.body],
        title=payload.title,
        seats=payload.seats,
        method=payload.method,
        rules=payload.rules,
    )
    return 201, _detail(e)


class NominateIn(Schema):
    member: str


@router.post(
    "/elections/{election_id}/nominations",
    auth=BearerToken(),
    response={201: CandidateOut, **ERRORS},
)
def nominate(request: HttpRequest, election_id: int, payload: NominateIn):  # type: ignore[no-untyped-def]
    c = actions.check_nominate(request.user, election_id, payload.member)
    return 201, {"key": c.key, "name": c.name}


class VoteIn(Schema):
    code: str
    # The selection (a sealed vote seals it at the door, in memory) or, instead, ``sealed``: the
    # canonical JSON of a ballot sealed by the client (crypto.ballot; the server never sees the
    # choice). One of the two.
    ballot: dict[str, Any] | None = None
    sealed: str | None = None
    # A random key chosen by the client per submission: a retry with the same key and ballot
    # returns the same receipt.
    key: str


class ReceiptOut(Schema):
    tracking_code: str
    replayed: bool


@router.post("/elections/{election_id}/vote", response={200: ReceiptOut, 429: ErrorOut, **ERRORS})
def cast(request: HttpRequest, election_id: int, payload: VoteIn):  # type: ignore[no-untyped-def]
    """Cast a ballot with a voting code. Never logged; writes no audit or record entry."""
    box = actions.BallotBox.cached(election_id)
    # The code is checked first (in check_cast): a right code never touches the guessing budget,
    # so no one's guessing can keep a voter out; a wrong one is counted and, past it, slowed.
    try:
        if (payload.ballot is None) == (payload.sealed is None):
            raise ActionError("send either a ballot or a sealed ballot", field="ballot")
        receipt = actions.check_cast(
            box, payload.code, payload.ballot, payload.key, sealed=payload.sealed
        )
    except ActionError as exc:
        if exc.field == "code" and exc.detail == actions.INVALID_CODE:
            wait = secrecy.spend_wrong_code(election_id, client_address(request))
            if wait:
                raise TooManyRequests(
                    f"too many wrong codes from this connection: wait {wait} seconds", wait
                ) from None
        raise
    return {"tracking_code": receipt.tracking_code, "replayed": receipt.replayed}


# ---------------------------------------------------------------------------------------------
# Recalls


class RecallOut(Schema):
    id: int
    state: str
    unit: str
    body: str
    mandate: int
    member: str
    name: str
    reason: str
    roll_size: int
    signatures: int
    signatures_needed: int
    opened_at: str
    deadline_at: str
    election: int | None
    meeting_result: dict[str, Any] | None


class RecallPage(Schema):
    items: list[RecallOut]
    count: int


def _recall_out(p: RecallPetition) -> dict[str, Any]:
    return queries.recall_summary(p)


@router.get("/recalls", response={200: RecallPage, **ERRORS})
def list_recalls(request: HttpRequest, state: str | None = None, limit: int = 50, offset: int = 0):  # type: ignore[no-untyped-def]
    qs = RecallPetition.objects.select_related(
        "unit", "roll", "mandate__member", "mandate__seat__body"
    ).order_by("id")
    if state:
        qs = qs.filter(state=state)
    rows, count = paginate(qs, limit, offset)
    return {"items": [_recall_out(p) for p in rows], "count": count}


@router.get("/recalls/{petition_id}", response={200: RecallOut, **ERRORS})
def get_recall(request: HttpRequest, petition_id: int):  # type: ignore[no-untyped-def]
    return _recall_out(actions.access_petition_by_id(petition_id))


def _member_of(request: HttpRequest) -> Member:
    member = Member.objects.filter(user=request.user).first()
    if member is None:
        raise ActionError("only a member may do this", code="forbidden")
    return member


class OpenRecallIn(Schema):
    mandate: int
    reason: str
    route: str = "vote"


@router.post("/recalls", auth=BearerToken(), response={201: RecallOut, **ERRORS})
def open_recall(request: HttpRequest, payload: OpenRecallIn):  # type: ignore[no-untyped-def]
    p = actions.check_open_petition(
        request.user, _member_of(request), payload.mandate, payload.reason, payload.route
    )
    return 201, _recall_out(actions.access_petition_by_id(p.pk))


@router.post(
    "/recalls/{petition_id}/signature", auth=BearerToken(), response={200: RecallOut, **ERRORS}
)
def sign_recall(request: HttpRequest, petition_id: int):  # type: ignore[no-untyped-def]
    p = actions.access_petition_by_id(petition_id)
    actions.check_sign(request.user, p, _member_of(request))
    return _recall_out(actions.access_petition_by_id(petition_id))


@router.delete(
    "/recalls/{petition_id}/signature", auth=BearerToken(), response={200: RecallOut, **ERRORS}
)
def withdraw_signature(request: HttpRequest, petition_id: int):  # type: ignore[no-untyped-def]
    p = actions.access_petition_by_id(petition_id)
    actions.check_withdraw_signature(request.user, p, _member_of(request))
    return _recall_out(actions.access_petition_by_id(petition_id))


class SignatureOut(Schema):
    member: str
    name: str
    signed_at: str
    withdrawn_at: str | None


class SignaturePage(Schema):
    items: list[SignatureOut]
    count: int


@router.get(
    "/recalls/{petition_id}/signatures", auth=BearerToken(), response={200: SignaturePage, **ERRORS}
)
def list_signatures(request: HttpRequest, petition_id: int):  # type: ignore[no-untyped-def]
    """Officers checking the petition only; never its target."""
    p = actions.access_petition_by_id(petition_id)
    rows = actions.access_signatures_by_user(request.user, p)
    items = [
        {
            "member": s.roll_entry.member.public_id,
            "name": s.roll_entry.member.display_name,
            "signed_at": queries.when(s.signed_at),
            "withdrawn_at": queries.when(s.withdrawn_at),
        }
        for s in rows
    ]
    return {"items": items, "count": len(items)}


class TellerIn(Schema):
    present: int
    yes: int
    no: int
    abstain: int = 0


@router.post(
    "/recalls/{petition_id}/teller-results", auth=BearerToken(), response={200: RecallOut, **ERRORS}
)
def teller_result(request: HttpRequest, petition_id: int, payload: TellerIn):  # type: ignore[no-untyped-def]
    p = actions.access_petition_by_id(petition_id)
    actions.check_enter_teller_result(
        request.user,
        p,
        present=payload.present,
        yes=payload.yes,
        no=payload.no,
        abstain=payload.abstain,
    )
    return _recall_out(actions.access_petition_by_id(petition_id))


class ResignOut(Schema):
    successor: str | None
    by_election: int | None


@router.post(
    "/mandates/{mandate_id}/resignation", auth=BearerToken(), response={200: ResignOut, **ERRORS}
)
def resign(request: HttpRequest, mandate_id: int):  # type: ignore[no-untyped-def]
    """The delegate resigns; the seat is filled at once."""
    after = actions.check_resign(request.user, mandate_id)
    if isinstance(after, Election):
        return {"successor": None, "by_election": after.pk}
    return {"successor": after.member.public_id, "by_election": None}


# Registered last: its path pattern would otherwise catch /vote and /nominations.
TRANSITIONS = {
    "open-nominations": actions.check_open_nominations,
    "open": actions.check_open_election,
    "close": actions.check_close_election,
    "count": actions.check_count_election,
    "certify": actions.check_certify_election,
}


@router.post(
    "/elections/{election_id}/{transition}",
    auth=BearerToken(),
    response={200: ElectionDetailOut, **ERRORS},
)
def move_election(request: HttpRequest, election_id: int, transition: str):  # type: ignore[no-untyped-def]
    """Officers: ``open-nominations``, ``open``, ``close``, ``count``, ``certify`` (two officers)."""
    if transition not in TRANSITIONS:
        raise NotFoundOrForbidden("action")
    e = actions.access_election_by_id(election_id)
    TRANSITIONS[transition](request.user, e)
    return _detail(actions.access_election_by_id(election_id))
