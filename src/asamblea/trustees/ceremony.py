"""The whole key generation run in one process: for tests and the demo only.

Real trustees each run their own steps on their own computer; here every trustee's secrets pass
through this one process, which is exactly what the ceremony exists to avoid. Each message still
goes through the real actions (``check_publish``) as the trustee's own user, so the server's
checks and the record are those of a real ceremony.
"""

from __future__ import annotations

from asamblea.crypto.group import point_from_text
from asamblea.crypto.threshold import complete_key, make_polynomial, new_trustee
from asamblea.record.entries.trustees import (
    certificate_from_json,
    certificate_to_json,
    polynomial_from_json,
    polynomial_to_json,
    verification_key_to_json,
)
from asamblea.trustees.actions.keygen import check_publish
from asamblea.trustees.models import TrusteeBoard
from asamblea.trustees.queries import board_context
from asamblea.trustees.sharefile import ShareFile


def run_in_process(board: TrusteeBoard) -> list[ShareFile]:
    """Run every trustee's three steps; returns each trustee's share file (index order)."""
    context = board_context(board)
    trustees = list(board.trustees.select_related("user").order_by("index"))
    files = []
    for t in trustees:
        secrets, cert = new_trustee(context, t.index)
        check_publish(t.user, board.pk, "certificate", certificate_to_json(cert))
        files.append(ShareFile(board.uid, board.k, board.n, t.index, secrets))
    certs = [certificate_from_json(t.certificate) for t in board.trustees.order_by("index")]
    for t, f in zip(trustees, files, strict=True):
        assert f.secrets is not None
        poly = make_polynomial(context, f.secrets, certs)
        check_publish(t.user, board.pk, "polynomial", polynomial_to_json(poly))
    polys = [polynomial_from_json(t.polynomial) for t in board.trustees.order_by("index")]
    for t, f in zip(trustees, files, strict=True):
        assert f.secrets is not None
        share, vk = complete_key(context, f.secrets, certs, polys)
        check_publish(t.user, board.pk, "verification_key", verification_key_to_json(vk))
        f.share, f.secrets = share, None
    board.refresh_from_db()
    for f in files:
        f.public_key = point_from_text(board.public_key)
    return files


def reshare_in_process(new_board: TrusteeBoard, old_files: list[ShareFile]) -> list[ShareFile]:
    """Resharing, all in this process: the new trustees' certificates, the old trustees'
    dealings (from ``old_files``, the first k of them), the new keys. Test and demo only."""
    from asamblea.trustees.actions.resharing import check_deal
    from asamblea.trustees.api import board_out
    from asamblea.trustees.steps import deal_step, next_step, start

    old = new_board.replaces
    assert old is not None
    new_trustees = list(new_board.trustees.select_related("user").order_by("index"))
    files = []
    for t in new_trustees:
        f = start(board_out(new_board), t.index)
        nxt = next_step(board_out(new_board), f)
        assert nxt.step == "certificate" and nxt.message is not None
        check_publish(t.user, new_board.pk, "certificate", nxt.message)
        files.append(f)
    for f in old_files[: old.k]:
        dealer = old.trustees.select_related("user").get(index=f.index)
        nxt = deal_step(board_out(new_board), f)
        assert nxt.step == "dealing" and nxt.message is not None
        check_deal(dealer.user, new_board.pk, nxt.message)
    for t, f in zip(new_trustees, files, strict=True):
        nxt = next_step(board_out(new_board), f)
        assert nxt.step == "verification_key" and nxt.message is not None
        check_publish(t.user, new_board.pk, "verification_key", nxt.message)
    new_board.refresh_from_db()
    for f in files:
        f.public_key = point_from_text(new_board.public_key)
    return files
