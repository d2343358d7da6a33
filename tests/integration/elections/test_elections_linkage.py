"""The acceptance test of ballot secrecy: an attacker with the whole database tries to re-link
ballots to voters, and must do no better than chance; against a deliberately linkable variant
(no rewrite at close) the same attack must succeed, so this test can fail.

The attacker reads every column of ``elections_participation`` and ``elections_ballot``, the
hidden physical columns (SQLite's rowid; PostgreSQL's ctid and xmin) and the order rows come back
in, and pairs the two tables by every ordering and by equal values. Each voter cast a ballot that
no other voter cast, so a pairing's hits are exactly the voters it re-linked; a random pairing
gets one hit on average, and 8 or more of 30 with probability below 1e-5.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from django.db import connection
from elections_builders import build_world, open_election

from asamblea.elections import actions, secrecy
from asamblea.elections.models import Ballot, Participation
from asamblea.registry.models import RollEntry

pytestmark = pytest.mark.django_db(transaction=True)

VOTERS = 30
CHANCE_BOUND = 8


def _rows(table: str, election_id: int) -> list[dict]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            hidden = "ctid AS _ctid, xmin::text::bigint AS _xmin, "
        else:
            hidden = "rowid AS _rowid, "
        cur.execute(f"SELECT {hidden}* FROM {table} WHERE election_id = %s", [election_id])  # noqa: S608
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for i, row in enumerate(rows):
        row["_returned_order"] = i
        if "_ctid" in row:
            block, offset = str(row["_ctid"]).strip("()").split(",")
            row["_ctid"] = (int(block), int(offset))
    return rows


def _datetime_columns(table: str) -> list[str]:
    with connection.cursor() as cur:
        desc = connection.introspection.get_table_description(cur, table)
    return [
        d.name for d in desc if "date" in (d.type_code if isinstance(d.type_code, str) else "")
    ] + [d.name for d in desc if d.name.endswith("_at")]


def _sortable(value):
    return (value is None, str(value) if not isinstance(value, int | tuple) else value)


def best_attack(election_id: int, truth: dict[int, str]) -> tuple[int, str]:
    """The most voters any strategy re-links, and which strategy. ``truth``: roll entry -> content."""
    parts = _rows("elections_participation", election_id)
    ballots = _rows("elections_ballot", election_id)
    assert len(parts) == len(ballots)
    best = (0, "none")
    p_keys = [k for k in parts[0] if k != "election_id"]
    b_keys = [k for k in ballots[0] if k not in ("election_id", "content")]
    for pk, bk in itertools.product(p_keys, b_keys):
        for reverse in (False, True):
            ps = sorted(parts, key=lambda r: _sortable(r[pk]))
            bs = sorted(ballots, key=lambda r: _sortable(r[bk]), reverse=reverse)
            hits = sum(
                truth[p["roll_entry_id"]] == b["content"] for p, b in zip(ps, bs, strict=True)
            )
            best = max(best, (hits, f"order by {pk} / {bk}{' desc' if reverse else ''}"))
        # Equal values in both tables (a shared transaction id, a shared key...).
        by_value: dict = {}
        for b in ballots:
            by_value.setdefault(b[bk], []).append(b["content"])
        hits = sum(
            1
            for p in parts
            if len(by_value.get(p[pk], [])) == 1 and by_value[p[pk]][0] == truth[p["roll_entry_id"]]
        )
        best = max(best, (hits, f"equal {pk} = {bk}"))
    return best


def _cast_all(linkable: bool, monkeypatch) -> tuple[int, dict[int, str]]:
    monkeypatch.setattr(secrecy, "REWRITE_AT_CLOSE", not linkable)
    world = build_world(VOTERS, slug="linkable" if linkable else "secret")
    # The pre-sealing defence, still applied to sealed votes: measured on the plaintext path,
    # where the content says the choice (a sealed ballot's says nothing without the trustees).
    election, codes = open_election(world, method="approval", candidates=6, plaintext=True)
    keys = [m.public_id for m in world.members[:6]]
    subsets = [list(s) for n in range(7) for s in itertools.combinations(keys, n)]
    rng = random.Random(5)  # noqa: S311 - the test's own choices, not a secret
    choices = rng.sample(subsets, VOTERS)
    order = list(world.members)
    rng.shuffle(order)  # voters arrive in an order unrelated to the register
    truth: dict[int, str] = {}
    for i, member in enumerate(order):
        selection = {"approve": choices[i]}
        actions.check_cast(election, codes[member.pk], selection, f"linkage-key-{i:04d}-xxxxxx")
        entry = RollEntry.objects.get(roll=election.roll, member=member)
        truth[entry.pk] = json.dumps({"approve": sorted(choices[i])}, separators=(",", ":"))
    assert len(set(truth.values())) == VOTERS
    actions.do_close_election(world.officers[0], election)
    return election.pk, truth


def test_neither_table_has_a_time_column():
    assert _datetime_columns("elections_participation") == []
    assert _datetime_columns("elections_ballot") == []
    assert _datetime_columns("elections_trackingcode") == []
    assert _datetime_columns("elections_idempotencyrecord") == []
    fields = {f.name for f in Ballot._meta.get_fields()} | {
        f.name for f in Participation._meta.get_fields()
    }
    assert not any(name.endswith("_at") for name in fields)


def test_an_attacker_with_the_database_relinks_no_better_than_chance(monkeypatch):
    election_id, truth = _cast_all(False, monkeypatch)
    hits, how = best_attack(election_id, truth)
    assert hits < CHANCE_BOUND, f"re-linked {hits} of {VOTERS} voters by {how}"


def test_the_same_attack_relinks_a_variant_that_skips_the_rewrite(monkeypatch):
    election_id, truth = _cast_all(True, monkeypatch)
    hits, how = best_attack(election_id, truth)
    assert hits == VOTERS, f"only {hits} re-linked ({how}): the attack is too weak to trust"
