"""Typed record entries: one class per ``(type, version)``, owning its payload's serialisation.

Each entry type is a frozen dataclass declared with :func:`entry`; its fields are exactly the
payload's keys (the envelope ``type``, ``v``, ``index``, ``at``, ``org``, ``prev_root`` is added
by the appender). Nested objects are :class:`Part` dataclasses, lists of them ``list[Part]``.
Times are ``datetime`` values in the program and text on the record, in the format the field
declares with :func:`time_field`; v1 types keep the three formats the first release wrote, v2 types
use one (``micro``); exact numbers likewise with :func:`exact_field`. ``from_payload`` refuses a payload whose keys or time texts do not match,
so ``from_payload(p).to_payload() == p`` holds byte for byte for every entry it accepts.

Pure: no Django. Like Helios' versioned datatypes, a new format is a new class with a new version;
the old class keeps reading what was written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from asamblea.record.encoding import (
    EXACT_V2,
    EncodingError,
    format_exact,
    parse_exact,
    register_entry_type,
)

# Time formats on the record.
#   micro:   2022-12-28T15:00:00.000000Z  (record.encoding.format_at; the envelope's "at")
#   seconds: 2022-12-28T15:00:00Z         (elections v1: opens_at, closes_at, deadline_at)
#   iso:     2022-12-28T15:00:00+00:00    (assemblies v1: datetime.isoformat(), which drops a
#                                          zero microsecond part and keeps a non-zero one)
#   date:    2022-12-28
TIME_FORMATS = ("micro", "seconds", "iso", "date")


def time_field(fmt: str = "micro", **kwargs: Any) -> Any:
    """A dataclass field holding an aware UTC ``datetime`` (or a ``date`` for ``fmt="date"``)."""
    if fmt not in TIME_FORMATS:
        raise ValueError(f"unknown time format {fmt!r}")
    return dataclasses.field(metadata={"time": fmt}, **kwargs)


def exact_field(version: int = EXACT_V2, **kwargs: Any) -> Any:
    """A dataclass field holding an exact number (``Fraction``), written in the record's form for
    ``version`` (v1 ``str(Fraction)``, v2 always ``num/den``; record.encoding.format_exact)."""
    return dataclasses.field(metadata={"exact": version}, **kwargs)


def format_time(value: dt.datetime | dt.date, fmt: str) -> str:
    if fmt == "date":
        if isinstance(value, dt.datetime):
            raise EncodingError("a date field holds a date, not a datetime")
        return value.isoformat()
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise EncodingError("times on the record must be timezone-aware datetimes")
    utc = value.astimezone(dt.UTC)
    if fmt == "micro":
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if fmt == "seconds":
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc.isoformat()


def parse_time(text: Any, fmt: str, where: str) -> dt.datetime | dt.date:
    """Parse ``text`` in ``fmt``; refuse anything that would not be written back identically."""
    if not isinstance(text, str):
        raise EncodingError(f"{where}: a time must be a string, not {type(text).__name__}")
    try:
        if fmt == "date":
            value: dt.datetime | dt.date = dt.date.fromisoformat(text)
        elif fmt == "micro":
            value = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        elif fmt == "seconds":
            value = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        else:
            value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise EncodingError(f"{where}: {text!r} is not a {fmt} time") from exc
    if format_time(value, fmt) != text:
        raise EncodingError(f"{where}: {text!r} is not in the record's {fmt} time format")
    return value


class Part:
    """A nested object of an entry's payload (a frozen dataclass with the same field rules)."""

    def to_payload(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name), f) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], where: str = "") -> Any:
        where = where or cls.__name__
        if not isinstance(payload, Mapping):
            raise EncodingError(f"{where}: expected an object")
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        names = {f.name for f in fields}
        if set(payload) != names:
            raise EncodingError(
                f"{where}: keys differ (missing {sorted(names - set(payload))}, "
                f"unexpected {sorted(set(payload) - names)})"
            )
        hints = _hints(cls)
        values = {
            f.name: _decode(payload[f.name], f, hints[f.name], f"{where}.{f.name}") for f in fields
        }
        return cls(**values)


class Entry(Part):
    """A record entry's payload, typed. ``TYPE`` and ``VERSION`` are set by :func:`entry`."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]


_CLASSES: dict[tuple[str, int], type[Entry]] = {}
E = TypeVar("E", bound=type[Entry])


def entry(name: str, version: int, *, example: Mapping[str, Any]) -> Callable[[E], E]:
    """Declare a dataclass as the entry type ``name`` v``version`` and register its format.

    ``example`` is the payload the golden files pin; it must round-trip through the class.
    """

    def wrap(cls: E) -> E:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        cls.TYPE = name
        cls.VERSION = version
        keys = [f.name for f in dataclasses.fields(cls)]
        register_entry_type(name, version, keys, example=example)
        again = cls.from_payload(example).to_payload()
        if again != dict(example):
            raise EncodingError(f"{name} v{version}: the example does not round-trip")
        _CLASSES[(name, version)] = cls
        return cls

    return wrap


def entry_class(name: str, version: int) -> type[Entry] | None:
    return _CLASSES.get((name, version))


def entry_classes() -> list[type[Entry]]:
    return [_CLASSES[k] for k in sorted(_CLASSES)]


# Once per class: resolving the annotations is a compile() per field, and an entry with 10,000
# vote parts read it 10,000 times (3 of the 4 seconds a division's close spent).
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _part_class(hint: Any) -> type[Part] | None:
    if isinstance(hint, type) and issubclass(hint, Part):
        return hint
    return None


def _encode(value: Any, f: dataclasses.Field[Any] | None) -> Any:
    fmt = f.metadata.get("time") if f is not None else None
    exact = f.metadata.get("exact") if f is not None else None
    if value is None:
        return None
    if exact is not None:
        if isinstance(value, list):
            return [format_exact(v, exact) for v in value]
        if isinstance(value, dict):
            return {k: format_exact(v, exact) for k, v in value.items()}
        return format_exact(value, exact)
    if fmt is not None:
        if isinstance(value, list):
            return [format_time(v, fmt) for v in value]
        return format_time(value, fmt)
    if isinstance(value, Part):
        return value.to_payload()
    if isinstance(value, list | tuple):
        return [_encode(v, None) for v in value]
    return value


def _decode(value: Any, f: dataclasses.Field[Any], hint: Any, where: str) -> Any:
    if value is None:
        return None
    fmt = f.metadata.get("time")
    if fmt is not None:
        if isinstance(value, list):
            return [parse_time(v, fmt, f"{where}[{i}]") for i, v in enumerate(value)]
        return parse_time(value, fmt, where)
    exact = f.metadata.get("exact")
    if exact is not None:
        if isinstance(value, list):
            return [parse_exact(v, f"{where}[{i}]", exact) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: parse_exact(v, f"{where}.{k}", exact) for k, v in value.items()}
        return parse_exact(value, where, exact)
    return _decode_hint(value, hint, where)


def _decode_hint(value: Any, hint: Any, where: str) -> Any:
    if value is None:
        return None
    part = _part_class(hint)
    if part is not None:
        return part.from_payload(value, where)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if _part_class(arg) is not None:
                return _decode_hint(value, arg, where)
        return value
    if origin is list and args and _part_class(args[0]) is not None:
        if not isinstance(value, list):
            raise EncodingError(f"{where}: expected a list")
        return [_decode_hint(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    return value
