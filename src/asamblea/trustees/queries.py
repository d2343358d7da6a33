"""Read-only questions about boards: which board seals a vote, and its public parameters."""

from __future__ import annotations

from typing import Any

from asamblea.crypto.group import point_from_text
from asamblea.crypto.threshold import ThresholdParameters
from asamblea.crypto.transcript import BoardContext
from asamblea.record.entries.trustees import (
    certificate_from_json,
    dealing_from_json,
    polynomial_from_json,
    verification_key_from_json,
)
from asamblea.trustees.models import DecryptionRequest, MixRequest, Trustee, TrusteeBoard


def board_for(organisation: Any, unit: Any = None) -> TrusteeBoard | None:
    """The unit's ready board if it has one, else the organisation's own ready board (the one
    with no unit), else None. The newest ready board wins (a reshared board replaces its
    predecessor, which is retired)."""
    ready = TrusteeBoard.objects.filter(organisation=organisation, state=TrusteeBoard.State.READY)
    if unit is not None:
        board = ready.filter(unit=unit).order_by("-ready_at", "-pk").first()
        if board is not None:
            return board
    return ready.filter(unit__isnull=True).order_by("-ready_at", "-pk").first()


def board_context(board: TrusteeBoard) -> BoardContext:
    return BoardContext(board.uid, board.k, board.n)


def threshold_parameters(board: TrusteeBoard) -> ThresholdParameters:
    """The board's public parameters, rebuilt from its stored messages. They were all checked
    by ``assemble_board`` when the board became ready; a board not ready has none."""
    if board.state == TrusteeBoard.State.KEYGEN or not board.public_key:
        raise ValueError(f"board {board.uid} has no key yet")
    trustees = list(board.trustees.order_by("index"))
    if board.replaces_id is not None:
        # Reshared: the commitments are the old trustees' dealings (crypto/reshare.py).
        coefexps = tuple(
            dealing_from_json(d.message).coefexps for d in board.dealings.order_by("dealer__index")
        )
    else:
        coefexps = tuple(polynomial_from_json(t.polynomial).coefexps for t in trustees)
    return ThresholdParameters(
        board_context(board),
        tuple(certificate_from_json(t.certificate) for t in trustees),
        coefexps,
        tuple(verification_key_from_json(t.verification_key) for t in trustees),
        point_from_text(board.public_key),
    )


def boards_of(organisation: Any) -> list[TrusteeBoard]:
    return list(
        TrusteeBoard.objects.filter(organisation=organisation)
        .select_related("unit")
        .order_by("-created_at", "-pk")
    )


def trusteeships(user: Any) -> list[Trustee]:
    """The boards this user sits on (keygen or ready), with their board and organisation."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Trustee.objects.filter(user=user)
        .exclude(board__state=TrusteeBoard.State.RETIRED)
        .select_related("board", "board__organisation", "board__unit")
        .order_by("board__organisation__name", "board_id")
    )


def pending_steps(trustee: Trustee) -> list[str]:
    """What this trustee has to do next: ``certificate``, ``polynomial``, ``verification_key``
    (each only once the previous step is complete board-wide) or ``decrypt``."""
    board = trustee.board
    if board.state == TrusteeBoard.State.KEYGEN:
        others = list(board.trustees.all())
        if trustee.certificate is None:
            return ["certificate"]
        if board.replaces_id is not None:
            # Reshared: after every certificate, k old trustees deal; then the new keys.
            dealt = board.dealings.count() >= board.replaces.k  # type: ignore[union-attr]
            return ["verification_key"] if trustee.verification_key is None and dealt else []
        if trustee.polynomial is None:
            return ["polynomial"] if all(t.certificate for t in others) else []
        if trustee.verification_key is None:
            return ["verification_key"] if all(t.polynomial for t in others) else []
        return []
    steps = []
    if board.state == TrusteeBoard.State.READY and _must_deal(trustee):
        steps.append("deal")
    if pending_requests(trustee):
        steps.append("decrypt")
    return steps


def successor_in_keygen(board: TrusteeBoard) -> TrusteeBoard | None:
    return board.replaced_by.filter(state=TrusteeBoard.State.KEYGEN).first()


def _must_deal(trustee: Trustee) -> bool:
    """An old trustee whose board is being replaced, once every new certificate is in, while
    fewer than k old trustees have dealt and this one has not."""
    new = successor_in_keygen(trustee.board)
    if new is None or new.trustees.filter(certificate__isnull=True).exists():
        return False
    dealt = new.dealings.all()
    return dealt.count() < trustee.board.k and not dealt.filter(dealer=trustee).exists()


def pending_requests(trustee: Trustee) -> list[DecryptionRequest]:
    """Requests of the trustee's board still waiting, that this trustee has not answered."""
    return list(
        DecryptionRequest.objects.filter(
            board_id=trustee.board_id, state=DecryptionRequest.State.PENDING
        )
        .exclude(partials__trustee=trustee)
        .order_by("pk")
    )


def pending_mixes(trustee: Trustee) -> list[MixRequest]:
    """Mixes of the trustee's board still waiting for shuffles, that this trustee has not
    shuffled (ADR 0015: k different trustees shuffle in turn)."""
    return list(
        MixRequest.objects.filter(board_id=trustee.board_id, state=MixRequest.State.PENDING)
        .exclude(shuffles__trustee=trustee)
        .order_by("pk")
    )


def explain(k: int, n: int, deadline_hours: int) -> list[str]:
    """What ``k`` of ``n`` means, in words, for the people who set it and everyone else."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    days, hours = divmod(deadline_hours, 24)
    if hours == 0:
        deadline = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    else:
        deadline = ngettext("%(n)d hour", "%(n)d hours", deadline_hours) % {"n": deadline_hours}
    return [
        _("Any %(k)d of the %(n)d trustees together can decrypt a total.") % {"k": k, "n": n},
        ngettext(
            "%(less)d trustee alone cannot decrypt anything.",
            "%(less)d or fewer trustees cannot decrypt anything, even working together.",
            k - 1,
        )
        % {"less": k - 1},
        ngettext(
            "%(block)d trustee refusing or unavailable can stop a vote from being decided, "
            "a recall included.",
            "%(block)d trustees refusing or unavailable can stop a vote from being decided, "
            "a recall included.",
            n - k + 1,
        )
        % {"block": n - k + 1},
        _(
            "Trustees have %(deadline)s to post their part of each decryption; until %(k)d have, "
            "the result stays unknown."
        )
        % {"deadline": deadline, "k": k},
    ]
