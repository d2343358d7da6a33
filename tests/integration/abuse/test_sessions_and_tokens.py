"""Issue 16: officers' 14-day sessions with no idle timeout; API tokens that never expired and
could do everything their user could; 429s without ``Retry-After``."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from asamblea.core.clock import now
from asamblea.core.credentials import hash_token
from asamblea.core.middleware import OFFICER_SEEN, OFFICER_SINCE
from asamblea.registry.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "cerro-rico-1545-potosi"


@pytest.fixture
def officer_client(django_user_model):
    user = django_user_model.objects.create_user("electoral1", password=PASSWORD, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    client = Client()
    r = client.post(
        reverse("web:officer_login"),
        {"username": "electoral1", "password": PASSWORD, "token": code},
    )
    assert r.status_code == 302
    return client


def _age(client, **seconds_ago):  # type: ignore[no-untyped-def]
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_an_officers_session_ends_after_30_minutes_idle(officer_client):
    assert officer_client.session.get_expiry_age() <= 30 * 60
    _age(officer_client, **{OFFICER_SEEN: 31 * 60})
    officer_client.get("/")
    assert "_auth_user_id" not in officer_client.session


def test_an_active_officers_session_ends_after_12_hours(officer_client):
    _age(officer_client, **{OFFICER_SINCE: 12 * 3600 + 60, OFFICER_SEEN: 60})
    officer_client.get("/")
    assert "_auth_user_id" not in officer_client.session


def test_an_active_officer_within_limits_stays_signed_in(officer_client):
    _age(officer_client, **{OFFICER_SINCE: 3600, OFFICER_SEEN: 20 * 60})
    officer_client.get("/")
    assert "_auth_user_id" in officer_client.session
    assert time.time() - officer_client.session[OFFICER_SEEN] < 60


def test_a_members_session_keeps_the_longer_lifetime(client, django_user_model):
    user = django_user_model.objects.create_user("member-x")
    client.force_login(user)
    client.get("/")
    assert client.session.get_expiry_age() > 24 * 3600


def _token(user, scope: str = "write", expires_in: dt.timedelta = dt.timedelta(days=30)) -> str:
    plain = f"tok-{scope}-{expires_in.total_seconds()}"
    ApiToken.objects.create(
        user=user,
        token_hash=hash_token(plain),
        created_at=now(),
        scope=scope,
        expires_at=now() + expires_in,
    )
    return plain


def _post(client, token: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/elections",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_an_expired_api_token_answers_401(client, django_user_model):
    user = django_user_model.objects.create_user("officer-t")
    token = _token(user, expires_in=dt.timedelta(seconds=-1))
    assert _post(client, token).status_code == 401


def test_a_read_scoped_token_may_not_write(client, django_user_model):
    user = django_user_model.objects.create_user("officer-r")
    r = _post(client, _token(user, scope="read"))
    assert r.status_code == 403 and "scope" in r.json()["detail"]
    assert (
        client.get(
            "/api/elections",
            HTTP_AUTHORIZATION=f"Bearer {_token(user, scope='read', expires_in=dt.timedelta(days=2))}",
        ).status_code
        == 200
    )


def test_a_write_scoped_token_passes_to_the_operation(client, django_user_model):
    user = django_user_model.objects.create_user("officer-w")
    assert _post(client, _token(user)).status_code not in (401, 403)


def test_new_tokens_expire_after_30_days_by_default(django_user_model):
    from asamblea.core.action import Operator
    from asamblea.registry.actions.tokens import check_create_api_token

    user = django_user_model.objects.create_user("first")
    _plain, row = check_create_api_token(Operator.current(), user)
    assert row.scope == "write"
    assert dt.timedelta(days=29) < row.expires_at - now() <= dt.timedelta(days=30)


def test_every_429_carries_retry_after():
    from django.http import HttpResponse

    from asamblea.core.middleware import HeadersMiddleware

    response = HeadersMiddleware(lambda request: HttpResponse(status=429))(None)  # type: ignore[arg-type]
    assert int(response["Retry-After"]) >= 1


def test_serve_without_production_leaves_debug_off_unless_asked(monkeypatch):
    import argparse

    from asamblea.commands import serve

    seen: dict[str, str] = {}

    class Stop(Exception):
        pass

    def fake_popen(cmd, env):  # type: ignore[no-untyped-def]
        seen.update(env)
        raise Stop

    monkeypatch.delenv("ASAMBLEA_DEBUG", raising=False)
    monkeypatch.setattr(serve.subprocess, "Popen", fake_popen)
    parser = argparse.ArgumentParser()
    serve.configure(parser)
    with pytest.raises(Stop):
        serve.run(parser.parse_args([]))
    assert seen.get("ASAMBLEA_DEBUG", "0") != "1"
