"""libdecaf's two-term multiplications (crypto/decaf.py, ADR 0018) against RFC 9496 and libsodium.

The verifiers' ``group.base_combo`` and ``group.combo`` go through libdecaf when Debian's
libdecaf0 is installed and through libsodium otherwise; both must give the same bytes for every
input, the RFC's vectors and its invalid encodings included. Under CI libdecaf must be there
(.ci/run installs it): a missing library fails there instead of testing only one side.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_crypto_group import INVALID, MULTIPLES

from asamblea.crypto import decaf, group
from asamblea.crypto.group import GENERATOR, IDENTITY, ORDER, InvalidPoint, Point


@pytest.fixture(params=["libdecaf", "libsodium"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "libdecaf" and not decaf.AVAILABLE:
        if os.environ.get("CI") == "true":
            pytest.fail("libdecaf0 is not installed (or failed its self-test): .ci/run installs it")
        pytest.skip("libdecaf0 not installed: only libsodium's side is tested here")
    if request.param == "libsodium":
        monkeypatch.setattr(decaf, "AVAILABLE", False)
    return str(request.param)


def _sodium_base_combo(a: int, b: int, q: Point) -> Point:
    return group.add(group.base_mul(a), group.mul(b, q))


def _sodium_combo(a: int, p: Point, b: int, q: Point) -> Point:
    return group.add(group.mul(a, p), group.mul(b, q))


def test_libdecaf_is_ristretto255_on_the_rfc_multiples() -> None:
    if not decaf.AVAILABLE:
        pytest.skip("libdecaf0 not installed")
    for k in range(2, 16):
        # k*G as 1*G + (k-1)*G, through both of libdecaf's functions (never a zero scalar).
        assert decaf.base_combo(1, k - 1, GENERATOR).hex() == MULTIPLES[k]
        assert decaf.combo(k - 1, GENERATOR, 1, GENERATOR).hex() == MULTIPLES[k]


@pytest.mark.parametrize("encoding", INVALID)
def test_libdecaf_refuses_every_rfc_9496_invalid_encoding(encoding: str, backend: str) -> None:
    bad = Point(bytes.fromhex(encoding))
    with pytest.raises(InvalidPoint):
        group.base_combo(3, 5, bad)
    with pytest.raises(InvalidPoint):
        group.combo(3, GENERATOR, 5, bad)
    with pytest.raises(InvalidPoint):
        group.combo(3, bad, 5, GENERATOR)


@pytest.mark.parametrize("k", range(16))
def test_combinations_walk_the_rfc_multiples(k: int, backend: str) -> None:
    assert group.base_combo(k, 0, GENERATOR).hex() == MULTIPLES[k]
    assert group.base_combo(0, k, GENERATOR).hex() == MULTIPLES[k]
    assert group.combo(k, GENERATOR, 15 - k, GENERATOR).hex() == MULTIPLES[15]
    assert group.base_combo(k, ORDER - k, GENERATOR) == IDENTITY


EDGE = [0, 1, 2, ORDER - 1, ORDER - 2, 2**128, 2**252]
scalars = st.one_of(st.sampled_from(EDGE), st.integers(min_value=0, max_value=ORDER - 1))
points = st.one_of(
    st.just(IDENTITY),
    st.just(GENERATOR),
    st.integers(min_value=1, max_value=ORDER - 1).map(group.base_mul),
)


@settings(max_examples=150, deadline=None)
@given(a=scalars, b=scalars, p=points, q=points)
def test_libdecaf_and_libsodium_agree_byte_for_byte(a: int, b: int, p: Point, q: Point) -> None:
    if not decaf.AVAILABLE and os.environ.get("CI") == "true":
        pytest.fail("libdecaf0 is not installed: .ci/run installs it")
    assert group.base_combo(a, b, q) == _sodium_base_combo(a, b, q)
    assert group.combo(a, p, b, q) == _sodium_combo(a, p, b, q)


def test_a_zero_second_scalar_is_answered_without_libdecaf() -> None:
    # libdecaf 1.0.2's variable-time a*G + b*Q returns the identity when b is 0, whatever a is;
    # group.base_combo never hands it that case.
    q = group.base_mul(7)
    for a in (1, 2, 12345, ORDER - 1):
        assert group.base_combo(a, 0, q) == group.base_mul(a)
        assert group.base_combo(a, ORDER, q) == group.base_mul(a)
        assert group.base_combo(a, 9, IDENTITY) == group.base_mul(a)


def test_a_short_point_never_reaches_libdecaf() -> None:
    with pytest.raises(InvalidPoint):
        group.base_combo(1, 2, Point(b"\x01" * 31))
    with pytest.raises(InvalidPoint):
        group.combo(1, GENERATOR, 2, Point(b"\x01" * 31))


# --- the verifier's shifted branch and the running sums (the same bytes both ways) -------------

small = st.integers(min_value=0, max_value=12)


@settings(max_examples=150, deadline=None)
@given(a=scalars, b=scalars, p=points, q=points, m=small)
def test_a_shifted_branch_is_a_p_plus_b_times_q_minus_m_g(
    a: int, b: int, p: Point, q: Point, m: int
) -> None:
    expected = _sodium_combo(a, p, b, group.sub(q, group.base_mul(m)))
    assert group.combo_shifted(a, p, b, q, m) == expected


@pytest.mark.parametrize("m", [1, 2, 5])
def test_a_shifted_branch_whose_difference_is_the_identity(m: int, backend: str) -> None:
    # q = m*G: the difference is the identity, which group.py answers itself.
    q = group.base_mul(m)
    assert group.combo_shifted(7, GENERATOR, 9, q, m) == group.base_mul(7)
    assert group.combo_shifted(0, GENERATOR, 9, q, m) == IDENTITY


@pytest.mark.parametrize("encoding", INVALID)
def test_a_shifted_branch_refuses_an_invalid_encoding(encoding: str, backend: str) -> None:
    bad = Point(bytes.fromhex(encoding))
    with pytest.raises(InvalidPoint):
        group.combo_shifted(3, GENERATOR, 5, bad, 1)
    with pytest.raises(InvalidPoint):
        group.combo_shifted(3, bad, 5, GENERATOR, 1)
    with pytest.raises(InvalidPoint):
        group.sum_points([GENERATOR, bad])
    assert not group.is_point(bad)


@settings(max_examples=80, deadline=None)
@given(ps=st.lists(points, max_size=8))
def test_running_sums_agree_with_libsodium_additions(ps: list[Point]) -> None:
    expected = IDENTITY
    for p in ps:
        expected = group.add(expected, p)
    assert group.sum_points(ps) == expected
    total, prefix = group.PointSum(), IDENTITY
    for p in ps:  # read after every addition: reading does not disturb the sum
        total.add(p)
        prefix = group.add(prefix, p)
        assert total.value() == prefix
    assert total.value() == expected


@pytest.mark.parametrize("k", range(16))
def test_sums_and_validity_walk_the_rfc_multiples(k: int, backend: str) -> None:
    assert group.sum_points([GENERATOR] * k).hex() == MULTIPLES[k]
    assert group.is_point(Point(bytes.fromhex(MULTIPLES[k])))


@settings(max_examples=60, deadline=None)
@given(terms=st.lists(st.tuples(scalars, points, scalars, points), max_size=6))
def test_a_sum_of_combinations_is_the_sum_of_their_values(
    terms: list[tuple[int, Point, int, Point]],
) -> None:
    total, expected = group.PointSum(), IDENTITY
    for a, p, b, q in terms:
        total.add_combo(a, p, b, q)
        expected = group.add(expected, _sodium_combo(a, p, b, q))
    assert total.value() == expected


@pytest.mark.parametrize("encoding", INVALID)
def test_a_sum_of_combinations_refuses_an_invalid_encoding(encoding: str, backend: str) -> None:
    bad = Point(bytes.fromhex(encoding))
    for p, q in ((bad, GENERATOR), (GENERATOR, bad)):
        total = group.PointSum()
        with pytest.raises(InvalidPoint):
            total.add_combo(3, p, 5, q)
