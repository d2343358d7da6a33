"""Exponential ElGamal: encryption, homomorphic addition, re-encryption, bounded discrete log."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.crypto.elgamal import (
    ZERO,
    Ciphertext,
    DiscreteLog,
    add_ciphertexts,
    decrypt_to_point,
    encrypt,
    reencrypt,
    sum_ciphertexts,
)
from asamblea.crypto.group import IDENTITY, base_mul, random_scalar

SECRET = random_scalar()
KEY = base_mul(SECRET)


def test_decryption_gives_back_g_to_the_plaintext() -> None:
    for m in (0, 1, 7):
        c, _ = encrypt(KEY, m)
        assert decrypt_to_point(SECRET, c) == base_mul(m)


def test_two_encryptions_of_the_same_value_differ() -> None:
    a, _ = encrypt(KEY, 1)
    b, _ = encrypt(KEY, 1)
    assert a.alpha != b.alpha and a.beta != b.beta


def test_encryption_refuses_negative_values() -> None:
    with pytest.raises(ValueError):
        encrypt(KEY, -1)


def test_encryption_with_given_randomness_is_reproducible() -> None:
    r = random_scalar()
    assert encrypt(KEY, 1, r) == encrypt(KEY, 1, r)
    assert encrypt(KEY, 1, r)[0].alpha == base_mul(r)


@settings(max_examples=10)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=6))
def test_the_sum_of_ciphertexts_decrypts_to_the_sum_of_plaintexts(values: list[int]) -> None:
    total = sum_ciphertexts(encrypt(KEY, m)[0] for m in values)
    assert DiscreteLog(20).solve(decrypt_to_point(SECRET, total)) == sum(values)


def test_the_empty_sum_is_the_trivial_encryption_of_zero() -> None:
    assert sum_ciphertexts([]) == ZERO == Ciphertext(IDENTITY, IDENTITY)
    c, _ = encrypt(KEY, 1)
    assert add_ciphertexts(ZERO, c) == c


def test_reencryption_changes_both_parts_but_not_the_plaintext() -> None:
    c, _ = encrypt(KEY, 1)
    d, r = reencrypt(KEY, c)
    assert d.alpha != c.alpha and d.beta != c.beta and r != 0
    assert decrypt_to_point(SECRET, d) == decrypt_to_point(SECRET, c)


@pytest.mark.parametrize("bound", [0, 1, 2, 15, 16, 17, 99, 1000])
def test_discrete_log_finds_every_value_up_to_the_bound(bound: int) -> None:
    dlog = DiscreteLog(bound)
    for m in sorted({0, min(1, bound), bound // 2, max(bound - 1, 0), bound}):
        assert dlog.solve(base_mul(m)) == m


@pytest.mark.parametrize("bound", [0, 3, 16, 100])
def test_discrete_log_refuses_a_value_beyond_the_bound(bound: int) -> None:
    dlog = DiscreteLog(bound)
    with pytest.raises(ValueError):
        dlog.solve(base_mul(bound + 1))
    with pytest.raises(ValueError):
        dlog.solve(base_mul(random_scalar()))


def test_discrete_log_of_the_identity_is_zero() -> None:
    assert DiscreteLog(10).solve(IDENTITY) == 0
