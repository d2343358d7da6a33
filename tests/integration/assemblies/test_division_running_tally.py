"""A division's running tally (``Division.live_totals``/``live_counts``) is a cache of its votes.

The casting action keeps it in each cast's transaction so that the division page need not read
every vote (issue 15: a 10,000-delegate assembly). These tests hold it equal to the votes counted
afresh (``recount_tally``) after single casts, tally-sheet pages, refused casts, concurrent casts
on PostgreSQL, the close, and the migration's backfill of divisions that existed before it.
"""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
from assembly_builders import build_body
from django.apps import apps
from django.db import connection

from asamblea.assemblies import actions
from asamblea.assemblies.models import Division
from asamblea.core.clock import now
from asamblea.core.errors import ActionError

pytestmark = pytest.mark.django_db


def open_division(built, **settings):  # type: ignore[no-untyped-def]
    session = actions.do_schedule_session(None, built.body, title="S", scheduled_at=now())
    session = actions.do_open_session(None, session)
    for seat in built.seats:
        actions.do_record_attendance(None, session, seat)
    motion = actions.do_propose_motion(None, session, title="T", text="T", proposer_name="P")
    return actions.do_open_division(None, motion)


def weighted_thirds():  # type: ignore[no-untyped-def]
    # Weights 100/3 and 50/7: sums that are not whole numbers, as a weighted body's are.
    return build_body(units=[("North", 3), ("South", 7)], populations=[100, 50], weighted=True)


def assert_cache_agrees(division: Division) -> dict:
    live = actions.live_tally(division)
    assert live == actions.recount_tally(division)
    return live


def test_the_running_tally_equals_the_votes_after_each_cast_and_at_close():
    built = weighted_thirds()
    division = open_division(built)
    assert assert_cache_agrees(division)["counts"] == {"for": 0, "against": 0, "abstain": 0}
    north, south = built.units
    actions.do_cast_vote(None, division, built.seats_of(north)[0], "for")
    live = assert_cache_agrees(division)
    assert live["totals"]["for"] == Fraction(100, 3)
    actions.do_cast_votes(
        None,
        division,
        [(s.pk, "against" if i % 2 else "abstain") for i, s in enumerate(built.seats_of(south))]
        + [(built.seats_of(north)[1].pk, "for")],
    )
    live = assert_cache_agrees(division)
    assert live["counts"] == {"for": 2, "against": 3, "abstain": 4}
    assert live["totals"]["against"] == Fraction(150, 7)
    assert live["totals"]["for"] == Fraction(200, 3)
    division = actions.do_close_division(None, division)
    live = assert_cache_agrees(division)
    assert {c: str(t) for c, t in live["totals"].items()} == {
        c: division.totals[c] for c in ("for", "against", "abstain")
    }


def test_a_refused_cast_leaves_the_running_tally_as_it_was():
    built = weighted_thirds()
    division = open_division(built)
    first = built.seats[0]
    actions.do_cast_vote(None, division, first, "for")
    before = assert_cache_agrees(division)
    # One bad line refuses the whole page: the seat that already voted, and an unknown choice.
    with pytest.raises(ActionError, match="already voted"):
        actions.do_cast_votes(None, division, [(built.seats[1].pk, "for"), (first.pk, "against")])
    with pytest.raises(ActionError, match="choose for, against or abstain"):
        actions.do_cast_votes(None, division, [(built.seats[2].pk, "maybe")])
    assert assert_cache_agrees(division) == before


def test_a_caller_holding_an_old_copy_of_the_division_sees_every_vote():
    built = weighted_thirds()
    division = open_division(built)
    stale = Division.objects.get(pk=division.pk)
    actions.do_cast_votes(None, division, [(s.pk, "for") for s in built.seats])
    assert actions.live_tally(stale)["counts"]["for"] == len(built.seats)


def test_the_migration_backfills_the_running_tally_of_divisions_cast_before_it():
    built = weighted_thirds()
    division = open_division(built)
    actions.do_cast_votes(
        None,
        division,
        [(s.pk, ("for", "against", "abstain")[i % 3]) for i, s in enumerate(built.seats)],
    )
    empty = open_division(weighted_thirds())
    expected = actions.recount_tally(division)
    # As a database from before the migration has them: no running tally at all.
    Division.objects.update(live_totals={}, live_counts={})
    assert actions.live_tally(division)["counts"] == {"for": 0, "against": 0, "abstain": 0}
    migration = importlib.import_module("asamblea.assemblies.migrations.0003_division_live_tally")
    migration.backfill(apps, None)
    assert actions.live_tally(division) == expected
    assert actions.live_tally(empty) == actions.recount_tally(empty)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_casts_on_postgresql_lose_no_vote_from_the_running_tally():
    seats_per_unit = 12
    built = build_body(
        units=[("North", seats_per_unit), ("South", seats_per_unit), ("East", seats_per_unit)],
        populations=[100, 50, 70],
        weighted=True,
    )
    division = open_division(built)
    choices = ("for", "against", "abstain")
    # Single votes and small pages at once, on separate connections; a seat cast twice (the
    # second refused) must count once.
    tasks = [[(s.pk, choices[i % 3])] for i, s in enumerate(built.seats)]
    tasks += [[(built.seats[0].pk, "against")], [(built.seats[5].pk, "for")]]

    def cast(votes):  # type: ignore[no-untyped-def]
        try:
            actions.do_cast_votes(None, Division.objects.get(pk=division.pk), votes)
            return True
        except ActionError:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(cast, tasks))
    assert sum(outcomes) == len(built.seats)
    live = assert_cache_agrees(division)
    assert sum(live["counts"].values()) == len(built.seats)
