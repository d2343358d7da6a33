"""Two-term scalar multiplications for verifiers, through libdecaf when it is installed.

A verifier recomputes commitments of the form ``a*G + b*Q`` and ``a*P + b*Q`` (every proof of
ADR 0008 is checked that way). libsodium has no operation for a sum of two products: each term
is a full constant-time multiplication of an encoded point, and the sum one more decode and
encode. libdecaf (Mike Hamburg's library, the reference implementation of Decaf and Ristretto;
Debian's ``libdecaf0``), whose ``decaf_255`` group *is* ristretto255 (RFC 9496: same encodings,
checked below and by the RFC's test vectors in tests), has both: ``a*G + b*Q`` in variable time
with precomputed tables of the generator, and ``a*P + b*Q`` with one shared doubling chain. For
a verifier, whose inputs are all public, variable time is fine; provers never call this module.
ADR 0018 gives the measurement (a yes/no ballot's verification, about 40% less CPU).

Without libdecaf (or with ``ASAMBLEA_NO_DECAF=1``) ``AVAILABLE`` is false and group.py computes
the same values with libsodium; the results are identical, which tests check both ways.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from functools import lru_cache

POINT_BYTES = 32
_SUCCESS = -1  # decaf_error_t: DECAF_SUCCESS is all ones
_STRUCT = 256  # sizeof(decaf_255_point_t): four field elements of 64 bytes, aligned to 32
_ALIGN = 32


def _load() -> ctypes.CDLL | None:
    if os.environ.get("ASAMBLEA_NO_DECAF"):
        return None
    for name in ("libdecaf.so.0", ctypes.util.find_library("decaf")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    signatures = {
        "decaf_255_scalar_decode": ([vp, cp], ctypes.c_int),
        # decaf_bool_t is a machine word: all ones is true.
        "decaf_255_point_decode": ([vp, cp, ctypes.c_uint64], ctypes.c_int),
        "decaf_255_point_encode": ([cp, vp], None),
        "decaf_255_base_double_scalarmul_non_secret": ([vp, vp, vp, vp], None),
        "decaf_255_point_double_scalarmul": ([vp, vp, vp, vp, vp], None),
        "decaf_255_point_add": ([vp, vp, vp], None),
        "decaf_255_point_sub": ([vp, vp, vp], None),
    }
    for name, (args, result) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result
    return lib


_lib = _load()
if _lib is not None:
    try:
        _lib = _declare(_lib)
    except AttributeError:  # a build without one of the functions
        _lib = None


class _Buffer:
    """A 32-byte-aligned libdecaf structure in memory Python owns."""

    __slots__ = ("_raw", "ptr")

    def __init__(self, size: int = _STRUCT) -> None:
        self._raw = ctypes.create_string_buffer(size + _ALIGN)
        address = ctypes.addressof(self._raw)
        self.ptr = ctypes.c_void_p(address + (-address) % _ALIGN)


class DecafError(ValueError):
    pass


class _Scratch(threading.local):
    """Each thread's working buffers, allocated once: two scalars, the result and a difference."""

    def __init__(self) -> None:
        self.sa, self.sb = _Buffer(POINT_BYTES), _Buffer(POINT_BYTES)
        self.out, self.diff, self.pa, self.pb = _Buffer(), _Buffer(), _Buffer(), _Buffer()
        self.encoded = ctypes.create_string_buffer(POINT_BYTES)


_scratch = _Scratch()


def _scalars(a: int, b: int) -> _Scratch:
    w = _scratch
    if (
        _lib.decaf_255_scalar_decode(w.sa.ptr, a.to_bytes(32, "little")) != _SUCCESS  # type: ignore[union-attr]
        or _lib.decaf_255_scalar_decode(w.sb.ptr, b.to_bytes(32, "little")) != _SUCCESS  # type: ignore[union-attr]
    ):
        raise DecafError("scalar out of range")
    return w


def _decode(data: bytes, out: _Buffer) -> None:
    """Decodes into ``out`` (uncached), refusing what ``_point`` refuses."""
    if len(data) != POINT_BYTES:
        raise DecafError("a point is 32 bytes")
    if _lib.decaf_255_point_decode(out.ptr, data, 2**64 - 1) != _SUCCESS:  # type: ignore[union-attr]
        raise DecafError("not a ristretto255 encoding")


@lru_cache(maxsize=256)
def _point(data: bytes) -> _Buffer:
    """A decoded point; decoding refuses every non-canonical encoding (RFC 9496 4.3.1). Cached:
    a verifier uses the same key and ciphertext components in several equations."""
    if len(data) != POINT_BYTES:
        raise DecafError("a point is 32 bytes")
    out = _Buffer()
    if _lib.decaf_255_point_decode(out.ptr, data, 2**64 - 1) != _SUCCESS:  # type: ignore[union-attr]
        raise DecafError("not a ristretto255 encoding")
    return out


