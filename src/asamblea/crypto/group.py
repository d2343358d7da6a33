"""The ristretto255 group (RFC 9496) through libsodium, and the encodings of its elements.

Every curve operation is libsodium's (Debian's libsodium23 >= 1.0.18, reached through pysodium);
nothing here does curve arithmetic of its own. What this module adds is what libsodium leaves to
its caller:

- **Scalars** are Python ints in ``[0, ORDER)``; libsodium gets them as 32 little-endian bytes.
- **Points** are their 32-byte RFC 9496 encodings (``Point``). The only point libsodium's
  scalar multiplication refuses besides invalid encodings is the identity: it returns an error
  when the *result* is the identity, which in a prime-order group happens exactly when the scalar
  is 0 mod L or the point is the identity. ``mul`` and ``base_mul`` answer those two cases
  themselves (with ``IDENTITY``) before calling libsodium, so an error from libsodium can only
  mean an invalid encoding, and is raised as ``InvalidPoint``.
- **Hashing to the group** (``point_from_label``) is ``crypto_core_ristretto255_from_hash`` over
  SHA-512 of a domain-separated label (RFC 9496 section 4.3.4); **hashing to a scalar**
  (``scalar_from_hash``) is ``crypto_core_ristretto255_scalar_reduce`` over a SHA-512 digest, whose
  64 bytes make the reduction's bias negligible (2^-259).
- **Text**: points and scalars travel as base64url without padding (43 characters), decoded
  strictly: any other spelling of the same bytes is refused, so one value has one text and a
  ballot has one canonical form.

Secrets (ballot randomness, nonces, key shares) are drawn with libsodium's
``crypto_core_ristretto255_scalar_random`` (non-zero, uniform mod L).
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import hashlib
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import NewType

import pysodium

from asamblea.crypto import decaf

GROUP_NAME = "ristretto255"
# L = 2^252 + 27742317777372353535851937790883648493, the prime order of ristretto255 (RFC 9496).
ORDER = 2**252 + 27742317777372353535851937790883648493
POINT_BYTES = 32
SCALAR_BYTES = 32

Point = NewType("Point", bytes)

IDENTITY = Point(bytes(POINT_BYTES))
# The canonical generator, RFC 9496 section 4.4 (and appendix A.1, multiple 1).
GENERATOR = Point(bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"))


class InvalidPoint(ValueError):
    """Bytes that are not the canonical encoding of a ristretto255 element."""


class InvalidScalar(ValueError):
    """Bytes that are not the canonical encoding of a scalar mod L."""


# The hot operations call libsodium directly on pysodium's loaded library rather than through
# pysodium's wrappers, which allocate a fresh buffer and re-check lengths on every call (about
# 1 us of the 13-50 us an operation takes; bench/bench_sealing.py prints both). The output
# buffer is per thread, so concurrent threads never share one.
_lib = pysodium.sodium
_c_add = _lib.crypto_core_ristretto255_add
_c_sub = _lib.crypto_core_ristretto255_sub
_c_mul = _lib.crypto_scalarmult_ristretto255
_c_base = _lib.crypto_scalarmult_ristretto255_base
_c_valid = _lib.crypto_core_ristretto255_is_valid_point
_local = threading.local()


def _out() -> ctypes.Array[ctypes.c_char]:
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = ctypes.create_string_buffer(POINT_BYTES)
    return buf


def is_point(data: bytes) -> bool:
    """True for the canonical encoding of an element, the identity included. With libdecaf the
    check is its decoding, kept for the verifier's equations that follow (same answers: tested)."""
    if len(data) != POINT_BYTES:
        return False
    if decaf.AVAILABLE:
        return decaf.is_valid(bytes(data))
    # libsodium accepts the all-zero identity encoding here (tested against RFC 9496 A.1).
    return bool(_c_valid(bytes(data)) == 1)


def decode_point(data: bytes) -> Point:
    """Untrusted bytes to a ``Point``; every point read from outside must pass through here."""
    if not is_point(data):
        raise InvalidPoint(f"not a ristretto255 encoding: {bytes(data[:8]).hex()}...")
    return Point(bytes(data))


def _check_length(*points: bytes) -> None:
    # libsodium reads exactly 32 bytes from each pointer: a shorter object must never reach it.
    for p in points:
        if len(p) != POINT_BYTES:
            raise InvalidPoint("a point is 32 bytes")


