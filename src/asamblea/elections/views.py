"""Pages of elections and recalls. Voting works without JavaScript on a small phone.

The voting flow is one URL (``/elections/<id>/vote/``), POSTed four times: the code, the ballot,
the review, the cast. The code travels in a hidden field, never in a session, a cookie or a URL;
the receipt is rendered directly, never redirected to, so the tracking code is in no URL either.
Requests to this URL are dropped from the logs (settings.LOGGING) and error reports hide their
POST data (``sensitive_post_parameters``).
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.ratelimit import client_address
from asamblea.elections import actions, published, queries, secrecy
from asamblea.elections.actions import ranked, sealing
from asamblea.elections.models import Election, RecallPetition
from asamblea.rules import ballots as counting


def _election_or_404(pk: int) -> Election:
    from django.http import Http404

    try:
        return actions.access_election_by_id(pk)
    except NotFoundOrForbidden:
        raise Http404("election not found") from None


def election_list(request: HttpRequest) -> HttpResponse:
    elections = Election.objects.select_related("unit", "body").order_by("-created_at")[:200]
    return render(request, "elections/list.html", {"elections": elections})


# Tracking codes shown on one page of the election's public page.
CODES_PER_PAGE = 50


def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election_or_404(pk)
    # The same detail as the API and ``asamblea election show`` (queries.election_detail).
    detail = queries.election_detail(election)
    names = {c["key"]: c["name"] for c in detail["candidates"]}
    result = detail["result"] or {}
    is_published = queries.is_published(election)
    codes, codes_count, on_record = None, 0, None
    if is_published:
        # One bounded page of the codes (keyset by code), never all of them: a vote of a
        # million ballots has a million codes, and a voter looks for one (the search box).
        codes_count = published.count_tracking_codes(election)
        try:
            codes = published.tracking_codes(
                election,
                after=request.GET.get("after"),
                before=request.GET.get("before"),
                limit=CODES_PER_PAGE,
            )
        except ActionError:
            codes = published.tracking_codes(election, limit=CODES_PER_PAGE)
        # A sealed vote's close on the record (its ballots in the chunks before it).
        on_record = published.on_record(election, with_chunks=False)
    return render(
        request,
        "elections/detail.html",
        {
            "election": election,
            "candidates": detail["candidates"],
            "winners": [names.get(k, k) for k in result.get("winners", [])],
            "alternates": [names.get(k, k) for k in result.get("alternates", [])],
            "tally": [(names.get(k, k), v) for k, v in (result.get("tally") or {}).items()],
            "result": result,
            "result_json": json.dumps(result, indent=1, sort_keys=True) if result else "",
            "published": is_published,
            "codes": codes,
            "codes_count": codes_count,
            "on_record": on_record,
            "codes_paging": bool(request.GET.get("after") or request.GET.get("before")),
            "issues": detail["blocking_issues"],
        },
    )


# The refusals a voter can meet on the ballot pages, as the actions raise them (in English, as
# the API and the record keep them), marked here to be shown in the voter's language.
REFUSALS = {
    gettext_noop("this election is not open for voting"),
    gettext_noop("this voting code is not valid for this election"),
    gettext_noop("this voting code has already been used"),
    gettext_noop("a submission key of 16 to 200 characters is needed"),
    gettext_noop("this vote takes a selection, not a sealed ballot"),
    gettext_noop("this submission was already cast with a different ballot"),
    gettext_noop(
        "this ballot repeats a ciphertext already cast in this election: seal your own ballot"
    ),
    gettext_noop("the sealed ballot is too long"),
    gettext_noop("choose yes, no or abstain"),
    gettext_noop("choose for, against, abstain or free"),
    gettext_noop("too many choices: choose at most one candidate"),
    gettext_noop("unknown candidate"),
    gettext_noop("approve must be a list of candidates"),
    gettext_noop("a candidate is marked twice"),
    gettext_noop("ranking must be a list of candidates"),
    gettext_noop("a candidate is ranked twice"),
}
_AT_MOST = re.compile(r"too many choices: at most (\d+)( rankings)?")
_REPLACED = re.compile(r"this card was replaced on (.+?): vote with the new card; ")


def refusal_in_words(detail: str) -> str:
    """A refusal of the ballot pages in the voter's language; one not known here as it is."""
    if detail in REFUSALS:
        return _(detail)
    if detail.startswith("the sealed ballot is not valid"):
        return _("the sealed ballot is not valid")
    at_most = _AT_MOST.fullmatch(detail)
    if at_most:
        if at_most.group(2):
            return _("too many choices: at most %(n)s rankings") % {"n": at_most.group(1)}
        return _("too many choices: at most %(n)s") % {"n": at_most.group(1)}
    replaced = _REPLACED.match(detail)
    if replaced:
        return _(
            "this card was replaced on %(date)s: vote with the new card; if you did not ask for "
            "a new one, tell your election officers"
        ) % {"date": replaced.group(1)}
    return detail


