"""The member's home (``/me/``) and recall on the web: start a petition, sign, withdraw.

Everything here is about the signed-in member, looked up from the session's user, never from a
parameter. Changes go through the recall actions' ``check_*`` (asamblea.elections.actions.recall):
the same permission checks and rules as the API and the command line.

What a member sees of others: their unit's delegates and their unit's open votes and petitions,
the counts of signatures (never the signers), and for each vote on a roll they are on whether a
ballot was recorded *for them* (never what it said).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from asamblea.core.errors import ActionError
from asamblea.registry.models import Mandate, Member, Membership, RollEntry

# The recall actions' refusals, translated when shown (their text is the catalogue's msgid).
RECALL_MESSAGES = (
    gettext_noop("give a reason"),
    gettext_noop("a recall of this mandate is already under way"),
    gettext_noop("this mandate has ended"),
    gettext_noop("only members of the represented unit may do this"),
    gettext_noop("the petition is not collecting signatures"),
    gettext_noop("you have already signed"),
    gettext_noop("you have not signed"),
    gettext_noop("you are not on the roll frozen when this petition opened"),
    gettext_noop("the petition's time has run out"),
    gettext_noop("signatures can be withdrawn only while the petition is open"),
)
REASON_MAX = 2000


@dataclass
class OpenVote:
    election: Any
    recorded: bool


@dataclass
class OpenPetition:
    petition: Any
    count: int
    needed: int
    on_roll: bool
    signed: bool


def signed_in_member(request: HttpRequest) -> Member | None:
    if not request.user.is_authenticated:
        return None
    return Member.objects.select_related("organisation").filter(user=request.user).first()


def _login(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), reverse("web:login"))


def home_context(member: Member) -> dict[str, Any]:
    """What ``/me/`` shows: unit, delegates, open votes, petitions, past votes. A fixed number of
    queries whatever the member's history (a test counts them)."""
    from asamblea.elections.models import Election, Participation, RecallPetition, Signature
    from asamblea.elections.queries import recall_rules_of

    memberships = list(
        Membership.objects.filter(member=member)
        .select_related("unit")
        .order_by("-joined_on", "-pk")
    )
    current = next((m for m in memberships if m.left_on is None), None)
    delegates: list[Mandate] = []
    if current is not None:
        delegates = list(
            Mandate.objects.filter(seat__unit=current.unit, ended_at__isnull=True)
            .select_related("member", "seat__body")
            .order_by("seat__body__name", "seat__number")
        )
    entries = dict(RollEntry.objects.filter(member=member).values_list("roll_id", "pk"))
    elections = list(
        Election.objects.filter(roll_id__in=entries, opened_at__isnull=False)
        .select_related("unit", "body", "organisation")
        .order_by("-opened_at")[:100]
    )
    voted = set(
        Participation.objects.filter(
            election__in=elections, roll_entry_id__in=entries.values()
        ).values_list("election_id", flat=True)
    )
    open_votes = [OpenVote(e, e.pk in voted) for e in elections if e.state == Election.State.OPEN]
    past = [(e, e.pk in voted) for e in elections if e.state != Election.State.OPEN]

    petitions: list[OpenPetition] = []
    under_way: set[int] = set()
    if current is not None:
        rows = list(
            RecallPetition.objects.filter(
                unit=current.unit,
                state__in=(RecallPetition.State.OPEN, RecallPetition.State.VOTING),
            )
            .select_related("roll", "mandate__member", "mandate__seat__body", "election")
            .order_by("deadline_at")
        )
        mine = set(
            Signature.objects.filter(
                petition__in=rows, roll_entry_id__in=entries.values(), withdrawn_at__isnull=True
            ).values_list("petition_id", flat=True)
        )
        counts: dict[int, int] = {}
        for pid in Signature.objects.filter(
            petition__in=rows, withdrawn_at__isnull=True
        ).values_list("petition_id", flat=True):
            counts[pid] = counts.get(pid, 0) + 1
        for p in rows:
            petitions.append(
                OpenPetition(
                    petition=p,
                    count=counts.get(p.pk, 0),
                    needed=recall_rules_of(p).signatures_needed(p.roll.size),
                    on_roll=p.roll_id in entries,
                    signed=p.pk in mine,
                )
            )
            under_way.add(p.mandate_id)
        under_way |= set(
            RecallPetition.objects.filter(
                mandate__in=delegates, state=RecallPetition.State.MEETING
            ).values_list("mandate_id", flat=True)
        )
    return {
        "member": member,
        "org": member.organisation,
        "current": current,
        "memberships": memberships,
        "delegates": [(d, d.pk in under_way) for d in delegates],
        "open_votes": [v for v in open_votes if v.election.kind != Election.Kind.INSTRUCTION],
        "instruction_votes": [
            v for v in open_votes if v.election.kind == Election.Kind.INSTRUCTION
        ],
        "petitions": petitions,
        "votes": past,
    }


