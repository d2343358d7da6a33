"""A trustee's next key-generation step, computed on their own computer (no database).

The input is the board as the API publishes it (``GET /api/trustees/boards/ID``: k, n, the
trustees' published messages) and the trustee's own :class:`ShareFile`; the output is the next
message to send, or who is still awaited. Everything received is checked by the crypto core
before use (certificates' signatures, every dealer's proofs and this trustee's shares against
the commitments: Belenios 2.0 4.6.5); a failure names the trustee at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asamblea.crypto.group import point_from_text
from asamblea.crypto.reshare import complete_reshare, deal
from asamblea.crypto.threshold import (
    KeyGenerationError,
    complete_key,
    make_polynomial,
    new_trustee,
)
from asamblea.crypto.transcript import BoardContext
from asamblea.record.entries.trustees import (
    certificate_from_json,
    certificate_to_json,
    dealing_from_json,
    dealing_to_json,
    polynomial_from_json,
    polynomial_to_json,
    verification_key_from_json,
    verification_key_to_json,
)
from asamblea.trustees.sharefile import ShareFile, ShareFileError

STEPS = ("certificate", "polynomial", "verification_key")


@dataclass(frozen=True)
class Next:
    """``step`` and ``message`` to send, or ``waiting`` for these trustees' ``waiting_step``."""

    step: str | None = None
    message: dict[str, Any] | None = None
    waiting: tuple[int, ...] = ()
    waiting_step: str | None = None
    done: bool = False


def start(board: dict[str, Any], index: int) -> ShareFile:
    """A new share file for trustee ``index`` of ``board`` (no secrets yet)."""
    if not 1 <= index <= board["n"]:
        raise ShareFileError(f"index {index} is not on a board of {board['n']}")
    return ShareFile(board["board"], board["k"], board["n"], index)


def _missing(board: dict[str, Any], step: str) -> tuple[int, ...]:
    return tuple(t["index"] for t in board["trustees"] if t[step] is None)


def next_step(board: dict[str, Any], share: ShareFile) -> Next:
    """What this trustee does now. Updates ``share`` (secrets, sent messages, the share itself):
    the caller saves it *before* sending the message."""
    if (board["board"], board["k"], board["n"]) != (share.board, share.k, share.n):
        raise ShareFileError(
            f"this share file is for board {share.board} ({share.k} of {share.n}), "
            f"not {board['board']} ({board['k']} of {board['n']})"
        )
    mine = board["trustees"][share.index - 1]
    context = share.context
    for step in STEPS:
        if mine[step] is None and step in share.sent:
            return Next(step, share.sent[step])  # made before, not received: send it again
    if mine["certificate"] is None:
        secrets, cert = new_trustee(context, share.index)
        share.secrets = secrets
        share.sent["certificate"] = certificate_to_json(cert)
        return Next("certificate", share.sent["certificate"])
    if share.secrets is None and share.share is None:
        raise ShareFileError(
            "this file has no secrets: it is not the file that made the certificate"
        )
    if board.get("replaces") and mine["verification_key"] is None:
        return _reshared_key(board, share)
    if mine["polynomial"] is None:
        waiting = _missing(board, "certificate")
        if waiting:
            return Next(waiting=waiting, waiting_step="certificate")
        assert share.secrets is not None
        certs = [certificate_from_json(t["certificate"]) for t in board["trustees"]]
        poly = make_polynomial(context, share.secrets, certs)
        share.sent["polynomial"] = polynomial_to_json(poly)
        return Next("polynomial", share.sent["polynomial"])
    if mine["verification_key"] is None:
        waiting = _missing(board, "polynomial")
        if waiting:
            return Next(waiting=waiting, waiting_step="polynomial")
        assert share.secrets is not None
        certs = [certificate_from_json(t["certificate"]) for t in board["trustees"]]
        polys = [polynomial_from_json(t["polynomial"]) for t in board["trustees"]]
        try:
            key_share, vk = complete_key(context, share.secrets, certs, polys)
        except KeyGenerationError as exc:
            raise ShareFileError(
                f"trustee {exc.trustee}'s polynomial is wrong: {exc.reason}; do not go on, "
                "tell the organisation"
            ) from None
        share.share, share.secrets = key_share, None
        share.sent["verification_key"] = verification_key_to_json(vk)
        return Next("verification_key", share.sent["verification_key"])
    if board["state"] != "ready":
        return Next(waiting=_missing(board, "verification_key"), waiting_step="verification_key")
    mine_vk = verification_key_from_json(mine["verification_key"])
    if share.share is None or share.share.secret == 0:
        raise ShareFileError("the board is ready but this file holds no share")
    share.public_key = point_from_text(board["public_key"])
    if share.share.index != mine_vk.index:
        raise ShareFileError("this share is not this trustee's")
    return Next(done=True)


def _reshared_key(board: dict[str, Any], share: ShareFile) -> Next:
    """A new trustee of a reshared board: after every certificate, k old trustees deal; then
    this trustee's share is the Lagrange combination of what they dealt (crypto/reshare.py)."""
    old = board["replaces"]
    waiting = _missing(board, "certificate")
    if waiting:
        return Next(waiting=waiting, waiting_step="certificate")
    if len(board["dealings"]) < old["k"]:
        return Next(waiting=(), waiting_step="dealing")
    assert share.secrets is not None
    certs = [certificate_from_json(t["certificate"]) for t in board["trustees"]]
    dealings = [dealing_from_json(d) for d in board["dealings"]]
    old_keys = {
        vk["index"]: verification_key_from_json(vk).public for vk in old["verification_keys"]
    }
    try:
        key_share, vk = complete_reshare(
            share.context, share.secrets, certs, old["board"], old["k"], old_keys, dealings
        )
    except KeyGenerationError as exc:
        raise ShareFileError(
            f"old trustee {exc.trustee}'s dealing is wrong: {exc.reason}; do not go on, "
            "tell the organisation"
        ) from None
    share.share, share.secrets = key_share, None
    share.sent["verification_key"] = verification_key_to_json(vk)
    return Next("verification_key", share.sent["verification_key"])


def deal_step(board: dict[str, Any], old_share: ShareFile) -> Next:
    """An old trustee deals their share to the board that replaces theirs."""
    old = board.get("replaces")
    if not old or old["board"] != old_share.board:
        raise ShareFileError(
            f"board {board['board']} does not replace your board {old_share.board}"
        )
    if old_share.share is None:
        raise ShareFileError("this file holds no share")
    key = f"dealing:{board['board']}"
    if key in old_share.sent:
        return Next("dealing", old_share.sent[key])
    waiting = _missing(board, "certificate")
    if waiting:
        return Next(waiting=waiting, waiting_step="certificate")
    if len(board["dealings"]) >= old["k"]:
        return Next(done=True)
    certs = [certificate_from_json(t["certificate"]) for t in board["trustees"]]
    context = BoardContext(board["board"], board["k"], board["n"])
    old_share.sent[key] = dealing_to_json(deal(context, old["board"], old_share.share, certs))
    return Next("dealing", old_share.sent[key])
