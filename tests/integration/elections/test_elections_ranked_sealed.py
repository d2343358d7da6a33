"""Sealed ranked votes from cast to count (issue 18 item 4, issue 14; ADRs 0014, 0015): ranked
ballots are stored and published sealed, mixed by k trustees in turn (each shuffle proved and
checked before it is accepted; the server never shuffles), the last output decrypted by k
trustees, counted with the engine, and recounted offline; every step of the recount fails, named,
when its entry is tampered with."""

from __future__ import annotations

import copy
import json
import secrets

import pytest
from django.utils import translation
from elections_builders import build_world, open_election, record_entries

from asamblea.console.issues import in_words
from asamblea.core.errors import ActionError, BlockingIssues
from asamblea.crypto import ranked as R
from asamblea.crypto.elgamal import encrypt
from asamblea.crypto.group import point_from_text
from asamblea.crypto.proofs import prove_interval
from asamblea.crypto.transcript import Context, index_bytes
from asamblea.elections import actions
from asamblea.elections.models import Ballot, Election
from asamblea.record.entries import mixing as mixing_entries
from asamblea.record.entries.ranked import UNPROVEN
from asamblea.record.recount import RecountMismatch
from asamblea.record.recount_mixing import recount_shuffle
from asamblea.record.recount_ranked import recount_ranked
from asamblea.trustees.models import DecryptionRequest, MixRequest
from fixtures.trustees import decrypt, shuffle

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


def test_a_sealed_irv_vote_is_mixed_by_k_trustees_decrypted_counted_and_recounted():
    world = build_world(12)
    election, keys = _closed_irv(world)
    a, b, c = keys
    assert election.is_sealed and election.state == Election.State.CLOSED
    # Storage: only sealed rankings.
    for content in Ballot.objects.filter(election=election).values_list("content", flat=True):
        obj = json.loads(content)
        assert obj["kind"] == "ranked" and "ranking" not in obj
    # The close asks the board to mix the sealed ballots exactly as published: nothing shuffled
    # by the server, nothing to decrypt yet.
    [requested] = record_entries(world.org, "mix_requested")
    assert requested["ballots"] == 9 and requested["ranks"] == 3 and requested["rounds"] == 2
    published = [
        b["ranks"]
        for e in record_entries(world.org, "election_ranked_ballots")
        for b in e["ballots"]
    ]
    mix = MixRequest.objects.get(subject=f"election:{election.pk}:rankings")
    assert mix.current == published
    assert not DecryptionRequest.objects.filter(subject__startswith=f"election:{election.pk}:")
    assert record_entries(world.org, "election_rankings_shuffled") == []
    # The officers are told the step awaited: shuffle 1 of 2, then 2 of 2, then the decryption
    # (in Spanish too).
    with pytest.raises(BlockingIssues, match="awaiting shuffle 1 of 2") as caught:
        actions.do_count_election(world.officers[0], election)
    with translation.override("es"):
        assert in_words(str(caught.value.issues[0])).startswith(
            "Cerrada, en espera de la mezcla 1 de 2: un custodio de la junta"
        )
    # k - 1 shuffles: still no decryption; the k-th asks for the decryption of its output.
    shuffle(mix, [3])
    assert not DecryptionRequest.objects.filter(subject__startswith=f"election:{election.pk}:")
    with pytest.raises(BlockingIssues, match="awaiting shuffle 2 of 2"):
        actions.do_count_election(world.officers[0], election)
    shuffle(mix, [1])
    with pytest.raises(BlockingIssues, match="must decrypt the shuffled rankings") as caught:
        actions.do_count_election(world.officers[0], election)
    with translation.override("es"):
        assert "descifrar las clasificaciones barajadas" in in_words(str(caught.value.issues[0]))
    assert mix.state == MixRequest.State.COMPLETED
    [shuffled] = record_entries(world.org, "election_rankings_shuffled")
    assert shuffled["v"] == 2 and shuffled["mix"] == mix.pk and shuffled["rounds"] == 2
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    assert request.total == 9 * 3
    assert [g["ciphertexts"] for g in request.groups] == [[c for b in mix.current for c in b]]
    assert shuffled["request"] == request.pk and shuffled["digest"] == request.digest
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
    # The whole record recounts, offline: both shuffles' proofs and the count.
    entries = record_entries(world.org)
    for proved in (e for e in entries if e["type"] == "shuffle_proved"):
        recount_shuffle(proved, entries)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)


