"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, with Ed25519.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the text::

    <origin>\\n<tree size, decimal>\\n<root hash, base64>\\n[extension lines\\n]

signed as a note (https://c2sp.org/signed-note): the text, a blank line, then one line per
signature ``— <key name> <base64(key id || signature)>``, where the Ed25519 signature covers the
text including its final newline, and the key id is the first 4 bytes of
``SHA-256(key name || 0x0A || 0x01 || public key)``. Verifier keys travel as
``<name>+<hex key id>+<base64(0x01 || public key)>`` and signer keys as
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || private seed)>``, the forms Go's
golang.org/x/mod/sumdb/note reads, so other tooling can check our checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or checkpoint is malformed or its signature does not verify."""


def check_key_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"bad base64: {text[:20]!r}") from exc


@dataclass(frozen=True)
class NoteVerifier:
    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is NAME+KEYID+BASE64KEY")
        name, hex_id, b64 = parts
        check_key_name(name)
        raw = _b64decode(b64)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        public = raw[1:]
        try:
            kid = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise NoteError("bad key id") from exc
        if len(kid) != 4 or kid != key_id(name, public):
            raise NoteError(f"key id {hex_id} does not match the key")
        return cls(name, kid, public)

    @property
    def vkey(self) -> str:
        b64 = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        check_key_name(name)
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(name, seed)

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+NAME+KEYID+BASE64KEY")
        name, hex_id, b64 = parts[2:]
        raw = _b64decode(b64)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 signer keys are supported")
        signer = cls(name, raw[1:])
        if signer.key_id.hex() != hex_id:
            raise NoteError("key id does not match the key")
        return signer

    @property
    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def skey(self) -> str:
        b64 = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{b64}"

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key_id, self.public_key)

    def signature_line(self, text: str) -> str:
        sig = self._private.sign(text.encode())
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + sig).decode()}\n"

    def __repr__(self) -> str:  # never print the seed
        return f"NoteSigner({self.name!r}, key_id={self.key_id.hex()})"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if "\n\n" in text:
        raise NoteError("note text must not contain a blank line")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text must not contain control characters")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    if not signers:
        raise NoteError("a note needs at least one signer")
    _check_text(text)
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and its (unverified) signatures."""
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("note must not contain control characters")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("no blank line before the signatures")
    text, sig_block = note[: cut + 1], note[cut + 2 :]
    if not sig_block.endswith("\n"):
        raise NoteError("signature lines must end with a newline")
    signatures = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {line[:40]!r}")
        rest = line[len(SIG_PREFIX) :]
        name, sep, b64 = rest.rpartition(" ")
        if not sep:
            raise NoteError(f"malformed signature line {line[:40]!r}")
        check_key_name(name)
        raw = _b64decode(b64)
        if len(raw) < 5:
            raise NoteError("signature too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise NoteError("a note has between 1 and 100 signatures")
    return text, signatures


def verify_note(note: str, verifiers: Iterable[NoteVerifier]) -> tuple[str, list[NoteVerifier]]:
    """The note's text and the known keys that signed it.

    Signatures from unknown keys are ignored (the spec allows co-signers such as witnesses); a
    signature that claims a known key but does not verify rejects the whole note, as does a note
    that no known key signed.
    """
    text, signatures = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    good: list[NoteVerifier] = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text.encode(), sig.signature):
            raise NoteError(f"the signature of key {sig.name}+{sig.key_id.hex()} does not verify")
        if verifier not in good:
            good.append(verifier)
    if not good:
        raise NoteError("the note is not signed by any known key")
    return text, good


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        origin, size_text, root_b64, *extensions = lines
        if not origin:
            raise NoteError("empty origin")
        if (
            not size_text.isascii()
            or not size_text.isdigit()
            or (size_text != "0" and size_text.startswith("0"))
        ):
            raise NoteError(f"bad tree size {size_text!r}")
        root = _b64decode(root_b64)
        if len(root) != 32:
            raise NoteError("the root hash must be 32 bytes")
        if any(not ext for ext in extensions):
            raise NoteError("empty extension line")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> str:
    return sign_note(checkpoint.body(), signers)


def open_checkpoint(
    note: str, verifiers: Iterable[NoteVerifier]
) -> tuple[Checkpoint, list[NoteVerifier]]:
    """Verify a signed checkpoint; returns it and the known keys that signed it."""
    text, signed_by = verify_note(note, verifiers)
    return Checkpoint.parse(text), signed_by
