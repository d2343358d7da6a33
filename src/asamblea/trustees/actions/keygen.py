"""Key generation without a dealer (Belenios 2.0 section 3.1.1, "Pedersen"): the server routes.

Each trustee computes on their own computer (``asamblea trustee`` or the browser) and publishes,
in turn, a certificate (4.6.2), a polynomial (4.6.4, only once every certificate is in) and a
verification key (4.6.6, only once every polynomial is in). The server checks each message as it
arrives (a wrong one is refused, naming the trustee and the step) and, with the last verification
key, assembles the board (4.6.7): every check again, then the joint public key. It reads no
share: each is encrypted to its recipient's certificate.
"""

from __future__ import annotations

from typing import Any

from asamblea.core.action import ActionContext, door
from asamblea.core.clock import now
from asamblea.core.errors import ActionError
from asamblea.crypto.group import point_to_text
from asamblea.crypto.proofs import verify_secret_key
from asamblea.crypto.threshold import (
    Certificate,
    KeyGenerationError,
    Polynomial,
    VerificationKey,
    _check_polynomial,
    _committed_value,
    assemble_board,
    fingerprint,
    sum_points,
    verify_certificate,
)
from asamblea.crypto.transcript import index_bytes
from asamblea.record.entries.trustees import (
    MessageError,
    TrusteeBoardReadyV1,
    TrusteeCertificatePublishedV1,
    TrusteePolynomialPublishedV1,
    TrusteeVerificationKeyPublishedV1,
    board_key_fingerprint,
    certificate_from_json,
    certificate_to_json,
    polynomial_from_json,
    polynomial_to_json,
    verification_key_from_json,
    verification_key_to_json,
)
from asamblea.trustees.access import access_board, require_trustee
from asamblea.trustees.actions import resharing
from asamblea.trustees.models import Trustee, TrusteeBoard
from asamblea.trustees.queries import board_context

STEPS = ("certificate", "polynomial", "verification_key")


def _refuse(trustee: Trustee, step: str, reason: str) -> ActionError:
    return ActionError(f"trustee {trustee.index}, step {step}: {reason}", field=step)


def _parse(step: str, message: Any) -> Any:
    parse = {
        "certificate": certificate_from_json,
        "polynomial": polynomial_from_json,
        "verification_key": verification_key_from_json,
    }[step]
    try:
        return parse(message, step)
    except MessageError as exc:
        raise ActionError(str(exc), field=exc.where) from None


def check_publish(user: Any, board_ref: str | int, step: str, message: Any) -> Trustee:
    """A trustee publishes one key-generation message for their board."""
    if step not in STEPS:
        raise ActionError(f"unknown step {step!r}; one of {', '.join(STEPS)}", field="step")
    board = access_board(board_ref)
    trustee = require_trustee(user, board)
    if board.state != TrusteeBoard.State.KEYGEN:
        raise ActionError(
            f"board {board.uid} is {board.state}: key generation is over", code="conflict"
        )
    parsed = _parse(step, message)
    if board.replaces_id is not None and step == "polynomial":
        raise ActionError(
            f"board {board.uid} receives its key by resharing: no polynomial step", field="step"
        )
    if getattr(trustee, step) is not None:
        if getattr(trustee, step) == message:
            return trustee  # a retry of the very same message
        raise _refuse(trustee, step, "already published (a published message cannot change)")
    if step == "certificate":
        _check_certificate(board, trustee, parsed)
        return do_publish_certificate(user, trustee, parsed)
    if step == "polynomial":
        _check_polynomial_step(board, trustee, parsed)
        return do_publish_polynomial(user, trustee, parsed)
    if board.replaces_id is not None:
        resharing.check_reshared_key(board, trustee, parsed)
    else:
        _check_verification_key(board, trustee, parsed)
    return do_publish_verification_key(user, trustee, parsed)


def _others(board: TrusteeBoard) -> list[Trustee]:
    return list(board.trustees.order_by("index"))


def _check_certificate(board: TrusteeBoard, trustee: Trustee, cert: Certificate) -> None:
    if cert.index != trustee.index:
        raise _refuse(trustee, "certificate", f"made for index {cert.index}")
    if not verify_certificate(board_context(board), cert):
        raise _refuse(trustee, "certificate", "the signature does not verify")


def _check_polynomial_step(board: TrusteeBoard, trustee: Trustee, poly: Polynomial) -> None:
    everyone = _others(board)
    if any(t.certificate is None for t in everyone):
        raise ActionError("wait: not every trustee has published a certificate", code="conflict")
    cert = certificate_from_json(trustee.certificate)
    if [e.recipient for e in poly.shares] != list(range(1, board.n + 1)):
        raise _refuse(trustee, "polynomial", "one encrypted share per trustee, in order")
    try:
        _check_polynomial(board_context(board), cert, poly)
    except KeyGenerationError as exc:
        raise _refuse(trustee, "polynomial", exc.reason) from None


