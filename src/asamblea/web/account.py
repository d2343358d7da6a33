"""Sign-in pages: members with a one-time code, officers with a password and a TOTP code."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from asamblea.core.middleware import OFFICER_SEEN, OFFICER_SINCE
from asamblea.core.ratelimit import client_address
from asamblea.web import auth as signin
from asamblea.web.models import SignInCode

SESSION_KEY = "asamblea_sign_in"


class AddressForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class OfficerForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _pad(started: float) -> None:
    """Sleep so the request takes at least the configured minimum: timing must not tell."""
    remaining = signin.minimum_seconds() - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@sensitive_post_parameters("email")
def login(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        started = time.monotonic()
        address = signin.normalise_address(form.cleaned_data["email"])
        signin.do_send_sign_in_codes(None, address, requester=client_address(request))
        request.session[SESSION_KEY] = {"email": address, "failures": 0}
        _pad(started)
        # Same redirect whether or not a member has this address.
        return redirect("web:login_code")
    return render(request, "web/login.html", {"form": form})


@never_cache
@sensitive_post_parameters("code")
def login_code(request: HttpRequest) -> HttpResponse:
    state = request.session.get(SESSION_KEY)
    if not state:
        return redirect("web:login")
    form = CodeForm(request.POST or None)
    error = None
    # Counted in the session as well as on the codes, so an unknown address runs out of tries
    # exactly like a known one.
    exhausted = state.get("failures", 0) >= SignInCode.MAX_ATTEMPTS
    if request.method == "POST" and not exhausted and form.is_valid():
        started = time.monotonic()
        member = signin.check_sign_in_code(state["email"], form.cleaned_data["code"])
        if member is not None:
            user = signin.do_link_member_user(None, member)
            del request.session[SESSION_KEY]
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("web:me")
        state["failures"] = state.get("failures", 0) + 1
        request.session[SESSION_KEY] = state
        exhausted = state["failures"] >= SignInCode.MAX_ATTEMPTS
        error = _("That code is wrong, used or expired.")
        _pad(started)
    return render(
        request,
        "web/login_code.html",
        {"form": form, "error": error, "exhausted": exhausted, "email": state["email"]},
        status=200,
    )


@never_cache
@sensitive_post_parameters("password", "token")
def officer_login(request: HttpRequest) -> HttpResponse:
    """The one sign-in of officers and of the admin (``/admin/login/`` comes here).

    One answer for a wrong name, password or code. Failures back off per account and per
    address; a browser that already signed in as this officer (its device cookie) is exempt.
    """
    from django_otp import login as otp_login

    form = OfficerForm(request.POST or None)
    error: Any = None
    status = 200
    wait = 0
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        keys = signin.officer_throttle_keys(username, client_address(request))
        known = signin.is_known_device(request.COOKIES.get(signin.DEVICE_COOKIE), username)
        wait = 0 if known else signin.OFFICER_BACKOFF.wait_seconds(keys)
        if wait:
            # Nothing is checked while waiting, so the answer says nothing about the password.
            error = _("Too many attempts. Please wait %(s)s seconds and try again.") % {"s": wait}
            status = 429
        else:
            user = auth.authenticate(
                request, username=username, password=form.cleaned_data["password"]
            )
            device = signin.match_officer_token(user, form.cleaned_data["token"]) if user else None
            if user is not None and device is not None:
                auth.login(request, user)
                otp_login(request, device)
                at = time.time()
                request.session[OFFICER_SINCE] = at
                request.session[OFFICER_SEEN] = at
                request.session.set_expiry(settings.ASAMBLEA_OFFICER_IDLE_SECONDS)
                # Officers land on their console; the platform operator, who holds no office,
                # on the admin.
                default = (
                    reverse("admin:index") if user.is_superuser else reverse("console:dashboard")
                )
                signed_in: HttpResponse = redirect(_safe_next(request, default))
                signed_in.set_cookie(
                    signin.DEVICE_COOKIE,
                    signin.device_cookie_value(user),
                    max_age=signin.DEVICE_MAX_AGE,
                    httponly=True,
                    secure=request.is_secure(),
                    samesite="Strict",
                )
                return signed_in
            signin.OFFICER_BACKOFF.fail(keys)
            # One message for a wrong name, password or code: which one failed is not said.
            error = _("Those details do not match an officer with a second factor.")
    response = render(
        request,
        "web/officer_login.html",
        {"form": form, "error": error, "next": _safe_next(request, "")},
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


@never_cache
def logout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        auth.logout(request)
        return redirect("web:home")
    return render(request, "web/logout.html", {})
