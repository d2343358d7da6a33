"""k of n trustees decrypt a total; k-1 cannot; wrong, repeated and foreign partials are refused."""

from __future__ import annotations

from typing import Any

import pytest
from trustees_helpers import COMPLETED, request_for

from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden
from asamblea.crypto.group import point_from_text
from asamblea.crypto.threshold import KeyShare
from asamblea.trustees.actions.decryption import check_post_partial
from asamblea.trustees.models import DecryptionPartial, DecryptionRequest, Trustee
from asamblea.trustees.sharefile import partials_for
from fixtures.trustees import decrypt, make_board, make_trustee_user

pytestmark = pytest.mark.django_db


def _records(kind: str) -> int:
    from asamblea.recordstore.models import RecordEntry

    return RecordEntry.objects.filter(entry_type=kind).count()


def test_k_of_n_decrypt_and_k_minus_one_cannot(org: Any) -> None:
    board, shares = make_board(org, k=3, n=5)
    request = request_for(board, ("q1", [7, 0, 12]), ("q2", [1]))
    decrypt(request, [shares[4], shares[1]])
    request.refresh_from_db()
    assert request.state == DecryptionRequest.State.PENDING
    assert COMPLETED == []
    decrypt(request, [shares[2]])
    request.refresh_from_db()
    assert request.state == DecryptionRequest.State.COMPLETED
    assert [(request.pk, [[7, 0, 12], [1]])] == COMPLETED


