import datetime as dt
import itertools
from decimal import Decimal

from orders.models import Order

_numbers = itertools.count(1)


def make_order(customer, total, *, refunded="0", status=Order.Status.PAID, on=None):
    """An order with explicit base-currency totals (no line items, no order service)."""
    total, refunded = Decimal(total), Decimal(refunded)
    return Order.objects.create(
        customer=customer,
        number=f"T-{next(_numbers):05d}",
        status=status,
        ordered_on=on or dt.date(2026, 2, 1),
        total=total,
        total_base=total,
        refunded_total=refunded,
        refunded_base=refunded,
    )
