"""Exchange rate lookup: what one unit of a currency was worth in the base currency on a
date. The rate in force is the latest one set on or before that date."""

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import ExchangeRate, base_currency
from .totals import convert


def no_rate(*, currency: str, on: date) -> ValidationError:
    """The error of a currency that had no rate on date ``on``."""
    return ValidationError(
        _(
            "No exchange rate for %(currency)s on or before %(date)s; "
            "an admin can add one under Exchange rates."
        ),
        code="no_rate",
        params={"currency": currency, "date": date_format(on)},
    )


def rate_on(*, currency, on):
    """The rate for ``currency`` on date ``on``; ValidationError when none was set yet."""
    if currency == base_currency():
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(currency=currency, valid_on__lte=on)
        .order_by("-valid_on")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise no_rate(currency=currency, on=on)
    return rate


def rates_on(*, pairs: Iterable[tuple[str, date]]) -> dict[tuple[str, date], Decimal]:
    """{(currency, date): rate} as ``rate_on`` gives it for each pair, in one query (a bulk
    create prices many orders at once); a pair whose currency had no rate yet is left out."""
    base = base_currency()
    asked = set(pairs)
    found = {pair: Decimal("1") for pair in asked if pair[0] == base}
    wanted = asked - found.keys()
    if not wanted:
        return found
    history: dict[str, tuple[list[date], list[Decimal]]] = {}
    for currency, valid_on, rate in (
        ExchangeRate.objects.filter(
            currency__in={currency for currency, _on in wanted},
            valid_on__lte=max(on for _currency, on in wanted),
        )
        .order_by("currency", "valid_on")
        .values_list("currency", "valid_on", "rate")
    ):
        days, rates = history.setdefault(currency, ([], []))
        days.append(valid_on)
        rates.append(rate)
    for currency, on in wanted:
        days, rates = history.get(currency, ([], []))
        position = bisect_right(days, on)
        if position:
            found[currency, on] = rates[position - 1]
    return found


def to_base(*, amount, currency, on):
    """``amount`` of ``currency`` in base currency cents at the rate of date ``on``."""
    return convert(amount, rate_on(currency=currency, on=on))