def _own_mandate(member: Member, mandate_id: int) -> Mandate:
    """A current mandate held for the member's own unit, or 404 (the same for any other)."""
    mandate = (
        Mandate.objects.select_related("member", "seat__body", "seat__unit")
        .filter(
            pk=mandate_id,
            ended_at__isnull=True,
            seat__unit__memberships__member=member,
            seat__unit__memberships__left_on__isnull=True,
        )
        .first()
    )
    if mandate is None:
        raise Http404("mandate")
    return mandate


@require_http_methods(["GET", "POST"])
def start_recall(request: HttpRequest, mandate_id: int) -> HttpResponse:
    """A member of the represented unit opens a recall petition against its delegate."""
    from asamblea.elections.actions.recall import check_open_petition

    member = signed_in_member(request)
    if member is None:
        return _login(request)
    mandate = _own_mandate(member, mandate_id)
    ctx: dict[str, Any] = {"mandate": mandate, "org": member.organisation, "reason": ""}
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        ctx["reason"] = reason
        if len(reason) > REASON_MAX:
            ctx["error"] = _("The reason is too long (at most %(n)s characters).") % {
                "n": REASON_MAX
            }
            return render(request, "web/recall_start.html", ctx, status=400)
        try:
            petition = check_open_petition(request.user, member, mandate.pk, reason)
        except ActionError as exc:
            ctx["error"] = _(exc.detail)
            return render(request, "web/recall_start.html", ctx, status=400)
        return redirect(reverse("elections:recall_detail", args=[petition.pk]) + "?opened=1")
    return render(request, "web/recall_start.html", ctx)


def _signature_action(request: HttpRequest, petition_id: int, withdraw: bool) -> HttpResponse:
    from asamblea.core.errors import NotFoundOrForbidden
    from asamblea.elections.actions import access_petition_by_id
    from asamblea.elections.actions.recall import check_sign, check_withdraw_signature

    member = signed_in_member(request)
    if member is None:
        return _login(request)
    try:
        petition = access_petition_by_id(petition_id)
    except NotFoundOrForbidden:
        raise Http404("recall petition") from None
    action = check_withdraw_signature if withdraw else check_sign
    target = reverse("elections:recall_detail", args=[petition.pk])
    try:
        action(request.user, petition, member)
    except ActionError as exc:
        return render(
            request,
            "web/recall_refused.html",
            {"petition": petition, "error": _(exc.detail), "back": target},
            status=409 if exc.code == "conflict" else 403 if exc.code == "forbidden" else 400,
        )
    return redirect(target + ("?withdrawn=1" if withdraw else "?signed=1"))


@require_POST
def sign_petition(request: HttpRequest, petition_id: int) -> HttpResponse:
    return _signature_action(request, petition_id, withdraw=False)


@require_POST
def withdraw_signature(request: HttpRequest, petition_id: int) -> HttpResponse:
    return _signature_action(request, petition_id, withdraw=True)


def check_code(request: HttpRequest, election_id: int) -> HttpResponse:
    """ "Check my tracking code": is this code among the published ones of this election?

    Looked up by the forms it may be written in (asamblea.web.codes), a sealed ballot's hash
    exactly first and then regardless of case. Answers found or not found and stores nothing; a
    tracking code is a published value that reveals no vote, so a GET (a link one can keep) is
    fine."""
    from asamblea.core.errors import NotFoundOrForbidden
    from asamblea.elections.actions import access_election_by_id
    from asamblea.elections.published import chunk_of, find_code
    from asamblea.elections.queries import is_published
    from asamblea.web.codes import search_forms

    try:
        election = access_election_by_id(election_id)
    except NotFoundOrForbidden:
        raise Http404("election") from None
    typed = request.GET.get("code", "")[:200]
    forms = search_forms(typed)
    published = is_published(election)
    # A bounded lookup whatever the size of the vote (asamblea.elections.published.find_code).
    found = find_code(election, forms) if published and forms else None
    # For a sealed vote, the published chunk of the record that holds the ballot (its code is
    # the ballot's hash): nothing more than where anyone can read it.
    chunk = chunk_of(election, found) if found and len(found) == 43 else None
    # Not found is an answer, not a missing page.
    status = 200
    return render(
        request,
        "web/check_code.html",
        {
            "election": election,
            "typed": typed,
            "malformed": bool(typed) and not forms,
            "published": published,
            "found": found,
            "chunk": chunk,
        },
        status=status,
    )
