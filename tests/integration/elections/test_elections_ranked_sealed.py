"""Sealed ranked votes from cast to count (issue 18 item 4; ADR 0014): ranked ballots are stored
and published sealed, shuffled at close by the server (unproven, said so on the record), decrypted
by k trustees, counted with the engine, and recounted offline; every step of the recount fails,
named, when its entry is tampered with."""

from __future__ import annotations

import copy
import json
import secrets

import pytest
from elections_builders import build_world, open_election, record_entries

from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.crypto import ranked as R
from asamblea.crypto.elgamal import encrypt
from asamblea.crypto.group import point_from_text
from asamblea.crypto.proofs import prove_interval
from asamblea.crypto.transcript import Context, index_bytes
from asamblea.elections import actions
from asamblea.elections.models import Ballot, Election
from asamblea.record.entries.ranked import UNPROVEN
from asamblea.record.recount import RecountMismatch
from asamblea.record.recount_ranked import recount_ranked
from asamblea.trustees.models import DecryptionRequest
from fixtures.trustees import decrypt

pytestmark = pytest.mark.django_db


def _key() -> str:
    return secrets.token_urlsafe(24)


def _spoilt_ballot(election: Election, values: list[int], candidates: int) -> str:
    """A ballot a hostile browser could seal: every rank proved in 0..c, the ranking invalid."""
    key = point_from_text(election.public_key)
    sealed = [encrypt(key, m) for m in values]
    ranks = tuple(c for c, _ in sealed)
    everything = tuple(part for c in ranks for part in c.parts())
    context = Context(election.seal_id, "q1", key)
    proofs = tuple(
        prove_interval(
            context, "rank", c, r, m, range(candidates + 1), bound=(index_bytes(i), *everything)
        )
        for i, ((c, r), m) in enumerate(zip(sealed, values, strict=True))
    )
    ballot = R.SealedRanking(election.seal_id, "q1", ranks, proofs)
    return R.canonical_bytes(ballot).decode()


def _closed_irv(world):  # type: ignore[no-untyped-def]
    election, codes = open_election(world, method="irv", candidates=3)
    keys = actions.candidate_keys(election)
    a, b, c = keys
    rankings = [[a, b], [a], [b, a, c], [c, b], [b, c], [a, c], []]
    code_list = list(codes.values())
    for code, ranking in zip(code_list, rankings, strict=False):
        actions.check_cast(election, code, {"ranking": ranking}, _key())
    # One ballot sealed in the browser (the server never sees it), one spoilt there.
    browser, _opening = R.seal_ranking(
        point_from_text(election.public_key),
        election.seal_id,
        R.RankedQuestion("q1", 3, 3),
        [3, 1],
    )
    actions.check_cast(
        election, code_list[7], None, _key(), sealed=R.canonical_bytes(browser).decode()
    )
    actions.check_cast(
        election, code_list[8], None, _key(), sealed=_spoilt_ballot(election, [2, 2, 0], 3)
    )
    actions.do_close_election(world.officers[0], election)
    election.refresh_from_db()
    return election, keys


def test_a_sealed_irv_vote_is_shuffled_decrypted_by_k_trustees_counted_and_recounted():
    world = build_world(12)
    election, keys = _closed_irv(world)
    a, b, c = keys
    assert election.is_sealed and election.state == Election.State.CLOSED
    # Storage: only sealed rankings.
    for content in Ballot.objects.filter(election=election).values_list("content", flat=True):
        obj = json.loads(content)
        assert obj["kind"] == "ranked" and "ranking" not in obj
    # The record says the shuffle is unproven.
    [shuffled] = record_entries(world.org, "election_rankings_shuffled")
    assert shuffled["proof"] == UNPROVEN and shuffled["ballots"] == 9
    with pytest.raises(BlockingIssues, match="shuffled rankings"):
        actions.do_count_election(world.officers[0], election)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    assert request.total == 9 * 3
    decrypt(request, world.shares[:1])
    election.refresh_from_db()
    assert election.state == Election.State.CLOSED  # k - 1 trustees decrypt nothing
    decrypt(request, world.shares[1:2])
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    result = election.result
    assert result["spoilt"] == 1 and result["voters"] == 8 and result["blank"] == 1
    # First preferences: a 3 (a,b; a; a,c), b 2, c 2 (c,b; c,a) -> c out... a wins either way.
    assert result["winners"] == [a]
    # The decrypted rankings are the cast ones, in some order.
    decrypted = [
        row for e in record_entries(world.org, "election_rankings_decrypted") for row in e["values"]
    ]
    expected = [
        [1, 2, 0],
        [1, 0, 0],
        [2, 1, 3],
        [3, 2, 0],
        [2, 3, 0],
        [1, 3, 0],
        [0, 0, 0],
        [3, 1, 0],
        [2, 2, 0],
    ]
    assert sorted(decrypted) == sorted(expected)
    # The whole record recounts, offline.
    entries = record_entries(world.org)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)


