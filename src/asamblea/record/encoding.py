"""Canonical, versioned encoding of public record entries.

An entry is one JSON object encoded by RFC 8785 (JSON Canonicalization Scheme): keys sorted by
UTF-16 code units, no insignificant whitespace, UTF-8. Its leaf hash in the Merkle log is over
exactly these bytes, so any change of encoding changes every hash after it: formats are frozen per
``(type, version)`` and pinned by golden files (tests/unit/record/golden/). To change what an
entry carries, register a new version and keep the old one readable.

Every entry has the envelope keys below, added by the appender around the payload:

- ``type``, ``v``: the entry type and its format version;
- ``index``: the leaf index in the organisation's log (from 0, gapless);
- ``at``: when it was appended, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC);
- ``org``: the organisation's slug, so an entry cannot be replayed into another log;
- ``prev_root``: hex root hash of the log before this entry (RFC 6962 tree of ``index`` leaves), so
  that a verifier can name the first entry that was changed, not only the checkpoint that broke.

Payload values are JSON strings, integers, booleans, null, lists and objects. Floats are refused:
counts are exact JSON integers, and rational quantities (weights, thresholds, totals of weights)
travel as strings. v1 entries write them as ``str(Fraction)`` (``"7/2"``, or ``"87"`` when whole);
v2 entries write exactly one form, ``"num/den"`` in lowest terms with a positive denominator, whole
numbers included (``"87/1"``): see :func:`format_exact` and docs/adr/0009-record-versions.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import rfc8785

ENVELOPE_KEYS = frozenset({"type", "v", "index", "at", "org", "prev_root"})


class EncodingError(ValueError):
    """An entry or payload does not follow its registered format."""


@dataclass(frozen=True)
class EntryType:
    name: str
    version: int
    keys: frozenset[str]
    # A representative payload: the golden files are generated from it and pin its bytes.
    example: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)


_REGISTRY: dict[tuple[str, int], EntryType] = {}


def register_entry_type(
    name: str,
    version: int,
    keys: Iterable[str],
    *,
    example: Mapping[str, Any] | None = None,
) -> EntryType:
    """Declare that entries of ``name`` at ``version`` carry exactly the payload ``keys``.

    Call once at import time of the module that appends such entries. Registering the same
    format again is harmless; registering a different format under a registered version is an
    error (bump the version instead). Give an ``example`` payload: the golden test needs it.
    """
    keyset = frozenset(keys)
    if not name or not name.replace("_", "").isalnum() or name != name.lower():
        raise EncodingError(f"entry type name {name!r} must be lower_snake_case")
    if version < 1:
        raise EncodingError("entry versions start at 1")
    clash = keyset & ENVELOPE_KEYS
    if clash:
        raise EncodingError(f"payload keys {sorted(clash)} are reserved for the envelope")
    if example is not None and set(example) != keyset:
        raise EncodingError(f"the example of {name} v{version} does not have exactly its keys")
    new = EntryType(name, version, keyset, example)
    old = _REGISTRY.get((name, version))
    if old is not None:
        if old.keys != keyset:
            raise EncodingError(
                f"{name} v{version} is already registered with other keys: bump the version"
            )
        if old.example is not None and new.example is None:
            return old
    _REGISTRY[(name, version)] = new
    return new


def entry_type(name: str, version: int) -> EntryType | None:
    return _REGISTRY.get((name, version))


def registered_types() -> list[EntryType]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def format_at(moment: dt.datetime) -> str:
    """The one text form of a time on the record: UTC with microseconds and ``Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EncodingError("times on the record must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


EXACT_V1 = 1
EXACT_V2 = 2
_RATIONAL = re.compile(r"(-?[0-9]+)(?:/([0-9]+))?")


def format_exact(value: int | Fraction, version: int = EXACT_V2) -> str:
    """The text of an exact rational on the record: v1 ``str(Fraction)``, v2 always ``num/den``."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise EncodingError(f"an exact number is an int or a Fraction, not {type(value).__name__}")
    frac = Fraction(value)
    if version == EXACT_V1:
        return str(frac)
    return f"{frac.numerator}/{frac.denominator}"


def parse_exact(text: Any, where: str, version: int = EXACT_V2) -> Fraction:
    """Read an exact rational written by entries of ``version``; refuse any other spelling.

    The text must be exactly what :func:`format_exact` writes for that version, so reading and
    writing back gives the same bytes (``"2/4"``, ``"+1/2"``, ``"1/2 "`` and ``"0.5"`` are
    refused; ``"87"`` is v1 only, ``"87/1"`` v2 only).
    """
    if not isinstance(text, str):
        raise EncodingError(f"{where}: an exact number is a string, not {type(text).__name__}")
    match = _RATIONAL.fullmatch(text)
    if match is None or (match.group(2) is not None and int(match.group(2)) == 0):
        raise EncodingError(f"{where}: {text!r} is not an exact number (num/den)")
    value = Fraction(int(match.group(1)), int(match.group(2) or 1))
    if format_exact(value, version) != text:
        raise EncodingError(f"{where}: {text!r} is not in the v{version} exact-number form")
    return value


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise EncodingError(f"{where}: integer outside the exact JSON range")
        return
    if isinstance(value, float):
        raise EncodingError(f"{where}: floats are not allowed on the record (use 'num/den')")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"{where}: object keys must be strings")
            _check_json(item, f"{where}.{key}")
        return
    raise EncodingError(f"{where}: {type(value).__name__} is not a JSON value")


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of ``obj`` (refusing floats and non-JSON values)."""
    _check_json(dict(obj), "entry")
    return bytes(rfc8785.dumps(dict(obj)))


def build_entry(
    *,
    entry_type: str,
    version: int,
    index: int,
    at: dt.datetime | str,
    org: str,
    prev_root: str,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """The entry object: envelope plus payload, checked against the registered format."""
    known = _REGISTRY.get((entry_type, version))
    if known is None:
        raise EncodingError(
            f"entry type {entry_type} v{version} is not registered "
            "(asamblea.record.encoding.register_entry_type)"
        )
    keys = set(payload)
    if keys != known.keys:
        missing = sorted(known.keys - keys)
        extra = sorted(keys - known.keys)
        raise EncodingError(
            f"{entry_type} v{version}: payload keys differ from the registered format "
            f"(missing {missing}, unexpected {extra}); a new format needs a new version"
        )
    if index < 0:
        raise EncodingError("index must be >= 0")
    entry: dict[str, Any] = dict(payload)
    entry.update(
        {
            "type": entry_type,
            "v": version,
            "index": index,
            "at": at if isinstance(at, str) else format_at(at),
            "org": org,
            "prev_root": prev_root,
        }
    )
    _check_json(entry, entry_type)
    return entry


def parse_entry_line(line: bytes) -> dict[str, Any]:
    """Parse one exported line and check that it is in canonical form and has an envelope."""
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EncodingError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise EncodingError("not a JSON object")
    missing = ENVELOPE_KEYS - set(obj)
    if missing:
        raise EncodingError(f"envelope keys missing: {sorted(missing)}")
    try:
        again = canonical_bytes(obj)
    except (EncodingError, ValueError, TypeError) as exc:
        raise EncodingError(f"not encodable canonically: {exc}") from exc
    if again != line:
        raise EncodingError("not in canonical (RFC 8785) form")
    if not isinstance(obj["type"], str) or not isinstance(obj["v"], int):
        raise EncodingError("type must be a string and v an integer")
    if not isinstance(obj["index"], int) or isinstance(obj["index"], bool):
        raise EncodingError("index must be an integer")
    return obj


def check_payload_format(entry: Mapping[str, Any]) -> EntryType | None:
    """The registered format of ``entry`` (payload keys checked), or None when unregistered."""
    known = _REGISTRY.get((entry["type"], entry["v"]))
    if known is None:
        return None
    keys = set(entry) - ENVELOPE_KEYS
    if keys != known.keys:
        raise EncodingError(
            f"payload keys {sorted(keys)} differ from {known.name} v{known.version}'s "
            f"{sorted(known.keys)}"
        )
    return known