def selection_from_post(election: Election, post: Any) -> dict[str, Any]:
    """The voter's marks from the ballot form, in the shape of counting.canonical_ballot."""
    kind = counting.ballot_kind(election.method)
    if kind in ("yesno", "instruction"):
        # Submitted at one width (secrecy.OPTION_WIDTH), so a yes and an abstain weigh the same.
        return {"vote": (post.get("vote") or "").strip()}
    if kind == "choice":
        return {"choice": [c for c in post.getlist("choice") if c]}
    if kind == "approval":
        return {"approve": post.getlist("approve")}
    ranks: dict[str, int] = {}
    for name, value in post.items():
        if not name.startswith("rank_") or not value:
            continue
        try:
            ranks[name[5:]] = int(value)
        except ValueError:
            raise ActionError(_("a rank must be a number"), field="ranking") from None
    if len(set(ranks.values())) != len(ranks):
        raise ActionError(_("two candidates have the same rank"), field="ranking")
    return {"ranking": sorted(ranks, key=ranks.__getitem__)}


def _ballot_context(election: Election) -> dict[str, Any]:
    candidates = queries.standing_candidates(election)
    return {
        "kind": counting.ballot_kind(election.method),
        "candidates": candidates,
        "ranks": range(1, len(candidates) + 1),
        "max_choices": election.rules.get("max_choices") or len(candidates),
        "seal_params": _seal_params(election, [c.key for c in candidates]),
    }


def _seal_params(election: Election, keys: list[str]) -> dict[str, Any] | None:
    """The ``seal-params`` data block for the browser's sealer (None: nothing to seal there)."""
    if election.is_sealed and ranked.is_ranked(election.method) and keys:
        return ranked.ranked_seal_params(
            seal_id=election.seal_id,
            public_key=election.public_key,
            keys=keys,
            rules=election.rules,
        )
    if not (election.is_sealed and counting.is_sealable(election.method)):
        return None
    return sealing.seal_params(
        seal_id=election.seal_id,
        public_key=election.public_key,
        method=election.method,
        keys=keys,
        rules=election.rules,
    )


def tracking_display(code: str) -> str:
    """A tracking code as shown to a voter: a sealed ballot's 43-character hash in groups of
    four separated by spaces (its alphabet has '-' and '_'), a plaintext vote's code in groups
    separated by dashes, as printed before."""
    if len(code) > secrecy.TRACKING_CHARS:
        return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    return secrecy.format_code(code)


def _readable(election: Election, content: str) -> list[str]:
    names = {c.key: c.name for c in election.candidates.all()}
    data = json.loads(content)
    if "vote" in data:
        answers = {
            "yes": _("Yes"),
            "no": _("No"),
            "abstain": _("Abstain"),
            # An instruction vote's answers, as its ballot page words them.
            "for": pgettext("in favour", "For"),
            "against": _("Against"),
            "free": _("Free vote (no instruction)"),
        }
        return [answers[data["vote"]]]
    if "choice" in data:
        return [names[data["choice"]]] if data["choice"] else []
    if "approve" in data:
        return [names[k] for k in data["approve"]]
    return [f"{i}. {names[k]}" for i, k in enumerate(data["ranking"], start=1)]