def add(p: Point, q: Point) -> Point:
    _check_length(p, q)
    buf = _out()
    if _c_add(buf, p, q) != 0:
        raise InvalidPoint("cannot add an invalid encoding")
    return Point(buf.raw)


def sub(p: Point, q: Point) -> Point:
    _check_length(p, q)
    buf = _out()
    if _c_sub(buf, p, q) != 0:
        raise InvalidPoint("cannot subtract an invalid encoding")
    return Point(buf.raw)


def neg(p: Point) -> Point:
    return sub(IDENTITY, p)


def mul(k: int, p: Point) -> Point:
    """``k * p``. Zero scalar or identity point gives the identity (libsodium refuses both)."""
    k %= ORDER
    _check_length(p)
    if k == 0 or p == IDENTITY:
        return IDENTITY
    buf = _out()
    if _c_mul(buf, k.to_bytes(SCALAR_BYTES, "little"), p) != 0:
        # k != 0 mod L and p != identity, so the product is not the identity: p is invalid.
        raise InvalidPoint("cannot multiply an invalid encoding")
    return Point(buf.raw)


def base_mul(k: int) -> Point:
    """``k * GENERATOR`` (libsodium's faster fixed-base path); zero gives the identity."""
    k %= ORDER
    if k == 0:
        return IDENTITY
    buf = _out()
    if _c_base(buf, k.to_bytes(SCALAR_BYTES, "little")) != 0:
        raise AssertionError("libsodium refused a non-zero scalar")  # unreachable for k in 1..L-1
    return Point(buf.raw)


# --- sums of two products, for verifiers (public inputs; variable time allowed) ---------------


def base_combo(a: int, b: int, q: Point) -> Point:
    """``a * GENERATOR + b * q``: libdecaf's variable-time double multiplication when it is
    installed (crypto/decaf.py, ADR 0018), else libsodium's. Only verifiers call it: the time
    taken may depend on the scalars, which a verifier takes from public proofs."""
    a, b = a % ORDER, b % ORDER
    _check_length(q)
    if b == 0 or q == IDENTITY:  # libdecaf 1.0.2 gets these wrong; they are one product anyway
        return base_mul(a)
    if decaf.AVAILABLE:
        try:
            return Point(decaf.base_combo(a, b, q))
        except decaf.DecafError as e:
            raise InvalidPoint(str(e)) from None
    return add(base_mul(a), mul(b, q))


def combo(a: int, p: Point, b: int, q: Point) -> Point:
    """``a * p + b * q``, through libdecaf when installed (as ``base_combo``)."""
    a, b = a % ORDER, b % ORDER
    _check_length(p, q)
    if a == 0 or p == IDENTITY:
        return mul(b, q)
    if b == 0 or q == IDENTITY:
        return mul(a, p)
    if decaf.AVAILABLE:
        try:
            return Point(decaf.combo(a, p, b, q))
        except decaf.DecafError as e:
            raise InvalidPoint(str(e)) from None
    return add(mul(a, p), mul(b, q))


def combo_shifted(a: int, p: Point, b: int, q: Point, m: int) -> Point:
    """``a * p + b * (q - m * GENERATOR)`` for verifiers: one branch of a disjunctive proof,
    ``y^s (beta / g^m)^c`` (proofs.py). With libdecaf the difference never leaves the library."""
    if m == 0:
        return combo(a, p, b, q)
    a, b = a % ORDER, b % ORDER
    shift = small_multiple(m)
    _check_length(p, q)
    if not decaf.AVAILABLE or a == 0 or p == IDENTITY or b == 0 or q == shift:
        return combo(a, p, b, sub(q, shift))
    try:
        return Point(decaf.combo_minus(a, p, b, q, shift))
    except decaf.DecafError as e:
        raise InvalidPoint(str(e)) from None


