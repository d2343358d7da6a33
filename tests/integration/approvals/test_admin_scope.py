"""The admin is scoped to the registrar's organisation (issue 16: "Admin is global"): a
registrar of one organisation neither sees nor changes another's members, grants no role, and
a change of a member's address is told to the old address and audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from elections_builders import build_world

from asamblea.core.models import AuditEntry, OutboxMessage
from asamblea.registry.models import Member, OfficerRole

pytestmark = pytest.mark.django_db

PERMISSIONS = ("view_member", "change_member", "view_officerrole", "add_officerrole")


def _signed_in(client, user) -> None:  # type: ignore[no-untyped-def]
    """Signed in with a verified second factor, as the officers' login leaves a session."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _registrar(django_user_model, org, name: str):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(name, password="x-pass-1", is_staff=True)
    # Even with Django's model permissions, the organisation's scope decides.
    user.user_permissions.add(*Permission.objects.filter(codename__in=PERMISSIONS))
    OfficerRole.objects.create(user=user, organisation=org, role=OfficerRole.Role.REGISTRAR)
    return user


def _change(client, member: Member, **fields):  # type: ignore[no-untyped-def]
    data = {"display_name": member.display_name, "phone": member.phone, "email": member.email}
    data.update(fields)
    membership = member.memberships.get()
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(membership.pk),
            "memberships-0-member": str(member.pk),
        }
    )
    return client.post(reverse("admin:registry_member_change", args=[member.pk]), data)


def test_a_registrar_of_one_organisation_cannot_see_or_change_anothers_members_in_the_admin(
    client, django_user_model
):
    a, b = build_world(2, slug="a"), build_world(2, slug="b")
    Member.objects.filter(organisation=b.org).update(email="b@example.org", phone="+51 1")
    _signed_in(client, _registrar(django_user_model, a.org, "reg-a"))
    listing = client.get(reverse("admin:registry_member_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert a.members[0].display_name in html
    theirs = Member.objects.filter(organisation=b.org).first()
    page = client.get(reverse("admin:registry_member_change", args=[theirs.pk]))
    assert page.status_code in (302, 404)
    assert "b@example.org" not in page.content.decode()
    _change(client, theirs, email="attacker@example.org")
    theirs.refresh_from_db()
    assert theirs.email == "b@example.org"
    assert not AuditEntry.objects.filter(action="member.update").exists()


def test_a_registrar_grants_no_role_in_the_admin(client, django_user_model):
    a = build_world(2, slug="a")
    registrar = _registrar(django_user_model, a.org, "reg-a")
    _signed_in(client, registrar)
    assert client.get(reverse("admin:registry_officerrole_add")).status_code == 403
    response = client.post(
        reverse("admin:registry_officerrole_add"),
        {"user": registrar.pk, "role": "election_officer", "organisation": a.org.pk},
    )
    assert response.status_code == 403
    assert not OfficerRole.objects.filter(user=registrar, role="election_officer").exists()


def test_the_operator_sees_organisations_and_offices_but_no_member_in_the_admin(
    client, django_user_model
):
    a = build_world(2, slug="a")
    Member.objects.filter(organisation=a.org).update(email="socia@example.org")
    root = django_user_model.objects.create_superuser("root", password="x-pass-1")
    _signed_in(client, root)
    assert client.get(reverse("admin:registry_organisation_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_officerrole_changelist")).status_code == 200
    listing = client.get(reverse("admin:registry_member_changelist")).content.decode()
    assert a.members[0].display_name not in listing and "socia@example.org" not in listing


def test_changing_a_members_email_in_the_admin_tells_the_old_address_and_is_audited(
    client, django_user_model
):
    a = build_world(2, slug="a")
    member = a.members[0]
    Member.objects.filter(pk=member.pk).update(email="old@example.org")
    member.refresh_from_db()
    _signed_in(client, _registrar(django_user_model, a.org, "reg-a"))
    response = _change(client, member, email="new@example.org")
    assert response.status_code == 302, response.content.decode()[:1000]
    member.refresh_from_db()
    assert member.email == "new@example.org"
    notice = OutboxMessage.objects.get(recipient="old@example.org")
    # In the member's language (the site's default, Spanish: issue 17).
    assert "cambiaron" in notice.subject and "no lo pediste" in notice.body
    assert not OutboxMessage.objects.filter(recipient="new@example.org").exists()
    entry = AuditEntry.objects.get(action="member.update", target_id=str(member.pk))
    assert entry.detail["contact_changed"] == ["email"]


def test_the_operator_does_not_see_members_addresses_in_the_outbox_admin(client, django_user_model):
    from asamblea.core.outbox import queue_email

    queue_email("socia@example.org", "Hello", "A notice")
    root = django_user_model.objects.create_superuser("root", password="x-pass-1")
    _signed_in(client, root)
    listing = client.get(reverse("admin:core_outboxmessage_changelist"))
    assert listing.status_code == 200
    assert "socia@example.org" not in listing.content.decode()
    message = OutboxMessage.objects.get()
    page = client.get(reverse("admin:core_outboxmessage_change", args=[message.pk]))
    assert page.status_code == 200 and "socia@example.org" not in page.content.decode()
