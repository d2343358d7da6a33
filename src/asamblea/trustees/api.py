"""API of standing boards of trustees: the board, its ceremony, decryption requests.

Reads are public (everything here is on the record). Writes authenticate with a bearer token
(``asamblea trustee``) or the browser's session, whose cookie needs Django's CSRF token
(``X-CSRFToken``): a page elsewhere cannot make a trustee's browser post for them. Every message
is JSON, exactly the record's form (:mod:`asamblea.record.entries.trustees`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Body, Router, Schema
from ninja.security import SessionAuth

from asamblea.core.apischema import BearerToken, ErrorOut
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.crypto.group import point_from_text
from asamblea.record.entries.trustees import board_key_fingerprint
from asamblea.registry.models import Body as OrgBody
from asamblea.registry.models import Member, Organisation
from asamblea.trustees import queries
from asamblea.trustees.access import access_board, access_request
from asamblea.trustees.actions.boards import check_propose_board, holds_office
from asamblea.trustees.actions.decryption import check_post_partial
from asamblea.trustees.actions.keygen import check_publish
from asamblea.trustees.actions.resharing import check_deal
from asamblea.trustees.models import DecryptionRequest, Trustee, TrusteeBoard

router = Router(tags=["trustees"])
AUTH = [BearerToken(), SessionAuth()]
# A message is a free-form JSON object in the body, parsed strictly by the actions.
JSON_BODY = Body(...)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TrusteeOut(Schema):
    index: int
    name: str
    fingerprint: str
    certificate: dict[str, Any] | None
    polynomial: dict[str, Any] | None
    verification_key: dict[str, Any] | None


class BoardOut(Schema):
    board: str
    organisation: str
    unit: str | None
    k: int
    n: int
    state: str
    public_key: str | None
    fingerprint: str | None
    deadline_hours: int
    demo: bool
    meaning: list[str]
    replaces: dict[str, Any] | None
    dealings: list[dict[str, Any]]
    trustees: list[TrusteeOut]


def board_out(board: TrusteeBoard) -> dict[str, Any]:
    key = board.public_key or None
    return {
        "board": board.uid,
        "organisation": board.organisation.slug,
        "unit": board.unit.code if board.unit else None,
        "k": board.k,
        "n": board.n,
        "state": board.state,
        "public_key": key,
        "fingerprint": board_key_fingerprint(board.uid, point_from_text(key)) if key else None,
        "deadline_hours": board.deadline_hours,
        "demo": board.demo,
        "meaning": queries.explain(board.k, board.n, board.deadline_hours),
        "replaces": _replaced(board.replaces),
        "dealings": [d.message for d in board.dealings.order_by("dealer__index")],
        "trustees": [
            {
                "index": t.index,
                "name": t.label,
                "fingerprint": t.fingerprint,
                "certificate": t.certificate,
                "polynomial": t.polynomial,
                "verification_key": t.verification_key,
            }
            for t in board.trustees.order_by("index")
        ],
    }


def _replaced(old: TrusteeBoard | None) -> dict[str, Any] | None:
    if old is None:
        return None
    return {
        "id": old.pk,
        "board": old.uid,
        "k": old.k,
        "n": old.n,
        "public_key": old.public_key,
        "verification_keys": [t.verification_key for t in old.trustees.order_by("index")],
    }


@router.get("/trustees/boards", response={200: list[BoardOut], **ERRORS})
def list_boards(request: HttpRequest, organisation: str):  # type: ignore[no-untyped-def]
    org = Organisation.objects.filter(slug=organisation).first()
    if org is None:
        raise NotFoundOrForbidden("organisation")
    return [board_out(b) for b in queries.boards_of(org)]


@router.get("/trustees/boards/{board_id}", response={200: BoardOut, **ERRORS})
def get_board(request: HttpRequest, board_id: int):  # type: ignore[no-untyped-def]
    return board_out(access_board(board_id))


class ProposeIn(Schema):
    organisation: str
    unit: str | None = None
    k: int = 3
    n: int = 5
    # Each a member's public id or, for an officer who is not a member, their user name.
    trustees: list[str]
    public_names: bool = True
    deadline_hours: int = 72
    # The id of a ready board whose key this one receives by resharing.
    replaces: int | None = None


class ProposedOut(Schema):
    approval: int
    meaning: list[str]


def _trustee_user(org: Organisation, ref: str) -> Any:
    """A member's user (by public id) or an officer's (by user name); None when neither: the
    proposal then refuses it by position, after checking who proposes."""
    member = Member.objects.filter(organisation=org, public_id=ref, user__isnull=False).first()
    if member is not None:
        return member.user
    user = get_user_model().objects.filter(username=ref).first()
    if user is not None and holds_office(user, org):
        return user
    return None


@router.post("/trustees/boards", auth=AUTH, response={202: ProposedOut, **ERRORS})
def propose_board(request: HttpRequest, payload: ProposeIn):  # type: ignore[no-untyped-def]
    org = Organisation.objects.filter(slug=payload.organisation).first()
    if org is None:
        raise ActionError("no such organisation", field="organisation")
    unit = None
    if payload.unit is not None:
        unit = OrgBody.objects.filter(organisation=org, code=payload.unit).first()
        if unit is None:
            raise ActionError("no such unit", field="unit")
    users = [_trustee_user(org, ref) for ref in payload.trustees]
    replaces = None if payload.replaces is None else access_board(payload.replaces)
    approval = check_propose_board(
        request.user,
        org,
        unit=unit,
        k=payload.k,
        n=payload.n,
        trustees=users,
        public_names=payload.public_names,
        deadline_hours=payload.deadline_hours,
        replaces=replaces,
    )
    return 202, {
        "approval": approval.pk,
        "meaning": queries.explain(payload.k, payload.n, payload.deadline_hours),
    }


class StepOut(Schema):
    board: int
    uid: str
    organisation: str
    index: int
    k: int
    n: int
    state: str
    steps: list[str]
    requests: list[int]


@router.get("/trustees/me", auth=AUTH, response={200: list[StepOut], **ERRORS})
def my_steps(request: HttpRequest):  # type: ignore[no-untyped-def]
    return [
        {
            "board": t.board_id,
            "uid": t.board.uid,
            "organisation": t.board.organisation.slug,
            "index": t.index,
            "k": t.board.k,
            "n": t.board.n,
            "state": t.board.state,
            "steps": queries.pending_steps(t),
            "requests": [r.pk for r in queries.pending_requests(t)],
        }
        for t in queries.trusteeships(request.user)
    ]


class PublishedOut(Schema):
    index: int
    step: str
    board_state: str


@router.post(
    "/trustees/boards/{board_id}/{step}", auth=AUTH, response={200: PublishedOut, **ERRORS}
)
def publish(request: HttpRequest, board_id: int, step: str, payload: dict[str, Any] = JSON_BODY):  # type: ignore[no-untyped-def]
    if step == "dealing":
        row = check_deal(request.user, board_id, payload)
        return {"index": row.dealer.index, "step": step, "board_state": row.board.state}
    trustee: Trustee = check_publish(request.user, board_id, step, payload)
    trustee.board.refresh_from_db()
    return {"index": trustee.index, "step": step, "board_state": trustee.board.state}


class RequestOut(Schema):
    id: int
    subject: str
    board: int
    uid: str
    public_key: str
    state: str
    requested_at: str
    deadline_at: str
    digest: str
    posted: list[int]
    groups: list[dict[str, Any]]


def request_out(r: DecryptionRequest, *, with_ciphertexts: bool = True) -> dict[str, Any]:
    return {
        "id": r.pk,
        "subject": r.subject,
        "board": r.board_id,
        "uid": r.board.uid,
        "public_key": r.board.public_key,
        "state": r.state,
        "requested_at": r.requested_at.isoformat(),
        "deadline_at": r.deadline_at.isoformat(),
        "digest": r.digest,
        "posted": sorted(r.partials.values_list("trustee__index", flat=True)),
        "groups": r.groups
        if with_ciphertexts
        else [
            {"election": g["election"], "question": g["question"], "count": len(g["ciphertexts"])}
            for g in r.groups
        ],
    }


@router.get("/trustees/requests", response={200: list[RequestOut], **ERRORS})
def list_requests(request: HttpRequest, board: int, state: str = "pending"):  # type: ignore[no-untyped-def]
    b = access_board(board)
    rows = DecryptionRequest.objects.filter(board=b, state=state).select_related("board")
    return [request_out(r, with_ciphertexts=False) for r in rows.order_by("pk")[:200]]


@router.get("/trustees/requests/{request_id}", response={200: RequestOut, **ERRORS})
def get_request(request: HttpRequest, request_id: int):  # type: ignore[no-untyped-def]
    return request_out(access_request(request_id))


class PostedOut(Schema):
    request: int
    trustee: int
    completed: bool


@router.post(
    "/trustees/requests/{request_id}/partial", auth=AUTH, response={200: PostedOut, **ERRORS}
)
def post_partial(request: HttpRequest, request_id: int, payload: dict[str, Any] = JSON_BODY):  # type: ignore[no-untyped-def]
    posted = check_post_partial(request.user, request_id, payload)
    return {
        "request": request_id,
        "trustee": posted.partial.trustee.index,
        "completed": posted.completed,
    }


# --- the mix of sealed ranked ballots (trustees/actions/mixing.py, ADR 0015) --------------------


@router.get("/trustees/mixes/{mix_id}", response={200: dict[str, Any], **ERRORS})
def get_mix(request: HttpRequest, mix_id: int):  # type: ignore[no-untyped-def]
    from asamblea.trustees.actions.mixing import access_mix

    mix = access_mix(mix_id)
    done = sorted(mix.shuffles.values_list("round", "trustee__index"))
    return {
        "id": mix.pk,
        "subject": mix.subject,
        "uid": mix.board.uid,
        "public_key": mix.board.public_key,
        "election": mix.election,
        "seal_id": mix.seal_id,
        "question": mix.question,
        "state": mix.state,
        "rounds": mix.rounds,
        "round": len(done) + 1,
        "shuffled_by": [index for _, index in done],
        "ballots": mix.current,
    }


@router.post(
    "/trustees/mixes/{mix_id}/shuffle", auth=AUTH, response={200: dict[str, Any], **ERRORS}
)
def post_shuffle(request: HttpRequest, mix_id: int, payload: dict[str, Any] = JSON_BODY):  # type: ignore[no-untyped-def]
    from asamblea.trustees.actions.mixing import check_post_shuffle

    done = check_post_shuffle(request.user, mix_id, payload)
    return {
        "mix": mix_id,
        "trustee": done.shuffle.trustee.index,
        "round": done.shuffle.round,
        "completed": done.completed,
    }