def _tamper(entries, entry_type, fn):  # type: ignore[no-untyped-def]
    out = copy.deepcopy(entries)
    for e in out:
        if e["type"] == entry_type:
            fn(e)
            break
    return out


def test_every_step_of_the_ranked_recount_fails_named_when_tampered_with():
    world = build_world(12)
    election, keys = _closed_irv(world)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    decrypt(request, world.shares[:2])
    entries = record_entries(world.org)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)

    def swap_two_values(e):  # type: ignore[no-untyped-def]
        e["values"][0], e["values"][1] = e["values"][1], e["values"][0]
        if e["values"][0] == e["values"][1]:
            e["values"][0] = [0, 0, 0]

    cases = [
        ("election_rankings_decrypted", swap_two_values, "not what the trustees decrypted"),
        (
            "election_rankings_decrypted",
            lambda e: e["values"].__setitem__(0, [9, 0, 0]),
            "not 3 numbers",
        ),
        ("election_rankings_shuffled", lambda e: e.__setitem__("digest", "00" * 32), "digest"),
        ("election_rankings_shuffled", lambda e: e.__setitem__("ballots", 8), "shuffled of 9"),
        (
            "election_ranked_ballots",
            lambda e: e["ballots"].pop(),
            "digest does not match",
        ),
        (
            "election_ranked_sealing",
            lambda e: e.__setitem__("ranks", 2),
            "shape",
        ),
        (
            "election_ranked_sealing",
            lambda e: e.__setitem__("seal_id", "other/election/1"),
            "sealed for another election",
        ),
    ]
    for entry_type, fn, message in cases:
        with pytest.raises(RecountMismatch, match=message):
            recount_ranked(counted, _tamper(entries, entry_type, fn))
    # A result or a spoilt count that does not follow from the rankings.
    with pytest.raises(RecountMismatch, match="recount differs"):
        recount_ranked({**counted, "result": {**counted["result"], "winners": [keys[1]]}}, entries)
    with pytest.raises(RecountMismatch, match="spoilt"):
        recount_ranked({**counted, "spoilt": 0}, entries)


def test_a_sealed_ballot_forged_for_a_ranked_vote_is_refused_at_cast():
    world = build_world(6)
    election, codes = open_election(world, method="irv", candidates=3)
    code = next(iter(codes.values()))
    other, _ = R.seal_ranking(
        point_from_text(election.public_key), "other/election/9", R.RankedQuestion("q1", 3, 3), [1]
    )
    with pytest.raises(ActionError, match="another election"):
        actions.check_cast(election, code, None, _key(), sealed=R.canonical_bytes(other).decode())
    mine, _ = R.seal_ranking(
        point_from_text(election.public_key), election.seal_id, R.RankedQuestion("q1", 3, 3), [2]
    )
    text = R.canonical_bytes(mine).decode()
    actions.check_cast(election, code, None, _key(), sealed=text)
    # The same ciphertexts cast again with another code: a copy, refused.
    second = list(codes.values())[1]
    with pytest.raises(ActionError, match="repeats a ciphertext"):
        actions.check_cast(election, second, None, _key(), sealed=text)


def test_a_sealed_stv_vote_with_fewer_ranks_than_candidates_counts():
    world = build_world(10, seats=2)
    election, codes = open_election(
        world, method="stv-scottish", candidates=4, seats=2, rules={"max_rankings": 2}
    )
    keys = actions.candidate_keys(election)
    with pytest.raises(ActionError):
        actions.check_cast(election, next(iter(codes.values())), {"ranking": keys[:3]}, _key())
    for code, ranking in zip(
        codes.values(), [keys[:2], keys[1:3], [keys[0]], [keys[3], keys[0]]], strict=False
    ):
        actions.check_cast(election, code, {"ranking": ranking}, _key())
    actions.do_close_election(world.officers[0], election)
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    assert request.total == 4 * 2
    decrypt(request, world.shares[1:3])
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED and len(election.result["winners"]) == 2
    entries = record_entries(world.org)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)


