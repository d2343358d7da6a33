"""Sign-in codes for members: single use, short-lived, stored only as a keyed hash."""

from __future__ import annotations

from django.db import models


class SignInCode(models.Model):
    """A one-time code sent to a member's contact address.

    The code itself is never stored: only ``code_hash``, an HMAC keyed with the site's secret key
    and bound to the member, so a copy of the database cannot be used to sign in. A code is spent
    when ``used_at`` is set, and refused after ``expires_at`` or ``MAX_ATTEMPTS`` wrong guesses.
    """

    MAX_ATTEMPTS = 5

    member = models.ForeignKey(
        "registry.Member", on_delete=models.CASCADE, related_name="sign_in_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["member", "created_at"])]

    def __str__(self) -> str:
        return f"sign-in code for member {self.member_id}"
