"""What the platform writes to members and the titles it gives the votes it opens by itself.

Catalogue ids with named placeholders, marked here with ``gettext_noop`` and translated when
used: per member for mail (asamblea.core.mail.queue_translated, in the member's language), into
the organisation's language for titles (stored as data, shown as written).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_noop

from asamblea.core.mail import organisation_language, site_url, translated

VOTE_OPEN_SUBJECT = gettext_noop("Vote open: %(title)s")
VOTE_OPEN_BODY = gettext_noop(
    "The vote '%(title)s' is open.\n\nYour single-use voting code:\n\n    %(code)s\n\n"
    "Vote at %(url)s\n\nNobody, not even the officers, can see how you vote."
)
CARD_REPLACED_SUBJECT = gettext_noop("Your voting card was replaced: %(title)s")
CARD_REPLACED_BODY = gettext_noop(
    "Your voting card for '%(title)s' was replaced on %(at)s UTC; the old card no longer works. "
    "If you did not ask for a new card, tell your organisation's registrar or election officers "
    "at once: someone else may hold it."
)
CERTIFIED_SUBJECT = gettext_noop("Result certified: %(title)s")
CERTIFIED_BODY = gettext_noop(
    "The result of '%(title)s' is certified and published on the public record: %(url)s"
)
PETITION_OPENED_SUBJECT = gettext_noop("Recall petition opened against %(name)s")
PETITION_OPENED_BODY = gettext_noop(
    "A member opened a petition to recall %(name)s from %(body)s.\nReason: %(reason)s\n"
    "Members of the unit may sign until %(deadline)s: %(url)s"
)
THRESHOLD_SUBJECT = gettext_noop("Recall of %(name)s: threshold reached")
THRESHOLD_VOTE_BODY = gettext_noop(
    "The recall petition reached its threshold. A secret recall vote is open: your voting code "
    "follows in another message.\n%(url)s"
)
THRESHOLD_MEETING_BODY = gettext_noop(
    "The recall petition reached its threshold. A general meeting of the unit will vote.\n%(url)s"
)
RECALL_PASSED_SUBJECT = gettext_noop("Recall of %(name)s: passed")
RECALL_PASSED_BODY = gettext_noop("The recall of %(name)s passed: %(url)s")
RECALL_FAILED_SUBJECT = gettext_noop("Recall of %(name)s: failed")
RECALL_FAILED_BODY = gettext_noop("The recall of %(name)s failed: %(url)s")

RECALL_TITLE = gettext_noop("Recall of %(name)s (%(unit)s in %(body)s)")
BY_ELECTION_TITLE = gettext_noop("By-election: %(unit)s, seat %(number)s in %(body)s")


def election_params(election: Any) -> dict[str, Any]:
    return {
        "title": election.title,
        "url": site_url(reverse("elections:detail", args=[election.pk])),
    }


def recall_params(petition: Any) -> dict[str, Any]:
    return {
        "name": petition.mandate.member.display_name,
        "url": site_url(reverse("elections:recall_detail", args=[petition.pk])),
    }


def by_election_title(seat: Any) -> str:
    """In the organisation's language, at most 200 characters (the field's length)."""
    return translated(
        organisation_language(seat.body.organisation),
        BY_ELECTION_TITLE,
        {"unit": seat.unit.name, "number": seat.number, "body": seat.body.name},
    )[:200]