class PointSum:
    """A running sum of points (an encrypted tally, a ballot's total), read with ``value``: inside
    libdecaf when installed, encoded once at the end; else libsodium additions."""

    __slots__ = ("_decaf", "_total")

    def __init__(self) -> None:
        self._decaf = decaf.Sum() if decaf.AVAILABLE else None
        self._total = IDENTITY

    def add(self, p: Point) -> None:
        if self._decaf is None:
            self._total = add(self._total, p) if self._total != IDENTITY else Point(bytes(p))
            return
        _check_length(p)
        try:
            self._decaf.add(bytes(p))
        except decaf.DecafError as e:
            raise InvalidPoint(str(e)) from None

    def add_combo(self, a: int, p: Point, b: int, q: Point) -> None:
        """Adds ``a * p + b * q`` (verifiers only, as ``combo``): inside libdecaf, never encoded,
        when installed."""
        a, b = a % ORDER, b % ORDER
        _check_length(p, q)
        if self._decaf is None or a == 0 or b == 0 or p == IDENTITY or q == IDENTITY:
            self.add(combo(a, p, b, q))
            return
        try:
            self._decaf.add_combo(a, bytes(p), b, bytes(q))
        except decaf.DecafError as e:
            raise InvalidPoint(str(e)) from None

    def value(self) -> Point:
        if self._decaf is None:
            return self._total
        encoded = self._decaf.encoded()
        return IDENTITY if encoded is None else Point(encoded)


def sum_points(points: Iterable[Point]) -> Point:
    """The sum of ``points`` (the identity for none)."""
    total = PointSum()
    for p in points:
        total.add(p)
    return total.value()


@lru_cache(maxsize=1024)
def small_multiple(m: int) -> Point:
    """``m * GENERATOR`` for the small plaintexts of ballots and ranges, computed once each."""
    return base_mul(m)


def random_scalar() -> int:
    """A uniform non-zero scalar from libsodium's generator."""
    return int.from_bytes(pysodium.crypto_core_ristretto255_scalar_random(), "little")


def scalar_from_hash(digest: bytes) -> int:
    """A 64-byte digest (SHA-512) reduced mod L by libsodium."""
    if len(digest) != 64:
        raise ValueError("scalar_from_hash takes a 64-byte digest")
    return int.from_bytes(pysodium.crypto_core_ristretto255_scalar_reduce(digest), "little")


def point_from_hash(digest: bytes) -> Point:
    """RFC 9496 section 4.3.4 one-way map of a 64-byte uniform string to an element."""
    if len(digest) != 64:
        raise ValueError("point_from_hash takes a 64-byte digest")
    return Point(pysodium.crypto_core_ristretto255_from_hash(digest))


def point_from_label(domain: str, label: bytes) -> Point:
    """An element nobody knows the logarithm of: from_hash(SHA-512(domain, label)).

    The domain is length-prefixed so that no (domain, label) pair collides with another.
    """
    d = domain.encode()
    return point_from_hash(hashlib.sha512(len(d).to_bytes(4, "big") + d + label).digest())


def encode_scalar(k: int) -> bytes:
    if not 0 <= k < ORDER:
        raise InvalidScalar("scalar out of range")
    return k.to_bytes(SCALAR_BYTES, "little")


def decode_scalar(data: bytes) -> int:
    """Canonical 32-byte little-endian scalar; values >= L are refused, never reduced."""
    if len(data) != SCALAR_BYTES:
        raise InvalidScalar("a scalar is 32 bytes")
    k = int.from_bytes(data, "little")
    if k >= ORDER:
        raise InvalidScalar("scalar not reduced mod L")
    return k


_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PAD = (b"", b"===", b"==", b"=")  # by length mod 4; a length of 1 mod 4 is refused by a2b


def b64encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str, length: int) -> bytes:
    """Strict inverse of ``b64encode`` for a value of ``length`` bytes.

    Re-encoding must give the same text back, which refuses padding, the standard alphabet,
    whitespace and non-zero trailing bits: a value has exactly one spelling.
    """
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("expected a base64url string")
    raw = text.encode("ascii")
    try:
        # Strict: any character outside the alphabet is refused, not skipped.
        data = binascii.a2b_base64(
            raw.translate(_TO_STANDARD) + _PAD[len(raw) % 4], strict_mode=True
        )
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base64url") from exc
    if (
        len(data) != length
        or binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URLSAFE) != raw
    ):
        raise ValueError("not the canonical base64url of the expected length")
    return data


def point_to_text(p: Point) -> str:
    return b64encode(p)


def point_from_text(text: str) -> Point:
    return decode_point(b64decode(text, POINT_BYTES))


def scalar_to_text(k: int) -> str:
    return b64encode(encode_scalar(k))


def scalar_from_text(text: str) -> int:
    return decode_scalar(b64decode(text, SCALAR_BYTES))
