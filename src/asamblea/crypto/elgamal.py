"""Exponential ElGamal over ristretto255: encryption, homomorphic addition, re-encryption, and the
bounded discrete logarithm that turns a decrypted total back into a number.

Belenios 2.0 specification (S. Glondu), section 4.11.1: a value m is encrypted under the election
key y as ``(alpha, beta) = (g^r, y^r g^m)``; section 4.16: the encrypted tally is the pointwise
product of the ballots' ciphertexts; section 4.17 (CHVote's GenReEncryption): re-encryption
multiplies by a fresh encryption of zero; section 4.19: the result is ``log_g(beta / F)``,
"easily computed because it is bounded". We write the group additively, as libsodium does:
products are ``add``, powers are ``mul``.

What a ciphertext reveals: nothing about m without the decryption key, under DDH in
ristretto255, as long as r is uniform and secret. ``r = 0`` would make ``beta = g^m`` readable by
anyone; ``encrypt`` never uses it (its randomness is libsodium's non-zero scalar) and
``ballot.verify_ballot`` refuses any ciphertext whose alpha is the identity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from asamblea.crypto.group import (
    GENERATOR,
    IDENTITY,
    Point,
    PointSum,
    add,
    base_mul,
    mul,
    neg,
    random_scalar,
    small_multiple,
    sub,
)


@dataclass(frozen=True, slots=True)
class Ciphertext:
    alpha: Point
    beta: Point

    def parts(self) -> tuple[bytes, bytes]:
        """The two encodings, as hashed into proofs (alpha first, as Belenios does)."""
        return (bytes(self.alpha), bytes(self.beta))


# The encryption of 0 with randomness 0: the neutral element of ciphertext addition, and the
# encrypted tally of an election with no ballots.
ZERO = Ciphertext(IDENTITY, IDENTITY)


def encrypt(public_key: Point, m: int, r: int | None = None) -> tuple[Ciphertext, int]:
    """Encrypt the small non-negative integer m; returns the ciphertext and its randomness.

    The randomness is needed for the validity proofs and for a Benaloh challenge, and must
    otherwise be forgotten: whoever holds it can read m.
    """
    if m < 0:
        raise ValueError("exponential ElGamal encrypts non-negative integers")
    if r is None:
        r = random_scalar()
    alpha = base_mul(r)
    shared = mul(r, public_key)
    beta = shared if m == 0 else add(shared, small_multiple(m))
    return Ciphertext(alpha, beta), r


def add_ciphertexts(a: Ciphertext, b: Ciphertext) -> Ciphertext:
    """Encrypts the sum of the two plaintexts, with the sum of the two randomnesses."""
    return Ciphertext(add(a.alpha, b.alpha), add(a.beta, b.beta))


def sum_ciphertexts(items: Iterable[Ciphertext]) -> Ciphertext:
    """The pointwise sum (``ZERO`` for none): verification does this for every ballot, and a
    tally for every election, so the sums run inside libdecaf when it is installed
    (``group.PointSum``)."""
    alphas, betas = PointSum(), PointSum()
    for c in items:
        alphas.add(c.alpha)
        betas.add(c.beta)
    return Ciphertext(alphas.value(), betas.value())


def reencrypt(public_key: Point, c: Ciphertext, r: int | None = None) -> tuple[Ciphertext, int]:
    """The same plaintext under fresh randomness (add an encryption of zero)."""
    zero, r = encrypt(public_key, 0, r)
    return add_ciphertexts(c, zero), r


def decrypt_to_point(secret_key: int, c: Ciphertext) -> Point:
    """``g^m`` for a ciphertext under ``g^secret_key`` (a single-key helper, used by tests and by
    the Benaloh check; the tally decrypts through ``threshold``)."""
    return sub(c.beta, mul(secret_key, c.alpha))


class DiscreteLog:
    """Baby-step giant-step for ``g^m`` with ``0 <= m <= bound`` (Shanks).

    One table of ``ceil(sqrt(bound + 1))`` baby steps serves every total of a tally; each solve
    takes at most as many giant steps. For 20 million ballots that is about 4,500 additions each.
    """

    def __init__(self, bound: int) -> None:
        if bound < 0:
            raise ValueError("bound must be non-negative")
        self.bound = bound
        self.step = math.isqrt(bound) + 1
        self._baby: dict[bytes, int] = {}
        point = IDENTITY
        for j in range(self.step):
            self._baby[bytes(point)] = j
            point = add(point, GENERATOR)
        self._giant = neg(base_mul(self.step))

    def solve(self, point: Point) -> int:
        """The m with ``g^m == point`` and ``0 <= m <= bound``; ``ValueError`` if there is none."""
        y = point
        for i in range(self.step + 1):
            j = self._baby.get(bytes(y))
            if j is not None:
                m = i * self.step + j
                if m <= self.bound:
                    return m
                break
            y = add(y, self._giant)
        raise ValueError(f"no discrete logarithm within 0..{self.bound}")
