"""Every action refuses bad input with a clear error and leaves no partial write.

Two layers:
- named cases: realistic bad input for the actions members and officers reach (casting, nominating,
  creating bodies and members, importing a member file): each must raise ``ActionError`` (or the
  importer's ``FileRejected``) with a message, and leave every table exactly as it was;
- a sweep over every public ``do_*`` / ``check_*`` in every ``asamblea.*.actions`` module, called
  with nonsense (``None`` for every required argument): whatever it raises, no table may change.
  Those that answer the nonsense with something other than ``ActionError`` are listed by
  ``test_the_sweep_names_the_actions_without_a_clear_refusal`` (informative, see its docstring).

Rows are counted in every table of every installed model before and after each call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps

import asamblea
from asamblea.core.errors import ActionError
from fixtures.shared_data import rolled_back_after_module

# The sweep's tests share one world and run in one pytest-xdist process (``sweep_world``).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("bad-input")]


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def assert_nothing_written(before: dict[str, int]) -> None:
    after = row_counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, f"rows changed though the action was refused: {changed}"


def refused(call, *exceptions):  # type: ignore[no-untyped-def]
    """Run ``call``; it must raise one of ``exceptions`` (ActionError by default), writing nothing."""
    before = row_counts()
    with pytest.raises(exceptions or (ActionError,)) as info:
        call()
    assert_nothing_written(before)
    detail = getattr(info.value, "detail", None) or str(info.value)
    assert detail and detail.strip(), "the refusal must say why"
    return info.value


def _world(slug: str) -> dict[str, object]:
    """An organisation with a unit, an assembly, three members and an open secret vote."""
    from django.contrib.auth import get_user_model

    from asamblea.elections import actions as elections
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member

    admin = get_user_model().objects.create_superuser(f"{slug}-input", "b@example.org", "x" * 20)
    org = registry.do_create_organisation(admin, slug=slug, name="Bad input federation")
    unit = registry.do_create_body(admin, org, code="U1", name="Unit", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        admin, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    for i in range(3):
        registry.do_add_member(
            admin,
            org,
            unit,
            member_ref=f"B{i}",
            display_name=f"Member {i}",
            joined_on=dt.date(2020, 1, 1),
        )
    election = elections.do_create_election(
        admin, organisation=org, unit=unit, body=assembly, title="Election"
    )
    # A secret vote opens only under a ready board of trustees (ADR 0013).
    from asamblea.core.clock import now
    from fixtures.sample import make_sample_board

    make_sample_board(org, now())
    elections.do_open_nominations(admin, election)
    candidates = [
        elections.do_nominate(admin, election, m).key
        for m in Member.objects.filter(organisation=org).order_by("member_ref")[:2]
    ]
    opened = elections.do_open_election(admin, election)
    return {
        "admin": admin,
        "org": org,
        "unit": unit,
        "assembly": assembly,
        "election": opened.election,
        "codes": list(opened.printed_codes.values()),
        "candidates": candidates,
    }


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return _world("bad")


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The sweep's world, made once for the module: its tests pass none of its objects to the
    actions (only nonsense), so they share it; each runs in a savepoint of its own inside it
    (fixtures.shared_data), and sees it as made."""
    with django_db_blocker.unblock(), rolled_back_after_module():
        yield _world("bad-sweep")


# --- named cases --------------------------------------------------------------------------------


def test_casting_with_an_unknown_code_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(
        lambda: actions.check_cast(
            world["election"], "A" * 20, {"choice": world["candidates"][0]}, "k" * 20
        )
    )


def test_casting_for_an_unknown_candidate_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(
        lambda: actions.check_cast(
            world["election"], world["codes"][0], {"choice": "nobody"}, "k" * 20
        )
    )


def test_casting_two_choices_on_a_plurality_ballot_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(
        lambda: actions.check_cast(
            world["election"], world["codes"][0], {"choice": world["candidates"]}, "k" * 20
        )
    )


def test_casting_with_a_short_submission_key_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(
        lambda: actions.check_cast(
            world["election"], world["codes"][0], {"choice": world["candidates"][0]}, "short"
        )
    )


def test_a_second_ballot_with_another_key_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    code, choice = world["codes"][0], {"choice": world["candidates"][0]}
    actions.check_cast(world["election"], code, choice, "first-key-0123456789")
    refused(lambda: actions.check_cast(world["election"], code, choice, "other-key-0123456789"))


def test_replaying_a_key_with_a_different_ballot_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    code = world["codes"][1]
    actions.check_cast(
        world["election"], code, {"choice": world["candidates"][0]}, "same-key-0123456789"
    )
    refused(
        lambda: actions.check_cast(
            world["election"], code, {"choice": world["candidates"][1]}, "same-key-0123456789"
        )
    )


