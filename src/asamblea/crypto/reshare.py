"""Handing a board's key to a new board without the joint secret ever existing.

Verifiable secret redistribution: Y. Desmedt and S. Jajodia, "Redistributing secret shares to new
access structures and its applications" (1997); T. M. Wong, C. Wang and J. M. Wing, "Verifiable
secret redistribution for archive systems" (2002). Built only from what :mod:`threshold` already
uses: Feldman commitments, Schnorr proofs of knowledge, the share channel to a certificate.

The old board has threshold ``k``, shares ``S_i`` and public verification keys ``V_i = g^S_i``.
The new board (its own ``BoardContext``: id, ``k'``, ``n'``) has published certificates.

1. ``deal``: any ``k`` old trustees each share their ``S_i`` afresh: a random polynomial ``h_i``
   of degree ``k' - 1`` with ``h_i(0) = S_i``; commitments ``A'_ic = g^(h_ic)`` whose constant
   term must be ``V_i`` (anyone checks it against the old board); a proof of knowledge of every
   coefficient; ``h_i(j)`` encrypted to each new trustee ``j``; the whole signed by a proof of
   knowledge of ``S_i`` over the message (the old trustee's ceremony signing key is gone).
2. ``complete_reshare``: new trustee ``j`` checks every dealing and its own shares against the
   commitments, and keeps ``S'_j = sum_i lambda_i h_i(j)`` (Lagrange at 0 over the dealers).
   ``H = sum_i lambda_i h_i`` has ``H(0) = sum_i lambda_i S_i = S``: the same joint secret, which no
   one computes.
3. ``assemble_reshared``: anyone checks each ``g^S'_j`` against
   ``prod_i (prod_c A'_ic^(j^c))^lambda_i`` and that the joint key is the old one.

Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from asamblea.crypto.group import (
    IDENTITY,
    ORDER,
    Point,
    add,
    base_mul,
    encode_scalar,
    mul,
    random_scalar,
)
from asamblea.crypto.proofs import Proof, prove_secret_key, verify_secret_key
from asamblea.crypto.threshold import (
    Certificate,
    EncryptedShare,
    KeyGenerationError,
    KeyShare,
    ThresholdParameters,
    TrusteeSecrets,
    VerificationKey,
    _check_certificates,
    _committed_value,
    _decrypt_share,
    _encrypt_share,
    _evaluate,
    lagrange_at_zero,
    sum_points,
)
from asamblea.crypto.transcript import BoardContext, index_bytes


@dataclass(frozen=True)
class Dealing:
    """Old trustee ``dealer``'s share, dealt afresh to the new board."""

    dealer: int
    coefexps: tuple[Point, ...]
    proofs: tuple[Proof, ...]
    shares: tuple[EncryptedShare, ...]
    signature: Proof

    def message(self, old_board: str) -> bytes:
        parts = [b"reshare", old_board.encode(), index_bytes(self.dealer)]
        parts += [bytes(a) for a in self.coefexps]
        for p in self.proofs:
            parts += [encode_scalar(p.challenge), encode_scalar(p.response)]
        for e in self.shares:
            parts += [index_bytes(e.recipient), e.alpha, e.beta, e.nonce, e.data]
        return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _bound(old_board: str, dealer: int, c: int) -> tuple[bytes, ...]:
    return (b"reshare-coefficient", old_board.encode(), index_bytes(dealer), index_bytes(c))


def deal(
    board: BoardContext, old_board: str, share: KeyShare, certs: Sequence[Certificate]
) -> Dealing:
    """Step 1, run by an old trustee on their own computer with their share file."""
    _check_certificates(board, certs)
    coefficients = [share.secret] + [random_scalar() for _ in range(board.threshold - 1)]
    coefexps = tuple(base_mul(a) for a in coefficients)
    proofs = tuple(
        prove_secret_key(board, a, A, bound=_bound(old_board, share.index, c))
        for c, (a, A) in enumerate(zip(coefficients, coefexps, strict=True))
    )
    shares = tuple(
        _encrypt_share(board, share.index, cert, _evaluate(coefficients, cert.index))
        for cert in certs
    )
    unsigned = Dealing(share.index, coefexps, proofs, shares, Proof(0, 0))
    signature = prove_secret_key(
        board, share.secret, coefexps[0], bound=(unsigned.message(old_board),), tag="sigmsg"
    )
    return Dealing(share.index, coefexps, proofs, shares, signature)