def _encoded(w: _Scratch, point: _Buffer | None = None) -> bytes:
    _lib.decaf_255_point_encode(w.encoded, (point or w.out).ptr)  # type: ignore[union-attr]
    return w.encoded.raw


def is_valid(data: bytes) -> bool:
    """True for the canonical encoding of an element, the identity included (the same answer as
    libsodium's ``is_valid_point``, tested). The decoded point stays cached for the equations
    that follow, so a verifier decodes each point of a ballot once."""
    try:
        _point(data)
    except DecafError:
        return False
    return True


def base_combo(a: int, b: int, q: bytes) -> bytes:
    """``a*G + b*Q`` in variable time (public inputs only). ``b`` must not be 0 and ``Q`` not
    the identity: libdecaf 1.0.2 then returns the identity whatever ``a`` is (group.py answers
    those cases itself; a test holds this)."""
    pq = _point(q)
    w = _scalars(a, b)
    _lib.decaf_255_base_double_scalarmul_non_secret(w.out.ptr, w.sa.ptr, pq.ptr, w.sb.ptr)  # type: ignore[union-attr]
    return _encoded(w)


def combo(a: int, p: bytes, b: int, q: bytes) -> bytes:
    """``a*P + b*Q``."""
    pp, pq = _point(p), _point(q)
    w = _scalars(a, b)
    _lib.decaf_255_point_double_scalarmul(w.out.ptr, pp.ptr, w.sa.ptr, pq.ptr, w.sb.ptr)  # type: ignore[union-attr]
    return _encoded(w)


def combo_minus(a: int, p: bytes, b: int, q: bytes, r: bytes) -> bytes:
    """``a*P + b*(Q - R)``: a branch of a disjunctive proof, ``y^s (beta / g^m)^c``, without
    encoding and decoding ``beta / g^m`` on the way. ``Q - R`` must not be the identity and no
    scalar 0 (group.py answers those cases)."""
    pp, pq, pr = _point(p), _point(q), _point(r)
    w = _scalars(a, b)
    _lib.decaf_255_point_sub(w.diff.ptr, pq.ptr, pr.ptr)  # type: ignore[union-attr]
    _lib.decaf_255_point_double_scalarmul(w.out.ptr, pp.ptr, w.sa.ptr, w.diff.ptr, w.sb.ptr)  # type: ignore[union-attr]
    return _encoded(w)


class Sum:
    """A running sum of points, added inside libdecaf and encoded only when read (an encrypted
    tally, or the sum of a ballot's ciphertexts). Two buffers in turn: no call writes the point it
    reads."""

    __slots__ = ("_bufs", "_current", "_empty")

    def __init__(self) -> None:
        self._bufs = (_Buffer(), _Buffer())
        self._current = 0
        self._empty = True

    def add(self, data: bytes) -> None:
        self._add(_point(data))

    def add_combo(self, a: int, p: bytes, b: int, q: bytes) -> None:
        """Adds ``a*P + b*Q`` without encoding it (a long sum of a verifier's: the shuffle's).
        ``P`` and ``Q`` are decoded without the cache, which such sums would only churn; no
        scalar 0 and no identity (group.py answers those cases)."""
        w = _scratch
        _decode(p, w.pa)
        _decode(q, w.pb)
        _scalars(a, b)
        _lib.decaf_255_point_double_scalarmul(w.out.ptr, w.pa.ptr, w.sa.ptr, w.pb.ptr, w.sb.ptr)  # type: ignore[union-attr]
        self._add(w.out)

    def _add(self, point: _Buffer) -> None:
        if self._empty:
            ctypes.memmove(self._bufs[0].ptr, point.ptr, _STRUCT)
            self._current, self._empty = 0, False
            return
        src, dst = self._bufs[self._current], self._bufs[1 - self._current]
        _lib.decaf_255_point_add(dst.ptr, src.ptr, point.ptr)  # type: ignore[union-attr]
        self._current = 1 - self._current

    def encoded(self) -> bytes | None:
        """The encoding of the sum, or None when nothing was added."""
        if self._empty:
            return None
        return _encoded(_scratch, self._bufs[self._current])


# RFC 9496 appendix A.1: the encodings of G, 2*G and 15*G. A library that does not encode them so
# is not ristretto255 and is not used.
_TWO_G = bytes.fromhex("6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919")
_FIFTEEN_G = bytes.fromhex("e0c418f7c8d9c4cdd7395b93ea124f3ad99021bb681dfc3302a9d99a2e53e64e")
_G = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")


def _self_test() -> bool:
    try:
        return (
            base_combo(1, 1, _G) == _TWO_G
            and combo(7, _G, 4, _TWO_G) == _FIFTEEN_G
            and base_combo(5, 5, _TWO_G) == _FIFTEEN_G
        )
    except (DecafError, AttributeError, ctypes.ArgumentError):
        return False


AVAILABLE = _lib is not None and _self_test()
