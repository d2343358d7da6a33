"""A standing board of n trustees, any k of whom decrypt a total: key generation without a dealer,
partial decryptions with proofs, and their Lagrange combination.

Specification: Belenios 2.0 (S. Glondu), the "Pedersen" protocol of section 3.1.1 with the
messages of section 4.6, partial decryptions of section 4.18 and their combination in 4.19.
Belenios' threshold ``t + 1`` is our ``k``; a polynomial has degree ``k - 1``.

Key generation, step by step (section 3.1.1, "Pedersen" protocol):

1. Each trustee makes an identity (``new_trustee``): a signing key and a decryption key, whose
   public halves form a self-signed certificate (4.6.1, 4.6.2). Trustees compare certificate
   fingerprints out of band; everything after is checked against those certificates.
2. With every certificate in hand, each trustee i draws a random polynomial ``f_i`` of degree
   ``k - 1`` and publishes a ``Polynomial`` (4.6.4): the Feldman commitments ``A_ik = g^a_ik``,
   a proof of knowledge of each ``a_ik``, and ``s_ij = f_i(j)`` encrypted to each trustee j.
3. The server routes every polynomial to every trustee (4.6.5, "vinput"). It can read none of
   the shares.
4. Each trustee j checks every dealer's signature and proofs, decrypts its shares and checks each
   against the dealer's commitments, ``g^s_ij == prod_k A_ik^(j^k)`` (4.6.5); a failure names the
   dealer. It keeps ``S_j = sum_i s_ij`` and publishes ``g^S_j`` with a proof of knowledge: its
   verification key (4.6.6, "voutput").
5. Anyone assembles the board (``assemble_board``, 4.6.7): each verification key must equal
   ``prod_i prod_k A_ik^(j^k)``, and the joint public key is ``prod_i A_i0``. No machine ever
   holds more than one ``S_j``; the joint secret ``sum_i a_i0`` exists nowhere.

Deviations from the letter of Belenios (ADR 0008): a Schnorr proof of knowledge of every
committed coefficient (as ElectionGuard 2.0 section 3.2.2 does), so that no trustee can commit to
a key it does not know and cancel the others' (rogue-key); the channel's symmetric cipher is
libsodium's XChaCha20-Poly1305 with a random nonce instead of AES-CCM with a derived IV; and the
server's mandatory per-election key of section 4.7 is not used (a board's key is standing).

Decryption (4.18, 4.19): trustee j publishes ``alpha^S_j`` for each ciphertext of the encrypted
tally, with a Chaum-Pedersen proof against its verification key; any k valid partials are
combined with Lagrange coefficients at 0. Only totals are ever decrypted: callers pass the
encrypted tally, never a ballot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pysodium

from asamblea.crypto.elgamal import Ciphertext, DiscreteLog
from asamblea.crypto.group import (
    IDENTITY,
    ORDER,
    Point,
    add,
    b64encode,
    base_mul,
    combo,
    decode_scalar,
    encode_scalar,
    mul,
    random_scalar,
    sub,
)
from asamblea.crypto.proofs import (
    Proof,
    prove_dleq,
    prove_secret_key,
    verify_dleq,
    verify_secret_key,
)
from asamblea.crypto.transcript import BoardContext, Context, index_bytes

NONCE_BYTES = pysodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


class KeyGenerationError(ValueError):
    """A key-generation message failed a check; ``trustee`` names whose message it was."""

    def __init__(self, trustee: int, reason: str) -> None:
        super().__init__(f"trustee {trustee}: {reason}")
        self.trustee = trustee
        self.reason = reason


class InvalidPartialDecryption(ValueError):
    """A partial decryption failed its proof; ``trustee`` names who posted it."""

    def __init__(self, trustee: int, reason: str) -> None:
        super().__init__(f"trustee {trustee}: {reason}")
        self.trustee = trustee
        self.reason = reason


class NotEnoughTrustees(ValueError):
    """Fewer than k valid partial decryptions: the total cannot be decrypted."""


# --- identities and certificates (4.6.1, 4.6.2) -------------------------------------------------


@dataclass(frozen=True)
class TrusteeSecrets:
    """What trustee ``index`` alone keeps during key generation (never sent anywhere)."""

    index: int
    signing_key: int
    decryption_key: int


@dataclass(frozen=True)
class Certificate:
    """A trustee's public identity on the board (4.6.2), self-signed."""

    index: int
    verification_key: Point
    encryption_key: Point
    signature: Proof

    def message(self) -> bytes:
        return b"cert" + index_bytes(self.index) + self.verification_key + self.encryption_key


