"""Issue 16: officers' and members' sign-in under attack.

Pinned findings: ``/admin/login/`` said "please select a device" when the password was right and
the code wrong; 30 wrong passwords and then the right one succeeded at once; five ``/login/``
requests an hour for a member's address used up that member's quota, and each killed the
member's previous code.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.core.outbox import deliver_pending
from asamblea.registry.models import Member, Organisation

pytestmark = pytest.mark.django_db

PASSWORD = "cerro-rico-1545-potosi"


@pytest.fixture(autouse=True)
def _no_padding(settings):
    settings.ASAMBLEA_SIGN_IN_MIN_SECONDS = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_user("electoral1", password=PASSWORD, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def _sign_in(client, password, token, **extra):
    return client.post(
        reverse("web:officer_login"),
        {"username": "electoral1", "password": password, "token": token},
        **extra,
    )


def test_the_admin_login_no_longer_tells_a_right_password_from_a_wrong_one(officer):
    _user, _device = officer
    client = Client()
    first = client.get(reverse("admin:login"), follow=True)
    assert first.redirect_chain[-1][0].startswith(reverse("web:officer_login"))
    right = client.post(
        reverse("admin:login"),
        {"username": "electoral1", "password": PASSWORD, "otp_token": "", "otp_device": ""},
        follow=True,
    )
    wrong = client.post(
        reverse("admin:login"),
        {"username": "electoral1", "password": "wrong", "otp_token": "", "otp_device": ""},
        follow=True,
    )
    assert right.status_code == wrong.status_code
    assert "select a device" not in right.content.decode().lower()
    assert "otp_device" not in right.content.decode()
    a = _sign_in(Client(), PASSWORD, "000000").content.decode()
    b = _sign_in(Client(), "wrong-password", "000000").content.decode()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", a) == strip.sub("", b)


def test_30_wrong_passwords_slow_a_new_browser_but_not_the_officers_known_browser(officer):
    _user, device = officer
    known = Client(REMOTE_ADDR="10.1.1.1")
    assert _sign_in(known, PASSWORD, _code(device)).status_code == 302
    # Signed out (Client.logout would also drop the device cookie, which a browser keeps).
    cookie = known.cookies["asamblea_officer_device"].value
    known = Client(REMOTE_ADDR="10.1.1.1")
    known.cookies["asamblea_officer_device"] = cookie
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(30):
        _sign_in(attacker, "wrong-password", "123456")
    new_browser = Client(REMOTE_ADDR="10.1.1.1")
    slowed = _sign_in(new_browser, PASSWORD, _code(device))
    assert slowed.status_code == 429 and int(slowed["Retry-After"]) >= 1
    assert "_auth_user_id" not in new_browser.session
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    again = _sign_in(known, PASSWORD, _code(device))
    assert again.status_code == 302 and "_auth_user_id" in known.session


def test_a_forged_device_cookie_does_not_exempt_a_browser(officer):
    _user, device = officer
    attacker = Client()
    for _ in range(30):
        _sign_in(attacker, "wrong-password", "123456")
    attacker.cookies["asamblea_officer_device"] = "forged:value"
    assert _sign_in(attacker, PASSWORD, _code(device)).status_code == 429


def _member(email: str = "ana@example.org") -> Member:
    from asamblea.core.clock import now

    org = Organisation.objects.create(slug="fed", name="Fed", created_at=now())
    return Member.objects.create(
        organisation=org, member_ref="m1", display_name="Ana", email=email, created_at=now()
    )


def _codes_sent() -> list[str]:
    deliver_pending()
    return [re.search(r"\b(\d{8})\b", m.body).group(1) for m in mail.outbox]


def test_a_members_own_sign_in_works_after_an_attacker_spent_five_requests_on_their_address():
    _member()
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(5):
        attacker.post(reverse("web:login"), {"email": "ana@example.org"})
    member = Client(REMOTE_ADDR="10.2.2.2")
    assert member.post(reverse("web:login"), {"email": "ana@example.org"}).status_code == 302
    codes = _codes_sent()
    assert codes
    page = member.post(reverse("web:login_code"), {"code": codes[-1]})
    assert page.status_code == 302 and page["Location"] == reverse("web:me")


def test_a_new_sign_in_request_never_cancels_an_unexpired_code():
    _member()
    member = Client()
    member.post(reverse("web:login"), {"email": "ana@example.org"})
    first = _codes_sent()[0]
    Client(REMOTE_ADDR="203.0.113.66").post(reverse("web:login"), {"email": "ana@example.org"})
    page = member.post(reverse("web:login_code"), {"code": first})
    assert page.status_code == 302 and page["Location"] == reverse("web:me")


def test_sign_in_requests_are_limited_per_requesting_address():
    _member()
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(8):
        attacker.post(reverse("web:login"), {"email": "ana@example.org"})
    deliver_pending()
    # Five requests an hour from one address, whoever they ask for.
    assert len(mail.outbox) == 5
    Client(REMOTE_ADDR="10.2.2.2").post(reverse("web:login"), {"email": "ana@example.org"})
    deliver_pending()
    # A member holds at most five live codes, so the sixth is not sent; the five still work.
    assert len(mail.outbox) == 5