def test_a_sealed_ranked_vote_with_no_ballot_is_counted_at_close():
    world = build_world(4)
    election, _codes = open_election(world, method="irv", candidates=2)
    actions.do_close_election(world.officers[0], election)
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED and election.result["voters"] == 0
    assert not DecryptionRequest.objects.exists()
    entries = record_entries(world.org)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)


def test_a_ranked_ballot_page_carries_its_ranks_and_a_vote_without_javascript_is_sealed(client):
    import re

    from asamblea.elections import secrecy

    secrecy.GUESS_LIMIT.reset()
    world = build_world(6)
    election, codes = open_election(world, method="irv", candidates=3, rules={"max_rankings": 2})
    keys = actions.candidate_keys(election)
    code = next(iter(codes.values()))
    url = f"/elections/{election.pk}/vote/"
    page = client.post(url, {"step": "code", "code": code})
    assert page.status_code == 200
    params = json.loads(
        re.search(
            r'<script id="seal-params" type="application/json">(.*?)</script>',
            page.content.decode(),
            re.S,
        ).group(1)
    )
    [question] = params["questions"]
    assert question["kind"] == "ranked" and question["ranks"] == 2 and question["choices"] == 3
    assert params["election"] == election.seal_id and question["answers"] == keys
    # Without JavaScript: the ranks as typed, sealed by the server at the door.
    marks = {f"rank_{keys[2]}": "1", f"rank_{keys[0]}": "2"}
    review = client.post(url, {"step": "review", "code": code, **marks})
    assert review.status_code == 200, review.content
    html = review.content.decode()
    ballot = re.search(r'name="ballot" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    key = re.search(r'name="key" value="([^"]*)"', html).group(1)
    receipt = client.post(url, {"step": "cast", "code": code, "ballot": ballot, "key": key})
    assert receipt.status_code == 200
    [stored] = Ballot.objects.filter(election=election).values_list("content", flat=True)
    assert json.loads(stored)["kind"] == "ranked" and keys[2] not in stored
    secrecy.GUESS_LIMIT.reset()


def test_the_verifier_checks_ranked_chunks_ahead_in_workers_with_the_same_outcome():
    from asamblea.record.chunks import CheckedChunk, ChunkPool
    from asamblea.record.encoding import canonical_bytes
    from asamblea.record.recount_ranked import chunk_digest
    from asamblea.recordstore.models import RecordEntry

    world = build_world(12)
    election, _keys = _closed_irv(world)
    decrypt(
        DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings"),
        world.shares[:2],
    )
    lines = [
        r.canonical.encode()
        for r in RecordEntry.objects.filter(organisation=world.org).order_by("index")
    ]

    def through_pool(lines: list[bytes], jobs: int) -> list[dict]:
        with ChunkPool(jobs) as pool:
            out = [pool.take(json.loads(line), line) for line in lines]
            pool.finish()
        return out

    for jobs in (1, 2):
        entries = through_pool(lines, jobs)
        [chunk] = [e for e in entries if e["type"] == "election_ranked_ballots"]
        assert isinstance(chunk, CheckedChunk) and "ballots" not in chunk
        [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
        recount_ranked(counted, entries)
    # One proof's response changed (the chunk's digest recomputed, so only the proof is wrong):
    # the worker's check fails, and the recount raises it, naming the chunk and the ballot.
    tampered = []
    for line in lines:
        entry = json.loads(line)
        if entry["type"] == "election_ranked_ballots":
            proof = entry["ballots"][0]["proofs"][0][0]
            proof[1] = proof[0]
            entry["digest"] = chunk_digest(entry["ballots"])
            line = canonical_bytes(entry)
        tampered.append(line)
    for jobs in (1, 2):
        entries = through_pool(tampered, jobs)
        [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
        with pytest.raises(RecountMismatch, match="chunk 0, ballot 0: q1: rank 1 is not proved"):
            recount_ranked(counted, entries)
