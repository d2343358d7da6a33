"""Members sign in with a one-time code from the outbox; the login page never tells who exists."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.db import connection
from django.urls import reverse

from asamblea.core.models import AuditEntry, OutboxMessage
from asamblea.registry.models import Member
from asamblea.web.auth import MAX_CODES_PER_HOUR
from asamblea.web.models import SignInCode
from fixtures.sample import build_sample

pytestmark = pytest.mark.django_db

MIN_SECONDS = 0.25


@pytest.fixture(autouse=True)
def _fast_padding(settings):
    settings.ASAMBLEA_SIGN_IN_MIN_SECONDS = MIN_SECONDS


@pytest.fixture
def member():
    sample = build_sample(regions=("Puno",), units_per_region=1, seats_per_unit=1)
    return Member.objects.get(organisation=sample.org, member_ref="ar-puno-puno-1-1")


def _ask(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("web:login"), {"email": email})


def _pending(client, email):
    """A client in another browser whose session is waiting for a code for ``email``."""
    session = client.session
    session["asamblea_sign_in"] = {"email": email, "failures": 0}
    session.save()
    return client


def _code_from(mail) -> str:
    match = re.search(r"\b(\d{8})\b", mail.body)
    assert match, mail.body
    return match.group(1)


def test_a_member_gets_a_code_by_email_and_the_secret_message_is_deleted_once_sent(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    response = _ask(client, member.email, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("web:login_code")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [member.email]
    code = _code_from(mailoutbox[0])
    assert code in mailoutbox[0].subject
    # Secret outbox messages do not outlive their delivery.
    assert OutboxMessage.objects.count() == 0


def test_the_code_is_stored_only_as_a_keyed_hash(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(client, member.email, django_capture_on_commit_callbacks)
    code = _code_from(mailoutbox[0])
    row = SignInCode.objects.get(member=member)
    assert code not in row.code_hash and len(row.code_hash) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM web_signincode")
        assert all(code not in value for (value,) in cursor.fetchall())
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)


def test_the_code_signs_the_member_in_once(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(client, member.email, django_capture_on_commit_callbacks)
    code = _code_from(mailoutbox[0])
    response = client.post(reverse("web:login_code"), {"code": f"{code[:4]} {code[4:]}"})
    assert response.status_code == 302 and response["Location"] == reverse("web:me")
    page = client.get(reverse("web:me")).content.decode()
    assert member.display_name in page
    member.refresh_from_db()
    assert member.user is not None and member.user.username == f"member-{member.public_id}"
    assert not member.user.has_usable_password()
    assert AuditEntry.objects.filter(action="member_signed_in", target_id=str(member.pk)).exists()
    # Used once: the same code does not work again.
    fresh = _pending(type(client)(), member.email)
    again = fresh.post(reverse("web:login_code"), {"code": code})
    assert again.status_code == 200 and "incorrecto" in again.content.decode()
    assert "_auth_user_id" not in fresh.session


def test_unknown_and_known_addresses_get_the_same_answer(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    known = _ask(client, member.email, django_capture_on_commit_callbacks)
    known_page = client.get(reverse("web:login_code")).content.decode()
    other = type(client)()
    unknown = _ask(other, "nobody@example.org", django_capture_on_commit_callbacks)
    unknown_page = other.get(reverse("web:login_code")).content.decode()
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])

    def scrub(html: str, email: str) -> str:
        html = html.replace(email, "EMAIL")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)

    assert scrub(known_page, member.email) == scrub(unknown_page, "nobody@example.org")
    assert len(mailoutbox) == 1


def test_asking_for_a_code_takes_the_same_minimum_time_for_any_address(
    client, member, django_capture_on_commit_callbacks
):
    for email in (member.email, "nobody@example.org", member.email.upper()):
        started = time.monotonic()
        _ask(type(client)(), email, django_capture_on_commit_callbacks)
        assert time.monotonic() - started >= MIN_SECONDS


def test_an_expired_code_is_refused(client, member, mailoutbox, django_capture_on_commit_callbacks):
    _ask(client, member.email, django_capture_on_commit_callbacks)
    code = _code_from(mailoutbox[0])
    row = SignInCode.objects.get(member=member)
    SignInCode.objects.filter(pk=row.pk).update(
        created_at=row.created_at - dt.timedelta(minutes=11),
        expires_at=row.expires_at - dt.timedelta(minutes=11),
    )
    response = client.post(reverse("web:login_code"), {"code": code})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_after_five_wrong_codes_even_the_right_one_is_refused(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(client, member.email, django_capture_on_commit_callbacks)
    code = _code_from(mailoutbox[0])
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(SignInCode.MAX_ATTEMPTS):
        client.post(reverse("web:login_code"), {"code": wrong})
    assert SignInCode.objects.get(member=member).attempts == SignInCode.MAX_ATTEMPTS
    page = client.post(reverse("web:login_code"), {"code": code}).content.decode()
    assert "Demasiados códigos incorrectos" in page
    assert "_auth_user_id" not in client.session
    # A fresh session does not reset the code's own limit.
    fresh = _pending(type(client)(), member.email)
    fresh.post(reverse("web:login_code"), {"code": code})
    assert "_auth_user_id" not in fresh.session


def test_an_unknown_address_runs_out_of_tries_exactly_like_a_known_one(
    client, member, django_capture_on_commit_callbacks
):
    _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    pages = [
        client.post(reverse("web:login_code"), {"code": "12345678"}).content.decode()
        for _ in range(SignInCode.MAX_ATTEMPTS)
    ]
    assert "Demasiados códigos incorrectos" not in pages[-2]
    assert "Demasiados códigos incorrectos" in pages[-1]


def test_a_new_request_does_not_cancel_an_unexpired_code(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    # Issue 16: anyone can ask for a code for a member's address; that must not kill the code
    # the member is about to type.
    _ask(client, member.email, django_capture_on_commit_callbacks)
    _ask(client, member.email, django_capture_on_commit_callbacks)
    first = _code_from(mailoutbox[0])
    client.post(reverse("web:login_code"), {"code": first})
    assert "_auth_user_id" in client.session


def test_requests_beyond_the_hourly_limit_send_nothing_but_look_the_same(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    responses = [
        _ask(client, member.email, django_capture_on_commit_callbacks)
        for _ in range(MAX_CODES_PER_HOUR + 2)
    ]
    assert len(mailoutbox) == MAX_CODES_PER_HOUR
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, reverse("web:login_code"))}


def test_code_page_without_a_pending_request_goes_back_to_the_login_page(client):
    response = client.get(reverse("web:login_code"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")


def test_sign_out_needs_a_post(client, member, django_user_model):
    user = django_user_model.objects.create_user("member-z")
    Member.objects.filter(pk=member.pk).update(user=user)
    client.force_login(user)
    assert client.get(reverse("web:logout")).status_code == 200
    assert "_auth_user_id" in client.session
    client.post(reverse("web:logout"))
    assert "_auth_user_id" not in client.session


def test_codes_older_than_an_hour_are_deleted_when_a_new_one_is_sent(
    client, member, django_capture_on_commit_callbacks
):
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    old = SignInCode.objects.create(
        member=member, code_hash="0" * 64, created_at=long_ago, expires_at=long_ago
    )
    _ask(client, member.email, django_capture_on_commit_callbacks)
    assert not SignInCode.objects.filter(pk=old.pk).exists()
    assert SignInCode.objects.filter(member=member).count() == 1


def test_neither_the_audit_log_nor_the_outbox_keeps_the_code(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(client, member.email, django_capture_on_commit_callbacks)
    code = _code_from(mailoutbox[0])
    assert all(code not in str(entry.detail) for entry in AuditEntry.objects.all())
    assert not OutboxMessage.objects.filter(body__contains=code).exists()
