"""Issue 17: results people can read: rounds with names, changes, exhausted ballots, a bar chart
per round with a text alternative; and "check my tracking code" for both kinds of code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "elections"))
from elections_builders import build_world, open_election  # noqa: E402

from asamblea.elections.models import Election, TrackingCode  # noqa: E402
from asamblea.web import results  # noqa: E402

pytestmark = pytest.mark.django_db

IRV = {
    "method": "irv",
    "seats": 1,
    "places": 0,
    "winners": ["a"],
    "alternates": ["b", "c"],
    "voters": 10,
    "blank": 1,
    "rounds": [
        {
            "round": 1,
            "tally": {"a": "4", "b": "3", "c": "2"},
            "elected": [],
            "eliminated": ["c"],
            "exhausted": "0",
            "threshold": "5",
            "transfers": [
                {
                    "from": "c",
                    "kind": "exclusion",
                    "value": None,
                    "moved": {"a": "1", "exhausted": "1"},
                }
            ],
        },
        {
            "round": 2,
            "tally": {"a": "5", "b": "3"},
            "elected": ["a"],
            "eliminated": [],
            "exhausted": "1",
            "threshold": "5",
        },
    ],
}


def test_rounds_carry_names_changes_and_exhausted_ballots():
    names = {"a": "Ana Quispe", "b": "Berta Mamani", "c": "Carla Huanca"}
    rounds = results.rounds(IRV, names)
    assert [line.name for line in rounds[0].lines] == ["Ana Quispe", "Berta Mamani", "Carla Huanca"]
    second = {line.name: line for line in rounds[1].lines}
    assert second["Ana Quispe"].change == 1 and second["Ana Quispe"].status == "elected"
    assert rounds[1].exhausted_change == 1
    assert rounds[0].transfers[0]["from"] == "Carla Huanca"
    # Bars are drawn to one scale across rounds; the threshold is a line at its place.
    assert rounds[1].chart["bars"][0]["width"] == rounds[1].chart["threshold_x"] == 300


def test_the_election_page_shows_rounds_by_name_with_a_chart_and_no_opaque_keys(client):
    world = build_world(6)
    election, _codes = open_election(world, method="irv", candidates=3, plaintext=True)
    keys = [c.key for c in election.candidates.order_by("position")]
    result = {**IRV, "winners": [keys[0]], "alternates": keys[1:]}
    for rnd in result["rounds"]:
        rnd["tally"] = {keys["abc".index(k)]: v for k, v in rnd["tally"].items()}
        rnd["elected"] = [keys["abc".index(k)] for k in rnd["elected"]]
        rnd["eliminated"] = [keys["abc".index(k)] for k in rnd["eliminated"]]
        for t in rnd.get("transfers", []):
            t["from"] = keys["abc".index(t["from"])]
            t["moved"] = {
                (keys["abc".index(k)] if k != "exhausted" else k): v for k, v in t["moved"].items()
            }
    Election.objects.filter(pk=election.pk).update(state=Election.State.COUNTED, result=result)
    html = client.get(f"/elections/{election.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    names = [c.member.display_name for c in election.candidates.order_by("position")]
    assert "Ronda 1" in html and "Ronda 2" in html and "Papeletas agotadas" in html
    assert html.count('<svg viewBox="0 0 320') == 2 and 'role="img"' in html
    assert f'<title id="chart-2">Ronda 2: {names[0]} 5; {names[1]} 3</title>' in html
    visible = html.split("<details>")[0]  # the JSON as on the record is behind a summary
    assert all(key not in visible for key in keys)
    assert "+1" in visible


def test_check_my_code_finds_a_code_however_it_was_copied(client):
    world = build_world(3)
    election, _codes = open_election(world, plaintext=True)
    sealed = "Ab-d_fGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
    TrackingCode.objects.create(election=election, code="AJ6HOD5BPY3D")
    TrackingCode.objects.create(election=election, code=sealed)
    url = f"/elections/{election.pk}/code/"
    early = client.get(url, {"code": "AJ6HOD5BPY3D"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "se publican al cerrar" in early and "Encontrado" not in early
    Election.objects.filter(pk=election.pk).update(state=Election.State.CLOSED)
    for typed in ("aj6h-od5b-py3d", "AJ6H OD5B PY3D", " aj6hod5bpy3d"):
        page = client.get(url, {"code": typed}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert "Encontrado." in page and "AJ6H OD5B PY3D" in page, typed
    printed = " ".join(sealed[i : i + 4] for i in range(0, 43, 4))
    for typed in (printed, printed.replace(" ", "-"), sealed.lower()):
        page = client.get(url, {"code": typed}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert "Encontrado." in page, typed
    missing = client.get(url, {"code": "AAAA-BBBB-CCCC"}, HTTP_ACCEPT_LANGUAGE="es")
    assert missing.status_code == 200 and "No encontrado." in missing.content.decode()
    wrong = client.get(url, {"code": "hello"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "no es un código de seguimiento" in wrong.lower()