def fingerprint(cert: Certificate) -> str:
    """What trustees read to each other out of band: base64url of SHA-256 of the certificate."""
    return b64encode(hashlib.sha256(cert.message()).digest())


def _sign(board: BoardContext, secrets: TrusteeSecrets, public: Point, message: bytes) -> Proof:
    return prove_secret_key(board, secrets.signing_key, public, bound=(message,), tag="sigmsg")


def _signature_ok(board: BoardContext, public: Point, message: bytes, signature: Proof) -> bool:
    return verify_secret_key(board, public, signature, bound=(message,), tag="sigmsg")


def new_trustee(board: BoardContext, index: int) -> tuple[TrusteeSecrets, Certificate]:
    """Step 1: a trustee's keys (the secrets stay on their own computer) and certificate."""
    if not 1 <= index <= board.size:
        raise ValueError("trustee index out of range")
    secrets = TrusteeSecrets(index, random_scalar(), random_scalar())
    vk, ek = base_mul(secrets.signing_key), base_mul(secrets.decryption_key)
    unsigned = Certificate(index, vk, ek, Proof(0, 0))
    return secrets, Certificate(index, vk, ek, _sign(board, secrets, vk, unsigned.message()))


def verify_certificate(board: BoardContext, cert: Certificate) -> bool:
    return _signature_ok(board, cert.verification_key, cert.message(), cert.signature)


def _check_certificates(board: BoardContext, certs: Sequence[Certificate]) -> None:
    if [c.index for c in certs] != list(range(1, board.size + 1)):
        raise ValueError("one certificate per trustee, in index order 1..n")
    for cert in certs:
        if not verify_certificate(board, cert):
            raise KeyGenerationError(cert.index, "certificate signature does not verify")


# --- the channel: a share encrypted from one trustee to another (4.6.1, 4.6.3) -----------------


@dataclass(frozen=True)
class EncryptedShare:
    """``s_ij`` for trustee ``recipient``: Belenios' ``encrypted_msg`` (alpha, beta, data)."""

    recipient: int
    alpha: Point
    beta: Point
    nonce: bytes
    data: bytes


def _share_key(board: BoardContext, dealer: int, recipient: int, gs: Point) -> tuple[bytes, bytes]:
    """The symmetric key, from the random element ``g^s`` the ElGamal part carries, and the
    associated data binding the board, the dealer and the recipient."""
    ad = b"".join((*board.fields(), index_bytes(dealer), index_bytes(recipient)))
    key = hashlib.sha512(b"asamblea/share-key/v1" + ad + gs).digest()[:32]
    return key, ad


def _encrypt_share(
    board: BoardContext, dealer: int, recipient: Certificate, share: int
) -> EncryptedShare:
    r, s = random_scalar(), random_scalar()
    gs = base_mul(s)
    alpha = base_mul(r)
    beta = add(mul(r, recipient.encryption_key), gs)
    key, ad = _share_key(board, dealer, recipient.index, gs)
    nonce = pysodium.randombytes(NONCE_BYTES)
    data = pysodium.crypto_aead_xchacha20poly1305_ietf_encrypt(encode_scalar(share), ad, nonce, key)
    return EncryptedShare(recipient.index, alpha, beta, nonce, data)


def _decrypt_share(
    board: BoardContext, dealer: int, secrets: TrusteeSecrets, sealed: EncryptedShare
) -> int:
    gs = sub(sealed.beta, mul(secrets.decryption_key, sealed.alpha))
    key, ad = _share_key(board, dealer, secrets.index, gs)
    try:
        plain = pysodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed.data, ad, sealed.nonce, key
        )
        return decode_scalar(plain)
    except ValueError as exc:
        raise KeyGenerationError(dealer, "share does not decrypt") from exc