def _check_verification_key(board: TrusteeBoard, trustee: Trustee, vk: VerificationKey) -> None:
    everyone = _others(board)
    if any(t.polynomial is None for t in everyone):
        raise ActionError("wait: not every trustee has published a polynomial", code="conflict")
    j = trustee.index
    if vk.index != j:
        raise _refuse(trustee, "verification_key", f"made for index {vk.index}")
    polys = [polynomial_from_json(t.polynomial) for t in everyone]
    combined = [sum_points(p.coefexps[c] for p in polys) for c in range(board.k)]
    if vk.public != _committed_value(combined, j):
        raise _refuse(trustee, "verification_key", "does not match the published commitments")
    if not verify_secret_key(
        board_context(board), vk.public, vk.pok, bound=(b"verification", index_bytes(j))
    ):
        raise _refuse(trustee, "verification_key", "no proof of knowledge of the key share")


def _lock(trustee: Trustee) -> tuple[Trustee, TrusteeBoard]:
    board = TrusteeBoard.objects.select_for_update().get(pk=trustee.board_id)
    if board.state != TrusteeBoard.State.KEYGEN:
        raise ActionError(f"board {board.uid} is {board.state}", code="conflict")
    return Trustee.objects.get(pk=trustee.pk), board


@door("trustees.publish_certificate")
def do_publish_certificate(ctx: ActionContext, trustee: Trustee, cert: Certificate) -> Trustee:
    trustee, board = _lock(trustee)
    if trustee.certificate is not None:
        raise _refuse(trustee, "certificate", "already published")
    trustee.certificate = certificate_to_json(cert)
    trustee.fingerprint = fingerprint(cert)
    trustee.certificate_at = now()
    trustee.save(update_fields=["certificate", "fingerprint", "certificate_at"])
    ctx.audit("trustees.publish_certificate", board, trustee=trustee.index)
    ctx.record(
        board.organisation,
        TrusteeCertificatePublishedV1(
            board=board.uid,
            trustee=trustee.index,
            certificate=trustee.certificate,
            fingerprint=trustee.fingerprint,
        ),
        body=board.unit,
    )
    return trustee


@door("trustees.publish_polynomial")
def do_publish_polynomial(ctx: ActionContext, trustee: Trustee, poly: Polynomial) -> Trustee:
    trustee, board = _lock(trustee)
    if trustee.polynomial is not None:
        raise _refuse(trustee, "polynomial", "already published")
    trustee.polynomial = polynomial_to_json(poly)
    trustee.polynomial_at = now()
    trustee.save(update_fields=["polynomial", "polynomial_at"])
    ctx.audit("trustees.publish_polynomial", board, trustee=trustee.index)
    ctx.record(
        board.organisation,
        TrusteePolynomialPublishedV1(
            board=board.uid, dealer=trustee.index, polynomial=trustee.polynomial
        ),
        body=board.unit,
    )
    return trustee


@door("trustees.publish_verification_key")
def do_publish_verification_key(
    ctx: ActionContext, trustee: Trustee, vk: VerificationKey
) -> Trustee:
    trustee, board = _lock(trustee)
    if trustee.verification_key is not None:
        raise _refuse(trustee, "verification_key", "already published")
    trustee.verification_key = verification_key_to_json(vk)
    trustee.verification_at = now()
    trustee.save(update_fields=["verification_key", "verification_at"])
    ctx.audit("trustees.publish_verification_key", board, trustee=trustee.index)
    ctx.record(
        board.organisation,
        TrusteeVerificationKeyPublishedV1(
            board=board.uid, trustee=trustee.index, verification_key=trustee.verification_key
        ),
        body=board.unit,
    )
    everyone = _others(board)
    if all(t.verification_key is not None for t in everyone):
        _assemble(ctx, board, everyone)
    return trustee


def _assemble(ctx: ActionContext, board: TrusteeBoard, everyone: list[Trustee]) -> None:
    try:
        if board.replaces_id is not None:
            params = resharing.reshared_parameters(board)
        else:
            params = assemble_board(
                board_context(board),
                [certificate_from_json(t.certificate) for t in everyone],
                [polynomial_from_json(t.polynomial) for t in everyone],
                [verification_key_from_json(t.verification_key) for t in everyone],
            )
    except KeyGenerationError as exc:
        raise ActionError(
            f"trustee {exc.trustee}: the board does not assemble ({exc.reason})", field="board"
        ) from None
    except ValueError as exc:
        raise ActionError(f"the board does not assemble ({exc})", field="board") from None
    board.public_key = point_to_text(params.public_key)
    board.state = TrusteeBoard.State.READY
    board.ready_at = now()
    board.save(update_fields=["public_key", "state", "ready_at"])
    ctx.audit("trustees.board_ready", board)
    ctx.record(
        board.organisation,
        TrusteeBoardReadyV1(
            board=board.uid,
            public_key=board.public_key,
            fingerprint=board_key_fingerprint(board.uid, params.public_key),
        ),
        body=board.unit,
    )
    if board.replaces_id is not None:
        resharing.retire_replaced(ctx, board)
