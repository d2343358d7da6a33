"""Demo data of `elections`, loaded by `asamblea demo` after the registry's federation.

Idempotent: when the demo elections exist, nothing is loaded. Loads, in small units so that it
stays quick: certified elections for two units' seats, a recall that passed by secret vote with
the first alternate seated, an open recall petition, and a by-election in progress whose unused
voting codes are appended to var/demo-access.txt.

Every vote is sealed (ADR 0013) under the organisation's demo board of trustees, whose shares the
demo keeps in var/ (DEMO ONLY: :mod:`asamblea.trustees.demo` says so loudly); each closed vote's
tally is decrypted by k of those trustees through the real submission action before it is
counted. The ranked votes (IRV, Scottish STV) are first mixed by k of those trustees in turn, each
shuffle proved and checked (ADR 0015), then their last output is decrypted and counted.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from asamblea.elections import actions
from asamblea.elections.models import Election
from asamblea.elections.secrecy import format_code
from asamblea.registry import actions as registry
from asamblea.registry.models import Body, Mandate, Member, OfficerRole, Seat

DEMO_PREFIX = "Demo: "
MARKER = "## Voting codes (elections demo)"


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _officers(org: Any) -> list[Any]:
    from django.contrib.auth import get_user_model

    users = list(
        get_user_model()
        .objects.filter(offices__organisation=org, offices__role=OfficerRole.Role.ELECTION_OFFICER)
        .distinct()
        .order_by("pk")[:2]
    )
    while len(users) < 2:
        user = get_user_model().objects.create_user(
            f"demo-electoral-{len(users) + 1}", password=secrets.token_urlsafe(16)
        )
        OfficerRole.objects.create(
            user=user, organisation=org, role=OfficerRole.Role.ELECTION_OFFICER
        )
        users.append(user)
    return users


def _small_units(org: Any) -> list[tuple[Body, Body]]:
    """(unit, body) pairs: base units with held seats in a body, smallest membership first."""
    seats = (
        Seat.objects.filter(
            body__organisation=org,
            abolished_at__isnull=True,
            mandates__ended_at__isnull=True,
        )
        .select_related("unit", "body")
        .order_by("unit_id", "body_id")
    )
    pairs: dict[int, tuple[Body, Body]] = {}
    for seat in seats:
        if seat.unit.is_base_unit and seat.unit_id not in pairs:
            pairs[seat.unit_id] = (seat.unit, seat.body)
    sizes = dict(
        Body.objects.filter(pk__in=list(pairs))
        .annotate(n=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        .values_list("pk", "n")
    )
    ordered = sorted(pairs.values(), key=lambda p: (sizes.get(p[0].pk, 0), p[0].code))
    return [p for p in ordered if sizes.get(p[0].pk, 0) >= 12]


def _decrypt(election: Election) -> None:
    """The demo trustees decrypt the closed vote's tally (their shares are in var/: demo only);
    a ranked vote's sealed rankings are first mixed by k of them, each shuffle proved."""
    from asamblea.trustees.demo import decrypt_with_demo_shares, shuffle_with_demo_trustees
    from asamblea.trustees.models import DecryptionRequest, MixRequest

    mixes = MixRequest.objects.filter(subject__startswith=f"election:{election.pk}:")
    for mix in mixes.order_by("pk"):
        shuffle_with_demo_trustees(mix)
    request = DecryptionRequest.objects.filter(subject__startswith=f"election:{election.pk}:")
    for each in request.order_by("pk"):
        decrypt_with_demo_shares(each)


def _close_count_certify(o1: Any, o2: Any, election: Election) -> None:
    actions.do_close_election(o1, election)
    _decrypt(election)
    election.refresh_from_db()
    # A ranked vote is counted by the trustee submission that completes its decryption.
    if election.state == Election.State.CLOSED:
        actions.do_count_election(o1, election)
    actions.do_certify_election(o1, election)
    actions.do_certify_election(o2, election)


def _cast(election: Election, voters: list[Member], choose: Callable[[int], dict]) -> None:
    codes = actions.do_reissue_credentials(None, election, voters)
    for i, member in enumerate(voters):
        actions.check_cast(election, codes[member.pk], choose(i), secrets.token_urlsafe(24))


def _election(o1: Any, unit: Body, body: Body, title: str, method: str, n: int) -> Election:
    seats = Seat.objects.filter(body=body, unit=unit, abolished_at__isnull=True).count()
    election = actions.do_create_election(
        o1,
        organisation=unit.organisation,
        unit=unit,
        body=body,
        title=DEMO_PREFIX + title,
        seats=seats,
        method=method,
    )
    actions.do_open_nominations(o1, election)
    members = actions._open_members(unit)
    for m in members[:n]:
        actions.do_nominate(o1, election, m)
    return election


