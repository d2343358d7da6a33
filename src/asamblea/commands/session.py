"""`asamblea session`: run an assembly's or committee's session from the command line.

Every verb that changes state runs as an authenticated user (asamblea.commands.auth: an API token
or a password with a TOTP code) through the same ``check_*`` as the API and the pages; without
credentials it exits with status 2 and writes nothing. Reading verbs (list, show, tally,
minutes) need no credentials: sessions and roll calls are public.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from typing import Any

from asamblea.commands import InputError, UsageError, django_setup

HELP = """\
Sessions of assemblies and committees:
  session list --organisation SLUG [--body CODE]
  session show SESSION_ID [--json]
  session schedule --organisation SLUG --body CODE --title T --at 2022-12-28T15:00Z [--agenda ITEM]...
  session open SESSION_ID | session close SESSION_ID
  session attend SESSION_ID (--seat SEAT_ID [--member PUBLIC_ID] | --all)
  session motion SESSION_ID --title T --text TEXT --proposer NAME [--threshold majority_cast|
        absolute_majority|qualified|quorum] [--fraction 2/3] [--amends MOTION_ID]
        [--resolution demand|strike_call|march]
  session divide MOTION_ID                 open the roll call on a motion
  session vote DIVISION_ID FILE.csv        record a tally sheet (columns seat_id,choice)
  session tally DIVISION_ID                the live tally
  session close-division DIVISION_ID       count, apply the rule, write the result
  session minutes SESSION_ID (--pdf FILE | --csv FILE)"""


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="sessions of an organisation")
    p.add_argument("--organisation", required=True, metavar="SLUG")
    p.add_argument("--body", metavar="CODE")
    p = sub.add_parser("show", help="a session: attendance, motions, results")
    p.add_argument("session_id", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("schedule", help="schedule a session of a body")
    p.add_argument("--organisation", required=True, metavar="SLUG")
    p.add_argument("--body", required=True, metavar="CODE")
    p.add_argument("--title", required=True)
    p.add_argument("--at", required=True, metavar="ISO8601", help="UTC, e.g. 2022-12-28T15:00Z")
    p.add_argument("--agenda", action="append", default=[], metavar="ITEM")
    p.add_argument("--place", default="")
    for name in ("open", "close"):
        p = sub.add_parser(name, help=f"{name} a session")
        p.add_argument("session_id", type=int)
    p = sub.add_parser("attend", help="mark a seat (or every held seat) present")
    p.add_argument("session_id", type=int)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--seat", type=int, metavar="SEAT_ID")
    group.add_argument("--all", action="store_true", help="every seat whose delegate is there")
    p.add_argument("--member", metavar="PUBLIC_ID", help="an alternate standing in")
    p = sub.add_parser("motion", help="propose a motion (or an amendment)")
    p.add_argument("session_id", type=int)
    p.add_argument("--title", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--proposer", required=True, metavar="NAME")
    p.add_argument(
        "--threshold",
        default="majority_cast",
        choices=["majority_cast", "absolute_majority", "qualified", "quorum"],
    )
    p.add_argument("--fraction", metavar="P/Q", help="for --threshold qualified, e.g. 2/3")
    p.add_argument("--amends", type=int, metavar="MOTION_ID")
    p.add_argument("--resolution", default="", choices=["", "demand", "strike_call", "march"])
    p = sub.add_parser("divide", help="open the division (roll call) on a motion")
    p.add_argument("motion_id", type=int)
    p = sub.add_parser("vote", help="record votes from a CSV tally sheet (seat_id,choice)")
    p.add_argument("division_id", type=int)
    p.add_argument("file", metavar="FILE.csv", help="'-' for standard input")
    p = sub.add_parser("tally", help="the live tally of a division")
    p.add_argument("division_id", type=int)
    p = sub.add_parser("close-division", help="close a division and write its result")
    p.add_argument("division_id", type=int)
    p = sub.add_parser("minutes", help="write a session's minutes")
    p.add_argument("session_id", type=int)
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--pdf", metavar="FILE")
    out.add_argument("--csv", metavar="FILE")


def _get(model: Any, pk: int, what: str) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise UsageError(f"no {what} {pk}")
    return found


def _parse_at(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at: not an ISO 8601 time: {text!r}") from None
    if value.tzinfo is None:
        raise UsageError("--at: give the zone, e.g. 2022-12-28T15:00Z")
    return value.astimezone(dt.UTC)


def _read_tally_sheet(name: str) -> list[tuple[int, str]]:
    """Rows ``seat_id,choice`` (a header line is optional); errors as FILE:LINE: field: message."""
    try:
        handle = sys.stdin if name == "-" else open(name, encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{name}:1: file: cannot read ({exc})") from exc
    rows: list[tuple[int, str]] = []
    with handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip():
                continue
            if line_no == 1 and row[0].strip().lower() == "seat_id":
                continue
            if len(row) < 2:
                raise InputError(f"{name}:{line_no}: choice: missing (expected seat_id,choice)")
            seat, choice = row[0].strip(), row[1].strip().lower()
            if not seat.isdigit():
                raise InputError(f"{name}:{line_no}: seat_id: not a number: {seat!r}")
            if choice not in ("for", "against", "abstain"):
                raise InputError(
                    f"{name}:{line_no}: choice: for, against or abstain, not {choice!r}"
                )
            rows.append((int(seat), choice))
    if not rows:
        raise InputError(f"{name}:1: file: no vote in the tally sheet")
    return rows


MUTATING = {"schedule", "open", "close", "attend", "motion", "divide", "vote", "close-division"}


def _print_session(session: Any, as_json: bool) -> None:
    from asamblea.assemblies.queries import session_summary

    summary = session_summary(session)
    seats, legal = summary["seats"], summary["legal"]
    seats_present, present = summary["seats_present"], summary["present"]
    data = {
        "id": session.pk,
        "body": session.body.code,
        "title": session.title,
        "status": session.status,
        "seats": seats,
        "legal": str(legal),
        "seats_present": seats_present,
        "present": str(present),
        "motions": [
            {
                "id": m.pk,
                "number": m.number,
                "title": m.title,
                "threshold": m.threshold,
                "status": m.status,
                "division": m.division.pk if hasattr(m, "division") else None,
            }
            for m in summary["motions"]
        ],
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print(f"session {session.pk}: {session.title} ({session.body.name}), {session.status}")
    print(f"present: {seats_present} of {seats} seats; {present} of {legal}")
    for m in data["motions"]:
        division = f", division {m['division']}" if m["division"] else ""
        print(
            f"  motion {m['id']} (#{m['number']}): {m['title']} [{m['threshold']}] {m['status']}{division}"
        )


def run(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.assemblies import actions, minutes
    from asamblea.assemblies.models import Division, Session
    from asamblea.commands.auth import authenticated_user
    from asamblea.core.errors import ActionError, NotFoundOrForbidden
    from asamblea.registry.models import Body, Organisation

    # Before anything is read or written: a mutating verb without credentials stops here.
    user = authenticated_user() if args.action in MUTATING else None
    try:
        if args.action == "list":
            org = Organisation.objects.filter(slug=args.organisation).first()
            if org is None:
                raise UsageError(f"no organisation {args.organisation!r}")
            qs = Session.objects.filter(body__organisation=org).select_related("body")
            if args.body:
                qs = qs.filter(body__code=args.body)
            for s in qs.order_by("-scheduled_at", "-id"):
                print(
                    f"{s.pk}\t{s.scheduled_at:%Y-%m-%d %H:%M}Z\t{s.status}\t{s.body.code}\t{s.title}"
                )
        elif args.action == "show":
            _print_session(_get(Session, args.session_id, "session"), args.json)
        elif args.action == "schedule":
            body = Body.objects.filter(organisation__slug=args.organisation, code=args.body).first()
            if body is None:
                raise UsageError(f"no body {args.body!r} in {args.organisation!r}")
            s = actions.check_schedule_session(
                user,
                body.pk,
                title=args.title,
                scheduled_at=_parse_at(args.at),
                agenda="\n".join(args.agenda),
                place=args.place,
            )
            print(s.pk)
        elif args.action == "open":
            s = actions.check_open_session(user, args.session_id)
            print(f"session {s.pk} open")
        elif args.action == "close":
            s = actions.check_close_session(user, args.session_id)
            print(f"session {s.pk} closed")
        elif args.action == "attend":
            if args.all:
                marked = actions.check_record_attendance_of_all(user, args.session_id)
                print(f"{marked} seat(s) marked present")
            else:
                a = actions.check_record_attendance(
                    user, args.session_id, args.seat, member_public_id=args.member
                )
                print(f"seat {args.seat}: {a.member.display_name} present")
        elif args.action == "motion":
            m = actions.check_propose_motion(
                user,
                args.session_id,
                title=args.title,
                text=args.text,
                proposer_name=args.proposer,
                threshold=args.threshold,
                fraction=args.fraction,
                amends_id=args.amends,
                resolution_kind=args.resolution,
            )
            print(m.pk)
        elif args.action == "divide":
            d = actions.check_open_division(user, args.motion_id)
            print(d.pk)
        elif args.action == "vote":
            rows = _read_tally_sheet(args.file)
            created = actions.check_cast_votes(user, args.division_id, rows)
            deviations = sum(1 for v in created if v.is_deviation)
            print(f"{len(created)} vote(s) recorded, {deviations} deviation(s) flagged")
        elif args.action == "tally":
            division = _get(Division, args.division_id, "division")
            tally = actions.live_tally(division)
            for choice, total in tally["totals"].items():
                print(f"{choice}\t{total}\t({tally['counts'][choice]} seats)")
        elif args.action == "close-division":
            d = actions.check_close_division(user, args.division_id)
            print(f"{'adopted' if d.is_adopted else 'rejected'}: {d.explanation}")
        elif args.action == "minutes":
            session = _get(Session, args.session_id, "session")
            if args.pdf:
                with open(args.pdf, "wb") as out:
                    out.write(minutes.minutes_pdf(session))
            else:
                with open(args.csv, "w", encoding="utf-8", newline="") as out_text:
                    out_text.write(minutes.minutes_csv(session))
    except NotFoundOrForbidden as exc:
        raise UsageError(str(exc)) from None
    except ActionError as exc:
        field = f" ({exc.field})" if exc.field else ""
        print(f"asamblea session {args.action}: refused{field}: {exc.detail}", file=sys.stderr)
        return 1
    return 0
