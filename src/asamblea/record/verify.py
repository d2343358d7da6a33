"""Offline verification of an exported record (no Django, no database).

An export (``asamblea export-record DIR`` or the web pages under ``/record/export/``) holds:

- ``entries.jsonl``: line ``n`` is leaf ``n``, in canonical bytes;
- ``checkpoints/``: signed checkpoints, one file per checkpoint named by its size
  (``checkpoints/index.txt`` lists the names, for fetching over HTTP);
- ``key.pub``: the current verifier key; ``keys.pub``: every key the log has used, oldest first.

What is checked, in order; the first failure stops with a message naming the entry or file:

1. every checkpoint is signed by a trusted key: the pinned ones (``--key``), or with a warning the
   exported ones; a key becomes trusted when a checkpoint is signed both by it and by a trusted
   key (that is how a rotation hands over); all checkpoints name one log;
2. every entry is canonical, sits at its own index, belongs to one organisation, records the tree
   head before it (``prev_root``, so the first entry changed in place is named), carries its
   registered payload keys and, when its ``(type, version)`` has a typed class
   (asamblea.record.entries), parses through that class (keys, nested objects, time formats);
3. the tree recomputed from the entries has, at each checkpoint's size, the checkpoint's root
   (an entry dropped from the end or changed is named);
4. every known checkpoint given by the user is of this log, no larger than the latest, and signs
   the same tree of its size as the one recomputed here (a second tree of the same size, a fork,
   is named);
5. every result that a recounter (asamblea.record.recount) knows is recounted.

Inclusion and consistency proofs are not computed: once step 3 holds, every checkpoint's root is
the root of the tree recomputed from the entries, so a proof built from that tree would verify by
construction (a check that cannot fail). They matter to a client that holds one entry or one
checkpoint and asks the server for a proof (the record pages serve them); a verifier holding the
whole log checks the roots themselves.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asamblea.record import merkle
from asamblea.record.checkpoint import Checkpoint, NoteError, NoteVerifier, parse_note
from asamblea.record.chunks import ChunkPool
from asamblea.record.encoding import (
    ENVELOPE_KEYS,
    EncodingError,
    check_payload_format,
    parse_entry_line,
)
from asamblea.record.entries.base import entry_class
from asamblea.record.plugins import load_plugins
from asamblea.record.recount import RecountMismatch, recounters


class VerificationFailed(Exception):
    """The record does not verify. ``index``/``entry_type`` name the entry when there is one."""

    def __init__(self, message: str, *, index: int | None = None, entry_type: str | None = None):
        if index is not None:
            where = f"entry {index}" + (f" ({entry_type})" if entry_type else "")
            message = f"{where}: {message}"
        super().__init__(message)
        self.index = index
        self.entry_type = entry_type


class Source(Protocol):
    def read(self, name: str) -> bytes | None: ...

    def lines(self, name: str) -> Iterator[bytes]: ...

    def checkpoint_names(self) -> list[str]: ...

    def describe(self) -> str: ...


class DirSource:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def read(self, name: str) -> bytes | None:
        p = self.path / name
        return p.read_bytes() if p.is_file() else None

    def lines(self, name: str) -> Iterator[bytes]:
        p = self.path / name
        if not p.is_file():
            raise VerificationFailed(f"{p} is missing")
        with p.open("rb") as fh:
            for line in fh:
                yield line.rstrip(b"\n")

    def checkpoint_names(self) -> list[str]:
        d = self.path / "checkpoints"
        if not d.is_dir():
            return []
        return sorted(p.name for p in d.iterdir() if p.is_file() and p.name != "index.txt")

    def describe(self) -> str:
        return str(self.path)


class HttpSource:
    """An export served by Asamblea's pages: ``BASE/entries.jsonl`` and so on.

    ``url`` is either a site (``https://host``, the default organisation's export is used) or an
    export base (``https://host/record/export/SLUG``).
    """

    def __init__(self, url: str, timeout: float = 60) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https"):
            raise VerificationFailed(f"{url}: only http and https URLs can be fetched")
        base = url.rstrip("/")
        if "/record/export" not in parsed.path:
            base += "/record/export"
        self.base = base
        self.timeout = timeout

    def _open(self, name: str):  # type: ignore[no-untyped-def]
        return urllib.request.urlopen(f"{self.base}/{name}", timeout=self.timeout)  # noqa: S310

    def read(self, name: str) -> bytes | None:
        try:
            with self._open(name) as resp:
                return bytes(resp.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise VerificationFailed(f"{self.base}/{name}: HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise VerificationFailed(f"{self.base}/{name}: {exc.reason}") from exc

    def lines(self, name: str) -> Iterator[bytes]:
        try:
            with self._open(name) as resp:
                for line in resp:
                    yield line.rstrip(b"\n")
        except urllib.error.URLError as exc:
            raise VerificationFailed(f"{self.base}/{name}: {exc}") from exc

    def checkpoint_names(self) -> list[str]:
        index = self.read("checkpoints/index.txt")
        if index is None:
            return []
        return [n for n in index.decode().split() if n and "/" not in n and ".." not in n]

    def describe(self) -> str:
        return self.base


def open_source(location: str) -> Source:
    if location.startswith(("http://", "https://")):
        return HttpSource(location)
    return DirSource(location)


@dataclass
class Summary:
    source: str = ""
    origin: str = ""
    entries: int = 0
    types: Counter[str] = field(default_factory=Counter)
    unregistered_types: Counter[str] = field(default_factory=Counter)
    checkpoints: int = 0
    known_checkpoints: int = 0
    typed_entries: int = 0
    recounted: Counter[str] = field(default_factory=Counter)
    trusted_keys: list[str] = field(default_factory=list)
    key_pinned: bool = False
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"record:       {self.source}",
            f"origin:       {self.origin}",
            f"entries:      {self.entries}",
            "types:        "
            + (", ".join(f"{t} {n}" for t, n in sorted(self.types.items())) or "none"),
            f"checkpoints:  {self.checkpoints} checked, latest covers {self.entries} entries",
            f"known checkpoints consistent: {self.known_checkpoints}",
            f"typed:        {self.typed_entries} entries read back through their typed class",
            "recounted:    "
            + (", ".join(f"{t} {n}" for t, n in sorted(self.recounted.items())) or "none"),
            "keys:         "
            + ", ".join(self.trusted_keys)
            + (" (pinned)" if self.key_pinned else " (NOT pinned)"),
        ]
        if self.unregistered_types:
            out.append(
                "not format-checked (unknown types): "
                + ", ".join(f"{t} {n}" for t, n in sorted(self.unregistered_types.items()))
            )
        return out


def _parse_vkeys(text: str, where: str) -> list[NoteVerifier]:
    keys = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(NoteVerifier.from_vkey(line))
        except NoteError as exc:
            raise VerificationFailed(f"{where}:{n}: {exc}") from exc
    return keys


def load_keys(text_or_path: str) -> list[NoteVerifier]:
    """A ``--key`` argument: a verifier key, or a file of them (one a line)."""
    path = Path(text_or_path)
    if "+" not in text_or_path or path.is_file():
        return _parse_vkeys(path.read_text(), str(path))
    return _parse_vkeys(text_or_path, "--key")


@dataclass(frozen=True)
class _SignedCheckpoint:
    name: str
    note: str
    checkpoint: Checkpoint
    signers: tuple[tuple[str, bytes], ...]


def _trusted_closure(
    notes: list[tuple[str, str]], trusted: list[NoteVerifier], candidates: list[NoteVerifier]
) -> list[NoteVerifier]:
    """Extend ``trusted`` with candidate keys that co-signed a note with a trusted key."""
    accepted = list(trusted)
    changed = True
    while changed:
        changed = False
        for _, note in notes:
            try:
                text, sigs = parse_note(note)
            except NoteError:
                continue
            accepted_ids = {(v.name, v.key_id) for v in accepted}
            if not any(
                (s.name, s.key_id) in accepted_ids
                and _valid(accepted, s.name, s.key_id, text, s.signature)
                for s in sigs
            ):
                continue
            for s in sigs:
                if (s.name, s.key_id) in accepted_ids:
                    continue
                for cand in candidates:
                    if (cand.name, cand.key_id) == (s.name, s.key_id) and cand.verify(
                        text.encode(), s.signature
                    ):
                        accepted.append(cand)
                        changed = True
    return accepted


def _valid(keys: list[NoteVerifier], name: str, kid: bytes, text: str, sig: bytes) -> bool:
    return any((k.name, k.key_id) == (name, kid) and k.verify(text.encode(), sig) for k in keys)


def _open_checkpoint(name: str, note: str, keys: list[NoteVerifier]) -> _SignedCheckpoint:
    from asamblea.record.checkpoint import open_checkpoint

    try:
        cp, signed_by = open_checkpoint(note, keys)
    except NoteError as exc:
        raise VerificationFailed(f"checkpoint {name}: {exc}") from exc
    return _SignedCheckpoint(name, note, cp, tuple((v.name, v.key_id) for v in signed_by))


def verify_record(
    source: Source,
    *,
    pinned: list[NoteVerifier] | None = None,
    known: list[tuple[str, str]] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Verify an export; raises :class:`VerificationFailed` at the first problem.

    ``known`` holds ``(name, signed note)`` pairs of checkpoints the user saw earlier. ``jobs``
    processes check the sealed ballots' chunks while the record streams in (1: in this process);
    a chunk's ballots are not kept once handed over (:mod:`asamblea.record.chunks`), and the
    result is the same whatever ``jobs``. ``progress(done, seen)`` is told of checked ballots.
    """
    with ChunkPool(jobs, progress) as pool:
        return _verify_record(source, pinned, known, pool)


def _verify_record(
    source: Source,
    pinned: list[NoteVerifier] | None,
    known: list[tuple[str, str]] | None,
    pool: ChunkPool,
) -> Summary:
    load_plugins()
    summary = Summary(source=source.describe(), key_pinned=bool(pinned))

    # 1. Keys and checkpoint signatures.
    keys_text = source.read("keys.pub") or source.read("key.pub")
    exported = _parse_vkeys(keys_text.decode(), "keys.pub") if keys_text else []
    if pinned:
        trust_roots = list(pinned)
    else:
        if not exported:
            raise VerificationFailed("the export has no key.pub and no --key was given")
        trust_roots = exported
        summary.warnings.append(
            "the signing key is not pinned: anyone who can change the export can change its key "
            "too. Pass --key with the key you obtained independently (asamblea key export-public)."
        )
    notes = []
    for name in source.checkpoint_names():
        raw = source.read(f"checkpoints/{name}")
        if raw is None:
            raise VerificationFailed(f"checkpoint {name} is listed but missing")
        notes.append((name, raw.decode("utf-8")))
    if not notes:
        raise VerificationFailed("the export has no checkpoint")
    trusted = _trusted_closure(notes + list(known or []), trust_roots, exported)
    summary.trusted_keys = [f"{k.name}+{k.key_id.hex()}" for k in trusted]
    checkpoints = sorted(
        (_open_checkpoint(name, note, trusted) for name, note in notes),
        key=lambda c: (c.checkpoint.size, c.name),
    )
    origins = {c.checkpoint.origin for c in checkpoints}
    if len(origins) != 1:
        raise VerificationFailed(f"checkpoints name several logs: {sorted(origins)}")
    summary.origin = origins.pop()
    latest = checkpoints[-1].checkpoint

    # 2. Entries, the tree and the chain of tree heads.
    tree = merkle.MemoryTree()
    entries: list[dict[str, Any]] = []
    org: str | None = None
    for n, line in enumerate(source.lines("entries.jsonl")):
        entry_type = None
        try:
            entry = parse_entry_line(line)
            entry_type = entry["type"]
            if entry["index"] != n:
                raise VerificationFailed(
                    f"found on line {n + 1} but says it is entry {entry['index']} "
                    "(entries reordered, inserted or removed)",
                    index=n,
                    entry_type=entry_type,
                )
            if org is None:
                org = entry["org"]
            elif entry["org"] != org:
                raise VerificationFailed(
                    f"belongs to organisation {entry['org']!r}, not {org!r}",
                    index=n,
                    entry_type=entry_type,
                )
            if entry["prev_root"] != tree.root().hex():
                previous = entries[-1]["type"] if entries else None
                raise VerificationFailed(
                    "does not hash to the tree head recorded by the entry after it: "
                    "it was changed after it was published",
                    index=n - 1 if n else 0,
                    entry_type=previous if n else entry_type,
                )
            if check_payload_format(entry) is None:
                summary.unregistered_types[entry_type] += 1
            elif _check_typed(entry):
                summary.typed_entries += 1
        except EncodingError as exc:
            raise VerificationFailed(str(exc), index=n, entry_type=entry_type) from exc
        tree.append_data(line)
        entries.append(pool.take(entry, line))
        summary.types[entry_type] += 1
    pool.finish()  # the chunks still in flight (their failures wait for the recount to ask)

    # 3. Every checkpoint's root against the recomputed tree.
    for signed in checkpoints:
        cp = signed.checkpoint
        _check_against_tree(cp, tree, entries, f"checkpoint {signed.name}")
        summary.checkpoints += 1
    if tree.size > latest.size:
        # Appended after the latest checkpoint (e.g. while the export was being fetched): not
        # signed yet, so neither trusted nor recounted.
        summary.warnings.append(
            f"entries {latest.size}..{tree.size - 1} come after the latest checkpoint: "
            "they are not signed yet and were not counted as verified"
        )
        del entries[latest.size :]
        summary.types = Counter(e["type"] for e in entries)
    summary.entries = latest.size

    # 4. Known checkpoints: same log, not ahead of the export, same tree at their size.
    for name, note in known or []:
        signed = _open_checkpoint(name, note, trusted)
        cp = signed.checkpoint
        if cp.origin != summary.origin:
            raise VerificationFailed(
                f"known checkpoint {name} is of log {cp.origin!r}, not {summary.origin!r}"
            )
        if cp.size > latest.size:
            raise VerificationFailed(
                f"known checkpoint {name} covers {cp.size} entries but the export's latest "
                f"checkpoint only {latest.size}: entries were removed since, or the export is "
                "stale",
                index=latest.size,
            )
        if tree.root(cp.size) != cp.root:
            raise VerificationFailed(
                f"known checkpoint {name} signs a different tree of size {cp.size} than this "
                "record: the log was forked or rewritten (two histories under one key)"
            )
        summary.known_checkpoints += 1

    # 5. Recounts.
    table = recounters()
    for entry in entries:
        recount = table.get(entry["type"])
        if recount is None:
            continue
        try:
            recount(entry, entries)
        except RecountMismatch as exc:
            raise VerificationFailed(
                f"the recount disagrees: {exc}", index=entry["index"], entry_type=entry["type"]
            ) from exc
        summary.recounted[entry["type"]] += 1
    return summary


def _check_against_tree(
    cp: Checkpoint, tree: merkle.MemoryTree, entries: list[dict[str, Any]], what: str
) -> None:
    if cp.size > tree.size:
        raise VerificationFailed(
            f"missing: {what} was signed over {cp.size} entries but the export ends "
            f"after {tree.size} (entries dropped)",
            index=tree.size,
        )
    if tree.root(cp.size) != cp.root:
        # The chain of prev_root fields agreed up to here, so the last covered entry is the one
        # that no longer hashes to what was signed.
        last = cp.size - 1
        raise VerificationFailed(
            f"does not match {what}, which signed a different tree of size {cp.size}",
            index=last,
            entry_type=entries[last]["type"] if last >= 0 else None,
        )


def _check_typed(entry: dict[str, Any]) -> bool:
    """Read the payload through its typed class, if it has one; False when it has none.

    ``from_payload`` refuses keys or time texts that its class would not write back byte for
    byte (asamblea.record.entries.base), so a time in another format is caught here.
    """
    cls = entry_class(entry["type"], entry["v"])
    if cls is None:
        return False
    cls.from_payload({k: v for k, v in entry.items() if k not in ENVELOPE_KEYS})
    return True


def summary_json(summary: Summary) -> str:
    return json.dumps(
        {
            "source": summary.source,
            "origin": summary.origin,
            "entries": summary.entries,
            "types": dict(summary.types),
            "checkpoints": summary.checkpoints,
            "known_checkpoints": summary.known_checkpoints,
            "typed_entries": summary.typed_entries,
            "recounted": dict(summary.recounted),
            "key_pinned": summary.key_pinned,
            "warnings": summary.warnings,
        },
        indent=2,
        sort_keys=True,
    )
