"""The demo's standing boards of trustees, whose shares the server itself keeps. DEMO ONLY.

A real board's shares live on its trustees' own computers and the server never holds one. The
demo has no trustees to ask, so :func:`make_demo_board` runs the whole ceremony in this process
(through the real actions, so the record is a real ceremony's) and keeps every share in
``var/trustees/<organisation>/`` with a warning file beside them; anyone with that folder can
decrypt every sealed ballot of the demo. The board is marked ``demo`` on the record and its page
says so. :func:`decrypt_with_demo_shares` then posts k partial decryptions of a request, as the
trustees' own users would, so the demo's votes open without a ceremony; before that, for a ranked
vote, :func:`shuffle_with_demo_trustees` has k of them shuffle its sealed rankings in turn, each
with a proof, as ``asamblea trustee shuffle`` does on a trustee's own computer (ADR 0015).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from asamblea.core.action import System
from asamblea.crypto.group import point_from_text
from asamblea.registry.models import Body, Member, Organisation
from asamblea.trustees import sharefile
from asamblea.trustees.actions.boards import do_create_board
from asamblea.trustees.actions.decryption import Posted, check_post_partial
from asamblea.trustees.ceremony import run_in_process
from asamblea.trustees.models import DecryptionRequest, MixRequest, Trustee, TrusteeBoard

DEMO_ACTOR = System("demo loader")
WARNING = (
    "DEMO ONLY: this demo's trustee shares are kept by the server in {where}. Whoever can read "
    "that folder can decrypt every sealed ballot of the demo. A real board's shares are kept by "
    "its trustees on their own computers, never by the server."
)


def shares_dir(organisation: Organisation) -> Path:
    return Path(settings.VAR_DIR) / "trustees" / organisation.slug


def _share_path(board: TrusteeBoard, index: int) -> Path:
    tail = board.uid.rsplit("/", 1)[-1]
    return shares_dir(board.organisation) / f"{tail}-trustee-{index}.json"


def _trustee_users(organisation: Organisation, n: int) -> list[Any]:
    """n members of the organisation given a sign-in each (the demo's trustees)."""
    users = get_user_model()
    chosen = list(
        Member.objects.filter(
            organisation=organisation, user__isnull=True, memberships__left_on__isnull=True
        )
        .distinct()
        .order_by("pk")[:n]
    )
    out = []
    for member in chosen:
        base = f"demo-trustee-{organisation.slug}-{member.public_id}".lower()[:150]
        user = users.objects.create_user(base, password=secrets.token_urlsafe(16))
        name = member.display_name.split(" ", 1)
        user.first_name, user.last_name = name[0][:150], (name[1] if len(name) > 1 else "")[:150]
        user.save(update_fields=["first_name", "last_name"])
        member.user = user
        member.save(update_fields=["user"])
        out.append(user)
    if len(out) < n:
        raise ValueError(f"the demo needs {n} members without a sign-in to be trustees")
    return out


def make_demo_board(
    organisation: Organisation,
    *,
    unit: Body | None = None,
    k: int = 3,
    n: int = 5,
    progress: Callable[[str], None] | None = None,
) -> TrusteeBoard:
    """The organisation's (or unit's) ready demo board, made now if it has none."""
    existing = TrusteeBoard.objects.filter(
        organisation=organisation, unit=unit, demo=True, state=TrusteeBoard.State.READY
    ).first()
    if existing is not None:
        return existing
    board = do_create_board(
        DEMO_ACTOR,
        organisation,
        unit=unit,
        k=k,
        n=n,
        trustees=_trustee_users(organisation, n),
        demo=True,
    )
    files = run_in_process(board)
    where = shares_dir(organisation)
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    (where / "DEMO-ONLY-README.txt").write_text(WARNING.format(where=where) + "\n")
    for f in files:
        sharefile.save(_share_path(board, f.index), f)
    message = WARNING.format(where=where)
    (progress or (lambda m: print(m, file=sys.stderr)))(message)
    board.refresh_from_db()
    return board


def decrypt_with_demo_shares(request: DecryptionRequest) -> list[Posted]:
    """Post the partial decryptions of the first k demo trustees whose shares are in ``var/``,
    as each trustee's own user (the real submission action). Refuses a board not made by the
    demo."""
    board = request.board
    if not board.demo:
        raise ValueError(f"board {board.uid} is not a demo board: its shares are not ours")
    key = point_from_text(board.public_key)
    posted: list[Posted] = []
    for trustee in Trustee.objects.filter(board=board).select_related("user").order_by("index"):
        request.refresh_from_db()
        if request.state != DecryptionRequest.State.PENDING or len(posted) >= board.k:
            break
        if request.partials.filter(trustee=trustee).exists():
            continue
        path = _share_path(board, trustee.index)
        if not path.exists():
            continue
        share = sharefile.load(path)
        assert share.share is not None
        payload = sharefile.partials_for(share.share, key, request.groups)
        posted.append(check_post_partial(trustee.user, request.pk, payload))
    return posted


def shuffle_with_demo_trustees(mix: MixRequest) -> int:
    """The demo trustees, in index order, each shuffle the mix's current list with proof and post
    it as their own user (the real action, which verifies each proof), until the mix is complete.
    The permutations and randomness live only in this process, as on a trustee's computer.
    Returns how many shuffles were posted. Refuses a board not made by the demo."""
    from asamblea.crypto import shuffle
    from asamblea.crypto.shuffle_verify import ballots_from_json
    from asamblea.crypto.transcript import Context
    from asamblea.trustees.actions.mixing import check_post_shuffle

    board = mix.board
    if not board.demo:
        raise ValueError(f"board {board.uid} is not a demo board: its trustees are not ours")
    context = Context(mix.seal_id, mix.question, point_from_text(board.public_key))
    posted = 0
    for trustee in Trustee.objects.filter(board=board).select_related("user").order_by("index"):
        mix.refresh_from_db()
        if mix.state != MixRequest.State.PENDING:
            break
        if mix.shuffles.filter(trustee=trustee).exists():
            continue
        outputs, proof = shuffle.shuffle_with_proof(context, ballots_from_json(mix.current))
        payload = {
            "round": mix.shuffles.count() + 1,
            "ballots": shuffle.ballots_to_json(outputs),
            "proof": shuffle.proof_to_json(proof),
        }
        check_post_shuffle(trustee.user, mix.pk, payload)
        posted += 1
    return posted


def decrypt_pending(organisation: Organisation) -> int:
    """Every pending request of the organisation's demo boards, decrypted; returns how many."""
    done = 0
    for request in DecryptionRequest.objects.filter(
        board__organisation=organisation, board__demo=True, state=DecryptionRequest.State.PENDING
    ).order_by("pk"):
        decrypt_with_demo_shares(request)
        request.refresh_from_db()
        done += request.state == DecryptionRequest.State.COMPLETED
    return done
