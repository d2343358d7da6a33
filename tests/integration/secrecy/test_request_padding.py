"""Issue 18 item 7: a cast request weighs the same whatever the ballot, without JavaScript.

A network observer sees each request's length through TLS (the issue measured a recall vote's
cast at 35 bytes for yes, 34 for no, 39 for abstain). Here the no-JavaScript forms are filled in
as a browser would (every field of the form, the chosen option's value) and the encoded
application/x-www-form-urlencoded bodies are measured: the review request of a yes, a no and an
abstention, and the cast request of every ballot of yes/no, plurality (blank included) and
approval (any number of marks), are each of one length. Without the pad field the cast requests
differ, so the measurement can fail. Approval's review request still tells how many boxes were
ticked: that cannot be hidden without JavaScript (docs/operations.md).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.test import Client
from elections_builders import build_world, open_election

from asamblea.elections import actions, secrecy
from asamblea.elections.models import Participation

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The fields of one form (by id, or the first form) of a page: hidden ones and options."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.done = False
        self.hidden: list[tuple[str, str]] = []
        self.options: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if (
            tag == "form"
            and not self.done
            and (self.form_id is None or a.get("id") == self.form_id)
        ):
            self.inside = True
        if not self.inside or tag != "input":
            return
        if a.get("type") == "hidden":
            self.hidden.append((a["name"], a.get("value", "")))
        elif a.get("type") in ("radio", "checkbox"):
            self.options.setdefault(a["name"], []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def _form(html: bytes, form_id: str | None = None) -> _Form:
    parser = _Form(form_id)
    parser.feed(html.decode())
    return parser


def _post(client: Client, election_id: int, fields: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/elections/{election_id}/vote/",
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )


def _ballot_page(client: Client, election_id: int, code: str) -> _Form:
    answer = _post(client, election_id, [("step", "code"), ("code", code)])
    assert answer.status_code == 200
    return _form(answer.content, "ballot-form")


def _cast_form(client: Client, election_id: int, code: str, marks: list[tuple[str, str]]) -> list:
    """The cast request's fields for these marks, as the review page's form would post them."""
    ballot = _ballot_page(client, election_id, code)
    review = _post(client, election_id, ballot.hidden + marks)
    assert review.status_code == 200, review.content[:500]
    return _form(review.content).hidden


def _recall(world):  # type: ignore[no-untyped-def]
    officer = world.officers[0]
    election = actions.do_create_election(
        officer,
        organisation=world.org,
        unit=world.unit,
        body=world.assembly,
        title="Recall",
        kind="recall",
        method="yesno",
    )
    actions.do_open_nominations(officer, election)
    opened = actions.do_open_election(officer, election)
    return election, list(opened.printed_codes.values())


def test_a_yes_a_no_and_an_abstention_weigh_the_same_at_review_and_at_cast():
    world = build_world(6, slug="padded")
    election, codes = _recall(world)
    client = Client()
    ballot = _ballot_page(client, election.pk, codes[0])
    values = ballot.options["vote"]
    assert [v.strip() for v in values] == ["yes", "no", "abstain"]
    reviews = {len(urlencode(ballot.hidden + [("vote", v)])) for v in values}
    assert len(reviews) == 1
    casts = [_cast_form(client, election.pk, codes[0], [("vote", v)]) for v in values]
    assert len({len(urlencode(fields)) for fields in casts}) == 1
    assert all(
        name != secrecy.PAD_FIELD or value.strip("x") == "" for f in casts for name, value in f
    )
    # Without the pad, the three casts are told apart by their length: the measurement can fail.
    unpadded = {len(urlencode([f for f in fields if f[0] != "pad"])) for fields in casts}
    assert len(unpadded) == 3
    # And the padded request casts: the receipt page.
    answer = _post(client, election.pk, casts[2])
    assert answer.status_code == 200
    assert Participation.objects.filter(election=election).count() == 1


@pytest.mark.parametrize("method", ["plurality", "approval"])
def test_every_ballot_of_a_candidate_vote_weighs_the_same_at_cast(method):
    world = build_world(8, slug=f"padded-{method}")
    rules = {"max_choices": 2} if method == "approval" else None
    election, codes = open_election(world, method=method, candidates=3, rules=rules)
    keys = actions.candidate_keys(election)
    name = "choice" if method == "plurality" else "approve"
    ballots = [[], [keys[0]], [keys[2]]] + ([[keys[0], keys[1]]] if method == "approval" else [])
    code = next(iter(codes.values()))
    client = Client()
    lengths = {
        len(urlencode(_cast_form(client, election.pk, code, [(name, k) for k in marks])))
        for marks in ballots
    }
    assert len(lengths) == 1, lengths


def test_the_widest_ballot_bounds_every_ballot():
    keys = ["a" * 16, "b" * 16, "c" * 16]
    width = secrecy.widest_ballot("approval", keys, {"max_choices": 2})
    assert width == secrecy.form_length('{"approve":["' + "a" * 16 + '","' + "b" * 16 + '"]}')
    assert secrecy.cast_padding('{"approve":[]}', width) == "x" * (
        width - secrecy.form_length('{"approve":[]}')
    )
    assert secrecy.widest_ballot("yesno", [], {}) == secrecy.form_length('{"vote":"abstain"}')
