import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Customer
from dataio import cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Acme ", "Acme"),
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'+1 555", "+1 555"),
        ("'quoted'", "'quoted'"),
    ],
)
def test_text_strips_and_drops_the_export_formula_quote(value, expected):
    assert cells.text(value) == expected


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("2026-03-31", "iso", dt.date(2026, 3, 31)),
        ("31/03/2026", "dmy", dt.date(2026, 3, 31)),
        ("03/31/2026", "mdy", dt.date(2026, 3, 31)),
        ("31.03.2026", "dmy_dot", dt.date(2026, 3, 31)),
    ],
)
def test_dates(value, date_format, expected):
    assert cells.parse_date(value, date_format) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "31/03/2026", "yesterday"])
def test_bad_dates(value):
    with pytest.raises(cells.CellError, match="is not a date like 2026-03-31"):
        cells.parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", Decimal("12")), ("12.50", Decimal("12.50")), ("1,234.5", Decimal("1234.5"))],
)
def test_amounts(value, expected):
    assert cells.parse_amount(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12a", "“12a” is not a number."),
        ("1,23", "“1,23” is not a number."),
        ("NaN", "“NaN” is not a number."),
        ("-1", "The amount cannot be negative."),
        ("0.005", "Use at most 2 decimal places."),
    ],
)
def test_bad_amounts(value, message):
    with pytest.raises(cells.CellError) as excinfo:
        cells.parse_amount(value)
    assert str(excinfo.value) == message


def test_quantities():
    assert cells.parse_quantity("3") == 3
    assert cells.parse_quantity("3.0") == 3
    for value, message in [("0", "at least 1"), ("-2", "at least 1"), ("2.5", "whole number")]:
        with pytest.raises(cells.CellError, match=message):
            cells.parse_quantity(value)


def test_yes_no_choices_currency_and_tags():
    assert [cells.parse_bool(v) for v in ("Yes", "n", "TRUE", "0", "x")] == [
        True,
        False,
        True,
        False,
        True,
    ]
    with pytest.raises(cells.CellError):
        cells.parse_bool("maybe")
    assert cells.parse_choice("Churned", Customer.Status.choices) == "churned"
    assert cells.parse_currency("eur") == "EUR"
    with pytest.raises(cells.CellError):
        cells.parse_currency("EURO")
    assert cells.split_tags(" vip ;; Retail; VIP ") == ["vip", "Retail"]