def test_nominating_an_unknown_member_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(lambda: actions.check_nominate(world["admin"], world["election"].pk, "no-such-id"))


def test_opening_an_election_twice_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(lambda: actions.check_open_election(world["admin"], world["election"]))


def test_an_election_for_no_seat_is_refused_and_writes_nothing(world):
    from asamblea.elections import actions

    refused(
        lambda: actions.do_create_election(
            world["admin"],
            organisation=world["org"],
            unit=world["unit"],
            body=world["assembly"],
            title="No seats",
            seats=0,
        )
    )


def test_a_body_of_an_unknown_kind_is_refused_and_writes_nothing(world):
    from asamblea.registry import actions

    refused(
        lambda: actions.do_create_body(
            world["admin"], world["org"], code="X", name="X", kind="castle"
        )
    )


def test_a_second_body_with_the_same_code_is_refused_and_writes_nothing(world):
    from asamblea.registry import actions

    refused(
        lambda: actions.do_create_body(
            world["admin"], world["org"], code="U1", name="Again", kind="workplace"
        )
    )


def test_a_second_organisation_with_the_same_slug_is_refused_and_writes_nothing(world):
    from asamblea.registry import actions

    refused(lambda: actions.do_create_organisation(world["admin"], slug="bad", name="Again"))


def test_a_member_in_an_assembly_is_refused_and_writes_nothing(world):
    from asamblea.registry import actions

    refused(
        lambda: actions.do_add_member(
            world["admin"],
            world["org"],
            world["assembly"],
            member_ref="Z1",
            display_name="Z",
            joined_on=dt.date(2020, 1, 1),
        )
    )


def test_a_member_file_with_one_bad_row_is_rejected_whole_and_writes_nothing(world, tmp_path):
    from asamblea.registry import importing

    path = Path(tmp_path) / "members.csv"
    path.write_text(
        "unit_code,member_ref,display_name,phone,email,joined_on\n"
        "U1,N1,New member,,,2024-01-01\n"
        "NOPE,N2,Bad unit,,,2024-13-45\n"
    )
    err = refused(lambda: importing.validate_file(path, world["org"]), importing.FileRejected)
    assert "3" in str(getattr(err, "errors", err)), "the rejection names the bad line"


def test_a_session_of_a_base_unit_is_refused_and_writes_nothing(world):
    from asamblea.assemblies import actions

    refused(
        lambda: actions.do_schedule_session(
            world["admin"],
            world["unit"],
            title="Not here",
            scheduled_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )
    )


# --- the sweep over every action ----------------------------------------------------------------


def action_functions() -> list[tuple[str, object]]:
    found = []
    for info in pkgutil.iter_modules(asamblea.__path__):
        if not info.ispkg:
            continue
        try:
            package = importlib.import_module(f"asamblea.{info.name}.actions")
        except ModuleNotFoundError:
            continue
        # An app's actions are a module or a package of one module per aggregate.
        modules = [package] + [
            importlib.import_module(f"{package.__name__}.{sub.name}")
            for sub in pkgutil.iter_modules(getattr(package, "__path__", []))
        ]
        for module in modules:
            for name, fn in inspect.getmembers(module, inspect.isfunction):
                if fn.__module__ == module.__name__ and name.startswith(("do_", "check_")):
                    found.append((f"{info.name}.{name}", fn))
    return sorted(set(found), key=lambda pair: pair[0])


ACTIONS = action_functions()


def nonsense_arguments(fn) -> dict[str, object]:  # type: ignore[no-untyped-def]
    params = list(inspect.signature(fn).parameters.items())
    if hasattr(fn, "action_name"):
        # A door (core.action): its first parameter is the context, which callers give as the
        # actor, positionally; the system actor (None) gets furthest into the action.
        params = params[1:]
    return {
        name: None
        for name, p in params
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def call_with_nonsense(fn) -> None:  # type: ignore[no-untyped-def]
    if hasattr(fn, "action_name"):
        fn(None, **nonsense_arguments(fn))
    else:
        fn(**nonsense_arguments(fn))


def test_the_sweep_finds_the_actions_of_every_app():
    apps_found = {name.split(".")[0] for name, _fn in ACTIONS}
    assert {"registry", "elections", "assemblies", "recordstore"} <= apps_found


@pytest.mark.parametrize(("name", "fn"), ACTIONS, ids=[name for name, _fn in ACTIONS])
def test_every_action_given_nonsense_writes_nothing(sweep_world, name, fn):
    before = row_counts()
    # Trusted do_* actions take model instances from code, so a TypeError or AttributeError on
    # None is no defect there; what must never happen is a write left behind.
    with contextlib.suppress(Exception):  # any refusal will do; a partial write will not
        call_with_nonsense(fn)
    assert_nothing_written(before)
