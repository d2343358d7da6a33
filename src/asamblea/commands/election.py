"""``asamblea election``: officers run elections from the command line.

Every verb that changes state runs as the authenticated user (``asamblea.commands.auth``: an API
token, or an officer's password and TOTP code) through the same ``check_*`` as the API and the
pages. Certifying and printing new cards need two different officers: ``certify`` and ``cards``
propose, and a different officer approves with ``asamblea approval approve N`` (own sign-in and a
fresh TOTP code); ``cards ID --approval N`` then fetches the new codes, once. Voting codes of members without e-mail are printed once (``open`` and ``cards``): keep the file
secret and destroy it after the cards are handed out; the server keeps only their HMAC.
"""

from __future__ import annotations

import argparse
import json
import sys

from asamblea.commands import InputError, UsageError, django_setup

HELP = (
    "run delegate elections: create, nominate, open, close, count, certify, print cards; with a "
    "queue configured, close and count return at once with their job's id (--wait: progress)"
)

STEPS = ("open-nominations", "open", "close", "count", "certify")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="elections with their state").add_argument("--org")
    show = sub.add_parser("show", help="one election, its result and what blocks its next step")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    create = sub.add_parser("create", help="a new election (draft)")
    for name in ("--org", "--unit", "--body", "--title"):
        create.add_argument(name, required=True)
    create.add_argument("--seats", type=int, default=1)
    create.add_argument("--method", default="plurality")
    create.add_argument("--rules", default="{}", help="JSON object of rules (e.g. max_choices)")
    nominate = sub.add_parser("nominate", help="nominate a member (by public id)")
    nominate.add_argument("id", type=int)
    nominate.add_argument("member")
    for step in STEPS:
        p = sub.add_parser(step, help=f"{step.replace('-', ' ')} (an officer)")
        p.add_argument("id", type=int)
        if step == "open":
            p.add_argument("--cards", help="write printed codes to this file (default: stdout)")
        if step in ("close", "count"):
            p.add_argument(
                "--wait",
                action="store_true",
                help="with a queue configured, print the job's progress until it is done",
            )
    cards = sub.add_parser("cards", help="new codes for members without e-mail who have not voted")
    cards.add_argument("id", type=int)
    cards.add_argument("--cards", help="file to write (default: stdout)")
    cards.add_argument(
        "--approval", type=int, metavar="N", help="fetch the codes of this approved proposal"
    )


