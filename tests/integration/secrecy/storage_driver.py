"""The application side of the storage attack (test_storage_attack.py), run as its own process
against the database ``DATABASE_URL`` names (a throwaway PostgreSQL cluster, or an SQLite file).

    python storage_driver.py [--plaintext]

It migrates, builds one organisation, opens a vote of every method the application offers,
and casts every ballot through the cast API as a voter's client would (with the plain selection,
the no-JavaScript path, so the server sees the choice and must seal it before writing), with
duplicates: a retried cast (same submission key, same ballot) and a used code (a second device,
another key and another ballot). Then it prints one JSON line ``{"phase": "mid-vote", ...}`` naming
every cast ballot's plaintext, and waits for a line on standard input while the attacker reads the
storage; it closes every vote, prints ``{"phase": "closed"}`` and waits again; then it exits.

``--plaintext``: the deliberately leaking variant. Each successful cast also writes the ballot's
canonical plaintext into the database (a table of its own, written through the application's
connection as today's unsealed cast writes ``elections_ballot.content``), so the attack must find
it everywhere: this is how the test shows it can fail.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(HERE.parent / "elections")]

VOTERS = 8


def say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def wait() -> None:
    if not sys.stdin.readline():
        raise SystemExit("the test went away")


def main() -> None:  # noqa: PLR0915 - one scenario, read top to bottom
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from elections_builders import build_world

    from asamblea.elections import actions, secrecy
    from asamblea.elections.models import Election
    from asamblea.rules import ballots as counting

    plaintext = "--plaintext" in sys.argv
    if plaintext:
        with connection.cursor() as cur:
            cur.execute("CREATE TABLE leak_plaintext_ballot (content text NOT NULL)")

    world = build_world(VOTERS, slug="attack")
    officer = world.officers[0]  # the world has a ready board of trustees: votes are sealed

    members = world.members
    keys_of = {}

    def open_vote(label: str, method: str, candidates: int, **fields: Any) -> Election | None:
        try:
            election = actions.do_create_election(
                officer,
                organisation=world.org,
                unit=world.unit,
                body=world.assembly,
                title=f"Attack {label}",
                method=method,
                **fields,
            )
            actions.do_open_nominations(officer, election)
            for m in members[:candidates]:
                actions.do_nominate(officer, election, m)
            opened = actions.do_open_election(officer, election)
        except Exception as exc:  # noqa: BLE001 - a method the application does not offer yet
            say(phase="skipped", method=label, why=f"{type(exc).__name__}: {exc}")
            return None
        election.refresh_from_db()
        keys_of[election.pk] = opened.printed_codes
        return election

    votes = [
        ("recall yes/no", "yesno", 0, {"kind": "recall"}, "yesno"),
        ("plurality", "plurality", 3, {}, "choice"),
        ("approval", "approval", 4, {"rules": {"max_choices": 3}}, "approval"),
        ("irv", "irv", 3, {}, "ranked"),
        ("stv", "stv-scottish", 4, {"seats": 2}, "ranked"),
        ("instruction", "instruction", 0, {"kind": "instruction"}, "instruction"),
    ]
    client = Client()
    cast_ballots: list[dict[str, Any]] = []
    secret_values: set[str] = set()  # receipts, code HMACs, key hashes: never in a log line
    opened_methods = []
    for label, method, n_candidates, fields, kind in votes:
        election = open_vote(label, method, n_candidates, **fields)
        if election is None:
            continue
        opened_methods.append(label)
        cand = list(
            election.candidates.filter(withdrawn_at__isnull=True)
            .order_by("position")
            .values_list("key", flat=True)
        )
        codes = keys_of[election.pk]
        selections = _selections(kind, cand)
        for i, member in enumerate(members):
            selection = selections[i % len(selections)]
            key = secrets.token_urlsafe(24)
            body = {"code": codes[member.pk], "ballot": selection, "key": key}
            answer = _post(client, election.pk, body)
            assert answer.status_code == 200, (label, answer.status_code, answer.content)
            secret_values.add(answer.json()["tracking_code"])
            secret_values.add(secrecy.credential_hmac(codes[member.pk]))
            if hasattr(secrecy, "key_hash"):
                secret_values.add(secrecy.key_hash(key))
            content = counting.canonical_ballot(method, selection, cand, election.rules)
            cast_ballots.append({"method": label, "kind": kind, "plaintext": content})
            if plaintext:
                with connection.cursor() as cur:
                    cur.execute(
                        "INSERT INTO leak_plaintext_ballot (content) VALUES (%s)", [content]
                    )
            if i == 0:  # a retry of the same cast (a lost answer): the same receipt
                again = _post(client, election.pk, body)
                assert again.status_code == 200, (label, again.status_code, again.content)
            if i == 1:  # a second device: the code is used, another ballot is refused
                other = selections[(i + 1) % len(selections)]
                refused = _post(
                    client,
                    election.pk,
                    {"code": codes[member.pk], "ballot": other, "key": secrets.token_urlsafe(24)},
                )
                assert refused.status_code == 409, (label, refused.status_code, refused.content)
                cast_ballots.append(
                    {
                        "method": label,
                        "kind": kind,
                        "plaintext": counting.canonical_ballot(method, other, cand, election.rules),
                    }
                )
    say(
        phase="mid-vote",
        opened=opened_methods,
        ballots=cast_ballots,
        secrets=sorted(secret_values),
        candidates=_all_keys(),
    )
    wait()
    for election in Election.objects.filter(state="open"):
        actions.do_close_election(officer, election)
    say(phase="closed")
    wait()


def _post(client: Any, election_id: int, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/elections/{election_id}/vote", data=json.dumps(body), content_type="application/json"
    )


def _selections(kind: str, cand: list[str]) -> list[dict[str, Any]]:
    if kind == "yesno":
        return [{"vote": "yes"}, {"vote": "no"}, {"vote": "abstain"}]
    if kind == "instruction":
        return [{"vote": v} for v in ("for", "against", "abstain", "free")]
    if kind == "choice":
        return [{"choice": k} for k in cand] + [{"choice": None}]
    if kind == "approval":
        return [{"approve": cand[:2]}, {"approve": [cand[3]]}, {"approve": cand[1:4]}]
    return [{"ranking": cand[:3]}, {"ranking": list(reversed(cand))}, {"ranking": [cand[1]]}]


def _all_keys() -> list[str]:
    from asamblea.elections.models import Candidate

    return sorted(set(Candidate.objects.values_list("key", flat=True)))


if __name__ == "__main__":
    main()
