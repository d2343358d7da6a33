"""An exact reimplementation of ``java.util.Random`` (the JDK's documented 48-bit linear
congruential generator), so that RCTab's random tie-breaks can be reproduced draw for draw.

The generator is specified in the ``java.util.Random`` API documentation: the state is 48 bits,
``seed = (seed * 0x5DEECE66D + 0xB) mod 2**48``, and ``next(bits)`` returns the top ``bits`` bits
of the new state as a signed 32-bit integer. ``nextInt(bound)``, ``nextDouble()`` and
``Collections.shuffle(list, rnd)`` are built on it exactly as documented.

``next_double`` returns the double as an exact :class:`~fractions.Fraction` (it is always a
multiple of 2**-53); :func:`floor_times` reproduces Java's ``(int) Math.floor(d * n)`` including
the rounding of the double product, without using floats.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TypeVar

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1

T = TypeVar("T")


def _to_int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


class JavaRandom:
    """``new java.util.Random(seed)``; ``seed`` is a Java ``long`` (any int is reduced mod 2**64)."""

    __slots__ = ("_seed",)

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ _MULTIPLIER) & _MASK

    def next_bits(self, bits: int) -> int:
        """``protected int next(int bits)``: a signed 32-bit value of ``bits`` random bits."""
        self._seed = (self._seed * _MULTIPLIER + _ADDEND) & _MASK
        return _to_int32(self._seed >> (48 - bits))

    def next_int(self, bound: int | None = None) -> int:
        """``nextInt()`` (any 32-bit int) or ``nextInt(bound)`` (uniform in ``[0, bound)``)."""
        if bound is None:
            return self.next_bits(32)
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of two: take the high bits
            return (bound * self.next_bits(31)) >> 31
        while True:
            bits = self.next_bits(31)
            val = bits % bound
            # Java rejects the draw when ``bits - val + (bound - 1)`` overflows a signed int.
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_long(self) -> int:
        high = self.next_bits(32)
        low = self.next_bits(32)
        value = ((high << 32) + low) & 0xFFFFFFFFFFFFFFFF
        return value - (1 << 64) if value >> 63 else value

    def next_boolean(self) -> bool:
        return self.next_bits(1) != 0

    def next_double_units(self) -> int:
        """The 53-bit integer ``k`` such that ``nextDouble() == k / 2**53``."""
        return ((self.next_bits(26) & 0x3FFFFFF) << 27) + (self.next_bits(27) & 0x7FFFFFF)

    def next_double(self) -> Fraction:
        """``nextDouble()``, exactly, as a fraction with denominator 2**53."""
        return Fraction(self.next_double_units(), 1 << 53)

    def shuffle(self, items: list[T]) -> None:
        """``Collections.shuffle(list, rnd)`` in place: swap(i - 1, nextInt(i)) for i = n..2."""
        for i in range(len(items), 1, -1):
            j = self.next_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]


def floor_times(units: int, n: int) -> int:
    """``(int) Math.floor(d * n)`` for ``d = units / 2**53``, with the double product rounded to
    53 significant bits (round half to even) exactly as IEEE 754 multiplication does."""
    product = units * n
    length = product.bit_length()
    if length > 53:
        shift = length - 53
        q, r = divmod(product, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        product = q << shift
    return product >> 53
