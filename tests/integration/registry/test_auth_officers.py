"""Officers sign in with a password and a TOTP code; the admin refuses anyone not verified."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.core.models import AuditEntry
from asamblea.core.outbox import queue_email
from asamblea.registry.models import Member, OfficerRole, Roll
from fixtures.sample import build_sample

pytestmark = pytest.mark.django_db

PASSWORD = "cerro-rico-1545-potosi"


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_superuser("registradora", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device


def _token(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def _sign_in(client, username, password, token):
    return client.post(
        reverse("web:officer_login"), {"username": username, "password": password, "token": token}
    )


def test_officer_with_password_and_totp_reaches_the_admin(client, officer):
    user, device = officer
    response = _sign_in(client, user.username, PASSWORD, _token(device))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("what", ["password", "token", "username"])
def test_any_wrong_detail_gets_the_same_refusal(client, officer, what):
    user, device = officer
    details = {"username": user.username, "password": PASSWORD, "token": _token(device)}
    details[what] = {"password": "wrong-password", "token": "000000", "username": "nadie"}[what]
    if what == "token" and details["token"] == _token(device):
        details["token"] = "111111"
    response = _sign_in(client, **details)
    assert response.status_code == 200
    assert (
        "Esos datos no corresponden a un responsable con segundo factor."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_a_password_without_a_confirmed_device_is_not_enough(client, django_user_model):
    user = django_user_model.objects.create_superuser("sin-dispositivo", password=PASSWORD)
    TOTPDevice.objects.create(user=user, name="unconfirmed", confirmed=False)
    response = _sign_in(client, user.username, PASSWORD, "123456")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_admin_refuses_a_staff_user_who_has_not_verified_a_second_factor(client, officer):
    user, _device = officer
    client.force_login(user)  # password-only session
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_admins_own_login_sends_officers_to_the_one_officer_login(client):
    # Issue 16: one login view with one generic answer, so the admin's form is no oracle.
    response = client.get(reverse("admin:login"))
    assert response.status_code in (301, 302)
    assert response["Location"].startswith(reverse("web:officer_login"))


def test_next_is_followed_only_to_this_site(client, officer):
    user, device = officer
    response = client.post(
        reverse("web:officer_login") + "?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD, "token": _token(device)},
    )
    assert response["Location"] == reverse("admin:index")


def _verified(client, officer):
    user, device = officer
    assert _sign_in(client, user.username, PASSWORD, _token(device)).status_code == 302
    return user


def test_editing_a_member_in_the_admin_goes_through_the_action_and_is_audited(client, officer):
    user = _verified(client, officer)
    sample = build_sample(regions=("Puno",), units_per_region=1, seats_per_unit=1)
    # A superuser gets no bypass of the organisation's scope: the office is granted.
    OfficerRole.objects.create(user=user, organisation=sample.org, role=OfficerRole.Role.REGISTRAR)
    member = Member.objects.get(member_ref="ar-puno-puno-1-1")
    url = reverse("admin:registry_member_change", args=[member.pk])
    response = client.post(
        url,
        {
            "display_name": "Nombre Corregido",
            "phone": "+51 900 000 000",
            "email": member.email,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(member.memberships.get().pk),
            "memberships-0-member": str(member.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.display_name == "Nombre Corregido"
    entry = AuditEntry.objects.get(action="member.update", target_id=str(member.pk))
    assert entry.actor == user and entry.detail["fields"] == ["display_name", "phone"]


def test_a_superuser_without_the_office_cannot_edit_a_member_in_the_admin(client, officer):
    _verified(client, officer)
    build_sample(regions=("Puno",), units_per_region=1, seats_per_unit=1)
    member = Member.objects.get(member_ref="ar-puno-puno-1-1")
    url = reverse("admin:registry_member_change", args=[member.pk])
    response = client.post(
        url,
        {
            "display_name": "Nombre Corregido",
            "phone": member.phone,
            "email": member.email,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(member.memberships.get().pk),
            "memberships-0-member": str(member.pk),
        },
    )
    # Outside the superuser's scope the member is hidden, as if missing (ADR 0007).
    assert response.status_code in (302, 403, 404)
    member.refresh_from_db()
    assert member.display_name != "Nombre Corregido"
    assert not AuditEntry.objects.filter(action="member.update").exists()


def test_rolls_are_read_only_in_the_admin_and_their_salt_is_never_shown(client, officer):
    _verified(client, officer)
    sample = build_sample(regions=("Puno",), units_per_region=1, seats_per_unit=1)
    roll = Roll.objects.filter(body__organisation=sample.org).first()
    page = client.get(reverse("admin:registry_roll_change", args=[roll.pk])).content.decode()
    assert roll.salt not in page and roll.commitment in page
    assert 'name="_save"' not in page
    assert client.get(reverse("admin:registry_roll_add")).status_code == 403


def test_secret_outbox_bodies_are_never_shown_in_the_admin(client, officer):
    _verified(client, officer)
    msg = queue_email("a@example.org", "code", "SECRET-CODE-12345678", is_secret=True)
    response = client.get(reverse("admin:core_outboxmessage_change", args=[msg.pk]))
    page = response.content.decode()
    # Nor the address: a member's contact data is for their organisation's registrars (ADR 0010).
    assert response.status_code == 200 and "code" in page
    assert "SECRET-CODE-12345678" not in page and "a@example.org" not in page


def test_granting_an_office_in_the_admin_is_audited(client, officer, django_user_model):
    _verified(client, officer)
    sample = build_sample(regions=("Puno",), units_per_region=1, seats_per_unit=1)
    other = django_user_model.objects.create_user("teller-1")
    response = client.post(
        reverse("admin:registry_officerrole_add"),
        {"user": other.pk, "organisation": sample.org.pk, "role": "teller", "body": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OfficerRole.objects.filter(user=other, role="teller").exists()
    assert AuditEntry.objects.filter(action="officer.grant").exists()


@pytest.mark.parametrize(
    "model", ["organisation", "body", "seat", "mandate", "alternate", "apportionment", "roll"]
)
def test_structure_and_history_cannot_be_added_or_deleted_in_the_admin(client, officer, model):
    _verified(client, officer)
    assert client.get(reverse(f"admin:registry_{model}_add")).status_code == 403
    assert client.get(reverse(f"admin:registry_{model}_changelist")).status_code == 200
