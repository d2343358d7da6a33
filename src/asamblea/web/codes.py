"""Tracking codes as people print, copy and search them: one normal form for both kinds.

Two kinds of code exist: 12 characters of base32 (A-Z, 2-7) for a plaintext ballot, and the
43-character base64url SHA-256 of a sealed ballot (A-Z, a-z, 0-9, ``-`` and ``_``). Printed, both
are groups of four separated by spaces (a dash is part of the base64url alphabet, so it never
separates groups). Searched, what a member typed is forgiven its spaces, its grouping dashes, the
case of a base32 code and its look-alike digits; a sealed ballot's hash is first looked up exactly,
then without regard to case (two of the election's hashes differing only in case are as likely as
a collision of SHA-256 truncated to 225 bits).
"""

from __future__ import annotations

import re

BASE32_LEN = 12
HASH_LEN = 43
_BASE32 = re.compile(r"^[A-Z2-7]{12}$")
_HASH = re.compile(r"^[A-Za-z0-9_-]{43}$")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})
# A base32 code printed with dashes between its groups (the older receipts: "AJ6H-OD5B-PY3D").
_DASHED_BASE32 = re.compile(r"^[A-Za-z2-7]{4}(?:-[A-Za-z2-7]{4})+$")


def display_code(code: str) -> str:
    """The printed form: groups of four separated by spaces (``AJ6H OD5B PY3D``)."""
    code = re.sub(r"\s+", "", code or "")
    if _DASHED_BASE32.match(code):
        code = code.replace("-", "")
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def search_forms(text: str) -> list[str]:
    """The codes ``text`` may be, most likely first; empty when it can be no tracking code."""
    squeezed = re.sub(r"[\s.]+", "", text or "")
    forms: list[str] = []
    if _HASH.match(squeezed):
        forms.append(squeezed)
    # Groups of four joined by dashes (copied from a receipt that used them): every fifth
    # character is then a separator, even where the hash itself has a dash.
    if re.fullmatch(r"(?:[A-Za-z0-9_-]{4}-)+[A-Za-z0-9_-]{1,4}", squeezed):
        grouped = "".join(squeezed[i : i + 4] for i in range(0, len(squeezed), 5))
        if _HASH.match(grouped) and grouped not in forms:
            forms.append(grouped)
    base32 = re.sub(r"[-_]", "", squeezed).upper().translate(_LOOKALIKES)
    if _BASE32.match(base32) and base32 not in forms:
        forms.append(base32)
    return forms


def is_hash(code: str) -> bool:
    return len(code) == HASH_LEN