# --- polynomials (4.6.4) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Polynomial:
    """Dealer i's public message: Feldman commitments with proofs, and the encrypted shares."""

    dealer: int
    coefexps: tuple[Point, ...]
    proofs: tuple[Proof, ...]
    shares: tuple[EncryptedShare, ...]
    signature: Proof

    def message(self) -> bytes:
        parts = [b"polynomial", index_bytes(self.dealer)]
        parts += [bytes(a) for a in self.coefexps]
        for p in self.proofs:
            parts += [encode_scalar(p.challenge), encode_scalar(p.response)]
        for e in self.shares:
            parts += [index_bytes(e.recipient), e.alpha, e.beta, e.nonce, e.data]
        return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def _coefficient_bound(dealer: int, k: int) -> tuple[bytes, ...]:
    return (b"coefficient", index_bytes(dealer), index_bytes(k))


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for a in reversed(coefficients):
        result = (result * x + a) % ORDER
    return result


def make_polynomial(
    board: BoardContext, secrets: TrusteeSecrets, certs: Sequence[Certificate]
) -> Polynomial:
    """Step 2: dealer ``secrets.index`` commits to a random polynomial and shares it out."""
    _check_certificates(board, certs)
    me = certs[secrets.index - 1]
    if me.verification_key != base_mul(secrets.signing_key):
        raise ValueError("these secrets are not this trustee's certificate")
    coefficients = [random_scalar() for _ in range(board.threshold)]
    coefexps = tuple(base_mul(a) for a in coefficients)
    proofs = tuple(
        prove_secret_key(board, a, A, bound=_coefficient_bound(secrets.index, k))
        for k, (a, A) in enumerate(zip(coefficients, coefexps, strict=True))
    )
    shares = tuple(
        _encrypt_share(board, secrets.index, cert, _evaluate(coefficients, cert.index))
        for cert in certs
    )
    unsigned = Polynomial(secrets.index, coefexps, proofs, shares, Proof(0, 0))
    signature = _sign(board, secrets, me.verification_key, unsigned.message())
    return Polynomial(secrets.index, coefexps, proofs, shares, signature)


def _check_polynomial(board: BoardContext, cert: Certificate, poly: Polynomial) -> None:
    i = cert.index
    if poly.dealer != i:
        raise KeyGenerationError(i, "polynomial out of order")
    if len(poly.coefexps) != board.threshold or len(poly.proofs) != board.threshold:
        raise KeyGenerationError(i, f"polynomial must have {board.threshold} coefficients")
    if [e.recipient for e in poly.shares] != list(range(1, board.size + 1)):
        raise KeyGenerationError(i, "one share per trustee, in index order")
    if not _signature_ok(board, cert.verification_key, poly.message(), poly.signature):
        raise KeyGenerationError(i, "polynomial signature does not verify")
    for k, (A, proof) in enumerate(zip(poly.coefexps, poly.proofs, strict=True)):
        if not verify_secret_key(board, A, proof, bound=_coefficient_bound(i, k)):
            raise KeyGenerationError(i, f"no proof of knowledge of coefficient {k}")


def _committed_value(coefexps: Sequence[Point], x: int) -> Point:
    """``prod_k A_k^(x^k)``: ``g^f(x)`` computed from the commitments alone."""
    total = IDENTITY
    power = 1
    for a in coefexps:
        total = add(total, mul(power, a))
        power = (power * x) % ORDER
    return total


# --- the trustee's share and verification key (4.6.5, 4.6.6) ----------------------------------


@dataclass(frozen=True)
class KeyShare:
    """Trustee ``index``'s decryption share ``S_j``: the file they keep, and nobody else has."""

    index: int
    secret: int


@dataclass(frozen=True)
class VerificationKey:
    """``g^S_j`` with a proof of knowledge of ``S_j`` (Belenios' ``trustee_public_key``)."""

    index: int
    public: Point
    pok: Proof


