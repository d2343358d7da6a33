"""The organisations' checkpoint signing keys: encryption at rest, names, backups.

The Ed25519 seed is stored encrypted with AES-256-GCM under a key derived by HKDF-SHA256 from
Django's SECRET_KEY (bound to the organisation and key id as associated data). Losing SECRET_KEY
loses the keys: keep a backup (``asamblea key backup``), which encrypts them under a passphrase
with scrypt. See docs/adr/0003-record-format.md and docs/record.md.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

from asamblea.record.checkpoint import NoteSigner
from asamblea.recordstore.models import SigningKey

BACKUP_FORMAT = "asamblea-record-key-backup/1"


def log_origin(organisation: Any) -> str:
    """The checkpoint origin and key name of an organisation's log: ``HOST/record/SLUG``.

    HOST is ``ASAMBLEA_RECORD_HOST`` (the public host name, without scheme). It is fixed when the
    first key is made; later keys keep it, so that the log keeps one name.
    """
    host = os.environ.get("ASAMBLEA_RECORD_HOST", "localhost").strip().strip("/") or "localhost"
    return f"{host}/record/{organisation.slug}"


def _at_rest_key(organisation_id: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"asamblea record signing key at rest v1",
        info=f"organisation:{organisation_id}".encode(),
    ).derive(settings.SECRET_KEY.encode())


def encrypt_seed(organisation_id: int, key_id: str, seed: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_at_rest_key(organisation_id)).encrypt(nonce, seed, key_id.encode())
    return "v1:" + base64.b64encode(nonce + sealed).decode()


def decrypt_seed(organisation_id: int, key_id: str, text: str) -> bytes:
    version, _, b64 = text.partition(":")
    if version != "v1":
        raise ValueError("unknown encryption of a signing key")
    raw = base64.b64decode(b64)
    try:
        return AESGCM(_at_rest_key(organisation_id)).decrypt(raw[:12], raw[12:], key_id.encode())
    except InvalidTag as exc:
        raise ValueError(
            "cannot decrypt the record signing key: SECRET_KEY changed? Restore from a backup."
        ) from exc


def signer_for(key: SigningKey) -> NoteSigner:
    signer = NoteSigner(key.name, decrypt_seed(key.organisation_id, key.key_id, key.encrypted_seed))
    if signer.key_id.hex() != key.key_id:
        raise ValueError("the stored signing key does not match its key id")
    return signer


def current_key(organisation: Any) -> SigningKey | None:
    return SigningKey.objects.filter(organisation=organisation, retired_at__isnull=True).first()


def all_keys(organisation: Any) -> list[SigningKey]:
    return list(SigningKey.objects.filter(organisation=organisation).order_by("created_at", "id"))


def _scrypt(salt: bytes) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)


def backup_blob(organisation: Any, passphrase: str) -> bytes:
    """Every key of the organisation (current and retired), encrypted under ``passphrase``."""
    if len(passphrase) < 12:
        raise ValueError("the backup passphrase must have at least 12 characters")
    keys = [
        {
            "skey": signer_for(k).skey,
            "created_at": k.created_at.isoformat(),
            "retired_at": k.retired_at.isoformat() if k.retired_at else None,
        }
        for k in all_keys(organisation)
    ]
    if not keys:
        raise ValueError("the organisation has no signing key yet")
    plain = json.dumps({"organisation": organisation.slug, "keys": keys}).encode()
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_scrypt(salt).derive(passphrase.encode())).encrypt(
        nonce, plain, BACKUP_FORMAT.encode()
    )
    return (
        json.dumps(
            {
                "format": BACKUP_FORMAT,
                "organisation": organisation.slug,
                "kdf": "scrypt n=32768 r=8 p=1",
                "cipher": "AES-256-GCM",
                "salt": base64.b64encode(salt).decode(),
                "nonce": base64.b64encode(nonce).decode(),
                "sealed": base64.b64encode(sealed).decode(),
            },
            indent=2,
        ).encode()
        + b"\n"
    )


def open_backup(blob: bytes, passphrase: str) -> dict[str, Any]:
    """The decrypted content of a backup: ``{"organisation", "keys": [{"skey", ...}]}``."""
    outer = json.loads(blob)
    if outer.get("format") != BACKUP_FORMAT:
        raise ValueError("not an Asamblea record key backup")
    key = _scrypt(base64.b64decode(outer["salt"])).derive(passphrase.encode())
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(outer["nonce"]),
            base64.b64decode(outer["sealed"]),
            BACKUP_FORMAT.encode(),
        )
    except InvalidTag as exc:
        raise ValueError("wrong passphrase, or the backup was altered") from exc
    result: dict[str, Any] = json.loads(plain)
    return result