def test_any_k_subset_decrypts(org: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    for pair in ([0, 1], [0, 2], [1, 2]):
        COMPLETED.clear()
        request = request_for(board, ("q1", [5, 3]))
        decrypt(request, [shares[i] for i in pair])
        assert [(request.pk, [[5, 3]])] == COMPLETED


def _payload(board: Any, request: DecryptionRequest, share: KeyShare) -> dict[str, Any]:
    return partials_for(share, point_from_text(board.public_key), request.groups)


def test_wrong_partial_is_refused_naming_trustee_and_position(org: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    request = request_for(board, ("q1", [1, 2, 3]))
    # Trustee 2 posts factors made with trustee 1's share: every proof fails against its key.
    forged = partials_for(
        KeyShare(2, shares[0].secret), point_from_text(board.public_key), request.groups
    )
    user = Trustee.objects.get(board=board, index=2).user
    with pytest.raises(ActionError) as err:
        check_post_partial(user, request.pk, forged)
    assert "trustee 2" in err.value.detail and "position 0" in err.value.detail
    assert err.value.field == "groups[0].proofs[0]"
    # A single swapped factor is named at its own position.
    honest = _payload(board, request, shares[1])
    factors = honest["groups"][0]["factors"]
    factors[1], factors[2] = factors[2], factors[1]
    with pytest.raises(ActionError) as err:
        check_post_partial(user, request.pk, honest)
    assert "position 1" in err.value.detail
    assert DecryptionPartial.objects.count() == 0
    assert _records("partial_decryption_posted") == 0


def test_same_trustee_twice_is_refused(org: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    request = request_for(board, ("q1", [4]))
    decrypt(request, [shares[0]])
    user = Trustee.objects.get(board=board, index=1).user
    with pytest.raises(ActionError) as err:
        check_post_partial(user, request.pk, _payload(board, request, shares[0]))
    assert err.value.code == "conflict" and "trustee 1" in err.value.detail
    assert COMPLETED == []


def test_other_board_non_trustee_and_missing_request_are_refused(org: Any, unit: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    other, other_shares = make_board(org, k=2, n=3, unit=unit)
    request = request_for(board, ("q1", [4]))
    foreign = Trustee.objects.get(board=other, index=1).user
    with pytest.raises(Forbidden):
        check_post_partial(foreign, request.pk, _payload(other, request, other_shares[0]))
    stranger = make_trustee_user(org, unit)
    with pytest.raises(Forbidden):
        check_post_partial(stranger, request.pk, _payload(board, request, shares[0]))
    with pytest.raises(NotFoundOrForbidden):
        check_post_partial(stranger, request.pk + 1000, {"groups": []})
    assert DecryptionPartial.objects.count() == 0


def test_malformed_partial_names_the_field(org: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    request = request_for(board, ("q1", [4]))
    user = Trustee.objects.get(board=board, index=1).user
    payload = _payload(board, request, shares[0])
    payload["groups"][0]["factors"][0] = "not-a-point"
    with pytest.raises(ActionError) as err:
        check_post_partial(user, request.pk, payload)
    assert err.value.field == "groups[0].factors[0]"


def test_demo_board_keeps_shares_in_var_and_decrypts(
    org: Any, unit: Any, tmp_path: Any, settings: Any
) -> None:
    import datetime as dt
    import os
    import stat

    from asamblea.core.clock import now
    from asamblea.registry.models import Member, Membership
    from asamblea.trustees import demo

    settings.VAR_DIR = tmp_path
    for i in range(5):
        m = Member.objects.create(
            organisation=org, member_ref=f"d{i}", display_name=f"Demo {i}", created_at=now()
        )
        Membership.objects.create(member=m, unit=unit, joined_on=dt.date(2022, 1, 1))
    messages: list[str] = []
    board = demo.make_demo_board(org, progress=messages.append)
    assert board.demo and board.state == "ready" and (board.k, board.n) == (3, 5)
    assert "DEMO ONLY" in messages[0]
    files = sorted((tmp_path / "trustees" / org.slug).glob("*-trustee-*.json"))
    assert len(files) == 5
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    assert demo.make_demo_board(org) == board  # idempotent
    request = request_for(board, ("q1", [4, 1]))
    assert demo.decrypt_pending(org) == 1
    assert [(request.pk, [[4, 1]])] == COMPLETED


def test_a_request_of_more_than_a_chunk_is_recorded_and_checked_in_chunks(org: Any) -> None:
    import json

    from asamblea.record.entries.trustees import CHUNK
    from asamblea.record.recount_trustees import check_trustees
    from asamblea.recordstore.models import RecordEntry

    board, shares = make_board(org, k=2, n=2)
    values = [i % 3 for i in range(CHUNK + 7)]
    request = request_for(board, ("q1", values), ("q2", [1]))
    decrypt(request, shares)
    assert [(request.pk, [values, [1]])] == COMPLETED
    rows = RecordEntry.objects.filter(organisation=org).order_by("index")
    entries = [json.loads(r.canonical) for r in rows]
    chunks = [e for e in entries if e["type"] == "decryption_ciphertexts"]
    partials = [e for e in entries if e["type"] == "partial_decryption_posted"]
    assert [(e["group"], e["chunk"], len(e["ciphertexts"])) for e in chunks] == [
        (0, 0, CHUNK),
        (0, 1, 7),
        (1, 0, 1),
    ]
    assert len(partials) == 2 * 3
    assert check_trustees(entries).failures == {}
    # A factor swapped inside the second chunk is named at its absolute position.
    second = next(e for e in partials if e["chunk"] == 1)
    second["factors"][2], second["factors"][3] = second["factors"][3], second["factors"][2]
    failure = check_trustees(entries).failures[second["index"]]
    assert f"position {CHUNK + 2}" in failure


def test_over_worker_processes_the_partials_and_their_check_are_the_same(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large request (here: any, with the threshold lowered) is decrypted by the trustee and
    checked by the server chunk by chunk over worker processes: the same factors as in one
    process, the same refusal naming the same position, and the same completion."""
    from asamblea.record.entries.trustees import CHUNK
    from asamblea.trustees import sharefile
    from asamblea.trustees.actions import decryption

    board, shares = make_board(org, k=2, n=2)
    values = [i % 3 for i in range(CHUNK + 7)]
    request = request_for(board, ("q1", values), ("q2", [1]))
    serial = _payload(board, request, shares[0])
    monkeypatch.setattr(sharefile, "PARALLEL_FROM", 0)
    monkeypatch.setattr(decryption, "PARALLEL_FROM", 0)
    monkeypatch.setattr(sharefile.os, "cpu_count", lambda: 2)
    parallel = _payload(board, request, shares[0])
    assert [g["factors"] for g in parallel["groups"]] == [g["factors"] for g in serial["groups"]]
    factors = parallel["groups"][0]["factors"]
    swapped = {
        "groups": [
            {**parallel["groups"][0], "factors": [*factors[: CHUNK + 2], factors[CHUNK + 3],
                                                  factors[CHUNK + 2], *factors[CHUNK + 4 :]]},
            parallel["groups"][1],
        ]
    }  # fmt: skip
    user = Trustee.objects.get(board=board, index=shares[0].index).user
    with pytest.raises(ActionError) as err:
        check_post_partial(user, request.pk, swapped)
    assert f"group 0 (question q1) at position {CHUNK + 2}" in err.value.detail
    check_post_partial(user, request.pk, parallel)
    other = Trustee.objects.get(board=board, index=shares[1].index).user
    check_post_partial(other, request.pk, _payload(board, request, shares[1]))
    assert [(request.pk, [values, [1]])] == COMPLETED
