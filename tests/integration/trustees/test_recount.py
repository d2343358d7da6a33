"""Every board and decryption re-checked offline from the record; a forged entry is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from trustees_helpers import request_for

from asamblea.cli import main
from asamblea.record.recount import recounters
from asamblea.record.recount_trustees import check_trustees, decrypted_points
from asamblea.record.verify import DirSource, VerificationFailed, verify_record
from asamblea.recordstore.models import RecordEntry
from fixtures.trustees import decrypt, make_board

pytestmark = pytest.mark.django_db


def _entries(org: Any) -> list[dict[str, Any]]:
    rows = RecordEntry.objects.filter(organisation=org).order_by("index")
    return [json.loads(r.canonical) for r in rows]


def _decrypted_board(org: Any) -> tuple[Any, Any]:
    board, shares = make_board(org, k=2, n=3)
    request = request_for(board, ("q1", [2, 5]), ("q2", [0]))
    decrypt(request, [shares[2], shares[0]])
    return board, request


def _forge(entries: list[dict[str, Any]], kind: str, change: Any) -> int:
    for e in entries:
        if e["type"] == kind:
            change(e)
            return int(e["index"])
    raise AssertionError(f"no {kind} entry")


def test_a_clean_record_rechecks_and_gives_the_points(org: Any) -> None:
    _board, request = _decrypted_board(org)
    entries = _entries(org)
    state = check_trustees(entries)
    assert state.failures == {}
    points = decrypted_points(entries, request.pk)
    from asamblea.crypto.group import small_multiple

    assert points == [[small_multiple(2), small_multiple(5)], [small_multiple(0)]]
    table = recounters()
    assert "partial_decryption_posted" in table and "trustee_board_ready" in table


def test_a_forged_polynomial_is_named_with_its_trustee_and_step(org: Any) -> None:
    _decrypted_board(org)
    entries = _entries(org)

    def swap(e: dict[str, Any]) -> None:
        coefs = e["polynomial"]["coefexps"]
        coefs[0], coefs[1] = coefs[1], coefs[0]

    index = _forge(entries, "trustee_polynomial_published", swap)
    failures = check_trustees(entries).failures
    assert "trustee 1, step polynomial" in failures[index]


def test_a_forged_partial_decryption_is_named(org: Any) -> None:
    _decrypted_board(org)
    entries = _entries(org)

    def swap(e: dict[str, Any]) -> None:
        e["factors"][0], e["factors"][1] = e["factors"][1], e["factors"][0]

    index = _forge(entries, "partial_decryption_posted", swap)
    failure = check_trustees(entries).failures[index]
    assert "trustee 3, step partial decryption" in failure and "position 0" in failure


def test_a_forged_joint_key_fails(org: Any) -> None:
    _decrypted_board(org)
    entries = _entries(org)
    index = _forge(
        entries,
        "trustee_board_ready",
        lambda e: e.update(public_key="4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY"),
    )
    assert "joint key" in check_trustees(entries).failures[index]


def test_asamblea_verify_rechecks_the_trustees(org: Any, tmp_path: Any, capsys: Any) -> None:
    _decrypted_board(org)
    out = tmp_path / "export"
    assert main(["key", "generate", "--organisation", org.slug]) in (0, 2)
    assert main(["export-record", str(out), "--organisation", org.slug]) == 0
    summary = verify_record(DirSource(out))
    assert summary.recounted["partial_decryption_posted"] == 2 * 2
    assert summary.recounted["trustee_board_ready"] == 1
    lines = (out / "entries.jsonl").read_text().splitlines()
    assert lines
    # Changing an entry after publication breaks the tree before any recount: the verifier
    # fails either way, naming the entry.
    forged = [json.loads(line) for line in lines]
    target = next(e for e in forged if e["type"] == "decryption_completed")
    target["points_digest"] = "00" * 32
    with pytest.raises(VerificationFailed):
        (out / "entries.jsonl").write_text(
            "\n".join(json.dumps(e, separators=(",", ":")) for e in forged) + "\n"
        )
        verify_record(DirSource(out))
