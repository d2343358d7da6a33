"""Rotating the record's key is two people: the platform operator proposes, a registrar of the
organisation approves with a fresh code (docs/adr/0010-approvals.md)."""

from __future__ import annotations

import pytest
from approval_helpers import fresh_code
from elections_builders import build_world

from asamblea.cli import main
from asamblea.core import approvals
from asamblea.core.action import Operator
from asamblea.core.models import Approval, AuditEntry
from asamblea.core.permissions import Forbidden
from asamblea.recordstore import actions as record_actions
from asamblea.recordstore.models import SigningKey
from asamblea.registry.actions import do_create_api_token
from asamblea.registry.models import OfficerRole

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _signed_out(monkeypatch):  # type: ignore[no-untyped-def]
    for name in ("ASAMBLEA_TOKEN", "ASAMBLEA_TOKEN_FILE", "ASAMBLEA_USER", "ASAMBLEA_TOTP"):
        monkeypatch.delenv(name, raising=False)


def test_the_operator_proposes_a_key_rotation_and_a_registrar_approves_it(
    django_user_model, monkeypatch, capsys
):
    world = build_world(2)
    record_actions.do_generate_key(Operator("test"), world.org)
    root = django_user_model.objects.create_superuser("root", password="x-pass-1")
    registrar = django_user_model.objects.create_user("reg", password="x-pass-1")
    OfficerRole.objects.create(user=registrar, organisation=world.org, role="registrar")
    # Without credentials the verb no longer rotates alone.
    assert main(["key", "rotate", "--organisation", world.org.slug]) == 2
    monkeypatch.setenv("ASAMBLEA_TOKEN", do_create_api_token(None, root)[0])
    assert main(["key", "rotate", "--organisation", world.org.slug]) == 0
    assert SigningKey.objects.count() == 1
    proposal = Approval.objects.get(kind="recordstore.rotate_key")
    # The operator is not the organisation's officer: they cannot approve their own proposal,
    # and an election officer of the organisation is not a registrar.
    with pytest.raises(Forbidden):
        approvals.check_approve(root, proposal.pk, fresh_code=fresh_code(root))
    with pytest.raises(approvals.NotFoundOrForbidden):
        approvals.check_approve(
            world.officers[0], proposal.pk, fresh_code=None, factor_checked=True
        )
    approvals.check_approve(registrar, proposal.pk, fresh_code=fresh_code(registrar))
    assert SigningKey.objects.count() == 2
    assert SigningKey.objects.filter(retired_at__isnull=True).count() == 1
    entry = AuditEntry.objects.get(action="record_key_rotated")
    assert entry.actor == registrar and entry.detail["proposed_by"] == "root"
