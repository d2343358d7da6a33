"""The three time formats of v1 record entries (and dates), read and written back byte for byte."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

import asamblea.record.entries as entries_package
from asamblea.record.encoding import (
    EXACT_V1,
    EXACT_V2,
    EncodingError,
    format_at,
    format_exact,
    parse_exact,
)
from asamblea.record.entries.base import format_time, parse_time

WITH_MICROS = dt.datetime(2022, 12, 28, 15, 4, 5, 120300, tzinfo=dt.UTC)
WHOLE_SECOND = dt.datetime(2022, 12, 28, 15, 4, 5, tzinfo=dt.UTC)
LIMA = dt.timezone(dt.timedelta(hours=-5))


@pytest.mark.parametrize(
    ("fmt", "moment", "text"),
    [
        ("micro", WITH_MICROS, "2022-12-28T15:04:05.120300Z"),
        ("micro", WHOLE_SECOND, "2022-12-28T15:04:05.000000Z"),
        ("seconds", WHOLE_SECOND, "2022-12-28T15:04:05Z"),
        ("iso", WITH_MICROS, "2022-12-28T15:04:05.120300+00:00"),
        # isoformat() drops a zero microsecond part: both shapes occur in v1 assemblies entries.
        ("iso", WHOLE_SECOND, "2022-12-28T15:04:05+00:00"),
        ("date", dt.date(2022, 12, 28), "2022-12-28"),
    ],
)
def test_each_time_format_writes_its_text_and_reads_it_back(fmt, moment, text):
    assert format_time(moment, fmt) == text
    assert parse_time(text, fmt, "t") == moment
    assert format_time(parse_time(text, fmt, "t"), fmt) == text


def test_the_micro_format_is_the_envelope_format():
    assert format_time(WITH_MICROS, "micro") == format_at(WITH_MICROS)


@pytest.mark.parametrize("fmt", ["micro", "seconds", "iso"])
def test_a_time_in_another_zone_is_written_in_utc(fmt):
    in_lima = WHOLE_SECOND.astimezone(LIMA)
    assert format_time(in_lima, fmt) == format_time(WHOLE_SECOND, fmt)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("micro", "2022-12-28T15:04:05Z"),  # seconds text in a micro field
        ("micro", "2022-12-28T15:04:05.1203Z"),  # fewer than six digits
        ("seconds", "2022-12-28T15:04:05.000000Z"),
        ("iso", "2022-12-28T15:04:05.000000+00:00"),  # isoformat() would drop the zeros
        ("iso", "2022-12-28T10:04:05-05:00"),  # the same moment, but not written in UTC
        ("iso", "2022-12-28T15:04:05Z"),
        ("date", "2022-12-28T15:04:05Z"),
    ],
)
def test_a_text_that_would_not_be_written_back_identically_is_refused(fmt, text):
    with pytest.raises(EncodingError, match="where"):
        parse_time(text, fmt, "where")


def test_a_naive_datetime_is_refused():
    with pytest.raises(EncodingError, match="timezone-aware"):
        format_time(dt.datetime(2022, 12, 28, 15, 4, 5), "micro")  # noqa: DTZ001


def test_a_time_that_is_not_a_string_is_refused():
    with pytest.raises(EncodingError, match="must be a string"):
        parse_time(1672239845, "seconds", "where")


def test_every_area_has_its_entry_module():
    # The verifier reads entries through their typed classes; an area whose module is missing
    # would leave its entries checked by keys only.
    assert entries_package.missing_entry_modules() == []


@pytest.mark.parametrize(
    ("value", "v1", "v2"),
    [
        (Fraction(1300, 3), "1300/3", "1300/3"),
        (Fraction(87), "87", "87/1"),
        (0, "0", "0/1"),
        (Fraction(-1, 2), "-1/2", "-1/2"),
    ],
)
def test_exact_numbers_have_one_text_per_version(value, v1, v2):
    assert format_exact(value, EXACT_V1) == v1
    assert format_exact(value, EXACT_V2) == v2
    assert parse_exact(v1, "w", EXACT_V1) == value
    assert parse_exact(v2, "w", EXACT_V2) == value


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("87", EXACT_V2),  # v2 writes whole numbers as 87/1
        ("87/1", EXACT_V1),  # v1 wrote str(Fraction): 87
        ("2/4", EXACT_V2),  # not in lowest terms
        ("1/0", EXACT_V2),
        ("+1/2", EXACT_V2),
        ("0.5", EXACT_V1),
        (" 1/2", EXACT_V2),
        (3, EXACT_V1),  # a JSON integer is a count, not an exact rational
    ],
)
def test_an_exact_number_in_another_spelling_is_refused(text, version):
    with pytest.raises(EncodingError, match="where"):
        parse_exact(text, "where", version)


def test_a_float_is_not_an_exact_number():
    with pytest.raises(EncodingError, match="int or a Fraction"):
        format_exact(0.5)  # type: ignore[arg-type]


def test_the_new_assemblies_entries_write_exact_numbers_in_the_v2_form_only():
    from asamblea.record.entries.assemblies import DivisionRuleV2, VotePartV2, VotesCastV1

    vote = VotePartV2(
        seat_id=41,
        unit="mina-norte",
        unit_name="Mina Norte",
        member="abcdefghijklmnop",
        name="Rosa Quispe Mamani",
        alternate=False,
        choice="for",
        instructed=None,
        deviation=False,
        weight=Fraction(87),
    )
    cast = VotesCastV1(
        session_id=3, body_id=12, body="comite-sur", division_id=2, motion_id=5, votes=[vote]
    )
    payload = cast.to_payload()
    assert payload["votes"][0]["weight"] == "87/1"
    assert VotesCastV1.from_payload(payload) == cast
    with pytest.raises(EncodingError, match="v2 exact-number form"):
        VotesCastV1.from_payload({**payload, "votes": [{**payload["votes"][0], "weight": "87"}]})
    rule = DivisionRuleV2(
        threshold="majority_cast",
        basis="seats",
        seats=130,
        quorum_strict=True,
        mandate_mode="report",
        voting_rule="one_delegate_one_vote",
        legal=Fraction(130),
        quorum=Fraction(1, 2),
        fraction=None,
    )
    assert {k: v for k, v in rule.to_payload().items() if k in ("legal", "quorum", "fraction")} == {
        "legal": "130/1",
        "quorum": "1/2",
        "fraction": None,
    }
