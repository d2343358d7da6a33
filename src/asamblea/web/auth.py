"""Signing in: members with a one-time code sent to them, officers with a password and TOTP.

What must never leak: whether an address belongs to a member. The functions here return nothing
that tells, and the views give the same page, the same redirect and (through a minimum response
time) the same timing whether or not a member was found.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from asamblea.core.action import ActionContext, door
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.outbox import queue_email
from asamblea.core.ratelimit import Backoff, Budget
from asamblea.registry.models import Member
from asamblea.web.models import SignInCode

CODE_DIGITS = 8
CODE_LIFETIME = dt.timedelta(minutes=10)
# More requests than this per requesting address per hour are ignored (silently: the page looks
# the same). Counted per address asking, not per member asked for: before issue 16 five requests
# from anyone used up a member's own quota for the hour.
MAX_CODES_PER_HOUR = 5
REQUESTS_PER_ADDRESS = Budget("sign-in-code-requests", limit=MAX_CODES_PER_HOUR, window=3600)
# A member holds at most this many live codes at once; a request past it sends nothing new.
MAX_LIVE_CODES = 5
_CODE_RE = re.compile(rf"^\d{{{CODE_DIGITS}}}$")


def normalise_address(address: str) -> str:
    return address.strip().lower()


def normalise_code(code: str) -> str:
    """People type codes with spaces or dashes; only the digits count."""
    return re.sub(r"[\s-]", "", code or "")


def code_hash(member_id: int, code: str) -> str:
    # Keyed with SECRET_KEY and bound to the member: a leaked table cannot be brute-forced offline
    # without the key, and a hash cannot be moved to another member.
    return salted_hmac(
        "asamblea.web.sign_in_code", f"{member_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _members_at(address: str) -> list[Member]:
    if not address or "@" not in address:
        return []
    return list(Member.objects.filter(email__iexact=address).order_by("pk"))


SIGN_IN_PRIVATE = (
    "signing in: codes are credentials and who signs in when is nobody else's; audited"
)


@door("web.send_sign_in_codes", private=SIGN_IN_PRIVATE)
def do_send_sign_in_codes(ctx: ActionContext, address: str, requester: str = "unknown") -> int:
    """Queue a fresh code to every member whose email is ``address``.

    ``requester`` is the client address asking (core.ratelimit.client_address): the hourly quota
    is spent per requester, so a stranger's requests never use up a member's own. A new code
    never cancels an unexpired one (each works until used or expired), so a stranger asking
    cannot kill the code a member is about to type. Returns how many codes were queued; callers
    must not show it to the person asking.
    """
    address = normalise_address(address)
    at = now()
    members = _members_at(address)
    if REQUESTS_PER_ADDRESS.spend(requester):
        for member in members:
            audit(None, "sign_in_code_refused", member, reason="too many requests from there")
        return 0
    sent = 0
    for member in members:
        # Used and expired codes are kept an hour (for the audit trail of attempts), then removed.
        SignInCode.objects.filter(member=member, created_at__lt=at - dt.timedelta(hours=1)).delete()
        live = SignInCode.objects.filter(
            member=member, used_at__isnull=True, expires_at__gt=at
        ).count()
        if live >= MAX_LIVE_CODES:
            audit(None, "sign_in_code_refused", member, reason="enough live codes")
            continue
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        SignInCode.objects.create(
            member=member,
            code_hash=code_hash(member.pk, code),
            created_at=at,
            expires_at=at + CODE_LIFETIME,
        )
        minutes = int(CODE_LIFETIME.total_seconds() // 60)
        queue_email(
            member.email,
            _("Your Asamblea sign-in code: %(code)s") % {"code": code},
            _(
                "Your sign-in code is %(code)s.\n\nIt works once, for %(minutes)d minutes. "
                "If you did not ask for it, ignore this message."
            )
            % {"code": code, "minutes": minutes},
            is_secret=True,
        )
        audit(None, "sign_in_code_sent", member)
        sent += 1
    return sent


def check_sign_in_code(address: str, code: str) -> Member | None:
    """The member whose live code for ``address`` is ``code``, spending it; else None."""
    return do_spend_sign_in_code(None, address, code)


@door("web.spend_sign_in_code", private=SIGN_IN_PRIVATE)
def do_spend_sign_in_code(ctx: ActionContext, address: str, code: str) -> Member | None:
    """The member whose live code for ``address`` is ``code``, spending it; else None.

    A wrong guess counts against every live code for the address; a code is dead after
    ``SignInCode.MAX_ATTEMPTS`` wrong guesses, after ``CODE_LIFETIME``, or once used.
    """
    address = normalise_address(address)
    code = normalise_code(code)
    at = now()
    # Lock the live codes: two concurrent guesses must not both pass the attempt limit.
    live = list(
        SignInCode.objects.select_for_update()
        .filter(
            member__email__iexact=address,
            used_at__isnull=True,
            expires_at__gt=at,
            attempts__lt=SignInCode.MAX_ATTEMPTS,
        )
        .select_related("member")
        .order_by("pk")
    )
    if not live:
        return None
    if _CODE_RE.match(code):
        for row in live:
            if constant_time_compare(row.code_hash, code_hash(row.member_id, code)):
                SignInCode.objects.filter(pk=row.pk).update(used_at=at)
                audit(None, "member_signed_in", row.member)
                return row.member
    SignInCode.objects.filter(pk__in=[r.pk for r in live]).update(attempts=F("attempts") + 1)
    return None


@door("web.link_member_user", private=SIGN_IN_PRIVATE)
def do_link_member_user(ctx: ActionContext, member: Member) -> Any:
    """The Django user a member signs in as, created on first sign-in (no password: codes only)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.user_id is not None:
        return member.user
    user_model = get_user_model()
    user = user_model.objects.create_user(username=f"member-{member.public_id}", password=None)
    Member.objects.filter(pk=member.pk).update(user=user)
    audit(None, "member_user_created", member, username=user.get_username())
    return user


def minimum_seconds() -> float:
    """Every sign-in request takes at least this long, so timing does not tell who is a member."""
    return float(getattr(settings, "ASAMBLEA_SIGN_IN_MIN_SECONDS", 0.8))


def match_officer_token(user: Any, token: str) -> Any:
    """The confirmed OTP device of ``user`` that accepts ``token``, or None (throttled by django-otp)."""
    from django_otp import match_token

    token = normalise_code(token)
    if not token.isdigit():
        return None
    return match_token(user, token)


# Officers' sign-in: failures per account and per address back off (core.ratelimit.Backoff);
# a browser that already signed in as that officer carries a signed device cookie and is exempt,
# so a stranger failing on purpose cannot lock an officer out.
OFFICER_BACKOFF = Backoff("officer-login", free=5, window=3600, longest=900)
DEVICE_COOKIE = "asamblea_officer_device"
DEVICE_SALT = "asamblea.web.officer_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def device_cookie_value(user: Any) -> str:
    from django.core import signing

    return signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(8)}, salt=DEVICE_SALT)


def is_known_device(cookie: str | None, username: str) -> bool:
    """Whether ``cookie`` was set by a successful sign-in of the officer named ``username``."""
    from django.core import signing

    if not cookie:
        return False
    try:
        data = signing.loads(cookie, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return False
    user_model = get_user_model()
    return user_model.objects.filter(
        pk=data.get("u"), **{f"{user_model.USERNAME_FIELD}__iexact": username}
    ).exists()


def officer_throttle_keys(username: str, address: str) -> list[str]:
    return [f"account:{username.strip().lower()}", f"address:{address}"]