def _write_cards(election, codes: dict[int, str], path: str | None) -> None:  # type: ignore[no-untyped-def]
    from asamblea.elections.secrecy import format_code
    from asamblea.registry.models import Member

    members = {m.pk: m for m in Member.objects.filter(pk__in=list(codes))}
    lines = [f"# voting codes for election {election.pk}: {election.title}"]
    for pk in sorted(codes, key=lambda k: members[k].member_ref):
        m = members[pk]
        lines.append(f"{m.member_ref}\t{m.display_name}\t{format_code(codes[pk])}")
    text = "\n".join(lines) + "\n"
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{len(codes)} voting codes written to {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _show(election, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """The same detail as ``GET /api/elections/ID`` and the election's page."""
    from asamblea.elections import queries

    data = queries.election_detail(election)
    if as_json:
        print(json.dumps(data, indent=1, sort_keys=True))
        return
    print(
        f"{data['id']}  {data['title']}  [{data['state']}]  {data['method']}, "
        f"{data['seats']} seat(s)"
    )
    voters = "-" if data["voters"] is None else data["voters"]
    print(f"roll size {data['roll_size']}, voters {voters}")
    result = data["result"]
    if result:
        print("winners:", ", ".join(result.get("winners", [])) or "-")
        print("alternates:", ", ".join(result.get("alternates", [])) or "-")
        if "passed" in result:
            print("passed:", result["passed"])
    for issue in data["blocking_issues"]:
        print(f"blocks {queries.next_state(election)}: {issue}")


def _job_started(election, step: str, wait: bool) -> int:  # type: ignore[no-untyped-def]
    """After a sealed vote's close or count: its job (docs/adr/0016-task-queue.md). With no queue
    configured the job ran inside the command; with one, the command returns at once with the
    job's id unless ``--wait``."""
    from asamblea.commands.worker import wait as wait_for
    from asamblea.jobs.queries import progress_line, still_running
    from asamblea.jobs.runner import queue_backend

    election.refresh_from_db()
    print(f"election {election.pk}: {election.state}")
    job = still_running(f"election:{election.pk}:{step}")
    if job is None or not queue_backend():
        return 0
    if wait:
        return wait_for(job)
    print(progress_line(job))
    print(f"runs on the queue's workers; follow it with `asamblea jobs wait {job.pk}`")
    return 0


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError
    from asamblea.elections import actions
    from asamblea.elections.models import Election
    from asamblea.registry.models import Body, Organisation

    try:
        if args.action == "list":
            qs = Election.objects.select_related("organisation", "unit").order_by("id")
            if args.org:
                qs = qs.filter(organisation__slug=args.org)
            for e in qs:
                print(f"{e.pk}\t{e.state}\t{e.kind}\t{e.unit.code}\t{e.title}")
            return 0
        # Every other verb but show changes state: who runs it is established first, so that an
        # unauthenticated call is refused before anything is looked up or written.
        user = None if args.action == "show" else authenticated_user()
        if args.action == "create":
            org = Organisation.objects.filter(slug=args.org).first()
            if org is None:
                raise UsageError(f"no organisation {args.org!r}")
            bodies = {b.code: b for b in Body.objects.filter(organisation=org)}
            for code in (args.unit, args.body):
                if code not in bodies:
                    raise UsageError(f"no body {code!r} in {args.org}")
            try:
                rules = json.loads(args.rules)
            except ValueError as exc:
                raise InputError(f"--rules: not JSON: {exc}") from None
            e = actions.check_create_election(
                user,
                organisation=org,
                unit=bodies[args.unit],
                body=bodies[args.body],
                title=args.title,
                seats=args.seats,
                method=args.method,
                rules=rules,
            )
            print(e.pk)
            return 0
        try:
            election = actions.access_election_by_id(args.id)
        except ActionError:
            raise UsageError(f"no election {args.id}") from None
        if args.action == "show":
            _show(election, args.json)
            return 0
        if args.action == "nominate":
            c = actions.check_nominate(user, election.pk, args.member)
            print(f"nominated {c.name} ({c.key})")
        elif args.action == "open":
            opened = actions.check_open_election(user, election)
            _write_cards(opened.election, opened.printed_codes, args.cards)
        elif args.action == "cards":
            if args.approval is None:
                proposed = actions.check_reissue_credentials(user, election)
                print(
                    f"approval {proposed.pk}: new cards for election {election.pk} proposed; a "
                    f"different officer runs `asamblea approval approve {proposed.pk}`, then "
                    f"`asamblea election cards {election.pk} --approval {proposed.pk}`"
                )
                return 0
            from asamblea.core.approvals import check_take_result

            result = check_take_result(user, args.approval, kind="elections.reissue_credentials")
            codes = {int(pk): code for pk, code in result["cards"].items()}
            _write_cards(election, codes, args.cards)
        else:
            step = {
                "open-nominations": actions.check_open_nominations,
                "close": actions.check_close_election,
                "count": actions.check_count_election,
                "certify": actions.check_certify_election,
            }[args.action]
            e = step(user, election)
            if args.action == "certify":
                print(
                    f"election {e.pk}: certification proposed; a different election officer "
                    "approves it with `asamblea approval approve N` (see `asamblea approval list`)"
                )
            elif args.action in ("close", "count"):
                return _job_started(e, args.action, args.wait)
            else:
                print(f"election {e.pk}: {e.state}")
    except ActionError as exc:
        raise InputError(f"election: {exc.field or 'action'}: {exc.detail}") from None
    return 0