def complete_key(
    board: BoardContext,
    secrets: TrusteeSecrets,
    certs: Sequence[Certificate],
    polynomials: Sequence[Polynomial],
) -> tuple[KeyShare, VerificationKey]:
    """Step 4, run by trustee j on their own computer: check everything, keep ``S_j``."""
    _check_certificates(board, certs)
    if len(polynomials) != board.size:
        raise ValueError("one polynomial per trustee")
    j = secrets.index
    total = 0
    for cert, poly in zip(certs, polynomials, strict=True):
        _check_polynomial(board, cert, poly)
        s_ij = _decrypt_share(board, cert.index, secrets, poly.shares[j - 1])
        if base_mul(s_ij) != _committed_value(poly.coefexps, j):
            raise KeyGenerationError(cert.index, f"share for trustee {j} does not match")
        total = (total + s_ij) % ORDER
    public = base_mul(total)
    pok = prove_secret_key(board, total, public, bound=(b"verification", index_bytes(j)))
    return KeyShare(j, total), VerificationKey(j, public, pok)


# --- the assembled board (4.6.7) ----------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdParameters:
    """What the record holds of a board: enough for anyone to check every later decryption."""

    board: BoardContext
    certificates: tuple[Certificate, ...]
    coefexps: tuple[tuple[Point, ...], ...]
    verification_keys: tuple[VerificationKey, ...]
    public_key: Point

    def verification_key(self, index: int) -> Point:
        return self.verification_keys[index - 1].public


def assemble_board(
    board: BoardContext,
    certs: Sequence[Certificate],
    polynomials: Sequence[Polynomial],
    verification_keys: Sequence[VerificationKey],
) -> ThresholdParameters:
    """Step 5, run by the server and again by any verifier: check, then derive the joint key."""
    _check_certificates(board, certs)
    if len(polynomials) != board.size or len(verification_keys) != board.size:
        raise ValueError("one polynomial and one verification key per trustee")
    for cert, poly in zip(certs, polynomials, strict=True):
        _check_polynomial(board, cert, poly)
    # Sum the dealers' commitments coefficient by coefficient: g^(sum_i a_ik).
    combined = [
        sum_points(poly.coefexps[k] for poly in polynomials) for k in range(board.threshold)
    ]
    for j, vk in enumerate(verification_keys, start=1):
        if vk.index != j:
            raise KeyGenerationError(j, "verification keys out of order")
        if vk.public != _committed_value(combined, j):
            raise KeyGenerationError(j, "verification key does not match the commitments")
        if not verify_secret_key(board, vk.public, vk.pok, bound=(b"verification", index_bytes(j))):
            raise KeyGenerationError(j, "no proof of knowledge of the key share")
    if combined[0] == IDENTITY:
        # Only all n dealers together could bring this about; it would make every ciphertext
        # readable (beta = g^m), so it is refused outright.
        raise ValueError("the joint public key is the identity")
    return ThresholdParameters(
        board,
        tuple(certs),
        tuple(poly.coefexps for poly in polynomials),
        tuple(verification_keys),
        combined[0],
    )


def sum_points(points: Iterable[Point]) -> Point:
    total = IDENTITY
    for p in points:
        total = add(total, p)
    return total


# --- partial decryptions (4.18) and their combination (4.19) -----------------------------------


@dataclass(frozen=True)
class PartialDecryption:
    trustee: int
    factors: tuple[Point, ...]
    proofs: tuple[Proof, ...]


def _decryption_bound(trustee: int, position: int, c: Ciphertext) -> tuple[bytes, ...]:
    # The whole ciphertext, not only alpha: Belenios' Hdecrypt omits it (strong Fiat-Shamir).
    return (index_bytes(trustee), index_bytes(position), bytes(c.beta))


def partial_decrypt(
    context: Context, share: KeyShare, ciphertexts: Sequence[Ciphertext]
) -> PartialDecryption:
    """Trustee j's decryption factors ``alpha^S_j`` of an encrypted tally, with proofs."""
    public = base_mul(share.secret)
    factors = tuple(mul(share.secret, c.alpha) for c in ciphertexts)
    proofs = tuple(
        prove_dleq(
            context,
            "decrypt",
            share.secret,
            public,
            c.alpha,
            f,
            bound=_decryption_bound(share.index, n, c),
        )
        for n, (c, f) in enumerate(zip(ciphertexts, factors, strict=True))
    )
    return PartialDecryption(share.index, factors, proofs)