def test_the_server_has_no_shuffle_of_its_own():
    """Regression for ADR 0014's stopgap: no code path shuffles rankings on the server."""
    import asamblea.crypto.ranked as crypto_ranked
    import asamblea.elections.actions.ranked as ranked_actions

    assert not hasattr(crypto_ranked, "stopgap_shuffle")
    assert "shuffle" not in {n for n in vars(ranked_actions) if "stopgap" in n}
    assert not hasattr(ranked_actions, "UNPROVEN")


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
    shuffle(MixRequest.objects.get(subject=f"election:{election.pk}:rankings"), [2, 3])
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    decrypt(request, world.shares[:2])
    entries = record_entries(world.org)
    [counted] = [e for e in entries if e["type"] == "election_ranked_counted"]
    recount_ranked(counted, entries)

    def swap_two_values(e):  # type: ignore[no-untyped-def]
        e["values"][0], e["values"][1] = e["values"][1], e["values"][0]
        if e["values"][0] == e["values"][1]:
            e["values"][0] = [0, 0, 0]

    def downgrade_to_unproven(e):  # type: ignore[no-untyped-def]
        # A server writing ADR 0014's v1 entry on a new record instead of waiting for the mix.
        for field in ("mix", "rounds"):
            e.pop(field)
        e.update(v=1, proof=UNPROVEN)

    cases = [
        ("election_rankings_decrypted", swap_two_values, "not what the trustees decrypted"),
        (
            "election_rankings_decrypted",
            lambda e: e["values"].__setitem__(0, [9, 0, 0]),
            "not 3 numbers",
        ),
        (
            "election_rankings_shuffled",
            lambda e: e.__setitem__("digest", "00" * 32),
            "not the last shuffle's output",
        ),
        ("election_rankings_shuffled", lambda e: e.__setitem__("ballots", 8), "shuffled of 9"),
        ("election_rankings_shuffled", lambda e: e.__setitem__("rounds", 1), "rounds is 2"),
        ("mix_requested", lambda e: e.__setitem__("ballots", 8), "ballots is 8, not 9"),
        ("mix_requested", lambda e: e.__setitem__("board", "other/trustees/1"), "board is"),
        ("shuffle_proved", lambda e: e.__setitem__("round", 3), "shuffles 1..2 proved"),
        ("shuffle_proved", lambda e: e.__setitem__("trustee", 3), "different trustee"),
        (
            "election_rankings_shuffled",
            downgrade_to_unproven,
            "shuffled by the server, unproven",
        ),
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
    # The list sent for decryption is not the last shuffle's output: two of its ballots swapped
    # (the chunk's digest and the proof's chain made to match); the round's own proof fails too.
    forged = copy.deepcopy(entries)
    [last] = [e for e in forged if e["type"] == "ballots_shuffled" and e["round"] == 2]
    last["ballots"][0], last["ballots"][1] = last["ballots"][1], last["ballots"][0]
    last["digest"] = mixing_entries.chunk_digest(last)
    [proved] = [e for e in forged if e["type"] == "shuffle_proved" and e["round"] == 2]
    proved["chain"] = mixing_entries.chain_digests([last["digest"]])
    with pytest.raises(RecountMismatch, match="not the last shuffle's output"):
        recount_ranked(counted, forged)
    with pytest.raises(RecountMismatch, match="shuffle 2 by trustee 3.*step"):
        recount_shuffle(proved, forged)
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
    shuffle(MixRequest.objects.get(subject=f"election:{election.pk}:rankings"), [1, 3])
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
    assert not DecryptionRequest.objects.exists() and not MixRequest.objects.exists()
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
    shuffle(MixRequest.objects.get(subject=f"election:{election.pk}:rankings"), [1, 2])
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
