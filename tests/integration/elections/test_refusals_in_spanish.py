"""Issue 17: the voting refusals a member meets on the ballot pages are shown in their language
(Spanish here), while the actions, the API and the record keep them in English."""

from __future__ import annotations

import re

import pytest
from elections_builders import build_world, open_election

from asamblea.elections import actions, secrecy
from asamblea.elections.models import Ballot
from asamblea.elections.views import REFUSALS, refusal_in_words
from asamblea.rules import ballots as counting

pytestmark = pytest.mark.django_db
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-PE,es;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_guess_budget():
    secrecy.GUESS_LIMIT.reset()
    yield
    secrecy.GUESS_LIMIT.reset()


def test_an_unknown_candidate_is_refused_in_spanish_and_changes_nothing(client):
    world = build_world(4)
    election, codes = open_election(world)
    page = client.post(
        f"/elections/{election.pk}/vote/",
        {"step": "review", "code": codes[world.members[0].pk], "choice": "not-a-candidate"},
        **SPANISH,
    )
    html = page.content.decode()
    assert page.status_code == 400 and "candidato desconocido" in html
    assert "unknown candidate" not in html
    assert Ballot.objects.count() == 0
    # The action itself still says it in English (the API and the record stay stable).
    with pytest.raises(counting.BallotError, match="unknown candidate"):
        counting.canonical_ballot(
            election.method, {"choice": "x"}, actions.candidate_keys(election), election.rules
        )


def test_a_wrong_voting_code_and_a_used_one_are_refused_in_spanish(client):
    world = build_world(4)
    election, codes = open_election(world)
    url = f"/elections/{election.pk}/vote/"
    wrong = client.post(url, {"step": "code", "code": "AAAA-BBBB-CCCC-DDDD-EEEE"}, **SPANISH)
    assert wrong.status_code == 400
    assert "este código de votación no es válido" in wrong.content.decode()
    code = codes[world.members[1].pk]
    review = client.post(
        url, {"step": "review", "code": code, "choice": world.members[0].public_id}, **SPANISH
    )
    html = review.content.decode()
    ballot = re.search(r'name="ballot" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    key = re.search(r'name="key" value="([^"]*)"', html).group(1)
    cast = client.post(url, {"step": "cast", "code": code, "ballot": ballot, "key": key})
    assert cast.status_code == 200
    # The same code again, with another submission: refused, in Spanish.
    again = client.post(
        url, {"step": "cast", "code": code, "ballot": ballot, "key": key + "x"}, **SPANISH
    )
    assert again.status_code == 409
    assert "este código de votación ya se usó" in again.content.decode()


def test_every_known_refusal_has_its_spanish(settings):
    from django.utils import translation

    with translation.override("es"):
        for detail in REFUSALS:
            assert refusal_in_words(detail) != detail, detail
        assert refusal_in_words("too many choices: at most 3") == "demasiadas marcas: como máximo 3"
        assert refusal_in_words("the sealed ballot is not valid: bad point").startswith("la papel")
        assert refusal_in_words("something new") == "something new"
