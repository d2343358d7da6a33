"""A trustee's own file: their key-generation secrets, then their decryption share.

It lives on the trustee's computer (mode 0600), never on the server. Its JSON::

    {"format": "asamblea-trustee/v1", "board": uid, "k": 3, "n": 5, "index": 2,
     "secrets": {"signing_key": s, "decryption_key": s} | null,
     "sent": {"certificate": {...}, "polynomial": {...}, ...},
     "share": s | null, "public_key": p | null}

``secrets`` are the identity of steps 1-3 (Belenios 2.0 4.6.1); once the verification key is
made, ``share`` holds ``S_j`` and the secrets are dropped. ``sent`` keeps each message this
trustee made, written before it is sent: a retry sends the very same message (the server accepts
an identical repeat), never a second, different one. ``paper_backup`` prints the share (with
the board, k, n and index) as grouped base32 with a check on each line and one over all, and
``from_paper`` reads it back, naming the line with a typo.

Also here, with no database: the trustee's own computations on the wire messages of
:mod:`asamblea.record.entries.trustees` (``partials_for``), shared by the command line, the
test fixture and the demo.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asamblea.crypto.group import (
    Point,
    base_mul,
    point_from_text,
    point_to_text,
    scalar_from_text,
    scalar_to_text,
)
from asamblea.crypto.threshold import KeyShare, TrusteeSecrets, partial_decrypt
from asamblea.crypto.transcript import BoardContext, Context
from asamblea.record.entries.trustees import (
    chunks,
    ciphertext_from_json,
    factors_to_json,
)

FORMAT = "asamblea-trustee/v1"
PAPER_MAGIC = b"ASBK1"
GROUP, GROUPS_PER_LINE = 4, 6


class ShareFileError(ValueError):
    """A share file or paper backup that cannot be read; the message names the place."""


@dataclass
class ShareFile:
    board: str
    k: int
    n: int
    index: int
    secrets: TrusteeSecrets | None = None
    share: KeyShare | None = None
    public_key: Point | None = None
    sent: dict[str, Any] = field(default_factory=dict)

    @property
    def context(self) -> BoardContext:
        return BoardContext(self.board, self.k, self.n)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "board": self.board,
            "k": self.k,
            "n": self.n,
            "index": self.index,
            "secrets": None
            if self.secrets is None
            else {
                "signing_key": scalar_to_text(self.secrets.signing_key),
                "decryption_key": scalar_to_text(self.secrets.decryption_key),
            },
            "sent": self.sent,
            "share": None if self.share is None else scalar_to_text(self.share.secret),
            "public_key": None if self.public_key is None else point_to_text(self.public_key),
        }

    @classmethod
    def from_json(cls, obj: Any, where: str = "share file") -> ShareFile:
        keys = {"format", "board", "k", "n", "index", "secrets", "sent", "share", "public_key"}
        if not isinstance(obj, dict) or set(obj) != keys or obj.get("format") != FORMAT:
            raise ShareFileError(f"{where}: not an {FORMAT} file")
        try:
            index = int(obj["index"])
            secrets = None
            if obj["secrets"] is not None:
                secrets = TrusteeSecrets(
                    index,
                    scalar_from_text(obj["secrets"]["signing_key"]),
                    scalar_from_text(obj["secrets"]["decryption_key"]),
                )
            share = (
                None if obj["share"] is None else KeyShare(index, scalar_from_text(obj["share"]))
            )
            public = None if obj["public_key"] is None else point_from_text(obj["public_key"])
            return cls(
                str(obj["board"]), int(obj["k"]), int(obj["n"]), index, secrets, share, public
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ShareFileError(f"{where}: {exc}") from None


def save(path: Path, share: ShareFile) -> None:
    """Write the file readable by its owner only (0600), replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(share.to_json(), fh, indent=2)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load(path: Path) -> ShareFile:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ShareFileError(f"{path}: {exc}") from None
    return ShareFile.from_json(obj, str(path))


# --- paper backup ----------------------------------------------------------------------------


def _line_check(number: int, text: str) -> str:
    digest = hashlib.sha256(f"{number}:{text}".encode()).digest()
    return base64.b32encode(digest[:5]).decode()[:2]


