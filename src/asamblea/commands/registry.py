"""`asamblea freeze-roll` and `asamblea seats`: rolls and the seats they give."""

from __future__ import annotations

import argparse
import json

from asamblea.commands import UsageError, django_setup

HELP_FREEZE_ROLL = """\
Freeze the roll of a base unit now: the members it holds at this moment become the roll that
votes and petitions count against. The roll is immutable; the public record gets its size and a
hiding commitment (a Merkle root over salted member ids), never the list of members. Needs an
authenticated registrar or election officer (ASAMBLEA_TOKEN, or ASAMBLEA_USER, ASAMBLEA_PASSWORD,
ASAMBLEA_TOTP)."""

HELP_SEATS = """\
Show the apportionment of a body: the seats each sending body would hold by the body's seat
rule (one seat per N members with a minimum, largest remainder over a fixed house size, or
fixed), computed from the senders' latest frozen rolls, next to the seats in force. --apply
makes it the body's apportionment (seats created or abolished, written to the record); it needs
an authenticated registrar (ASAMBLEA_TOKEN, or ASAMBLEA_USER, ASAMBLEA_PASSWORD, ASAMBLEA_TOTP)."""


def configure_freeze_roll(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--organisation", required=True, metavar="SLUG")
    parser.add_argument("--unit", required=True, metavar="CODE", help="a base unit's code")
    parser.add_argument("--purpose", default="", metavar="TEXT", help="why the roll is frozen")


def configure_seats(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--organisation", required=True, metavar="SLUG")
    parser.add_argument("--body", required=True, metavar="CODE", help="the receiving body's code")
    parser.add_argument("--apply", action="store_true", help="write the apportionment")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--seed",
        default=None,
        metavar="TEXT",
        help="seed of the lot for ties (largest remainder); default: derived from the body's "
        "code and its senders' populations. Published with the apportionment.",
    )


def _body(slug: str, code: str):  # type: ignore[no-untyped-def]
    from asamblea.registry.models import Body, Organisation

    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise UsageError(f"no organisation {slug!r}")
    body = Body.objects.filter(organisation=org, code=code).first()
    if body is None:
        raise UsageError(f"no body {code!r} in {slug}")
    return body


def run_freeze_roll(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.registry.actions import check_freeze_roll

    user = authenticated_user()
    unit = _body(args.organisation, args.unit)
    try:
        roll = check_freeze_roll(user, unit, purpose=args.purpose)
    except ActionError as exc:
        raise UsageError(exc.detail) from exc
    print(
        f"roll {roll.pk} of {unit.code} frozen at {roll.frozen_at:%Y-%m-%d %H:%M:%S}Z: "
        f"{roll.size} members, commitment {roll.commitment}"
    )
    return 0


def run_seats(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.registry.actions import check_apportion, compute_apportionment
    from asamblea.registry.queries import current_seats_by_sender

    # Showing the apportionment reads public facts; applying it is a registrar's act.
    user = authenticated_user() if args.apply else None
    body = _body(args.organisation, args.body)
    current = current_seats_by_sender(body)
    try:
        computed = compute_apportionment(body, seed=args.seed)
        if args.apply:
            check_apportion(user, body, seed=args.seed)
    except ActionError as exc:
        raise UsageError(exc.detail) from exc
    data = computed.as_dict()
    data["applied"] = bool(args.apply)
    data["in_force"] = current_seats_by_sender(body) if args.apply else current
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    print(f"{body.name} ({body.code}): rule {data['rule']}", end="")
    if data["house_size"] is not None:
        print(f", house size {data['house_size']}", end="")
    print(f", {data['total_seats']} seats")
    width = max([len(a["sender"]) for a in data["allocations"]] + [6])
    print(f"{'sender':<{width}}  {'population':>10}  {'seats':>5}  {'in force':>8}")
    for a in data["allocations"]:
        held = data["in_force"].get(a["sender"], "-")
        print(f"{a['sender']:<{width}}  {a['population']:>10}  {a['seats']:>5}  {held!s:>8}")
    for tie in data["ties"]:
        print(
            f"tie broken by lot (seed {data['seed']!r}): {', '.join(tie['tied'])} for "
            f"{tie['seats']} seat(s); chosen: {', '.join(tie['chosen'])}"
        )
    print("applied" if args.apply else "not applied (use --apply to write it)")
    return 0
