"""A user's TOTP device and a fresh code from it; API tokens."""

from __future__ import annotations

from typing import Any

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def fresh_code(user: Any) -> str:
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True
    )
    # A code is single-use (django_otp refuses a replay) and failures throttle the device: start
    # each code afresh.
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_code(user: Any) -> str:
    right = fresh_code(user)
    return f"{(int(right) + 1) % 10 ** len(right):0{len(right)}d}"


def token_for(user: Any) -> str:
    from asamblea.registry import actions

    token, _row = actions.do_create_api_token(None, user, label="test")
    return token
