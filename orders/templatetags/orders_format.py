from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def rate(value):
    """An exchange rate with its significant decimals only: 1.1, 0.00671234."""
    if value in (None, ""):
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