def verify_partial_decryption(
    context: Context,
    params: ThresholdParameters,
    ciphertexts: Sequence[Ciphertext],
    partial: PartialDecryption,
) -> None:
    """Raises ``InvalidPartialDecryption`` naming the trustee unless every proof holds against
    that trustee's verification key."""
    j = partial.trustee
    if not 1 <= j <= params.board.size:
        raise InvalidPartialDecryption(j, "no such trustee on this board")
    if context.public_key != params.public_key:
        raise InvalidPartialDecryption(j, "context key is not the board's key")
    if len(partial.factors) != len(ciphertexts) or len(partial.proofs) != len(ciphertexts):
        raise InvalidPartialDecryption(j, "one factor and one proof per ciphertext")
    public = params.verification_key(j)
    for n, (c, f, proof) in enumerate(
        zip(ciphertexts, partial.factors, partial.proofs, strict=True)
    ):
        if not verify_dleq(
            context, "decrypt", public, c.alpha, f, proof, bound=_decryption_bound(j, n, c)
        ):
            raise InvalidPartialDecryption(j, f"proof {n} does not verify")


def lagrange_at_zero(indices: Sequence[int]) -> dict[int, int]:
    """Section 4.19: ``lambda_d = prod_{k in I, k != d} k / (k - d) mod q``."""
    if len(set(indices)) != len(indices) or any(i <= 0 for i in indices):
        raise ValueError("indices must be distinct and positive")
    coefficients = {}
    for d in indices:
        num, den = 1, 1
        for k in indices:
            if k != d:
                num = (num * k) % ORDER
                den = (den * (k - d)) % ORDER
        coefficients[d] = (num * pow(den, -1, ORDER)) % ORDER
    return coefficients


def combine_factors(partials: Sequence[PartialDecryption], position: int) -> Point:
    """``alpha^S`` for the ciphertext at ``position``, interpolated from these partials only."""
    lambdas = lagrange_at_zero([p.trustee for p in partials])
    return sum_points(mul(lambdas[p.trustee], p.factors[position]) for p in partials)


def combine_positions(
    betas: Sequence[Point], factors: Sequence[Sequence[Point]], trustees: Sequence[int]
) -> list[Point]:
    """``beta_i - alpha_i^S`` for every position ``i`` of a list: ``combine_factors`` for a whole
    list, with the Lagrange coefficients of ``trustees`` computed once and the products taken two
    at a time (``combo``: the factors and coefficients are public, so variable time is allowed).
    ``factors[j]`` are trustee ``trustees[j]``'s factors, in the list's order."""
    lambdas = lagrange_at_zero(list(trustees))
    coefficients = [lambdas[t] for t in trustees]
    out = []
    for i, beta in enumerate(betas):
        terms = [(lam, column[i]) for lam, column in zip(coefficients, factors, strict=True)]
        total = IDENTITY
        for a in range(0, len(terms) - 1, 2):
            total = add(total, combo(terms[a][0], terms[a][1], terms[a + 1][0], terms[a + 1][1]))
        if len(terms) % 2:
            total = add(total, mul(terms[-1][0], terms[-1][1]))
        out.append(sub(beta, total))
    return out


def combine(
    context: Context,
    params: ThresholdParameters,
    ciphertexts: Sequence[Ciphertext],
    partials: Sequence[PartialDecryption],
    dlog: DiscreteLog,
) -> list[int]:
    """The decrypted totals. Every partial is verified first (an invalid one raises, naming its
    trustee: it must be refused, not silently skipped, so the record shows who posted it); then
    the k lowest-numbered trustees' factors are combined."""
    seen: set[int] = set()
    for partial in partials:
        if partial.trustee in seen:
            raise InvalidPartialDecryption(partial.trustee, "posted twice")
        seen.add(partial.trustee)
        verify_partial_decryption(context, params, ciphertexts, partial)
    k = params.board.threshold
    if len(partials) < k:
        raise NotEnoughTrustees(f"{len(partials)} valid partial decryptions, {k} needed")
    chosen = sorted(partials, key=lambda p: p.trustee)[:k]
    totals = []
    for n, c in enumerate(ciphertexts):
        totals.append(dlog.solve(sub(c.beta, combine_factors(chosen, n))))
    return totals
