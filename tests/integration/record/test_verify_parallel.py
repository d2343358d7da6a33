"""``asamblea verify`` checks sealed ballots' chunks over several processes while streaming the
record, with the same result and the same failure, at the same place, as one process."""

from __future__ import annotations

import copy
import json
import secrets
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))

from elections_builders import build_world, decrypt_tally, open_election  # noqa: E402

from asamblea.cli import main  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.actions import sealing  # noqa: E402
from asamblea.record.chunks import CheckedChunk, ChunkPool  # noqa: E402
from asamblea.record.encoding import canonical_bytes  # noqa: E402
from asamblea.record.recount import RecountMismatch  # noqa: E402
from asamblea.record.recount_elections import recount  # noqa: E402
from asamblea.record.verify import DirSource, summary_json, verify_record  # noqa: E402
from asamblea.recordstore.models import RecordEntry  # noqa: E402

pytestmark = pytest.mark.django_db

VOTERS = 14


@pytest.fixture
def sealed_record(monkeypatch):  # type: ignore[no-untyped-def]
    """An approval vote of 14 sealed ballots, published in chunks of 3, decrypted and counted."""
    monkeypatch.setattr(sealing, "CHUNK_BALLOTS", 3)
    world = build_world(VOTERS, slug="parallel")
    election, codes = open_election(
        world, method="approval", candidates=4, rules={"max_choices": 2}
    )
    keys = actions.candidate_keys(election)
    choices = [{"approve": keys[:2]}, {"approve": [keys[3]]}, {"approve": []}]
    for i, code in enumerate(codes.values()):
        actions.check_cast(election, code, choices[i % 3], secrets.token_urlsafe(24))
    actions.do_close_election(world.officers[0], election)
    decrypt_tally(world, election)
    actions.do_count_election(world.officers[0], election)
    return world


def test_several_processes_verify_the_record_exactly_as_one(sealed_record, tmp_path):
    out = tmp_path / "export"
    assert main(["export-record", str(out), "--organisation", "parallel"]) == 0
    lines = (out / "entries.jsonl").read_bytes().splitlines()
    chunks = [json.loads(line) for line in lines if b'"type":"ballots_published"' in line]
    assert len(chunks) == 5 and sum(len(c["ballots"]) for c in chunks) == VOTERS

    seen: list[tuple[int, int]] = []
    one = verify_record(DirSource(out), jobs=1)
    two = verify_record(
        DirSource(out), jobs=2, progress=lambda done, read: seen.append((done, read))
    )
    assert summary_json(one) == summary_json(two)
    assert one.recounted["election_counted"] == 1
    assert seen[-1] == (VOTERS, VOTERS)  # every sealed ballot went through the pool
    # The command line: --jobs, and a refusal of a number of processes that cannot be.
    assert main(["verify", str(out), "--jobs", "2"]) == 0
    assert main(["verify", str(out), "--jobs", "0"]) != 0


def test_a_tampered_chunk_fails_the_same_way_checked_ahead_or_in_the_recount(sealed_record):
    rows = RecordEntry.objects.filter(organisation=sealed_record.org).order_by("index")
    entries = [json.loads(r.canonical) for r in rows]
    counted = next(e for e in reversed(entries) if e["type"] == "election_counted")
    bad = copy.deepcopy(entries)
    chunk = next(e for e in bad if e["type"] == "ballots_published" and e["chunk"] == 2)
    chunk["ballots"][1], chunk["ballots"][0] = chunk["ballots"][0], chunk["ballots"][1]

    with pytest.raises(RecountMismatch) as inline:
        recount(counted, bad)
    for jobs in (1, 2):
        with ChunkPool(jobs) as pool:
            streamed = [pool.take(e, canonical_bytes(e)) for e in bad]
            assert sum(isinstance(e, CheckedChunk) for e in streamed) == 5
            assert all("ballots" not in e for e in streamed if isinstance(e, CheckedChunk))
            with pytest.raises(RecountMismatch) as ahead:
                recount(counted, streamed)
        assert str(ahead.value) == str(inline.value)
    assert "chunk 2" in str(inline.value)