def _certified(o1: Any, o2: Any, unit: Body, body: Body, method: str, rng: random.Random) -> None:
    election = _election(o1, unit, body, f"delegados de {unit.name} ante {body.name}", method, 4)
    election = actions.do_open_election(o1, election).election
    keys = actions.candidate_keys(election)
    roll = actions._open_members(unit)
    voters = rng.sample(roll, max(1, len(roll) * 3 // 5))

    def choose(i: int) -> dict:
        if method in ("irv", "stv-scottish"):
            order = list(keys)
            rng.shuffle(order)
            return {"ranking": order[: rng.randint(1, len(order))]}
        return {"choice": rng.choices(keys, weights=[5, 3, 2, 1][: len(keys)])[0]}

    _cast(election, voters, choose)
    _close_count_certify(o1, o2, election)


def _passed_recall(o1: Any, o2: Any, unit: Body, body: Body, rng: random.Random) -> None:
    mandate = Mandate.objects.filter(
        seat__unit=unit, seat__body=body, ended_at__isnull=True
    ).first()
    if mandate is None:
        return
    roll = [m for m in actions._open_members(unit) if m != mandate.member]
    petition = actions.do_open_petition(
        None, mandate, roll[0], "Votó por el acuerdo que la asamblea había rechazado."
    )
    for m in roll:
        actions.do_sign(None, petition, m)
        petition.refresh_from_db()
        if petition.state != petition.State.OPEN:
            break
    election = petition.election
    assert election is not None
    voters = rng.sample(roll, max(1, len(roll) // 2))
    _cast(election, voters, lambda i: {"vote": "yes" if i % 4 else "no"})
    _close_count_certify(o1, o2, election)


def _open_petition(unit: Body, body: Body) -> None:
    mandate = Mandate.objects.filter(
        seat__unit=unit, seat__body=body, ended_at__isnull=True
    ).first()
    if mandate is None:
        return
    roll = [m for m in actions._open_members(unit) if m != mandate.member]
    petition = actions.do_open_petition(
        None, mandate, roll[0], "No ha rendido cuentas a la base desde que empezó el paro."
    )
    for m in roll[:2]:
        actions.do_sign(None, petition, m)


def _by_election(o1: Any, unit: Body, body: Body) -> tuple[Election, dict[int, str]] | None:
    mandate = Mandate.objects.filter(
        seat__unit=unit, seat__body=body, ended_at__isnull=True
    ).first()
    if mandate is None:
        return None
    # No alternates left for this unit: the resignation leaves the seat to a by-election.
    registry.do_set_alternates(None, body, unit, [], source="demo")
    after = actions.do_resign(None, mandate)
    if not isinstance(after, Election):
        return None
    Election.objects.filter(pk=after.pk).update(title=DEMO_PREFIX + after.title)
    actions.do_open_nominations(o1, after)
    for m in [m for m in actions._open_members(unit) if m != mandate.member][:3]:
        actions.do_nominate(o1, after, m)
    actions.do_open_election(o1, after)
    after.refresh_from_db()
    roll = actions._open_members(unit)
    codes = actions.do_reissue_credentials(o1, after, roll[:10])
    return after, codes


def load(organisation: Any, *, progress: Any = None) -> None:
    """Idempotent: loads nothing when the demo elections are there."""
    if Election.objects.filter(organisation=organisation, title__startswith=DEMO_PREFIX).exists():
        _say(progress, "demo elections already present: nothing loaded")
        return
    units = _small_units(organisation)
    if len(units) < 5:
        _say(progress, "too few units with seats for the elections demo: skipped")
        return
    rng = random.Random(2022)  # noqa: S311 - invented demo votes, reproducible
    from asamblea.trustees.demo import make_demo_board

    with transaction.atomic():
        # The standing board every demo vote is sealed under (made once; shares in var/).
        make_demo_board(organisation, progress=progress)
        o1, o2 = _officers(organisation)
        _certified(o1, o2, *units[0], "plurality", rng)
        _certified(o1, o2, *units[1], "irv", rng)
        if len(units) > 5:
            _certified(o1, o2, *units[5], "stv-scottish", rng)
        _say(progress, "demo elections certified")
        _passed_recall(o1, o2, *units[2], rng)
        _open_petition(*units[3])
        _say(progress, "demo recalls loaded")
        by_election = _by_election(o1, *units[4])
    if by_election is not None:
        _append_codes(*by_election)
    _say(progress, "demo by-election open; its unused voting codes are in demo-access.txt")


def _append_codes(election: Election, codes: dict[int, str]) -> None:
    path = Path(settings.VAR_DIR) / "demo-access.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARKER in old:
        old = old[: old.index(MARKER)]
    members = {m.pk: m for m in Member.objects.filter(pk__in=list(codes))}
    lines = [
        MARKER,
        f"## Unused single-use codes for '{election.title}' (vote at /elections/{election.pk}/vote/)",
    ]
    for pk, code in sorted(codes.items()):
        lines.append(f"{format_code(code)}  {members[pk].display_name}")
    path.write_text(old.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
