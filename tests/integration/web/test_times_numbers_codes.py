"""Times in the organisation's zone with UTC kept, numbers with separators, weights with the
exact fraction on demand, tracking codes in one printed form and forgiving searches (issue 17)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.template import Context, Template
from django.utils import translation

from asamblea.web.codes import display_code, search_forms
from asamblea.web.templatetags.asamblea_web import day, num, weight, when, when_utc

LIMA_AFTERNOON = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


class Org:
    time_zone = "America/Lima"


class Election:
    organisation = Org()


def test_a_time_is_shown_in_the_organisations_zone_with_utc_in_the_markup():
    html = when(LIMA_AFTERNOON, Org())
    assert ">2026-12-07 10:00 <span" in html and "Lima" in html
    assert 'datetime="2026-12-07T15:00:00Z"' in html and 'title="2026-12-07 15:00 UTC"' in html
    # Anything with an organisation, or the zone's name, works as the argument.
    assert when(LIMA_AFTERNOON, Election()) == html == when(LIMA_AFTERNOON, "America/Lima")


def test_when_utc_shows_both_and_a_date_crosses_midnight_in_the_zone():
    both = when_utc(LIMA_AFTERNOON, Org())
    assert "10:00" in both and "15:00 UTC" in both
    late = dt.datetime(2026, 12, 8, 3, 0, tzinfo=dt.UTC)
    assert ">2026-12-07<" in day(late, Org())
    assert ">2026-12-08<" in day(late, "UTC")


def test_without_an_organisation_the_active_zone_is_used_and_utc_by_default():
    assert "15:00" in when(LIMA_AFTERNOON) and "UTC" in when(LIMA_AFTERNOON)
    assert when(None) == "" and when("") == ""


def test_numbers_have_the_languages_separators():
    with translation.override("es"):
        # Spanish groups thousands with a (non-breaking) space and uses the decimal comma.
        assert num(1234567) == "1\xa0234\xa0567"
        assert num(Fraction(657010, 21)) == "31\xa0286,19"
    with translation.override("en"):
        assert num(1234567) == "1,234,567"
        assert num(Fraction(657010, 21)) == "31,286.19"


def test_a_weight_shows_a_decimal_and_the_exact_fraction_on_demand():
    with translation.override("en"):
        html = weight("657010/21")
        assert "<summary>31,286.19</summary>" in html and "657010/21" in html
        assert weight(Fraction(42)) == "42"
        assert weight(None) == ""


def test_the_filters_work_in_a_template():
    with translation.override("en"):
        out = Template(
            "{% load asamblea_web %}{{ t|when:org }} {{ n|num }} {{ c|tracking }}"
        ).render(Context({"t": LIMA_AFTERNOON, "org": Org(), "n": 12345, "c": "AJ6HOD5BPY3D"}))
    assert "10:00" in out and "12,345" in out and "AJ6H OD5B PY3D" in out


def test_both_kinds_of_tracking_code_print_in_groups_of_four():
    assert display_code("AJ6HOD5BPY3D") == "AJ6H OD5B PY3D"
    assert display_code("AJ6H-OD5B-PY3D") == "AJ6H OD5B PY3D"
    sealed = "Ab-d_fGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
    assert display_code(sealed).replace(" ", "") == sealed


@pytest.mark.parametrize(
    "typed", ["AJ6HOD5BPY3D", "aj6h-od5b-py3d", " AJ6H OD5B PY3D ", "AJ6H0D5BPY3D"]
)
def test_a_base32_code_is_found_however_it_was_typed(typed):
    assert search_forms(typed) == ["AJ6HOD5BPY3D"]


def test_a_sealed_ballots_hash_is_found_printed_grouped_or_dashed():
    sealed = "Ab-d_fGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
    printed = display_code(sealed)
    assert search_forms(printed)[0] == sealed
    assert search_forms(printed.replace(" ", "-"))[0] == sealed
    assert search_forms("not a code") == []
