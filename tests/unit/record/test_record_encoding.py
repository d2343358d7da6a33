"""The canonical encoding of record entries, pinned byte for byte by golden files."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from golden_tool import ENVELOPE, all_types, encode_example, golden_path, load_pins, pin_key

from asamblea.record import encoding
from asamblea.record.encoding import EncodingError, build_entry, canonical_bytes

REGISTRY_TYPES = [
    "organisation_created",
    "organisation_settings_changed",
    "body_created",
    "body_changed",
    "seat_link_set",
    "roll_frozen",
    "seats_apportioned",
    "mandate_started",
    "mandate_ended",
    "alternates_set",
]
PINS = load_pins()


def test_the_registry_entry_types_are_registered_at_version_1():
    for name in REGISTRY_TYPES:
        assert encoding.entry_type(name, 1) is not None, name


@pytest.mark.parametrize("t", all_types(), ids=pin_key)
def test_every_registered_format_has_a_pinned_golden_file(t):
    assert pin_key(t) in PINS, (
        f"{pin_key(t)} has no golden file: run tests/unit/record/golden_tool.py to pin it"
    )
    assert golden_path(t).exists()


@pytest.mark.parametrize("key", sorted(PINS))
def test_a_pinned_format_is_still_registered_with_the_same_payload_keys(key):
    name, _, version = key.partition("/v")
    t = encoding.entry_type(name, int(version))
    assert t is not None, f"{key} was removed: old versions must stay readable"
    assert sorted(t.keys) == PINS[key]["keys"], (
        f"{key} changed its payload keys without a new version: register v{int(version) + 1}"
    )


@pytest.mark.parametrize("key", sorted(PINS))
def test_the_encoding_of_each_format_is_byte_identical_to_its_golden_file(key):
    name, _, version = key.partition("/v")
    t = encoding.entry_type(name, int(version))
    assert t is not None
    golden = golden_path(t).read_bytes()
    assert hashlib.sha256(golden).hexdigest() == PINS[key]["sha256"], "golden file edited"
    assert encode_example(t) == golden, (
        f"the bytes of {key} changed: a format change needs a new version"
    )


def test_canonical_bytes_sort_keys_and_leave_no_whitespace():
    assert canonical_bytes({"b": [1, "ñ"], "a": {"d": None, "c": True}}) == (
        '{"a":{"c":true,"d":null},"b":[1,"ñ"]}'.encode()
    )


def test_floats_are_refused_on_the_record():
    with pytest.raises(EncodingError, match="floats"):
        canonical_bytes({"share": 0.5})


def test_integers_beyond_exact_json_range_are_refused():
    with pytest.raises(EncodingError, match="exact JSON range"):
        canonical_bytes({"n": 2**53})


def test_payload_with_a_missing_or_extra_key_is_refused():
    with pytest.raises(EncodingError, match="missing \\['organisation'\\]"):
        build_entry(entry_type="organisation_created", version=1, payload={}, **ENVELOPE)
    with pytest.raises(EncodingError, match="unexpected \\['extra'\\]"):
        build_entry(
            entry_type="organisation_created",
            version=1,
            payload={"organisation": {}, "extra": 1},
            **ENVELOPE,
        )


def test_unregistered_types_cannot_be_appended():
    with pytest.raises(EncodingError, match="not registered"):
        build_entry(entry_type="vote_cast", version=1, payload={}, **ENVELOPE)


def test_registering_other_keys_under_a_registered_version_is_refused():
    with pytest.raises(EncodingError, match="bump the version"):
        encoding.register_entry_type("body_created", 1, ["body", "colour"])


def test_payload_keys_may_not_shadow_the_envelope():
    with pytest.raises(EncodingError, match="reserved"):
        encoding.register_entry_type("odd_entry", 1, ["index"])


def test_times_are_written_in_utc_with_microseconds():
    at = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert encoding.format_at(at) == "2026-05-01T13:30:00.000000Z"
    with pytest.raises(EncodingError):
        encoding.format_at(dt.datetime(2026, 5, 1))


def test_a_non_canonical_line_is_rejected_when_parsed():
    entry = build_entry(
        entry_type="organisation_created",
        version=1,
        payload={"organisation": {"slug": "f", "name": "F"}},
        **ENVELOPE,
    )
    line = canonical_bytes(entry)
    assert encoding.parse_entry_line(line) == entry
    with pytest.raises(EncodingError, match="canonical"):
        encoding.parse_entry_line(line.replace(b",", b", ", 1))