def paper_backup(share: ShareFile) -> str:
    """The share as lines of base32 groups, each line ending in a 2-character check."""
    if share.share is None:
        raise ShareFileError("this file holds no share yet: finish the key generation first")
    uid = share.board.encode()
    body = (
        PAPER_MAGIC
        + bytes([share.k, share.n, share.index, len(uid)])
        + uid
        + share.share.secret.to_bytes(32, "little")
    )
    if share.public_key is not None:
        body += bytes(share.public_key)
    body += hashlib.sha256(body).digest()[:4]
    text = base64.b32encode(body).decode().rstrip("=")
    per_line = GROUP * GROUPS_PER_LINE
    lines = []
    for number, start in enumerate(range(0, len(text), per_line), start=1):
        chunk = text[start : start + per_line]
        groups = " ".join(chunk[i : i + GROUP] for i in range(0, len(chunk), GROUP))
        lines.append(f"{number:02d}  {groups}  {_line_check(number, chunk)}")
    return "\n".join(lines) + "\n"


def from_paper(text: str) -> ShareFile:
    """Read back ``paper_backup``'s lines (spacing and case as typed are forgiven)."""
    data = []
    for number, raw in enumerate([ln for ln in text.splitlines() if ln.strip()], start=1):
        words = raw.upper().replace("0", "O").split()
        if len(words) < 3 or words[0].lstrip("O") != str(number):
            raise ShareFileError(f"line {number}: expected '{number:02d}  groups...  check'")
        chunk, check = "".join(words[1:-1]), words[-1]
        if _line_check(number, chunk) != check:
            raise ShareFileError(f"line {number}: the check does not match (a typo on this line)")
        data.append(chunk)
    joined = "".join(data)
    try:
        body = base64.b32decode(joined + "=" * (-len(joined) % 8))
    except ValueError as exc:
        raise ShareFileError(f"not base32: {exc}") from None
    payload, check = body[:-4], body[-4:]
    if hashlib.sha256(payload).digest()[:4] != check or not payload.startswith(PAPER_MAGIC):
        raise ShareFileError("the backup's overall check does not match")
    at = len(PAPER_MAGIC)
    k, n, index, ulen = payload[at : at + 4]
    uid = payload[at + 4 : at + 4 + ulen].decode()
    rest = payload[at + 4 + ulen :]
    secret = int.from_bytes(rest[:32], "little")
    public = point_from_text(point_to_text(Point(rest[32:64]))) if len(rest) >= 64 else None
    return ShareFile(uid, k, n, index, None, KeyShare(index, secret), public)


# --- the trustee's computation of a decryption -----------------------------------------------


# From this many ciphertexts in a request, the chunks are decrypted in worker processes on every
# core of the trustee's computer (the share goes to its own workers, never further).
PARALLEL_FROM = 20_000


def _partial_chunk(task: tuple[Context, KeyShare, list[Any]]) -> dict[str, Any]:
    context, share, cts = task
    return factors_to_json(partial_decrypt(context, share, cts))


def partials_for(
    share: KeyShare, public_key: Point, groups: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The ``{"groups": [...]}`` message for a request's groups (as the API lists them: each
    ``{"election", "question", "ciphertexts"}``), chunk by chunk as the record carries them."""
    tasks: list[tuple[Context, KeyShare, list[Any]]] = []
    owner: list[int] = []
    for g, group in enumerate(groups):
        context = Context(group["election"], group["question"], public_key)
        cts = [
            ciphertext_from_json(c, f"groups[{g}].ciphertexts[{i}]")
            for i, c in enumerate(group["ciphertexts"])
        ]
        for start, stop in chunks(len(cts)):
            tasks.append((context, share, cts[start:stop]))
            owner.append(g)
    jobs = os.cpu_count() or 1
    out: list[dict[str, list[Any]]] = [{"factors": [], "proofs": []} for _ in groups]
    if jobs < 2 or sum(len(t[2]) for t in tasks) < PARALLEL_FROM:
        pieces: Iterable[dict[str, Any]] = map(_partial_chunk, tasks)
        for g, piece in zip(owner, pieces, strict=True):
            out[g]["factors"] += piece["factors"]
            out[g]["proofs"] += piece["proofs"]
        return {"groups": out}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for g, piece in zip(owner, pool.map(_partial_chunk, tasks), strict=True):
            out[g]["factors"] += piece["factors"]
            out[g]["proofs"] += piece["proofs"]
    return {"groups": out}


def share_matches(share: KeyShare, verification_key: Point) -> bool:
    return base_mul(share.secret) == verification_key
