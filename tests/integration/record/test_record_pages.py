"""The record's public pages and the export served over HTTP."""

from __future__ import annotations

import base64
import json
import re

import pytest
from record_helpers import make_organisation

from asamblea.record import merkle
from asamblea.record.checkpoint import Checkpoint as CheckpointBody
from asamblea.recordstore import actions
from asamblea.recordstore.models import RecordEntry

pytestmark = pytest.mark.django_db


def test_the_record_lists_entries_newest_first_with_links(client, organisation):
    org, _ = organisation
    page = client.get("/record/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("/record/federacion/5/") < html.index("/record/federacion/0/")


def test_the_record_can_be_filtered_by_body_type_and_date(client, organisation):
    org, bodies = organisation
    html = client.get("/record/?org=federacion&body=unidad-1").content.decode()
    assert "/record/federacion/3/" in html and "/record/federacion/2/" not in html
    html = client.get("/record/?org=federacion&type=organisation_created").content.decode()
    assert "/record/federacion/0/" in html and "/record/federacion/1/" not in html
    html = client.get("/record/?org=federacion&to=2000-01-01").content.decode()
    assert "/record/federacion/0/" not in html


def test_the_record_is_paginated(client, organisation):
    org, _ = organisation
    from django.db import transaction

    from asamblea.recordstore.append import append

    for i in range(55):
        with transaction.atomic():
            append(org, "organisation_settings_changed", 1, {"settings": {"i": i}})
    first = client.get("/record/?org=federacion").content.decode()
    second = client.get("/record/?org=federacion&page=2").content.decode()
    assert "/record/federacion/60/" in first and "/record/federacion/0/" not in first
    assert "/record/federacion/0/" in second and "page=1" in second


def test_an_entry_page_shows_its_canonical_bytes_and_a_proof_that_verifies(client, organisation):
    org, _ = organisation
    cp = actions.do_sign_checkpoint(org)
    entry = RecordEntry.objects.get(organisation=org, index=2)
    page = client.get("/record/federacion/2/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "asamblea verify" in html
    assert entry.canonical.replace('"', "&quot;") in html
    listed = html.split('<ol class="proof">')[1].split("</ol>")[0]
    proof = [base64.b64decode(h) for h in re.findall(r"<code>([A-Za-z0-9+/=]+)</code>", listed)]
    assert len(proof) == 3
    assert merkle.verify_inclusion(
        bytes.fromhex(entry.leaf_hash), 2, cp.size, proof, bytes.fromhex(cp.root_hash)
    )


def test_an_entry_not_yet_checkpointed_says_so(client, organisation):
    assert "Not yet covered" in client.get("/record/federacion/1/").content.decode() or (
        "todavía" in client.get("/record/federacion/1/").content.decode()
    )


def test_missing_entries_and_organisations_are_404(client, organisation):
    assert client.get("/record/federacion/99/").status_code == 404
    assert client.get("/record/nadie/0/").status_code == 404
    assert client.get("/record/?org=nadie").status_code == 404


def test_the_checkpoint_is_served_as_a_signed_note(client, organisation):
    org, _ = organisation
    cp = actions.do_sign_checkpoint(org)
    response = client.get("/record/checkpoint")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text == cp.note
    assert CheckpointBody.parse(text.split("\n\n")[0] + "\n").size == 6


def test_with_several_organisations_the_checkpoint_needs_org(client, organisation):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    other, _ = make_organisation(slug="otra", n_bodies=1)
    actions.do_sign_checkpoint(other)
    assert client.get("/record/checkpoint").status_code == 404
    note = client.get("/record/checkpoint?org=otra").content.decode()
    assert note.startswith("localhost/record/otra\n3\n")


def test_the_export_files_are_served_for_verification(client, organisation):
    org, _ = organisation
    actions.do_sign_checkpoint(org)
    lines = b"".join(client.get("/record/export/federacion/entries.jsonl").streaming_content)
    assert [json.loads(x)["index"] for x in lines.splitlines()] == list(range(6))
    assert client.get("/record/export/checkpoints/index.txt").content == b"6\n"
    assert (
        client.get("/record/export/federacion/checkpoints/6")
        .content.decode()
        .startswith("localhost/record/federacion\n6\n")
    )
    assert (
        client.get("/record/export/key.pub")
        .content.decode()
        .startswith("localhost/record/federacion+")
    )
    assert client.get("/record/export/federacion/checkpoints/7").status_code == 404
    assert client.get("/record/export/federacion/secret_key").status_code == 404
