"""core.jump: a keyset-paged list's "jump to" for each kind of sort (a text's first
characters, a day, a number), validated and converted to where the list starts. The lists
that use it: tests/customers/test_list_jump.py, tests/orders/test_list_jump.py."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from core.jump import Day, JumpForm, Number, Prefix, Where, after_prefix
from core.pagination import Keyset

JUMPS = {
    "name": Prefix("Names from", "Names down from", invalid="Not a name's start.", max_length=5),
    "day": Day("On or after", "On or before", moment=True),
    "total": Number("Total (%(currency)s) from", "Total down from", digits=(4, 2), min_value=0),
    "share": Number("Share (%) from", "Share (%) down from", per=100),
}


def _form(query, sort, **kwargs):
    name = sort.removeprefix("-")
    keyset = Keyset(name=sort, key=f"{name}_key", descending=sort.startswith("-"))
    return JumpForm(QueryDict(query), jumps=JUMPS, keyset=keyset, form_id="x-jump", **kwargs)


@pytest.mark.parametrize(
    ("prefix", "after"),
    [("SO-1", "SO-2"), ("M", "N"), ("a\ud7ff", "a\ue000"), ("\U0010fffe", "\U0010ffff")],
)
def test_after_a_prefix_comes_its_last_character_moved_on_past_surrogates(prefix, after):
    assert after_prefix(prefix) == after


@pytest.mark.parametrize("prefix", ["", "a\U0010ffff"])
def test_a_prefix_with_nothing_after_it_is_a_value_error(prefix):
    with pytest.raises(ValueError, match=f"^{re.escape(prefix)}$"):
        after_prefix(prefix)


def test_a_prefix_starts_at_itself_or_descending_before_the_next_one():
    jump = Prefix("", "", invalid="no", max_length=9, normalize=str.upper)

    assert jump.where("so-1", descending=False) == Where("SO-1")
    assert jump.where("so-1", descending=True) == Where("SO-2", before="SO-2")
    with pytest.raises(ValidationError, match="no"):
        jump.where("a\U0010ffff", descending=True)


def test_a_day_of_a_date_key_is_that_date(settings):
    jump = Day("", "")

    assert jump.where(dt.date(2026, 3, 1), descending=True) == Where(dt.date(2026, 3, 1))


def test_a_day_of_a_moment_key_is_its_span_in_the_current_time_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    jump = Day("", "", moment=True)

    after = jump.where(dt.date(2026, 3, 1), descending=False).start
    before = jump.where(dt.date(2026, 3, 1), descending=True).start

    assert after == dt.datetime(2026, 2, 28, 15, tzinfo=dt.UTC)
    assert before == dt.datetime(2026, 3, 1, 14, 59, 59, 999999, tzinfo=dt.UTC)


def test_a_number_is_divided_for_a_percentage():
    assert Number("", "", per=100).where(25.0, descending=False) == Where(0.25)
    assert Number("", "", digits=(4, 2)).where(Decimal("12.50"), descending=True) == Where(
        Decimal("12.50")
    )


@pytest.mark.parametrize("query", ["", "from=", "from=+++", "other=1"])
def test_without_a_value_the_form_is_unbound_and_the_list_starts_at_the_top(query):
    form = _form(query, "name")

    assert not form.is_bound
    assert not form.errors
    assert not form.jumped


@pytest.mark.parametrize(
    ("sort", "label"),
    [
        ("name", "Names from"),
        ("-name", "Names down from"),
        ("total", "Total (EUR) from"),
        ("-share", "Share (%) down from"),
    ],
)
def test_the_label_follows_the_sort_and_its_direction(sort, label):
    label_args = {"currency": "EUR"} if sort == "total" else None

    form = _form("", sort, label_args=label_args)

    assert form["from"].label == label


@pytest.mark.parametrize(
    ("sort", "value", "message"),
    [
        ("name", "abcdef", "Ensure this value has at most 5 characters (it has 6)."),
        ("-name", "a\U0010ffff", "Not a name's start."),
        ("day", "2026-02-30", "Enter a valid date."),
        ("total", "-1", "Ensure this value is greater than or equal to 0."),
        ("total", "100", "Ensure that there are no more than 2 digits before the decimal point."),
        ("-share", "Infinity", "Enter a number."),
        ("share", "NaN", "Enter a number."),
    ],
)
def test_a_value_not_of_the_sorts_kind_is_an_error_on_the_field(sort, value, message):
    form = _form(f"from={value}", sort)

    assert form.errors == {"from": [message]}
    assert not form.jumped
    assert form.fields["from"].widget.attrs["aria-describedby"] == "x-jump-error"


def test_a_valid_value_is_where_the_list_starts():
    form = _form("from=+12.5+", "-share")

    assert not form.errors
    assert form.jumped
    assert form.where == Where(0.125)


def test_the_form_keeps_the_filters_sent_and_the_sort():
    form = _form(
        "status=lead&region=&owner=3&cursor=abc", "-day", kept=["status", "region", "owner"]
    )

    assert form.kept == [("status", "lead"), ("owner", "3")]
    assert form.sort == "-day"
    assert form["from"].field.widget.attrs["form"] == "x-jump"
    assert form["from"].auto_id == "x-jump-from"
