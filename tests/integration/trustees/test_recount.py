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


@pytest.mark.slow
def test_the_partials_checked_in_worker_processes_give_the_same_verdicts(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_trustees with its partial decryptions checked ahead in a process pool says exactly
    what it says in one process: for a clean log, a wrong proof in a later chunk, a first chunk
    that fails (the trustee's next chunk is then out of order and the completion lacks a
    trustee), a re-post of the failed chunk, and a malformed proof."""
    import copy

    from asamblea.record import recount_trustees
    from asamblea.record.entries.trustees import CHUNK

    board, shares = make_board(org, k=2, n=3)
    values = [i % 3 for i in range(2 * CHUNK + 5)]
    request = request_for(board, ("q1", values), ("q2", [1, 2]))
    decrypt(request, shares[:2])
    clean = _entries(org)
    partials = [e for e in clean if e["type"] == "partial_decryption_posted"]
    assert len(partials) == 2 * 4

    def first(trustee: int, chunk: int, log: list[dict[str, Any]]) -> dict[str, Any]:
        return next(
            e
            for e in log
            if e["type"] == "partial_decryption_posted"
            and (e["trustee"], e["group"], e["chunk"]) == (trustee, 0, chunk)
        )

    def later_proof(log: list[dict[str, Any]]) -> None:
        e = first(1, 1, log)
        e["factors"][2], e["factors"][3] = e["factors"][3], e["factors"][2]

    def first_chunk(log: list[dict[str, Any]]) -> None:
        e = first(2, 0, log)
        e["factors"][0], e["factors"][1] = e["factors"][1], e["factors"][0]

    def reposted(log: list[dict[str, Any]]) -> None:
        bad = first(2, 0, log)
        good = copy.deepcopy(bad)
        bad["factors"][0], bad["factors"][1] = bad["factors"][1], bad["factors"][0]
        at = log.index(first(2, 1, log)) + 1
        log.insert(at, good)
        for i, e in enumerate(log):
            e["index"] = i

    def malformed(log: list[dict[str, Any]]) -> None:
        first(1, 2, log)["proofs"][4] = {"c": "x", "s": "y"}

    verdicts = {}
    for name, change in (
        ("clean", None),
        ("later proof", later_proof),
        ("first chunk", first_chunk),
        ("reposted", reposted),
        ("malformed", malformed),
    ):
        log = copy.deepcopy(clean)
        if change is not None:
            change(log)
        monkeypatch.setattr(recount_trustees, "PARALLEL_FROM", 10**9)
        alone = check_trustees(log)
        monkeypatch.setattr(recount_trustees, "PARALLEL_FROM", 0)
        pooled = check_trustees(log, jobs=2)
        assert pooled.failures == alone.failures, name
        assert [r.points for r in pooled.requests.values()] == [
            r.points for r in alone.requests.values()
        ], name
        verdicts[name] = alone.failures
    assert verdicts["clean"] == {}
    assert any(f"position {CHUNK + 2}" in v for v in verdicts["later proof"].values())
    assert sorted(v.split(": ", 1)[-1] for v in verdicts["first chunk"].values()) == sorted(
        [
            "chunk 1 posted twice or out of order",
            "chunk 2 posted twice or out of order",
            "proof 0 does not verify",
            "completed with 1 valid partial decryptions, 2 needed",
        ]
    ), verdicts["first chunk"]
    assert len(verdicts["reposted"]) == 1 + 2 + 1  # the bad chunk, its two followers, completion
    assert any("malformed" in v for v in verdicts["malformed"].values())
