"""Exchange rate lookup: what one unit of a currency was worth in the base currency on a
date. The rate in force is the latest one set on or before that date."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import ExchangeRate, base_currency
from .totals import convert


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
        raise ValidationError(
            _(
                "No exchange rate for %(currency)s on or before %(date)s; "
                "an admin can add one under Exchange rates."
            ),
            code="no_rate",
            params={"currency": currency, "date": date_format(on)},
        )
    return rate


def to_base(*, amount, currency, on):
    """``amount`` of ``currency`` in base currency cents at the rate of date ``on``."""
    return convert(amount, rate_on(currency=currency, on=on))