def check_dealing(
    board: BoardContext, old_board: str, old_verification_key: Point, dealing: Dealing
) -> None:
    """Raise ``KeyGenerationError`` naming the dealer unless the dealing is well formed, deals
    exactly the dealer's old share (constant term = its old verification key) and is signed by
    whoever knows that share."""
    i = dealing.dealer
    if len(dealing.coefexps) != board.threshold or len(dealing.proofs) != board.threshold:
        raise KeyGenerationError(i, f"a dealing has {board.threshold} coefficients")
    if [e.recipient for e in dealing.shares] != list(range(1, board.size + 1)):
        raise KeyGenerationError(i, "one share per new trustee, in index order")
    if dealing.coefexps[0] != old_verification_key:
        raise KeyGenerationError(i, "the dealing is not of this trustee's share")
    if not verify_secret_key(
        board,
        old_verification_key,
        dealing.signature,
        bound=(dealing.message(old_board),),
        tag="sigmsg",
    ):
        raise KeyGenerationError(i, "the dealing's signature does not verify")
    for c, (A, proof) in enumerate(zip(dealing.coefexps, dealing.proofs, strict=True)):
        if not verify_secret_key(board, A, proof, bound=_bound(old_board, i, c)):
            raise KeyGenerationError(i, f"no proof of knowledge of coefficient {c}")


def _checked(
    board: BoardContext,
    old_board: str,
    old_threshold: int,
    old_keys: Mapping[int, Point],
    dealings: Sequence[Dealing],
) -> dict[int, int]:
    dealers = [d.dealer for d in dealings]
    if len(dealers) != old_threshold or len(set(dealers)) != len(dealers):
        raise ValueError(f"exactly {old_threshold} dealings by different old trustees")
    for d in dealings:
        if d.dealer not in old_keys:
            raise KeyGenerationError(d.dealer, "not a trustee of the old board")
        check_dealing(board, old_board, old_keys[d.dealer], d)
    return lagrange_at_zero(dealers)


def expected_verification_key(
    dealings: Sequence[Dealing], lambdas: Mapping[int, int], j: int
) -> Point:
    return sum_points(mul(lambdas[d.dealer], _committed_value(d.coefexps, j)) for d in dealings)


def complete_reshare(
    board: BoardContext,
    secrets: TrusteeSecrets,
    certs: Sequence[Certificate],
    old_board: str,
    old_threshold: int,
    old_keys: Mapping[int, Point],
    dealings: Sequence[Dealing],
) -> tuple[KeyShare, VerificationKey]:
    """Step 2, run by new trustee ``secrets.index`` on their own computer."""
    _check_certificates(board, certs)
    lambdas = _checked(board, old_board, old_threshold, old_keys, dealings)
    j = secrets.index
    total = 0
    for d in dealings:
        s = _decrypt_share(board, d.dealer, secrets, d.shares[j - 1])
        if base_mul(s) != _committed_value(d.coefexps, j):
            raise KeyGenerationError(d.dealer, f"share for new trustee {j} does not match")
        total = (total + lambdas[d.dealer] * s) % ORDER
    public = base_mul(total)
    pok = prove_secret_key(board, total, public, bound=(b"verification", index_bytes(j)))
    return KeyShare(j, total), VerificationKey(j, public, pok)


def check_verification_key(
    board: BoardContext, dealings: Sequence[Dealing], vk: VerificationKey
) -> None:
    lambdas = lagrange_at_zero([d.dealer for d in dealings])
    j = vk.index
    if vk.public != expected_verification_key(dealings, lambdas, j):
        raise KeyGenerationError(j, "verification key does not match the dealings")
    if not verify_secret_key(board, vk.public, vk.pok, bound=(b"verification", index_bytes(j))):
        raise KeyGenerationError(j, "no proof of knowledge of the key share")


def assemble_reshared(
    board: BoardContext,
    certs: Sequence[Certificate],
    old_board: str,
    old_threshold: int,
    old_keys: Mapping[int, Point],
    old_public_key: Point,
    dealings: Sequence[Dealing],
    verification_keys: Sequence[VerificationKey],
) -> ThresholdParameters:
    """Step 3, run by the server and by any verifier: the new board, with the old key."""
    _check_certificates(board, certs)
    lambdas = _checked(board, old_board, old_threshold, old_keys, dealings)
    if [v.index for v in verification_keys] != list(range(1, board.size + 1)):
        raise ValueError("one verification key per new trustee, in index order")
    for vk in verification_keys:
        check_verification_key(board, dealings, vk)
    joint = IDENTITY
    for d in dealings:
        joint = add(joint, mul(lambdas[d.dealer], d.coefexps[0]))
    if joint != old_public_key:
        raise ValueError("the dealings do not give the old board's key")
    return ThresholdParameters(
        board,
        tuple(certs),
        tuple(d.coefexps for d in dealings),
        tuple(verification_keys),
        old_public_key,
    )
