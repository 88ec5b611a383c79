"""Orders written straight to the table (totals given, not computed from lines), for tests
of the set-based company metrics that need many purchases quickly."""

import itertools
from decimal import Decimal

from orders.models import Order

_numbers = itertools.count(1)


def buy(customer, day, amount="100.00", cost="60.00", status=Order.Status.PAID, refunded="0"):
    amount, cost, refunded = Decimal(amount), Decimal(cost), Decimal(refunded)
    return Order.objects.create(
        customer=customer,
        number=f"H8-{next(_numbers):06d}",
        status=status,
        ordered_on=day,
        subtotal=amount,
        total=amount,
        total_base=amount,
        cost_total=cost,
        cost_base=cost,
        refunded_total=refunded,
        refunded_base=refunded,
    )
