"""Resharing a board's key to its replacement (crypto/reshare.py; ADR 0012).

The new board (named by two officers, ``replaces`` set) has its trustees publish certificates as
usual. Then any ``k`` trustees of the old board each publish a *dealing* of their own share
(``check_deal``, as that old trustee); then each new trustee publishes a verification key made
from the dealings. With the last one the server assembles the new board (the old key, checked),
marks it ready and retires the old board, on the record. The joint secret never exists.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.crypto.group import point_from_text
from asamblea.crypto.reshare import (
    Dealing,
    assemble_reshared,
    check_dealing,
    check_verification_key,
)
from asamblea.crypto.threshold import KeyGenerationError, ThresholdParameters, VerificationKey
from asamblea.record.entries.trustees import (
    TrusteeBoardRetiredV1,
    TrusteeShareDealtV1,
    certificate_from_json,
    dealing_from_json,
    dealing_to_json,
    verification_key_from_json,
)
from asamblea.registry.actions.officers import drop_trustee_role
from asamblea.trustees.access import access_board, require_trustee
from asamblea.trustees.models import ReshareDealing, Trustee, TrusteeBoard
from asamblea.trustees.queries import board_context


def old_keys(old: TrusteeBoard) -> dict[int, Any]:
    return {
        t.index: verification_key_from_json(t.verification_key).public
        for t in old.trustees.order_by("index")
    }


def dealings_of(board: TrusteeBoard) -> list[Dealing]:
    return [
        dealing_from_json(d.message)
        for d in ReshareDealing.objects.filter(board=board).order_by("dealer__index")
    ]


def check_deal(user: Any, board_ref: str | int, message: Any) -> ReshareDealing:
    """An old trustee deals their share to the new board ``board_ref``."""
    board = access_board(board_ref)
    old = board.replaces
    if old is None:
        raise ActionError(f"board {board.uid} does not replace another board", field="board")
    dealer = require_trustee(user, old)
    if board.state != TrusteeBoard.State.KEYGEN:
        raise ActionError(f"board {board.uid} is {board.state}", code="conflict")
    if board.trustees.filter(certificate__isnull=True).exists():
        raise ActionError(
            "wait: not every new trustee has published a certificate", code="conflict"
        )
    try:
        dealing = dealing_from_json(message, "dealing")
    except ValueError as exc:
        raise ActionError(str(exc), field="dealing") from None
    existing = ReshareDealing.objects.filter(board=board, dealer=dealer).first()
    if existing is not None:
        if existing.message == message:
            return existing
        raise ActionError(
            f"trustee {dealer.index} of the old board has already dealt", code="conflict"
        )
    if dealing.dealer != dealer.index:
        raise ActionError(f"old trustee {dealer.index}: dealing made for index {dealing.dealer}")
    try:
        check_dealing(board_context(board), old.uid, old_keys(old)[dealer.index], dealing)
    except KeyGenerationError as exc:
        raise ActionError(f"old trustee {exc.trustee}, step dealing: {exc.reason}") from None
    return do_deal(user, board, dealer, dealing)


@door("trustees.deal_share")
def do_deal(
    ctx: ActionContext, board: TrusteeBoard, dealer: Trustee, dealing: Dealing
) -> ReshareDealing:
    board = TrusteeBoard.objects.select_for_update().get(pk=board.pk)
    old = board.replaces
    assert old is not None
    if ReshareDealing.objects.filter(board=board).count() >= old.k:
        raise ActionError(f"{old.k} old trustees have dealt already: enough", code="conflict")
    if ReshareDealing.objects.filter(board=board, dealer=dealer).exists():
        raise ActionError(
            f"trustee {dealer.index} of the old board has already dealt", code="conflict"
        )
    row = ReshareDealing.objects.create(
        board=board, dealer=dealer, message=dealing_to_json(dealing), dealt_at=now()
    )
    ctx.audit("trustees.deal_share", board, dealer=dealer.index, replaces=old.uid)
    ctx.record(
        board.organisation,
        TrusteeShareDealtV1(board=board.uid, replaces=old.uid, dealing=row.message),
        body=board.unit,
    )
    return row


def check_reshared_key(board: TrusteeBoard, trustee: Trustee, vk: VerificationKey) -> None:
    """A new trustee's verification key, against the dealings."""
    old = board.replaces
    assert old is not None
    dealings = dealings_of(board)
    if len(dealings) < old.k:
        raise ActionError(
            f"wait: {len(dealings)} of the {old.k} old trustees needed have dealt", code="conflict"
        )
    if vk.index != trustee.index:
        raise ActionError(f"trustee {trustee.index}, step verification_key: made for {vk.index}")
    try:
        check_verification_key(board_context(board), dealings, vk)
    except KeyGenerationError as exc:
        raise ActionError(
            f"trustee {trustee.index}, step verification_key: {exc.reason}",
            field="verification_key",
        ) from None


def reshared_parameters(board: TrusteeBoard, public_key: str | None = None) -> ThresholdParameters:
    old = board.replaces
    assert old is not None
    trustees = list(board.trustees.order_by("index"))
    return assemble_reshared(
        board_context(board),
        [certificate_from_json(t.certificate) for t in trustees],
        old.uid,
        old.k,
        old_keys(old),
        point_from_text(public_key or old.public_key),
        dealings_of(board),
        [verification_key_from_json(t.verification_key) for t in trustees],
    )


def retire_replaced(ctx: ActionContext, board: TrusteeBoard) -> None:
    """The new board is ready: its predecessor is retired, on the record."""
    old = TrusteeBoard.objects.select_for_update().get(pk=board.replaces_id)
    old.state = TrusteeBoard.State.RETIRED
    old.retired_at = now()
    old.save(update_fields=["state", "retired_at"])
    ctx.audit("trustees.retire_board", old, successor=board.uid)
    revoke_retired_roles(ctx, old)
    ctx.record(
        old.organisation,
        TrusteeBoardRetiredV1(board=old.uid, reason="reshared", successor=board.uid),
        body=old.unit,
    )


def revoke_retired_roles(ctx: ActionContext, old: TrusteeBoard) -> None:
    """A retired board's trustees lose the trustee role, unless they sit on a live board of the
    same scope, once no decryption is waiting for that board (until then they may finish it)."""
    if (
        old.state != TrusteeBoard.State.RETIRED
        or old.decryption_requests.filter(state="pending").exists()
    ):
        return
    for trustee in old.trustees.select_related("user"):
        still = (
            Trustee.objects.filter(
                user=trustee.user, board__organisation=old.organisation, board__unit=old.unit
            )
            .exclude(board__state=TrusteeBoard.State.RETIRED)
            .exists()
        )
        if not still:
            drop_trustee_role(ctx, trustee.user, old.organisation, old.unit)
