"""A fresh organisation for console tests, set up as on a new installation: the platform operator
creates it and grants its first two officers (the "no one alone" bootstrap); everything else is
done by those officers on the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.registry import actions as registry
from asamblea.registry.models import Body, Organisation

PASSWORD = "sindicato-1921-huancayo"


@dataclass
class Fresh:
    org: Organisation
    units: list[Body]
    assembly: Body
    first: Any  # registrar and election officer
    second: Any  # election officer
    operator: Any


def fresh_code(user: Any) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def code_ahead(user: Any) -> str:
    """A code for the next time step: a device refuses a code it has already accepted, and one
    officer signs in and approves twice within the same 30 seconds in these tests."""
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + 1):06d}"


def sign_in(client: Client, user: Any) -> None:
    """A session as the officers' sign-in leaves it: the user and their verified device."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def fresh_organisation(
    slug: str = "sindicato-sur", units: int = 2, *, trustees_unit: bool = False
) -> Fresh:
    """``trustees_unit`` makes a unit of its own first, sending no one to the congress, for the
    test board's trustees (tests/fixtures/trustees.py puts them in the first unit)."""
    users = get_user_model()
    operator = users.objects.create_superuser(f"{slug}-operadora", password=PASSWORD)
    org = registry.check_create_organisation(operator, slug=slug, name="Sindicato del Sur")
    if trustees_unit:
        registry.do_create_body(
            None, org, code="custodios", name="Custodios", kind=Body.Kind.OTHER_UNIT
        )
    made = [
        registry.do_create_body(
            None, org, code=f"base-{i}", name=f"Base {i}", kind=Body.Kind.WORKPLACE
        )
        for i in range(1, units + 1)
    ]
    assembly = registry.do_create_body(
        None,
        org,
        code="congreso",
        name="Congreso regional",
        kind=Body.Kind.ASSEMBLY,
        seat_rule=Body.SeatRule.LARGEST_REMAINDER,
        house_size=5,
    )
    for unit in made:
        registry.do_link_bodies(None, unit, assembly)
    first = users.objects.create_user(f"{slug}-secretaria", password=PASSWORD)
    second = users.objects.create_user(f"{slug}-vocal", password=PASSWORD)
    for user in (first, second):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    for grantee, role in (
        (first, "registrar"),
        (first, "election_officer"),
        (second, "election_officer"),
    ):
        registry.check_grant_role(operator, grantee, org, role)
    return Fresh(org, made, assembly, first, second, operator)
