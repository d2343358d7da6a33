"""Resharing (ADR 0012): a lost share or a departed trustee; k old trustees deal their shares to
a new board, which keeps the key; the old board retires; everything re-checks offline."""

from __future__ import annotations

import json
from typing import Any

import pytest
from trustees_helpers import COMPLETED, request_for

from asamblea.core.errors import ActionError
from asamblea.record.recount_trustees import check_trustees
from asamblea.recordstore.models import RecordEntry
from asamblea.trustees import queries
from asamblea.trustees.actions.resharing import check_deal
from asamblea.trustees.models import Trustee, TrusteeBoard
from fixtures.trustees import decrypt, make_board, reshare

pytestmark = pytest.mark.django_db


def _entries(org: Any) -> list[dict[str, Any]]:
    rows = RecordEntry.objects.filter(organisation=org).order_by("index")
    return [json.loads(r.canonical) for r in rows]


def test_reshared_board_keeps_the_key_and_decrypts_old_and_new_requests(org: Any) -> None:
    old, shares = make_board(org, k=2, n=3)
    pending = request_for(old, ("q1", [6]))
    stays = Trustee.objects.get(board=old, index=3).user
    # Trustee 2 lost their share: trustees 1 and 3 deal to a new 3-of-4 board.
    new, new_shares = reshare(old, [shares[0], shares[2]], k=3, n=4, keep=[stays])
    old.refresh_from_db()
    assert new.state == TrusteeBoard.State.READY and old.state == TrusteeBoard.State.RETIRED
    assert new.public_key == old.public_key
    assert queries.board_for(org) == new

    # A request made on the old board before: its old trustees can still finish it.
    decrypt(pending, [shares[0], shares[1]])
    # Once nothing waits for the old board, its trustees who left lose the trustee role.
    from asamblea.registry.models import OfficerRole

    gone = Trustee.objects.get(board=old, index=2).user
    assert not OfficerRole.objects.filter(user=gone, role="trustee").exists()
    assert OfficerRole.objects.filter(user=stays, role="trustee").exists()
    # A request made now on the retired board goes to its successor and needs 3 new shares.
    later = request_for(old, ("q1", [2, 9]))
    assert later.board == new
    decrypt(later, new_shares[:2])
    assert len(COMPLETED) == 1
    decrypt(later, new_shares[3:])
    assert [(pending.pk, [[6]]), (later.pk, [[2, 9]])] == COMPLETED
    entries = _entries(org)
    assert check_trustees(entries).failures == {}
    types = [e["type"] for e in entries]
    assert types.count("trustee_share_dealt") == 2 and "trustee_board_retired" in types


def test_a_forged_dealing_on_the_record_is_named(org: Any) -> None:
    old, shares = make_board(org, k=2, n=3)
    reshare(old, shares[:2], k=2, n=2)
    entries = _entries(org)
    target = next(e for e in entries if e["type"] == "trustee_share_dealt")
    coefs = target["dealing"]["coefexps"]
    coefs[0], coefs[1] = coefs[1], coefs[0]
    failure = check_trustees(entries).failures[target["index"]]
    assert "old trustee 1, step dealing" in failure


def test_only_an_old_trustee_deals_and_a_wrong_dealing_is_refused(org: Any, unit: Any) -> None:
    from asamblea.core.action import System
    from asamblea.core.permissions import Forbidden
    from asamblea.crypto.reshare import deal
    from asamblea.crypto.threshold import KeyShare, new_trustee
    from asamblea.record.entries.trustees import certificate_to_json, dealing_to_json
    from asamblea.trustees.actions.boards import do_create_board
    from asamblea.trustees.actions.keygen import check_publish
    from asamblea.trustees.queries import board_context
    from fixtures.trustees import make_trustee_user

    old, shares = make_board(org, k=2, n=3)
    users = [make_trustee_user(org, unit) for _ in range(2)]
    new = do_create_board(System("t"), org, unit=None, k=2, n=2, trustees=users, replaces=old)
    certs = []
    for i, u in enumerate(users, start=1):
        _s, cert = new_trustee(board_context(new), i)
        check_publish(u, new.pk, "certificate", certificate_to_json(cert))
        certs.append(cert)
    honest = dealing_to_json(deal(board_context(new), old.uid, shares[0], certs))
    with pytest.raises(Forbidden):
        check_deal(users[0], new.pk, honest)
    forged = dealing_to_json(deal(board_context(new), old.uid, KeyShare(2, 777), certs))
    dealer2 = Trustee.objects.get(board=old, index=2).user
    with pytest.raises(ActionError) as err:
        check_deal(dealer2, new.pk, forged)
    assert "old trustee 2, step dealing" in err.value.detail
    assert new.dealings.count() == 0
    with pytest.raises(ActionError):
        check_publish(users[0], new.pk, "polynomial", {})
