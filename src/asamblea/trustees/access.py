"""Permission-checked fetches for the trustees app, all through the one predicate.

Boards and decryption requests are public (they are on the record): a missing one is "not
found". Acting as a trustee needs the ``trustee`` role in the board's organisation (for the
board's unit, or the whole organisation) *and* a seat on that very board: a trustee of another
board, or anyone else, is refused (403), and an anonymous visitor never gets this far (401).
"""

from __future__ import annotations

from typing import Any

from asamblea.core.errors import NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, Role, require_role
from asamblea.trustees.models import DecryptionRequest, Trustee, TrusteeBoard

NOT_ON_BOARD = "only a trustee of this board may do this"


def access_board(uid_or_pk: str | int) -> TrusteeBoard:
    rows = TrusteeBoard.objects.select_related("organisation", "unit")
    board = (
        rows.filter(pk=uid_or_pk).first()
        if isinstance(uid_or_pk, int) or str(uid_or_pk).isdigit()
        else rows.filter(uid=uid_or_pk).first()
    )
    if board is None:
        raise NotFoundOrForbidden("trustee board")
    return board


def access_request(request_id: int) -> DecryptionRequest:
    request = (
        DecryptionRequest.objects.select_related("board", "board__organisation", "board__unit")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFoundOrForbidden("decryption request")
    return request


def require_trustee(user: Any, board: TrusteeBoard) -> Trustee:
    """The user's seat on ``board``, or :class:`Forbidden`."""
    require_role(user, board.organisation, Role.TRUSTEE, board.unit, detail=NOT_ON_BOARD)
    trustee = Trustee.objects.filter(board=board, user_id=user.pk).first()
    if trustee is None:
        raise Forbidden(NOT_ON_BOARD)
    return trustee
