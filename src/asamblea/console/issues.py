"""Blocking issues and refusals in the reader's language.

The state machines (:mod:`asamblea.rules.lifecycle`, pure, no Django) and the actions state their
reasons in English; the console shows the known ones translated and any other one as it is, so a
new reason is never hidden.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_EXACT = {
    "no candidate is standing": gettext_lazy("No candidate is standing: nominate at least one."),
    "two different election officers must certify": gettext_lazy(
        "Two different election officers must certify: propose it, and a second officer "
        "approves it on the approvals page."
    ),
    "nominations are not open": gettext_lazy("Nominations are not open."),
    "already nominated": gettext_lazy("Already nominated."),
    "the candidate must be a member of the unit": gettext_lazy(
        "The candidate must be a member of the unit."
    ),
    # Sealed votes (docs/adr/0013): the trustees' steps, in elections.queries.sealing_issues.
    "no trustee board: name trustees first (a ready board of the unit or of the organisation "
    "seals the vote, and k of its n trustees decrypt the totals)": gettext_lazy(
        "No board of trustees is ready: a ready board of the unit or of the organisation seals "
        "the vote, and enough of its trustees decrypt the totals. Name the trustees first."
    ),
    "closed, awaiting decryption: k of the board's trustees must decrypt the tally": (
        gettext_lazy(
            "Closed, awaiting decryption: enough of the board's trustees must decrypt the "
            "totals before the count."
        )
    ),
    # Sealed ranked votes (docs/adr/0014): counted by the trustee whose decryption completes.
    "closed, awaiting decryption: k of the board's trustees must decrypt the shuffled rankings;"
    " the last one to do so counts them": gettext_lazy(
        "Closed, awaiting decryption: enough of the board's trustees must decrypt the shuffled "
        "rankings; the count follows at once."
    ),
    "a candidate withdraws only before the vote opens": gettext_lazy(
        "A candidate withdraws only before the vote opens."
    ),
    "codes are issued only while the vote is open": gettext_lazy(
        "Voting cards are issued only while the vote is open."
    ),
}

_STATE_NAMES = {
    "draft": gettext_lazy("draft"),
    "nominations": gettext_lazy("taking nominations"),
    "open": gettext_lazy("open"),
    "closed": gettext_lazy("closed"),
    "counted": gettext_lazy("counted"),
    "certified": gettext_lazy("certified"),
}

_STATE_RE = re.compile(r"^the election is (\w+), not (.+)$")
# elections.queries.RANKINGS_AWAITING_SHUFFLE, with its two numbers.
_SHUFFLE_RE = re.compile(
    r"^closed, awaiting shuffle (\d+) of (\d+): a trustee of the board who has not shuffled yet "
    r"must shuffle the sealed rankings with proof; the decryption follows the last shuffle$"
)


def state_name(state: str) -> str:
    """An election's state in words; an unknown state (a new one) as it is."""
    return str(_STATE_NAMES.get(state, state.replace("_", " ")))


def in_words(issue: str) -> str:
    """One reason, translated when it is a known one."""
    if issue in _EXACT:
        return str(_EXACT[issue])
    shuffle = _SHUFFLE_RE.match(issue)
    if shuffle:
        return _(
            "Closed, awaiting shuffle %(n)s of %(k)s: a trustee of the board who has not shuffled "
            "yet must shuffle the sealed rankings, with proof; the decryption follows the last "
            "shuffle."
        ) % {"n": shuffle.group(1), "k": shuffle.group(2)}
    found = _STATE_RE.match(issue)
    if found:
        wanted = [state_name(s) for s in found.group(2).split(" or ")]
        return _("The election is %(state)s, not %(wanted)s.") % {
            "state": state_name(found.group(1)),
            "wanted": ", ".join(wanted),
        }
    return issue[:1].upper() + issue[1:]
