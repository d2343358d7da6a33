"""``asamblea recall``: recall petitions, general-meeting results, resignations, expiry.

Every verb that changes state runs as the authenticated user (``asamblea.commands.auth``) through
the same ``check_*`` as the API: a member opens, signs or withdraws for themself, an election
officer enters a paper petition's lines for a member; a teller enters a meeting's count as
themself; a delegate resigns their own mandate (no one else may).
"""

from __future__ import annotations

import argparse

from asamblea.commands import InputError, UsageError, django_setup

HELP = "recall delegates: open and sign petitions, enter meeting results, resign, expire"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="petitions with their state and signature counts")
    show = sub.add_parser("show", help="one petition")
    show.add_argument("id", type=int)
    opn = sub.add_parser("open", help="open a petition against a mandate")
    opn.add_argument("--mandate", type=int, required=True)
    opn.add_argument("--member", required=True, help="public id of the member opening it")
    opn.add_argument("--reason", required=True)
    opn.add_argument("--route", choices=("vote", "meeting"), default="vote")
    for name in ("sign", "withdraw"):
        p = sub.add_parser(name, help=f"{name} a signature for a member (paper petitions)")
        p.add_argument("id", type=int)
        p.add_argument("--member", required=True)
    teller = sub.add_parser("teller", help="a teller's count of a general meeting's recall vote")
    teller.add_argument("id", type=int)
    for name in ("--present", "--yes", "--no"):
        teller.add_argument(name, type=int, required=True)
    teller.add_argument("--abstain", type=int, default=0)
    resign = sub.add_parser("resign", help="a delegate resigns: the seat is filled at once")
    resign.add_argument("mandate", type=int)
    sub.add_parser("expire", help="close petitions whose time has run out")


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.elections import actions
    from asamblea.elections.models import Election, RecallPetition
    from asamblea.registry.models import Member

    def member(public_id: str) -> Member:
        m = Member.objects.filter(public_id=public_id).first()
        if m is None:
            raise UsageError(f"no member {public_id!r}")
        return m

    # Every verb but list and show changes state: authenticate before anything else.
    user = None if args.action in ("list", "show") else authenticated_user()
    try:
        if args.action == "list":
            for p in RecallPetition.objects.select_related("mandate__member", "unit").order_by(
                "id"
            ):
                print(
                    f"{p.pk}\t{p.state}\t{p.unit.code}\t{p.mandate.member.display_name}\t"
                    f"{actions.standing_signatures(p)}/{p.roll.size}"
                )
        elif args.action == "show":
            p = actions.access_petition_by_id(args.id)
            rules = actions.recall_rules_of(p)
            print(f"recall {p.pk} of {p.mandate.member.display_name} [{p.state}]")
            print(f"reason: {p.reason}")
            print(
                f"signatures: {actions.standing_signatures(p)} of "
                f"{rules.signatures_needed(p.roll.size)} needed, until {p.deadline_at:%Y-%m-%d}"
            )
            if p.election_id:
                print(f"recall vote: election {p.election_id}")
        elif args.action == "open":
            p = actions.check_open_petition(
                user, member(args.member), args.mandate, args.reason, args.route
            )
            print(p.pk)
        elif args.action in ("sign", "withdraw"):
            p = actions.access_petition_by_id(args.id)
            do = actions.check_sign if args.action == "sign" else actions.check_withdraw_signature
            do(user, p, member(args.member))
            p.refresh_from_db()
            print(f"recall {p.pk}: {actions.standing_signatures(p)} signatures [{p.state}]")
        elif args.action == "teller":
            p = actions.access_petition_by_id(args.id)
            actions.check_enter_teller_result(
                user,
                p,
                present=args.present,
                yes=args.yes,
                no=args.no,
                abstain=args.abstain,
            )
            p.refresh_from_db()
            print(f"recall {p.pk}: {p.state}")
        elif args.action == "resign":
            after = actions.check_resign(user, args.mandate)
            if isinstance(after, Election):
                print(f"seat vacant: by-election {after.pk} created")
            else:
                print(f"seat filled by {after.member.display_name}")
        elif args.action == "expire":
            print(f"{actions.check_expire_petitions(user)} petitions expired")
    except ActionError as exc:
        raise InputError(f"recall: {exc.field or 'action'}: {exc.detail}") from None
    return 0
