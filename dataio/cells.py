"""Turning one CSV cell into a typed value, or a CellError saying what is wrong with it.

Pure functions (no ORM): every importer and every test shares the same reading of dates,
amounts, quantities and yes/no values.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.csv import FORMULA_STARTS
from core.languages import language_codes, supported_language

DATE_FORMATS = [
    ("iso", gettext_lazy("YYYY-MM-DD (ISO 8601)")),
    ("compact", gettext_lazy("YYYYMMDD")),
    ("ymd_slash", gettext_lazy("YYYY/MM/DD")),
    ("dmy", gettext_lazy("DD/MM/YYYY")),
    ("mdy", gettext_lazy("MM/DD/YYYY")),
    ("dmy_dash", gettext_lazy("DD-MM-YYYY")),
    ("mdy_dash", gettext_lazy("MM-DD-YYYY")),
    ("dmy_dot", gettext_lazy("DD.MM.YYYY")),
]
_DATE_PATTERNS = {
    "iso": "%Y-%m-%d",
    "compact": "%Y%m%d",
    "ymd_slash": "%Y/%m/%d",
    "dmy": "%d/%m/%Y",
    "mdy": "%m/%d/%Y",
    "dmy_dash": "%d-%m-%Y",
    "mdy_dash": "%m-%d-%Y",
    "dmy_dot": "%d.%m.%Y",
}
_DATE_EXAMPLES = {
    "iso": "2026-03-31",
    "compact": "20260331",
    "ymd_slash": "2026/03/31",
    "dmy": "31/03/2026",
    "mdy": "03/31/2026",
    "dmy_dash": "31-03-2026",
    "mdy_dash": "03-31-2026",
    "dmy_dot": "31.03.2026",
}
# strptime also reads "202633" as YYYYMMDD: the shape of the cell is checked first.
_DATE_SHAPES = {
    "iso": re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"),
    "compact": re.compile(r"^\d{8}$"),
    "ymd_slash": re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"),
    "dmy": re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"),
    "mdy": re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"),
    "dmy_dash": re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"),
    "mdy_dash": re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"),
    "dmy_dot": re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"),
}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_GROUPED_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_WHOLE = re.compile(r"^-?\d+(\.0+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE = {"1", "y", "yes", "true", "t", "x"}
_FALSE = {"0", "n", "no", "false", "f"}


class CellError(Exception):
    pass


def text(value):
    """The cell stripped, without the quote an export put before a formula-like value
    (``core.csv.safe_cell``)."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _date_or_none(value, date_format):
    if not _DATE_SHAPES[date_format].match(value):
        return None
    try:
        # Only the date is kept, so the parsed datetime needs no time zone.
        return dt.datetime.strptime(value, _DATE_PATTERNS[date_format]).date()  # noqa: DTZ007
    except ValueError:
        return None


def parse_date(value, date_format="iso"):
    day = _date_or_none(value, date_format)
    if day is None:
        raise CellError(
            _("“%(value)s” is not a date like %(example)s.")
            % {"value": value, "example": _DATE_EXAMPLES[date_format]}
        )
    return day


def date_formats_of(values):
    """The date formats every one of ``values`` (non-empty cells) reads in, in the order of
    DATE_FORMATS; empty when there are no values or no format fits them all. More than one
    means the file does not say which (days up to 12 fit both DD/MM and MM/DD)."""
    values = [value for value in values if value]
    if not values:
        return []
    return [
        code
        for code, _label in DATE_FORMATS
        if all(_date_or_none(value, code) is not None for value in values)
    ]


def date_format_label(code):
    return dict(DATE_FORMATS)[code]


def looks_like_value(value):
    """Whether a cell reads as a number or a date, which a column name never does."""
    value = value.strip()
    return bool(_NUMBER.match(value) or _GROUPED_NUMBER.match(value)) or any(
        _date_or_none(value, code) is not None for code in _DATE_PATTERNS
    )


def parse_amount(value, places=2):
    """A non-negative Decimal with at most ``places`` decimals; "1,234.50" is accepted."""
    if _GROUPED_NUMBER.match(value):
        value = value.replace(",", "")
    if not _NUMBER.match(value):
        raise CellError(_("“%(value)s” is not a number.") % {"value": value})
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if amount < 0:
        raise CellError(_("The amount cannot be negative."))
    if -amount.as_tuple().exponent > places:
        raise CellError(_("Use at most %(places)s decimal places.") % {"places": places})
    return amount


def parse_quantity(value):
    if not _WHOLE.match(value):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    quantity = int(Decimal(value))
    if quantity < 1:
        raise CellError(_("The quantity must be at least 1."))
    return quantity


def parse_bool(value):
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(_("“%(value)s” is not yes or no.") % {"value": value})


def parse_choice(value, choices):
    """The stored value of a TextChoices member given by value or label, any case."""
    lowered = value.lower()
    for choice_value, label in choices:
        if lowered in (choice_value.lower(), str(label).lower()):
            return choice_value
    raise CellError(
        _("“%(value)s” is not one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(v for v, _label in choices)}
    )


def parse_language(value):
    """A code of the site's languages, from a code in any case ("zh-Hans", "zh_CN") or a
    language's name ("Simplified Chinese", "简体中文")."""
    code = supported_language(value)
    if code is None:
        raise CellError(
            _("“%(value)s” is not one of the languages: %(codes)s.")
            % {"value": value, "codes": ", ".join(language_codes())}
        )
    return code


def parse_currency(value):
    code = value.upper()
    if not _CURRENCY.match(code):
        raise CellError(_("“%(value)s” is not a three-letter currency code.") % {"value": value})
    return code


def split_tags(value):
    """Tag names from "a; b;c", without blanks or repeats, in file order."""
    names = {}
    for name in value.split(";"):
        name = name.strip()
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())