@sensitive_variables()
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election_or_404(pk)
    ctx: dict[str, Any] = {"election": election}
    if election.state != Election.State.OPEN:
        ctx["error"] = _("This vote is not open.")
        return render(request, "elections/vote_closed.html", ctx, status=409)
    if request.method == "GET":
        return render(request, "elections/vote_code.html", ctx)
    step = request.POST.get("step", "code")
    code = secrecy.normalise_code(request.POST.get("code", ""))
    # The code first: a right code never meets the guessing budget (no cache round trip), so no
    # one's guessing can keep a voter out. Only a wrong one is counted and, past it, slowed.
    try:
        entry_id = actions.verify_credential(election, code)
    except ActionError as exc:
        wait = secrecy.spend_wrong_code(election.pk, client_address(request))
        if wait:
            ctx["error"] = _(
                "Too many wrong codes from this connection. Please wait %(s)s seconds and try "
                "again."
            ) % {"s": wait}
            response = render(request, "elections/vote_code.html", ctx, status=429)
            response["Retry-After"] = str(wait)
            return response
        ctx["error"] = refusal_in_words(exc.detail)
        return render(request, "elections/vote_code.html", ctx, status=400)
    ctx.update(_ballot_context(election), code=code)
    if request.POST.get("sealed"):
        # Sealed (and reviewed) in the voter's browser: the choice never reaches this server.
        return _cast(request, election, code, ctx, sealed=request.POST["sealed"])
    if step == "cast":
        return _cast(request, election, code, ctx)
    if actions.has_voted(election, entry_id):
        ctx["error"] = _("This voting code has already been used.")
        return render(request, "elections/vote_code.html", ctx, status=409)
    if step == "code":
        return render(request, "elections/vote_ballot.html", ctx)
    # step == "review": check the ballot and show it back before casting.
    try:
        selection = selection_from_post(election, request.POST)
        content = counting.canonical_ballot(
            election.method, selection, actions.candidate_keys(election), election.rules
        )
    except (ActionError, counting.BallotError) as exc:
        ctx["error"] = refusal_in_words(exc.detail)
        return render(request, "elections/vote_ballot.html", ctx, status=400)
    ctx.update(
        ballot=content,
        readable=_readable(election, content),
        key=secrets.token_urlsafe(24),
        # The cast request weighs the same whatever the ballot (secrecy.cast_padding).
        pad=secrecy.cast_padding(
            content,
            secrecy.widest_ballot(
                election.method, actions.candidate_keys(election), election.rules
            ),
        ),
    )
    return render(request, "elections/vote_review.html", ctx)


def _cast(
    request: HttpRequest,
    election: Election,
    code: str,
    ctx: dict[str, Any],
    sealed: str | None = None,
) -> HttpResponse:
    selection: dict[str, Any] | None = None
    if sealed is None:
        try:
            selection = json.loads(request.POST.get("ballot", ""))
            if not isinstance(selection, dict):
                raise ValueError
        except ValueError:
            ctx["error"] = _("The ballot was damaged in transit; please mark it again.")
            return render(request, "elections/vote_ballot.html", ctx, status=400)
    # A browser that sealed the ballot sends its own submission key; without one, a fresh key
    # (a retry then cannot be recognised, but is refused as a second use of the code).
    key = request.POST.get("key", "")
    if sealed is not None and not key:
        key = secrets.token_urlsafe(24)
    try:
        receipt = actions.check_cast(election, code, selection, key, sealed=sealed)
    except ActionError as exc:
        ctx["error"] = refusal_in_words(exc.detail)
        status = 409 if exc.code == "conflict" else 400
        page = "vote_ballot" if exc.field == "sealed" else "vote_code"
        return render(request, f"elections/{page}.html", ctx, status=status)
    ctx["tracking_code"] = tracking_display(receipt.tracking_code)
    ctx["sealed_vote"] = election.is_sealed
    return render(request, "elections/vote_receipt.html", ctx)


def recall_list(request: HttpRequest) -> HttpResponse:
    petitions = RecallPetition.objects.select_related(
        "unit", "mandate__member", "mandate__seat__body"
    ).order_by("-opened_at")[:200]
    rows = [(p, queries.standing_signatures(p)) for p in petitions]
    return render(request, "elections/recall_list.html", {"rows": rows})


def recall_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from django.http import Http404

    try:
        petition = actions.access_petition_by_id(pk)
    except NotFoundOrForbidden:
        raise Http404("recall not found") from None
    try:
        signatures = actions.access_signatures_by_user(request.user, petition)
    except NotFoundOrForbidden:
        signatures = None
    rules = queries.recall_rules_of(petition)
    return render(
        request,
        "elections/recall_detail.html",
        {
            "petition": petition,
            "count": queries.standing_signatures(petition),
            "needed": rules.signatures_needed(petition.roll.size),
            "signatures": signatures,
        },
    )
